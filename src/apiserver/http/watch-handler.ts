/**
 * WATCH: a chunked stream of `{"type":…,"object":…}` events (k8s.io/apiserver/pkg/endpoints/handlers/watch.go).
 * Starts with the current state when asked (resourceVersion unset/"0", or sendInitialEvents),
 * then follows the shared watch cache; selectors turn modifications into ADDED/DELETED as objects
 * enter or leave the selection. Frames for unfiltered JSON watchers are built once per event and
 * shared by every watcher.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StatusError, badRequest, invalidError } from '../../api/errors.js';
import { type FieldError, forbidden, notSupported } from '../../api/field-errors.js';
import type { ApiObject } from '../../api/object.js';
import { apiVersionOf } from '../../api/resource.js';
import { StorageError } from '../../storage/store.js';
import { listObjects, ObjectFilter, parseResourceVersion } from '../registry/list.js';
import { listPrefix } from '../registry/keys.js';
import type { ResourceEntry } from '../registry/resource-registry.js';
import type { RegistryServices } from '../registry/services.js';
import { CachedEvent, type Subscription } from '../registry/watch-cache.js';
import type { Rendering } from './negotiation.js';
import { includeObjectParam, partialMetadata, type TableRenderer } from './render.js';

type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchContext {
  svc: RegistryServices;
  tables: TableRenderer;
  /** Called with every open watch's stop function, so server shutdown can end them. */
  track(stop: () => void): () => void;
}

const maxBuffered = 64 * 1024 * 1024;
const bookmarkFrequencyMs = 60_000;

