/**
 * LIST with Kubernetes' resourceVersion semantics (resourceVersion / resourceVersionMatch),
 * selectors and chunking (limit / continue), reading a consistent snapshot at one revision.
 * Items stay as JSON strings unless a selector needs them parsed.
 */
import { StatusError, badRequest, timeoutError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resource.js';
import { StorageError } from '../../storage/store.js';
import { withResourceVersion } from './codec.js';
import { listPrefix, splitKey } from './keys.js';
import type { ParsedFieldSelector, ParsedSelector, RegistryServices } from './services.js';

export interface ListRequest {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  limit?: number;
  continue?: string;
}

export interface ListPage {
  /** Each item's JSON, with its resourceVersion, in the served version. */
  items: string[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

export function encodeContinue(rv: number, lastKey: string, prefix: string): string {
  const token: ContinueToken = { v: 'meta.k8s.io/v1', rv, start: `${lastKey.slice(prefix.length)}\u0000` };
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeContinue(s: string, prefix: string): { rv: number; startAfter: string } {
  let token: ContinueToken;
  try {
    token = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as ContinueToken;
  } catch {
    throw badRequest('continue key is not valid: illegal base64 data');
  }
  // rv -1 (from a 410 for an expired token) continues at the newest revision.
  if (token?.v !== 'meta.k8s.io/v1' || typeof token.rv !== 'number' || typeof token.start !== 'string' || (token.rv <= 0 && token.rv !== -1))
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  const start = token.start.replace(/\u0000$/, '');
  if (start.includes('..') || start.startsWith('/')) throw badRequest('continue key is not valid: path traversal attempt');
  return { rv: token.rv, startAfter: prefix + start };
}

/** 410 Expired for a paginated list whose revision was compacted, carrying a token to go on at the newest one. */
class ExpiredContinueError extends StatusError {
  constructor(readonly token: string) {
    super(410, 'Expired', continueTooOld);
  }

  override toStatus() {
    return { ...super.toStatus(), metadata: { continue: this.token } };
  }
}

export const continueTooOld =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

export function parseResourceVersion(rv: string | undefined): number | undefined {
  if (rv === undefined || rv === '') return undefined;
  if (!/^\d+$/.test(rv)) throw badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  return Number(rv);
}

/** Compiled selectors for one request, shared by LIST and WATCH. */
export class ObjectFilter {
  private readonly labels?: ParsedSelector;
  private readonly fields?: ParsedFieldSelector;
  /** True when only metadata.name / metadata.namespace are selected (answerable from the key). */
  readonly keyOnly: boolean;

  constructor(
    private readonly def: ResourceDef,
    private readonly svc: Pick<RegistryServices, 'selectors'>,
    labelSelector?: string,
    fieldSelector?: string,
  ) {
    if (labelSelector) {
      const l = svc.selectors.parseLabelSelector(labelSelector);
      if (!l.empty()) this.labels = l;
    }
    if (fieldSelector) {
      const f = svc.selectors.parseFieldSelector(def, fieldSelector);
      if (!f.empty()) this.fields = f;
    }
    this.keyOnly = !this.labels && (!this.fields || this.fields.requirements().every((r) => r.field === 'metadata.name' || r.field === 'metadata.namespace'));
  }

  get matchesAll(): boolean {
    return !this.labels && !this.fields;
  }

  /** Fast check from the storage key alone; undefined when the object must be inspected. */
  matchKey(key: string): boolean | undefined {
    if (!this.keyOnly) return undefined;
    if (!this.fields) return true;
    const { namespace, name } = splitKey(this.def, key);
    return this.fields.matches({ 'metadata.name': name, 'metadata.namespace': namespace ?? '' });
  }

  matches(obj: ApiObject): boolean {
    if (this.labels && !this.labels.matches((obj.metadata?.labels ?? {}) as Record<string, string>)) return false;
    if (this.fields && !this.fields.matches(this.svc.selectors.fieldsOf(this.def, obj))) return false;
    return true;
  }
}

export interface ListDeps {
  svc: RegistryServices;
  /** Converts a stored object JSON (with resourceVersion) into the served version's JSON. */
  serve(json: string): string;
  /** Parses a served JSON into an object for selector matching. */
  parse(json: string): ApiObject;
}

/** Waits (briefly) for storage to reach `rv`, as the watch cache does for NotOlderThan reads. */
async function ensureNotOlderThan(deps: ListDeps, rv: number): Promise<number> {
  for (let i = 0; i < 30; i++) {
    const cur = await deps.svc.store.currentRevision();
    if (cur >= rv) return cur;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw timeoutError(`Too large resource version: ${rv}, current: ${await deps.svc.store.currentRevision()}`);
}

export async function listObjects(def: ResourceDef, deps: ListDeps, req: ListRequest, filter: ObjectFilter): Promise<ListPage> {
  const prefix = listPrefix(def, req.namespace);
  // resourceVersion "0" (alone or NotOlderThan) is served by upstream's watch cache, which
  // ignores limit (cacher.go shouldDelegateList): the whole list comes back in one page.
  const fromCache = !req.continue && req.resourceVersion === '0' && req.resourceVersionMatch !== 'Exact';
  const limit = req.limit && req.limit > 0 && !fromCache ? req.limit : 0;
  let revision: number | undefined;
  let startAfter: string | undefined;
  if (req.continue) {
    if (req.resourceVersion && req.resourceVersion !== '0') throw badRequest('specifying resource version is not allowed when using continue');
    const c = decodeContinue(req.continue, prefix);
    revision = c.rv > 0 ? c.rv : undefined;
    startAfter = c.startAfter;
  } else {
    const rv = parseResourceVersion(req.resourceVersion);
    const match = req.resourceVersionMatch;
    if (match && match !== 'Exact' && match !== 'NotOlderThan') throw badRequest(`resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`);
    if (match && rv === undefined) throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
    if (match === 'Exact' && rv === 0) throw badRequest('resourceVersionMatch "Exact" is forbidden for resourceVersion "0"');
    // A paginated request with a resourceVersion and no match is the legacy exact read (etcd3 store.go GetList).
    if (match === 'Exact' || (!match && limit && rv)) revision = rv;
    else if (rv !== undefined && rv > 0) await ensureNotOlderThan(deps, rv);
  }

  const items: string[] = [];
  let readAt = revision;
  let more = false;
  let lastKey: string | undefined;
  let remaining: number | undefined;
  // Read pages from storage until `limit` items pass the filter (or storage runs out).
  for (;;) {
    const want = limit ? Math.max(limit - items.length, filter.matchesAll ? 0 : 1) : 0;
    const chunk = limit && !filter.matchesAll ? Math.max(want, 500) : want;
    let page;
    try {
      page = await deps.svc.store.list(prefix, { revision: readAt, limit: chunk || undefined, startAfter });
    } catch (e) {
      if (e instanceof StorageError && e.code === 'Compacted') {
        // etcd3 interpretListError: a paginated list gets a token that continues from the same key at the newest revision.
        if (limit) throw new ExpiredContinueError(encodeContinue(-1, startAfter ?? prefix, prefix));
        throw new StatusError(410, 'Expired', 'The resourceVersion for the provided list is too old.');
      }
      throw e;
    }
    readAt = page.revision;
    for (const kv of page.items) {
      if (limit && items.length >= limit) {
        more = true;
        break;
      }
      lastKey = kv.key;
      const byKey = filter.matchKey(kv.key);
      if (byKey === false) continue;
      const json = deps.serve(withResourceVersion(kv.value, kv.modRevision));
      if (byKey === undefined && !filter.matches(deps.parse(json))) continue;
      items.push(json);
    }
    if (limit && items.length >= limit) {
      more = more || page.more;
      if (filter.matchesAll && page.remaining !== undefined) remaining = page.remaining;
      // lastKey is the last key consumed; when we stopped mid-page, that is the last returned item.
      break;
    }
    if (!page.more) break;
    startAfter = page.items[page.items.length - 1]?.key ?? startAfter;
  }
  const out: ListPage = { items, resourceVersion: String(readAt ?? (await deps.svc.store.currentRevision())) };
  if (more && lastKey) {
    out.continue = encodeContinue(readAt!, lastKey, prefix);
    if (remaining !== undefined) out.remainingItemCount = remaining;
  }
  return out;
}
