/**
 * Server-side apply (`PATCH` with `application/apply-patch+yaml`), after structured-merge-diff's
 * merge.Updater.Apply/prune and the apiserver field manager around it (fieldmanager.go,
 * skipnonapplied.go, stripmeta.go, managedfieldsupdater.go).
 *
 * The applied configuration is merged over the live object; fields this manager applied before and
 * no longer applies are removed unless someone else owns them; changing a value that another
 * manager owns is a conflict unless `force`, which moves the ownership to the applier.
 */
import { deepCopy, isPlainObject, type ApiObject } from '../../object.js';
import { StatusError } from '../../errors.js';
import type { PatchSchema } from '../patch-schema.js';
import { FieldSet, pathString, type Path } from './fieldset.js';
import {
  BEFORE_FIRST_APPLY,
  STRIPPED_FIELDS,
  decodeManagedFields,
  encodeManagedFields,
  formatTime,
  managerKey,
  recordUpdate,
  takeOwnership,
  withoutManagedFields,
  type ManagerIdentity,
  type Managers,
} from './managed-fields.js';
import { compareValues, ensureNamedFieldsAreMembers, isSame, mergeValues, removeItems, toFieldSet } from './typed-value.js';

export interface ApplyConflict {
  /** The manager that owns the field. */
  manager: ManagerIdentity;
  path: Path;
}

export interface ServerSideApplyArgs {
  /** The stored object; undefined when the apply creates it. */
  live: ApiObject | undefined;
  /** The applied configuration (the request body, decoded). */
  config: ApiObject;
  /** The `fieldManager` query parameter (required for apply). */
  manager: string;
  force: boolean;
  schema: PatchSchema;
  /** The request's group/version, e.g. `apps/v1`. */
  apiVersion: string;
  now: Date;
  subresource?: string;
  /** Fields this endpoint resets (the strategy's reset fields). */
  resetFields?: FieldSet;
}

export interface ServerSideApplyResult {
  /** The object to store, with managedFields; the live object (new managedFields) when unchanged. */
  object: ApiObject;
  /** Non-empty only without `force`; then `object` is the live object, untouched. */
  conflicts: ApplyConflict[];
  /** Whether the apply changed anything but managedFields. */
  changed: boolean;
}

export function serverSideApply(args: ServerSideApplyArgs): ServerSideApplyResult {
  const { schema, config, live } = args;
  if (config.metadata?.managedFields !== undefined && config.metadata.managedFields !== null) {
    throw new StatusError(400, 'BadRequest', 'metadata.managedFields must be nil');
  }
  let managers: Managers;
  try {
    managers = decodeManagedFields(live?.metadata?.managedFields);
  } catch (e) {
    throw new StatusError(500, 'InternalError', `Internal error occurred: failed to decode managed fields: ${(e as Error).message}`);
  }
  const liveValue = (withoutManagedFields(live) ?? {}) as ApiObject;
  if (live && managers.size === 0) {
    // Fields set before anyone applied belong to a synthetic Update manager.
    recordUpdate(schema, managers, {}, liveValue, { manager: BEFORE_FIRST_APPLY, operation: 'Update', apiVersion: args.apiVersion }, args.now, args.resetFields);
  }

  const id: ManagerIdentity = { manager: args.manager, operation: 'Apply', apiVersion: args.apiVersion };
  if (args.subresource) id.subresource = args.subresource;
  const key = managerKey(id);
  const previous = managers.get(key);
  const lastSet = previous?.set;

  let set = toFieldSet(schema, config).difference(STRIPPED_FIELDS);
  if (args.resetFields) set = set.recursiveDifference(args.resetFields);
  managers.set(key, { ...id, set, ...(previous?.time ? { time: previous.time } : {}) });

  let merged = mergeValues(schema, liveValue, config) as ApiObject;
  if (lastSet && !lastSet.isEmpty()) merged = prune(schema, merged, managers, lastSet) as ApiObject;

  const cmp = compareValues(schema, liveValue, merged);
  const ownership = takeOwnership(schema, managers, cmp, key);
  if (!args.force && ownership.conflicts.size > 0) {
    const conflicts: ApplyConflict[] = [];
    for (const [owner, paths] of ownership.conflicts) {
      const m = managers.get(owner);
      if (!m) continue;
      const ident: ManagerIdentity = { manager: m.manager, operation: m.operation, apiVersion: m.apiVersion };
      if (m.subresource) ident.subresource = m.subresource;
      for (const p of paths.paths()) conflicts.push({ manager: ident, path: p });
    }
    conflicts.sort((a, b) => managerKey(a.manager).localeCompare(managerKey(b.manager)) || pathString(a.path).localeCompare(pathString(b.path)));
    return { object: deepCopy(live ?? config), conflicts, changed: false };
  }
  ownership.apply();
  if (managers.get(key)?.set.isEmpty()) managers.delete(key);

  const changed = !isSame(cmp);
  const object = changed ? merged : (deepCopy(liveValue) as ApiObject);
  const mine = managers.get(key);
  if (mine && changed) mine.time = formatTime(args.now);
  const encoded = encodeManagedFields(managers);
  if (!isPlainObject(object.metadata)) object.metadata = {};
  if (encoded.length > 0) object.metadata.managedFields = encoded;
  else delete object.metadata.managedFields;
  return { object, conflicts: [], changed };
}

