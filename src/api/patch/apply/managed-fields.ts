/**
 * `metadata.managedFields`: decoding, encoding and the ownership bookkeeping that kube-apiserver does
 * on every write, after k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager (internal/
 * managedfields.go, managedfieldsupdater.go, stripmeta.go, skipnonapplied.go) and
 * structured-merge-diff's merge.Updater.Update.
 *
 * Managers are keyed like upstream's manager identifier: name, operation, subresource, and for
 * Update operations the apiVersion (so an Update at another version is another entry; an applier
 * keeps one entry whatever version it applies at).
 */
import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1.js';
import { deepCopy, isPlainObject, type ApiObject } from '../../object.js';
import type { PatchSchema } from '../patch-schema.js';
import { FieldSet, fieldToken } from './fieldset.js';
import { compareValues, type Comparison } from './typed-value.js';

export type ManagedFieldsOperation = 'Apply' | 'Update';

export interface ManagerIdentity {
  manager: string;
  operation: ManagedFieldsOperation;
  apiVersion: string;
  subresource?: string;
}

export interface ManagedEntry extends ManagerIdentity {
  /** RFC 3339, second precision, UTC; absent when upstream would leave it unset. */
  time?: string;
  set: FieldSet;
}

/** Manager identifier → what it owns. */
export type Managers = Map<string, ManagedEntry>;

/** BuildManagerIdentifier: the fields that tell two entries apart. */
export function managerKey(id: ManagerIdentity): string {
  return JSON.stringify({
    manager: id.manager,
    operation: id.operation,
    apiVersion: id.operation === 'Update' ? id.apiVersion : '',
    subresource: id.subresource ?? '',
  });
}

/** Fields nobody owns (stripmeta.go): identity and server-managed metadata. */
export const STRIPPED_FIELDS: FieldSet = FieldSet.of(
  [fieldToken('apiVersion')],
  [fieldToken('kind')],
  [fieldToken('metadata')],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'].map((f) => [
    fieldToken('metadata'),
    fieldToken(f),
  ]),
);

/** The manager recorded for fields that existed before the first apply (skipnonapplied.go). */
export const BEFORE_FIRST_APPLY = 'before-first-apply';

