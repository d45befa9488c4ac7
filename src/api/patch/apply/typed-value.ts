/**
 * Schema-aware walks over JSON values for server-side apply, after structured-merge-diff's typed
 * package: tofieldset.go (ToFieldSet), compare.go (Compare), merge.go (Merge), remove.go
 * (RemoveItems) and fieldpath's EnsureNamedFieldsAreMembers.
 *
 * Shapes come from the schema: declared properties are struct fields, `additionalProperties` map
 * keys; lists are `map` (keyed items), `set` (scalar items) or atomic (one value), maps granular or
 * atomic. Without a schema node a value is "deduced" as upstream does: objects are granular maps of
 * undeclared keys, lists atomic, everything else a scalar.
 */
import { deepCopy, isPlainObject, jsonEqual } from '../../object.js';
import { isAtomicMap, itemNode, listType, memberNode, resolved, type PatchSchema, type PatchSchemaNode } from '../patch-schema.js';
import { FieldSet, fieldToken, indexToken, keyToken, valueToken, type Path } from './fieldset.js';

type JsonMap = Record<string, unknown>;

type Shape =
  | { kind: 'leaf' }
  | { kind: 'map' }
  | { kind: 'list'; type: 'set' | 'map'; keys: string[] };

/** How a value at `node` is walked; `value` decides where the schema is silent or disagrees. */
function shapeOf(schema: PatchSchema, node: PatchSchemaNode | undefined, value: unknown): Shape {
  const n = resolved(schema, node);
  const isObj = isPlainObject(value);
  const isArr = Array.isArray(value);
  if (!n || (n.type === undefined && !n.properties && !n.items && n.additionalProperties === undefined)) return isObj ? { kind: 'map' } : { kind: 'leaf' };
  if (n.type === 'array' || n.items) {
    if (!isArr && value !== undefined) return { kind: 'leaf' };
    const lt = listType(n);
    if (lt.type === 'atomic' || (lt.type === 'map' && lt.keys.length === 0)) return { kind: 'leaf' };
    return { kind: 'list', type: lt.type, keys: lt.keys };
  }
  if (n.type === 'object' || n.properties || n.additionalProperties !== undefined) {
    if (!isObj && value !== undefined) return { kind: 'leaf' };
    return isAtomicMap(n) ? { kind: 'leaf' } : { kind: 'map' };
  }
  return { kind: 'leaf' };
}

/** The path token of list item `i` (listItemToPathElement): key fields (or their defaults), or the value. */
function itemToken(schema: PatchSchema, shape: Shape & { kind: 'list' }, elem: PatchSchemaNode | undefined, item: unknown, i: number): string {
  if (shape.type === 'set') return valueToken(item);
  if (!isPlainObject(item)) return indexToken(i);
  const fields: JsonMap = {};
  for (const k of shape.keys) {
    if (item[k] !== undefined && item[k] !== null) fields[k] = item[k];
    else {
      const def = memberNode(schema, elem, k).node?.default;
      if (def !== undefined) fields[k] = def;
    }
  }
  return keyToken(fields);
}

function listItems(schema: PatchSchema, shape: Shape & { kind: 'list' }, node: PatchSchemaNode | undefined, list: unknown): Array<{ token: string; value: unknown }> {
  if (!Array.isArray(list)) return [];
  const elem = itemNode(schema, node);
  return list.map((value, i) => ({ token: itemToken(schema, shape, elem, value, i), value }));
}

/** Every field a value sets (ToFieldSet). */
export function toFieldSet(schema: PatchSchema, value: unknown, node: PatchSchemaNode | undefined = schema.root): FieldSet {
  const out = new FieldSet();
  const walk = (v: unknown, n: PatchSchemaNode | undefined, path: string[]): void => {
    const shape = shapeOf(schema, n, v);
    if (shape.kind === 'leaf' || v === null) {
      out.insert(path);
      return;
    }
    if (shape.kind === 'map') {
      for (const [k, cv] of Object.entries(v as JsonMap)) {
        if (cv === undefined) continue;
        const child = memberNode(schema, n, k);
        const cpath = [...path, fieldToken(k)];
        walk(cv, child.node, cpath);
        if (cv === null || (isPlainObject(cv) && Object.keys(cv).length === 0) || !child.declared) out.insert(cpath);
      }
      return;
    }
    const elem = itemNode(schema, n);
    for (const { token, value: item } of listItems(schema, shape, n, v)) {
      const ipath = [...path, token];
      walk(item, elem, ipath);
      out.insert(ipath);
    }
  };
  walk(value, node, []);
  return out;
}