/**
 * Removes what this manager applied last time and no longer applies, unless another manager (or
 * the new configuration) owns it (Updater.prune, addBackOwnedItems, addBackDanglingItems).
 */
function prune(schema: PatchSchema, merged: unknown, managers: Managers, lastSet: FieldSet): unknown {
  const last = ensureNamedFieldsAreMembers(schema, lastSet);
  const pruned = removeItems(schema, merged, last);
  let owned = new FieldSet();
  for (const m of managers.values()) owned = owned.union(m.set);
  owned = ensureNamedFieldsAreMembers(schema, owned);
  const mergedSet = ensureNamedFieldsAreMembers(schema, toFieldSet(schema, merged));
  const prunedSet = ensureNamedFieldsAreMembers(schema, toFieldSet(schema, pruned));
  const addedBack = removeItems(schema, merged, mergedSet.difference(prunedSet.union(owned)));
  const addedBackSet = ensureNamedFieldsAreMembers(schema, toFieldSet(schema, addedBack));
  return removeItems(schema, merged, mergedSet.difference(addedBackSet).intersection(last));
}

/** conflict.go printManager: `"kubectl" using apps/v1` for updaters, `"kubectl"` for appliers. */
function printManager(m: ManagerIdentity): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource) s = `${s} with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') s = `${s} using ${m.apiVersion}`;
  return s;
}

/** The message of the 409 (internal/conflict.go getConflictMessage). */
export function conflictMessage(conflicts: readonly ApplyConflict[]): string {
  if (conflicts.length === 1) {
    return `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0].manager)}: ${pathString(conflicts[0].path)}`;
  }
  const byManager = new Map<string, { label: string; paths: string[] }>();
  for (const c of conflicts) {
    const label = printManager(c.manager);
    const entry = byManager.get(label) ?? { label, paths: [] };
    entry.paths.push(pathString(c.path));
    byManager.set(label, entry);
  }
  const lines: string[] = [];
  for (const label of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${label}:`);
    for (const p of byManager.get(label)!.paths) lines.push(`- ${p}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

/**
 * The 409 kube-apiserver answers an apply conflict with (internal/conflict.go NewConflictError,
 * errors.NewApplyConflict): reason Conflict, no name or kind, one `FieldManagerConflict` cause per
 * conflicting field.
 */
export function applyConflictError(conflicts: readonly ApplyConflict[]): StatusError {
  return new StatusError(409, 'Conflict', conflictMessage(conflicts), {
    causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.manager)}`, field: pathString(c.path) })),
  });
}
