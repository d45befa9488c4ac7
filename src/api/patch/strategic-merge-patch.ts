/**
 * Strategic merge patch, applied the way kube-apiserver applies it to built-in kinds: this follows
 * k8s.io/apimachinery/pkg/util/strategicpatch/patch.go (StrategicMergeMapPatch → mergeMap with
 * MergeParallelList and IgnoreUnmatchedNulls), taking patch metadata from the schema
 * (`x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`).
 *
 * Directives: `$patch: replace|delete` on maps and list items (`merge` in a list is refused as
 * upstream does), `$retainKeys`, `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`.
 * Without schema information a subtree merges like a JSON merge patch (maps merge, lists replace).
 * The inputs are not mutated.
 */
import { deepCopy, isPlainObject } from '../object.js';
import { StatusError } from '../errors.js';
import { PatchError } from './patch-error.js';
import { itemNode, memberNode, patchStrategy, type PatchSchema, type PatchSchemaNode } from './patch-schema.js';

type JsonMap = Record<string, unknown>;

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';

// mergepatch's sentinel errors (k8s.io/apimachinery/pkg/util/mergepatch/errors.go).
const ERR_BAD_JSON_DOC = 'invalid JSON document';
const ERR_RETAIN_KEYS = 'invalid patch format of retainKeys';
const ERR_PRIMITIVE_LIST = 'invalid patch format of primitive list';
const ERR_SET_ELEMENT_ORDER = 'invalid patch format of setElementOrder list';
const ERR_LIST_OF_LISTS = 'lists of lists are not supported';

/** Errors that kube-apiserver answers with 400 (interpretStrategicMergePatchError). */
const BAD_REQUEST = new Set([ERR_BAD_JSON_DOC, ERR_RETAIN_KEYS, ERR_PRIMITIVE_LIST, ERR_SET_ELEMENT_ORDER]);

/** Applies the strategic merge `patch` to `original` (an object of the schema's kind). */
export function applyStrategicMergePatch<T>(original: T, patch: unknown, schema: PatchSchema): T {
  if (!isPlainObject(patch) || !isPlainObject(original)) throw new PatchError(ERR_BAD_JSON_DOC, 'decode');
  try {
    return mergeMap(deepCopy(original), deepCopy(patch), schema, schema.root) as T;
  } catch (e) {
    if (e instanceof PatchError && BAD_REQUEST.has(e.message)) throw new PatchError(e.message, 'decode');
    throw e;
  }
}

/** Whether kube-apiserver answers this strategic-merge failure with 422 rather than 500. */
export function isUnprocessableStrategicPatchError(err: PatchError): boolean {
  return err.message === ERR_LIST_OF_LISTS;
}

/**
 * The Status kube-apiserver answers for a strategic-merge failure (interpretStrategicMergePatchError):
 * malformed directives 400, lists of lists 422, anything else an unclassified 500 with the raw text.
 */
export function strategicPatchStatusError(err: PatchError): StatusError {
  if (err.kind === 'decode') return new StatusError(400, 'BadRequest', err.message);
  if (isUnprocessableStrategicPatchError(err)) return new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
  return new StatusError(500, '', err.message);
}