export interface Comparison {
  added: FieldSet;
  removed: FieldSet;
  modified: FieldSet;
}

export const isSame = (c: Comparison): boolean => c.added.isEmpty() && c.removed.isEmpty() && c.modified.isEmpty();

/**
 * Struct fields that Go always serialises (non-pointer structs), so upstream never sees them appear
 * or vanish and never records the struct itself: approximated by name for the built-in kinds.
 */
const ALWAYS_PRESENT_STRUCTS = new Set(['metadata', 'spec', 'status', 'template', 'strategy', 'updateStrategy']);

/** What changed from `a` to `b` (Compare). */
export function compareValues(schema: PatchSchema, a: unknown, b: unknown, node: PatchSchemaNode | undefined = schema.root): Comparison {
  const c: Comparison = { added: new FieldSet(), removed: new FieldSet(), modified: new FieldSet() };
  const walk = (x: unknown, y: unknown, n: PatchSchemaNode | undefined, path: string[], declaredName?: string): void => {
    if (x === undefined && y === undefined) return;
    // Unchanged subtrees (most of an object on a status or binding write) need no walk.
    if (x !== undefined && y !== undefined && jsonEqual(x, y)) return;
    const sx = shapeOf(schema, n, x);
    const sy = shapeOf(schema, n, y);
    const leaf = sx.kind === 'leaf' || sy.kind === 'leaf' || x === null || y === null || (x !== undefined && y !== undefined && sx.kind !== sy.kind);
    if (leaf) {
      if (x === undefined) c.added.insert(path);
      else if (y === undefined) c.removed.insert(path);
      else if (!jsonEqual(x, y)) c.modified.insert(path);
      return;
    }
    const shape = x === undefined ? sy : sx;
    if (shape.kind === 'map') {
      const recordSelf = path.length > 0 && !(declaredName !== undefined && ALWAYS_PRESENT_STRUCTS.has(declaredName));
      if (x === undefined && recordSelf) c.added.insert(path);
      if (y === undefined && recordSelf) c.removed.insert(path);
      const xm = (x ?? {}) as JsonMap;
      const ym = (y ?? {}) as JsonMap;
      for (const k of new Set([...Object.keys(xm), ...Object.keys(ym)])) {
        const child = memberNode(schema, n, k);
        walk(xm[k], ym[k], child.node, [...path, fieldToken(k)], child.declared ? k : undefined);
      }
      return;
    }
    if (shape.kind === 'list') {
      const elem = itemNode(schema, n);
      const xi = new Map(listItems(schema, shape, n, x).map((e) => [e.token, e.value]));
      const yi = new Map(listItems(schema, shape, n, y).map((e) => [e.token, e.value]));
      for (const t of new Set([...xi.keys(), ...yi.keys()])) walk(xi.get(t), yi.get(t), elem, [...path, t]);
    }
  };
  walk(a, b, node, []);
  return c;
}

/** `rhs` merged over `lhs` (Merge): config values win, keyed list items merge, the rest is kept. */
export function mergeValues(schema: PatchSchema, lhs: unknown, rhs: unknown, node: PatchSchemaNode | undefined = schema.root): unknown {
  if (rhs === undefined) return deepCopy(lhs);
  if (lhs === undefined || lhs === null || rhs === null) return deepCopy(rhs);
  const sl = shapeOf(schema, node, lhs);
  const sr = shapeOf(schema, node, rhs);
  if (sr.kind === 'leaf' || sl.kind !== sr.kind) return deepCopy(rhs);
  if (sr.kind === 'map') {
    const out = deepCopy(lhs) as JsonMap;
    for (const [k, v] of Object.entries(rhs as JsonMap)) {
      if (v === undefined) continue;
      if (v === null) {
        delete out[k];
        continue;
      }
      out[k] = mergeValues(schema, (lhs as JsonMap)[k], v, memberNode(schema, node, k).node);
    }
    return out;
  }
  return mergeList(schema, sr, node, lhs as unknown[], rhs as unknown[]);
}