/** metav1.Time's wire form: `2024-05-01T10:00:00Z`. */
export function formatTime(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * The manager name of a non-apply write: the `fieldManager` query parameter, else the program name
 * of the User-Agent (`kubectl/v1.32.0 (linux/amd64) ...` → `kubectl`), as managerOrUserAgent does.
 */
export function managerOrUserAgent(fieldManager: string | undefined, userAgent: string | undefined): string {
  if (fieldManager) return fieldManager;
  return (userAgent ?? '').split('/')[0];
}

/** Decodes `metadata.managedFields`; throws an Error with upstream's wording when an entry is bad. */
export function decodeManagedFields(entries: readonly ManagedFieldsEntry[] | undefined): Managers {
  const out: Managers = new Map();
  for (const [i, e] of (entries ?? []).entries()) {
    if (e.fieldsType !== 'FieldsV1') throw new Error(`error decoding managed fields: invalid fieldsType: ${JSON.stringify(e.fieldsType ?? '')} at index ${i}`);
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new Error(`error decoding managed fields: invalid operation ${JSON.stringify(e.operation ?? '')}`);
    const set = FieldSet.fromFieldsV1(e.fieldsV1 ?? {});
    const entry: ManagedEntry = { manager: e.manager ?? '', operation: e.operation, apiVersion: e.apiVersion ?? '', set };
    if (e.subresource) entry.subresource = e.subresource;
    if (e.time) entry.time = e.time;
    const key = managerKey(entry);
    const prev = out.get(key);
    if (prev) prev.set = prev.set.union(set);
    else out.set(key, entry);
  }
  return out;
}

/** Encodes managers as kube-apiserver does: empty sets dropped, sorted (sortEncodedManagedFields). */
export function encodeManagedFields(managers: Managers): ManagedFieldsEntry[] {
  const entries = [...managers.values()].filter((m) => !m.set.isEmpty());
  const seconds = (t?: string): number => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  entries.sort((p, q) => {
    if (p.operation !== q.operation) return p.operation < q.operation ? -1 : 1;
    if (seconds(p.time) !== seconds(q.time)) return seconds(p.time) - seconds(q.time);
    if (p.manager !== q.manager) return p.manager < q.manager ? -1 : 1;
    if (p.apiVersion !== q.apiVersion) return p.apiVersion < q.apiVersion ? -1 : 1;
    return (p.subresource ?? '') < (q.subresource ?? '') ? -1 : (p.subresource ?? '') > (q.subresource ?? '') ? 1 : 0;
  });
  return entries.map((m) => {
    const e: ManagedFieldsEntry = { manager: m.manager, operation: m.operation, apiVersion: m.apiVersion };
    if (m.time) e.time = m.time;
    e.fieldsType = 'FieldsV1';
    e.fieldsV1 = m.set.toFieldsV1();
    if (m.subresource) e.subresource = m.subresource;
    return e;
  });
}

export function cloneManagers(m: Managers): Managers {
  return new Map([...m].map(([k, v]) => [k, { ...v, set: v.set.clone() }]));
}

/** The object without `metadata.managedFields`, as the comparisons see it. */
export function withoutManagedFields(obj: unknown): unknown {
  if (!isPlainObject(obj) || !isPlainObject(obj.metadata) || !('managedFields' in obj.metadata)) return obj;
  // Shallow: the comparisons only read.
  const { managedFields: _mf, ...meta } = obj.metadata;
  return { ...obj, metadata: meta };
}

/**
 * The ownership changes of a write from `oldObj` to `newObj` for every manager but `except`
 * (merge.Updater.update): fields the write changed are taken from them (`conflicts`, which apply
 * reports unless forced), fields it removed are dropped from them.
 */
export function takeOwnership(
  schema: PatchSchema,
  managers: Managers,
  cmp: Comparison,
  except: string,
): { conflicts: Map<string, FieldSet>; apply: () => void } {
  const changed = cmp.modified.union(cmp.added);
  const conflicts = new Map<string, FieldSet>();
  const removed = new Map<string, FieldSet>();
  for (const [key, m] of managers) {
    if (key === except) continue;
    const c = m.set.intersection(changed);
    if (!c.isEmpty()) conflicts.set(key, c);
    if (!cmp.removed.isEmpty()) removed.set(key, cmp.removed);
  }
  const apply = (): void => {
    for (const [key, c] of conflicts) {
      const m = managers.get(key);
      if (m) m.set = m.set.difference(c);
    }
    for (const [key, r] of removed) {
      const m = managers.get(key);
      if (m) m.set = m.set.difference(r);
    }
    for (const [key, m] of managers) if (m.set.isEmpty()) managers.delete(key);
  };
  void schema;
  return { conflicts, apply };
}

/**
 * Records an Update-operation write (`managedFieldsUpdater.Update` over `Updater.Update`): the
 * manager takes every field the write added or changed from everyone else, removed fields leave
 * every manager, and the manager's time moves only when it took something. Mutates `managers`.
 */
export function recordUpdate(
  schema: PatchSchema,
  managers: Managers,
  oldObj: unknown,
  newObj: unknown,
  id: ManagerIdentity,
  now: Date,
  ignored?: FieldSet,
): void {
  let cmp = compareValues(schema, withoutManagedFields(oldObj) ?? {}, withoutManagedFields(newObj));
  if (ignored) cmp = { added: cmp.added.recursiveDifference(ignored), removed: cmp.removed.recursiveDifference(ignored), modified: cmp.modified.recursiveDifference(ignored) };
  takeOwnership(schema, managers, cmp, '').apply();
  const taken = cmp.modified.union(cmp.added).difference(STRIPPED_FIELDS);
  if (taken.isEmpty()) return;
  const key = managerKey(id);
  const prev = managers.get(key);
  const entry: ManagedEntry = { ...id, set: prev ? prev.set.union(taken) : taken, time: formatTime(now) };
  if (!entry.subresource) delete entry.subresource;
  managers.set(key, entry);
}

export interface UpdateManagedFieldsArgs {
  /** The stored object before the write; undefined for a create. */
  live: ApiObject | undefined;
  /** The object about to be stored (its own managedFields, if a client sent some, are honoured). */
  object: ApiObject;
  /** `fieldManager`, else the User-Agent's program name (see managerOrUserAgent). */
  manager: string;
  /** The request's group/version, e.g. `apps/v1`. */
  apiVersion: string;
  subresource?: string;
  schema: PatchSchema;
  now: Date;
  /** Fields this endpoint resets (the strategy's reset fields, e.g. `status` on the main resource). */
  resetFields?: FieldSet;
}

/**
 * The object to store after a create, update or non-apply patch, with `metadata.managedFields`
 * maintained as kube-apiserver does:
 * - managedFields that the client sent are the starting point when present and decodable, `[{}]`
 *   resets them, otherwise the live object's are kept (decodeLiveOrNew);
 * - an existing object that has no managedFields stays untracked (skipnonapplied.go);
 * - the write's changes are recorded for `manager` with operation Update.
 */
export function updateManagedFields(args: UpdateManagedFieldsArgs): ApiObject {
  const { live, object, schema } = args;
  const out = deepCopy(object);
  const sent = object.metadata?.managedFields;
  let managers: Managers;
  if (sent && sent.length === 1 && Object.keys(sent[0]).length === 0) {
    managers = new Map();
  } else {
    let fromRequest: Managers | undefined;
    try {
      fromRequest = sent && sent.length > 0 ? decodeManagedFields(sent) : undefined;
    } catch {
      fromRequest = undefined;
    }
    if (fromRequest && fromRequest.size > 0) managers = fromRequest;
    else {
      try {
        managers = decodeManagedFields(live?.metadata?.managedFields);
      } catch {
        managers = new Map();
      }
    }
  }
  if (live && managers.size === 0) {
    delete out.metadata.managedFields;
    return out;
  }
  recordUpdate(schema, managers, live, object, { manager: args.manager, operation: 'Update', apiVersion: args.apiVersion, subresource: args.subresource }, args.now, args.resetFields);
  const encoded = encodeManagedFields(managers);
  if (encoded.length > 0) out.metadata.managedFields = encoded;
  else delete out.metadata.managedFields;
  return out;
}
