/**
 * RFC 7386 JSON merge patch as kube-apiserver applies it (gopkg.in/evanphx/json-patch.v4, merge.go):
 * objects merge member by member, `null` deletes, anything else (arrays included) replaces. Nulls
 * inside an inserted value are pruned from objects but kept as array elements, as upstream does.
 * The input document is not mutated.
 */
import { deepCopy, isPlainObject, jsonEqual } from '../object.js';
import { PatchError } from './patch-error.js';

type JsonObject = Record<string, unknown>;

/** Applies `patch` (the decoded request body) to `doc`; returns the merged copy. */
export function applyMergePatch<T>(doc: T, patch: unknown): T {
  if (patch === null || patch === undefined) throw new PatchError('Invalid JSON Patch', 'decode');
  if (!isPlainObject(patch)) {
    // Not an object: the result is the patch itself (arrays have their nested nulls pruned).
    if (!Array.isArray(patch)) throw new PatchError('Invalid JSON Patch', 'decode');
    return pruneNulls(deepCopy(patch)) as T;
  }
  if (!isPlainObject(doc)) return pruneNulls(deepCopy(patch)) as T;
  const out = deepCopy(doc) as JsonObject;
  mergeInto(out, deepCopy(patch));
  return out as T;
}

function mergeInto(doc: JsonObject, patch: JsonObject): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete doc[k];
      continue;
    }
    const cur = doc[k];
    if (cur === undefined || cur === null) doc[k] = pruneNulls(v);
    else if (!isPlainObject(cur)) doc[k] = pruneNulls(v);
    else if (!isPlainObject(v)) doc[k] = v;
    else mergeInto(cur, v);
  }
}

/** Drops null members of objects, recursively (through arrays too); array elements stay. */
export function pruneNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(pruneNulls);
  if (!isPlainObject(v)) return v;
  for (const [k, x] of Object.entries(v)) {
    if (x === null) delete v[k];
    else v[k] = pruneNulls(x);
  }
  return v;
}

/**
 * The merge patch that turns `from` into `to` (jsonmergepatch.CreateThreeWayJSONMergePatch's
 * two-way core): changed members, `null` for removed ones, whole arrays when they differ.
 */
export function createMergePatch(from: unknown, to: unknown): unknown {
  if (!isPlainObject(from) || !isPlainObject(to)) return deepCopy(to);
  const out: JsonObject = {};
  for (const k of Object.keys(from)) if (!(k in to) || to[k] === undefined) out[k] = null;
  for (const [k, v] of Object.entries(to)) {
    if (v === undefined) continue;
    const old = from[k];
    if (isPlainObject(old) && isPlainObject(v)) {
      const sub = createMergePatch(old, v) as JsonObject;
      if (Object.keys(sub).length > 0) out[k] = sub;
    } else if (!jsonEqual(old, v)) {
      out[k] = deepCopy(v);
    }
  }
  return out;
}