/**
 * Merged list order (merge.go visitListItems): live-only items keep their place, items in both
 * follow the applied order, applied-only items come where the applied list puts them.
 */
function mergeList(schema: PatchSchema, shape: Shape & { kind: 'list' }, node: PatchSchemaNode | undefined, lhs: unknown[], rhs: unknown[]): unknown[] {
  const elem = itemNode(schema, node);
  const l = listItems(schema, shape, node, lhs);
  const r = listItems(schema, shape, node, rhs);
  const observedL = new Map<string, unknown>();
  for (const e of l) if (!observedL.has(e.token)) observedL.set(e.token, e.value);
  const observedR = new Map<string, unknown>();
  for (const e of r) if (!observedR.has(e.token)) observedR.set(e.token, e.value);
  const shared = r.map((e) => e.token).filter((t) => observedL.has(t));
  let nextShared = shared.shift();
  const mergedR = new Set<string>();
  const out: unknown[] = [];
  let li = 0;
  let ri = 0;
  while (li < l.length || ri < r.length) {
    if (li < l.length && ri < r.length) {
      const pe = l[li].token;
      if (pe === r[ri].token) {
        if (!mergedR.has(pe)) out.push(mergeValues(schema, observedL.get(pe), observedR.get(pe), elem));
        mergedR.add(pe);
        li++;
        ri++;
        nextShared = shared.shift();
        continue;
      }
      if (observedR.has(pe) && nextShared !== undefined && nextShared !== pe) {
        li++;
        continue;
      }
    }
    if (li < l.length) {
      const pe = l[li].token;
      if (!observedR.has(pe)) {
        out.push(deepCopy(l[li].value));
        li++;
        continue;
      }
      if (mergedR.has(pe)) {
        li++;
        continue;
      }
    }
    if (ri < r.length) {
      const pe = r[ri].token;
      if (!mergedR.has(pe)) out.push(mergeValues(schema, observedL.get(pe), observedR.get(pe), elem));
      mergedR.add(pe);
      ri++;
      if (nextShared === pe) nextShared = shared.shift();
    }
  }
  return out;
}

/** The value without the members of `set` (and everything below them) (RemoveItems). */
export function removeItems(schema: PatchSchema, value: unknown, set: FieldSet, node: PatchSchemaNode | undefined = schema.root): unknown {
  if (set.isEmpty() || value === null || value === undefined) return value;
  const shape = shapeOf(schema, node, value);
  if (shape.kind === 'leaf') return value;
  if (shape.kind === 'map') {
    const out: JsonMap = {};
    for (const [k, v] of Object.entries(value as JsonMap)) {
      const t = fieldToken(k);
      if (set.members.has(t)) continue;
      const sub = set.children.get(t);
      out[k] = sub ? removeItems(schema, v, sub, memberNode(schema, node, k).node) : v;
    }
    return out;
  }
  const elem = itemNode(schema, node);
  const out: unknown[] = [];
  for (const { token, value: item } of listItems(schema, shape, node, value)) {
    if (set.members.has(token)) continue;
    const sub = set.children.get(token);
    out.push(sub ? removeItems(schema, item, sub, elem) : item);
  }
  return out;
}

/** Adds every struct field that is a prefix of a path as a member (EnsureNamedFieldsAreMembers). */
export function ensureNamedFieldsAreMembers(schema: PatchSchema, set: FieldSet, node: PatchSchemaNode | undefined = schema.root): FieldSet {
  const out = set.clone();
  const walk = (s: FieldSet, n: PatchSchemaNode | undefined): void => {
    for (const [t, c] of s.children) {
      let childNode: PatchSchemaNode | undefined;
      if (t.startsWith('f:')) {
        const m = memberNode(schema, n, t.slice(2));
        if (m.declared) s.members.add(t);
        childNode = m.node;
      } else {
        childNode = itemNode(schema, n);
      }
      walk(c, childNode);
    }
  };
  walk(out, node);
  return out;
}

export type { Path };