/** Go's `%v` of a decoded JSON value, as upstream's error messages print them. */
function goFormat(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goFormat).join(' ')}]`;
  if (isPlainObject(v)) {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${goFormat(v[k])}`).join(' ')}]`;
  }
  return String(v);
}

const goType = (v: unknown): string =>
  v === null || v === undefined ? '<nil>' : Array.isArray(v) ? '[]interface {}' : isPlainObject(v) ? 'map[string]interface {}' : typeof v === 'number' ? 'float64' : typeof v;

const errNoMergeKey = (m: JsonMap, key: string): PatchError => new PatchError(`map: ${goFormat(m)} does not contain declared merge key: ${key}`);
const errBadPatchType = (t: unknown, m: JsonMap): PatchError => new PatchError(`unknown patch type: ${goFormat(t)} in map: ${goFormat(m)}`);
const errBadArgType = (expected: string, actual: unknown): PatchError => new PatchError(`expected a ${expected}, but received a ${goType(actual)}`);

/** The list field named after a directive prefix (`$setElementOrder/containers` → `containers`). */
function extractKey(key: string, prefix: string): string {
  const i = key.indexOf('/');
  if (i < 0 || key.slice(0, i) !== prefix) throw new PatchError(prefix === SET_ELEMENT_ORDER ? ERR_SET_ELEMENT_ORDER : ERR_PRIMITIVE_LIST);
  return key.slice(i + 1);
}

/** Patch metadata of member `key` of an object node. */
function fieldMeta(schema: PatchSchema, node: PatchSchemaNode | undefined, key: string) {
  const member = memberNode(schema, node, key).node;
  const { strategy } = patchStrategy(member);
  return { node: member, strategy, mergeKey: member?.['x-kubernetes-patch-merge-key'] ?? '' };
}

/**
 * Removes directives and null members from a value that is inserted wholesale (no original to
 * merge with). Upstream leaves them for the typed decoder to drop; stored JSON must not keep them.
 */
function cleanInserted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cleanInserted);
  if (!isPlainObject(v)) return v;
  for (const [k, x] of Object.entries(v)) {
    if (x === null || k.startsWith('$')) delete v[k];
    else v[k] = cleanInserted(x);
  }
  return v;
}

function mergeMap(original: JsonMap, patch: JsonMap, schema: PatchSchema, node: PatchSchemaNode | undefined): JsonMap {
  if (DIRECTIVE in patch) {
    const directive = patch[DIRECTIVE];
    if (directive === 'replace') {
      delete patch[DIRECTIVE];
      return cleanInserted(patch) as JsonMap;
    }
    if (directive === 'delete') return {};
    throw errBadPatchType(directive, patch);
  }
  applyRetainKeys(original, patch);
  mergeSetElementOrder(original, patch, schema, node);

  for (const [rawKey, patchV] of Object.entries(patch)) {
    let k = rawKey;
    let isDeleteList = false;
    if (rawKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      k = extractKey(rawKey, DELETE_FROM_PRIMITIVE_LIST);
      isDeleteList = true;
    }
    if (patchV === null) {
      delete original[k];
      continue;
    }
    const cur = original[k];
    if (!(k in original) || cur === undefined) {
      if (!isDeleteList) original[k] = cleanInserted(patchV);
      continue;
    }
    const sameKind = Array.isArray(cur) === Array.isArray(patchV) && isPlainObject(cur) === isPlainObject(patchV) && (cur === null) === (patchV === null) && typeof cur === typeof patchV;
    if (!sameKind) {
      if (!isDeleteList) original[k] = cleanInserted(patchV);
      continue;
    }
    const meta = fieldMeta(schema, node, k);
    if (isPlainObject(cur)) {
      original[k] = meta.strategy === 'replace' ? cleanInserted(patchV) : mergeMap(cur, patchV as JsonMap, schema, meta.node);
    } else if (Array.isArray(cur)) {
      original[k] = mergeSliceHandler(cur, patchV as unknown[], schema, meta.node, meta.strategy, meta.mergeKey, isDeleteList);
    } else {
      original[k] = patchV;
    }
  }
  return original;
}

function mergeSliceHandler(
  original: unknown[],
  patch: unknown[],
  schema: PatchSchema,
  node: PatchSchemaNode | undefined,
  strategy: string,
  mergeKey: string,
  isDeleteList: boolean,
): unknown[] {
  if (strategy === 'merge' || isDeleteList) return mergeSlice(original, patch, schema, itemNode(schema, node), mergeKey, isDeleteList);
  return cleanInserted(patch) as unknown[];
}

/** 'map', 'scalar', or throws for mixed element types and lists of lists (sliceElementType). */
function sliceElementKind(...slices: unknown[][]): 'map' | 'scalar' {
  let prev: string | undefined;
  for (const s of slices) {
    for (const v of s) {
      const t = goType(v);
      if (prev === undefined) {
        if (Array.isArray(v)) throw new PatchError(ERR_LIST_OF_LISTS);
        prev = t;
      } else if (prev !== t) {
        throw new PatchError(`list element types are not identical: ${goFormat(slices)}`);
      }
    }
  }
  if (prev === undefined) throw new PatchError('no elements in any of the given slices');
  return prev === 'map[string]interface {}' ? 'map' : 'scalar';
}

function mergeSlice(
  original: unknown[],
  patch: unknown[],
  schema: PatchSchema,
  elem: PatchSchemaNode | undefined,
  mergeKey: string,
  isDeleteList: boolean,
): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = sliceElementKind(original, patch);
  let merged: unknown[];
  if (kind === 'scalar') {
    if (isDeleteList) return original.filter((v) => !patch.includes(v));
    merged = dedupeScalars([...original, ...patch]);
  } else {
    if (mergeKey === '') throw new PatchError('cannot merge lists without merge key for type map');
    [original, patch] = mergeSliceWithSpecialElements(original, patch as JsonMap[], mergeKey);
    merged = mergeSliceWithoutSpecialElements(original, patch as JsonMap[], mergeKey, schema, elem);
  }
  const [patchItems, serverOnly] = kind === 'scalar' ? partitionPrimitives(merged, patch) : partitionMaps(merged, patch, mergeKey);
  return normalizeElementOrder(patchItems, serverOnly, patch, original, mergeKey, kind);
}

/** Go's deduplicateScalars, including the order it leaves (a duplicate is replaced by the last item). */
function dedupeScalars(s: unknown[]): unknown[] {
  s = [...s];
  let length = s.length - 1;
  for (let i = 0; i < length; i++) {
    for (let j = i + 1; j <= length; j++) {
      if (s[i] === s[j]) {
        s[j] = s[length];
        s.length = length;
        length--;
        j--;
      }
    }
  }
  return s;
}

function mergeSliceWithSpecialElements(original: unknown[], patch: JsonMap[], mergeKey: string): [unknown[], unknown[]] {
  const plain: unknown[] = [];
  let replace = false;
  for (const v of patch) {
    if (!(DIRECTIVE in v)) {
      plain.push(v);
      continue;
    }
    const directive = v[DIRECTIVE];
    if (directive === 'delete') {
      if (!(mergeKey in v)) throw errNoMergeKey(v, mergeKey);
      original = original.filter((o) => !(isPlainObject(o) && mergeKey in o && o[mergeKey] === v[mergeKey]));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw new PatchError('merging lists cannot yet be specified in the patch');
    } else {
      throw errBadPatchType(directive, v);
    }
  }
  return replace ? [plain.map(cleanInserted), []] : [original, plain];
}

function findByKey(list: unknown[], key: string, value: unknown): number {
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (!isPlainObject(v)) throw new PatchError(`value for key ${i} is not a map.`);
    if (key in v && v[key] === value) return i;
  }
  return -1;
}

function mergeSliceWithoutSpecialElements(
  original: unknown[],
  patch: JsonMap[],
  mergeKey: string,
  schema: PatchSchema,
  elem: PatchSchemaNode | undefined,
): unknown[] {
  // A new list: the caller still orders server-only items by the original list.
  original = [...original];
  for (const v of patch) {
    if (!(mergeKey in v)) throw errNoMergeKey(v, mergeKey);
    const i = findByKey(original, mergeKey, v[mergeKey]);
    if (i >= 0) original[i] = mergeMap(original[i] as JsonMap, v, schema, elem);
    else original.push(cleanInserted(v));
  }
  return original;
}

function partitionPrimitives(merged: unknown[], by: unknown[]): [unknown[], unknown[]] {
  const inPatch = new Set(by);
  return [merged.filter((v) => inPatch.has(v)), merged.filter((v) => !inPatch.has(v))];
}

function partitionMaps(merged: unknown[], by: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const patchItems: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const v of merged) {
    if (!isPlainObject(v)) throw errBadArgType('map[string]interface {}', v);
    if (!(mergeKey in v)) throw errNoMergeKey(v, mergeKey);
    (findByKey(by, mergeKey, v[mergeKey]) >= 0 ? patchItems : serverOnly).push(v);
  }
  return [patchItems, serverOnly];
}

/** Position of `v` in `list`, by merge key for maps, by value for scalars (strategicpatch's index). */
function indexIn(list: unknown[], v: unknown, mergeKey: string, kind: 'map' | 'scalar'): number {
  const val = (x: unknown): unknown => (kind === 'map' ? (isPlainObject(x) ? x[mergeKey] : undefined) : x);
  const want = val(v);
  return list.findIndex((x) => val(x) === want);
}

function normalizeSliceOrder(toSort: unknown[], order: unknown[], mergeKey: string, kind: 'map' | 'scalar'): unknown[] {
  let toDelete: unknown[] = [];
  if (kind === 'map') {
    for (const item of [...toSort, ...order]) {
      if (!isPlainObject(item)) throw errBadArgType('map[string]interface {}', item);
      if (!(mergeKey in item)) throw errNoMergeKey(item, mergeKey);
    }
    toDelete = order.filter((x) => isPlainObject(x) && x[DIRECTIVE] === 'delete');
    order = order.filter((x) => !(isPlainObject(x) && x[DIRECTIVE] === 'delete'));
  }
  // sort.SliceStable with upstream's comparator (insertion sort): an item missing from `order`
  // sorts before the item it is compared with.
  const out = [...toSort];
  const less = (a: unknown, b: unknown): boolean => {
    const ia = indexIn(order, a, mergeKey, kind);
    if (ia >= 0) {
      const ib = indexIn(order, b, mergeKey, kind);
      if (ib >= 0) return ia < ib;
    }
    return true;
  };
  for (let i = 1; i < out.length; i++) {
    for (let j = i; j > 0 && less(out[j], out[j - 1]); j--) [out[j], out[j - 1]] = [out[j - 1], out[j]];
  }
  return [...out, ...toDelete];
}

/**
 * Patch items keep the order of `patchOrder`, server-only items that of the live list, and the two
 * interleave by live position where both are known (normalizeElementOrder + mergeSortedSlice).
 */
function normalizeElementOrder(
  patch: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string,
  kind: 'map' | 'scalar',
): unknown[] {
  const right = normalizeSliceOrder(patch, patchOrder, mergeKey, kind);
  const left = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey, kind);
      const ri = indexIn(serverOrder, right[j], mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** `$retainKeys`: drops members of original missing from the list; the patch may only set listed keys. */
function applyRetainKeys(original: JsonMap, patch: JsonMap): void {
  if (!(RETAIN_KEYS in patch)) return;
  const list = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw new PatchError(ERR_RETAIN_KEYS);
  const keep = new Set(list);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!keep.has(k)) throw new PatchError(ERR_RETAIN_KEYS);
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

/** `$setElementOrder/<list>`: merges that list now, ordered by the directive (mergePatchIntoOriginal). */
function mergeSetElementOrder(original: JsonMap, patch: JsonMap, schema: PatchSchema, node: PatchSchemaNode | undefined): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order)) throw errBadArgType('[]interface {}', order);
    const field = extractKey(key, SET_ELEMENT_ORDER);
    const foundOriginal = field in original && original[field] !== undefined;
    const foundPatch = field in patch;
    let originalList: unknown[] = [];
    let patchList: unknown[] = [];
    if (foundOriginal) {
      if (!Array.isArray(original[field])) throw errBadArgType('[]interface {}', original[field]);
      originalList = original[field] as unknown[];
    }
    if (foundPatch) {
      if (!Array.isArray(patch[field])) throw errBadArgType('[]interface {}', patch[field]);
      patchList = patch[field] as unknown[];
    }
    const meta = fieldMeta(schema, node, field);
    validateSetOrder(patchList, order, meta.mergeKey);
    let merged: unknown[];
    if (foundOriginal && !foundPatch) merged = originalList;
    else if (!foundOriginal && foundPatch) merged = cleanInserted(patchList) as unknown[];
    else if (foundOriginal && foundPatch) merged = mergeSliceHandler(originalList, patchList, schema, meta.node, meta.strategy, meta.mergeKey, false);
    else continue;
    const [patchItems, serverOnly] = meta.mergeKey === '' ? partitionPrimitives(merged, order) : partitionMaps(merged, order, meta.mergeKey);
    const all = [...originalList, ...patchList];
    if (all.length === 0) {
      original[field] = merged;
    } else {
      const kind = sliceElementKind(originalList, patchList);
      original[field] = normalizeElementOrder(patchItems, serverOnly, order, originalList, meta.mergeKey, kind);
    }
    delete patch[field];
  }
}

/** The patch list's items (deletions aside) must appear in the directive's list, in its order. */
function validateSetOrder(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const nonDelete = mergeKey ? patchList.filter((x) => !(isPlainObject(x) && x[DIRECTIVE] === 'delete')) : patchList;
  const keyOf = (x: unknown): unknown => {
    if (!mergeKey) return x;
    if (!isPlainObject(x)) throw errBadArgType('map[string]interface {}', x);
    if (!(mergeKey in x)) throw errNoMergeKey(x, mergeKey);
    return x[mergeKey];
  };
  let p = 0;
  let o = 0;
  while (p < nonDelete.length && o < order.length) {
    const item = nonDelete[p];
    if (isPlainObject(item) && DIRECTIVE in item) {
      p++;
      continue;
    }
    if (keyOf(item) === keyOf(order[o])) p++;
    o++;
  }
  if (p < nonDelete.length && o >= order.length) {
    throw new PatchError(`The order in patch list:\n${goFormat(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goFormat(order)}\n`);
  }
}