/** ListOptions validation for watch requests (apimachinery meta/internalversion/validation validateWatchOptions). */
function validateWatchOptions(match: string, sendInitialEvents: string | null, cont: string): void {
  const errs: FieldError[] = [];
  if (sendInitialEvents !== null && match !== 'NotOlderThan')
    errs.push(forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
  if (match) {
    if (sendInitialEvents === null) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
    if (match !== 'NotOlderThan') errs.push(notSupported('resourceVersionMatch', match, ['NotOlderThan']));
    if (cont) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
  }
  if (errs.length) throw invalidError({ group: 'meta.k8s.io', kind: 'ListOptions' }, '', errs);
}

export async function serveWatch(
  req: IncomingMessage,
  res: ServerResponse,
  entry: ResourceEntry,
  ns: string | undefined,
  name: string | undefined,
  q: URLSearchParams,
  rendering: Rendering,
  ctx: WatchContext,
): Promise<void> {
  const def = entry.def;
  let fieldSelector = q.get('fieldSelector') ?? '';
  if (name) fieldSelector = fieldSelector ? `${fieldSelector},metadata.name=${name}` : `metadata.name=${name}`;
  const filter = new ObjectFilter(def, ctx.svc, q.get('labelSelector') ?? '', fieldSelector);
  const rvParam = q.get('resourceVersion') ?? '';
  const rv = parseResourceVersion(rvParam);
  const bookmarks = ['1', 'true'].includes(q.get('allowWatchBookmarks') ?? '');
  const sendInitialParam = q.get('sendInitialEvents');
  const sendInitial = sendInitialParam === 'true';
  validateWatchOptions(q.get('resourceVersionMatch') ?? '', sendInitialParam, q.get('continue') ?? '');
  if (sendInitialParam !== null && !bookmarks) throw badRequest('sendInitialEvents requires allowWatchBookmarks=true');
  const timeoutParam = q.get('timeoutSeconds');
  // Unset or 0: the server's default, minRequestTimeout (1800s) stretched randomly (handlers/get.go).
  const timeoutSec = timeoutParam && timeoutParam !== '0' ? Number(timeoutParam) : 1800 * (1 + Math.random());
  if (!Number.isFinite(timeoutSec) || timeoutSec < 0) throw badRequest(`invalid timeoutSeconds: ${timeoutParam}`);

  const prefix = listPrefix(def, ns);
  const served = apiVersionOf(def);
  const convert = def.conversion !== undefined;
  const includeObject = includeObjectParam(q);
  let tableHeadersSent = false;

  res.statusCode = 200;
  res.setHeader('Content-Type', rendering.kind === 'table' || rendering.kind === 'partial' ? 'application/json' : 'application/json');
  res.setHeader('Cache-Control', 'no-cache, private');
  res.setHeader('Transfer-Encoding', 'chunked');
  res.flushHeaders();

  let closed = false;
  let sub: Subscription | undefined;
  let direct: { close(): void } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let bookmarkTimer: NodeJS.Timeout | undefined;
  let lastRv = 0;
  let pending: (Buffer | string)[] = [];
  const stop = () => {
    if (closed) return;
    closed = true;
    sub?.close();
    direct?.close();
    clearTimeout(timer);
    clearTimeout(bookmarkTimer);
    untrack();
    // Frames still batched (e.g. a final ERROR event) go out before the stream ends.
    if (pending.length && !res.destroyed) res.write(Buffer.concat(pending.map((b) => (typeof b === 'string' ? Buffer.from(b) : b))));
    pending = [];
    res.end();
  };
  const untrack = ctx.track(stop);
  req.on('close', stop);
  res.on('error', stop);

  // Frames produced in one event-loop turn go out in one socket write (many events per commit
  // burst, many watchers per event: one write each instead of one per event).
  let flushScheduled = false;
  const flush = () => {
    flushScheduled = false;
    if (closed || pending.length === 0) return;
    const out = pending.length === 1 ? pending[0] : Buffer.concat(pending.map((b) => (typeof b === 'string' ? Buffer.from(b) : b)));
    pending = [];
    res.write(out);
    if (res.writableLength > maxBuffered) stop();
  };
  const write = (buf: Buffer | string) => {
    if (closed) return;
    pending.push(buf);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };

  const objectFor = (obj: ApiObject): unknown => {
    if (rendering.kind === 'partial') return partialMetadata(obj, rendering.version);
    if (rendering.kind === 'table') {
      const t = ctx.tables.table(def, [obj], { now: new Date(), includeObject, noHeaders: tableHeadersSent });
      tableHeadersSent = true;
      return { ...t, apiVersion: `meta.k8s.io/${rendering.version}` };
    }
    return obj;
  };

  const frameOf = (type: WatchType, obj: ApiObject): string => `{"type":"${type}","object":${JSON.stringify(objectFor(obj))}}\n`;

  const served_ = (e: CachedEvent, prev = false): ApiObject => {
    const o = structuredClone(prev ? e.prevObject()! : e.object());
    return entry.store.toServed(o);
  };

  const emit = (events: CachedEvent[]) => {
    const out: (Buffer | string)[] = [];
    for (const e of events) {
      lastRv = e.revision;
      if (!e.key.startsWith(prefix)) continue;
      if (filter.matchesAll && rendering.kind === 'json' && !convert) {
        const type: WatchType = e.type === 'create' ? 'ADDED' : e.type === 'update' ? 'MODIFIED' : 'DELETED';
        out.push(e.frame(`${type}:${served}`, () => Buffer.from(`{"type":"${type}","object":${e.json}}\n`)));
        continue;
      }
      const byKey = filter.matchKey(e.key);
      if (byKey === false) continue;
      // Plain JSON of an unconverted kind: match on the cached parse and share the event's frame
      // with every other watcher, instead of cloning and re-serialising per watcher.
      const plain = rendering.kind === 'json' && !convert;
      const current = (): ApiObject => (plain ? e.object() : served_(e));
      const frameFor = (type: WatchType): Buffer | string =>
        plain ? e.frame(`${type}:${served}`, () => Buffer.from(`{"type":"${type}","object":${e.json}}\n`)) : frameOf(type, served_(e));
      const nowMatch = byKey ?? filter.matches(current());
      if (e.type === 'delete') {
        if (nowMatch) out.push(frameFor('DELETED'));
        continue;
      }
      if (e.type === 'create') {
        if (nowMatch) out.push(frameFor('ADDED'));
        continue;
      }
      const prevRaw = e.prevObject();
      const wasMatch = byKey ?? (prevRaw ? filter.matches(plain ? prevRaw : served_(e, true)) : false);
      if (nowMatch && wasMatch) out.push(frameFor('MODIFIED'));
      else if (nowMatch) out.push(frameFor('ADDED'));
      else if (wasMatch && prevRaw) {
        // Leaving the selection: the previous state at this event's revision (cacheWatcher.convertToWatchEvent).
        const prev = served_(e, true);
        prev.metadata.resourceVersion = String(e.revision);
        out.push(frameOf('DELETED', prev));
      }
    }
    if (out.length) write(out.length === 1 ? out[0] : Buffer.concat(out.map((b) => (typeof b === 'string' ? Buffer.from(b) : b))));
  };

  const fail = (err: StorageError | StatusError) => {
    const status =
      err instanceof StatusError
        ? err.toStatus()
        : err.code === 'Compacted'
          ? new StatusError(410, 'Expired', `too old resource version: ${rv ?? 0} (${err.compactedRevision ?? 0})`).toStatus()
          : new StatusError(500, 'InternalError', err.message).toStatus();
    write(`{"type":"ERROR","object":${JSON.stringify(status)}}\n`);
    stop();
  };

  const bookmark = (rev: number, initialEnd = false) => {
    const meta: Record<string, unknown> = { resourceVersion: String(rev) };
    if (initialEnd) meta.annotations = { 'k8s.io/initial-events-end': 'true' };
    write(`{"type":"BOOKMARK","object":${JSON.stringify({ kind: def.kind, apiVersion: served, metadata: meta })}}\n`);
  };

  // Initial state: for resourceVersion unset or "0", or when sendInitialEvents asks for it.
  let from: number;
  const wantsState = sendInitial || (sendInitialParam === null && (rv === undefined || rv === 0));
  if (wantsState) {
    const page = await listObjects(
      def,
      { svc: ctx.svc, serve: (j) => (convert ? JSON.stringify(entry.store.toServed(JSON.parse(j) as ApiObject)) : j), parse: (j) => JSON.parse(j) as ApiObject },
      { namespace: ns, resourceVersion: sendInitial && rv ? String(rv) : undefined },
      filter,
    );
    from = Number(page.resourceVersion);
    if (rendering.kind === 'json' && !closed) write(page.items.map((i) => `{"type":"ADDED","object":${i}}\n`).join(''));
    else for (const i of page.items) write(frameOf('ADDED', JSON.parse(i) as ApiObject));
    if (sendInitial) bookmark(from, true);
  } else {
    // No initial state (sendInitialEvents=false): unset or "0" start at the newest revision.
    from = rv || (await ctx.svc.store.currentRevision());
  }
  lastRv = from;
  if (closed) return;

  sub = entry.cache.subscribe(from, { onEvents: emit, onError: fail });
  if (!sub) {
    direct = ctx.svc.store.watch(prefix, from, { onEvents: (evs) => emit(evs.map((e) => new CachedEvent(e))), onError: fail });
  }
  const deadline = Date.now() + timeoutSec * 1000;
  timer = setTimeout(stop, timeoutSec * 1000);
  // Bookmarks roughly every minute, and one 2s before the deadline so that a client resuming
  // after the timeout starts from a recent revision (cacher's cacheWatcher.nextBookmarkTime).
  const scheduleBookmark = () => {
    const now = Date.now();
    const at = Math.min(now + bookmarkFrequencyMs, deadline - 2000);
    if (at <= now || closed) return;
    bookmarkTimer = setTimeout(() => {
      bookmark(Math.max(lastRv, entry.cache.headRevision()));
      scheduleBookmark();
    }, at - now);
  };
  if (bookmarks) scheduleBookmark();
}
