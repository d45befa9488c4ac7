/**
 * Resource lists as quota arithmetic sees them (upstream's quota/v1 helpers): maps of resource
 * name to Quantity, with add, subtract, mask, less-or-equal and the `name=value,...` form quota
 * errors print.
 */
import { Quantity, parseQuantity } from '../quantity.js';

export type ResourceList = Map<string, Quantity>;

/** A resource list read from an object's map of quantity strings; unparsable entries are skipped. */
export function readList(obj: Record<string, unknown> | undefined | null): ResourceList {
  const out: ResourceList = new Map();
  for (const [k, v] of Object.entries(obj ?? {})) {
    const q = parseQuantity(v as string);
    if (q) out.set(k, q);
  }
  return out;
}

/** The wire form: canonical quantity strings. */
export function writeList(list: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...list.keys()].sort()) out[k] = list.get(k)!.toString();
  return out;
}

/** a + b, key by key (keys of either). */
export function addLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map(a);
  for (const [k, v] of b) out.set(k, out.has(k) ? out.get(k)!.add(v) : v);
  return out;
}

/** a - b key by key (keys of either), never below zero: an update's charge over what the old object used. */
export function subtractNonNegative(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map();
  for (const [k, v] of a) {
    const d = b.has(k) ? v.sub(b.get(k)!) : v;
    out.set(k, d.sign() > 0 ? d : Quantity.zero());
  }
  for (const k of b.keys()) if (!out.has(k)) out.set(k, Quantity.zero());
  return out;
}

/** The non-zero entries. */
export function removeZeros(list: ResourceList): ResourceList {
  return new Map([...list].filter(([, q]) => !q.isZero()));
}

/** The entries of `list` whose names are in `names`. */
export function maskList(list: ResourceList, names: Iterable<string>): ResourceList {
  const out: ResourceList = new Map();
  for (const n of names) if (list.has(n)) out.set(n, list.get(n)!);
  return out;
}

/** Whether every entry of `a` is at most `b`'s (names `b` lacks are not limited), and the names that are not. */
export function lessThanOrEqual(a: ResourceList, b: ResourceList): { allowed: boolean; exceeded: string[] } {
  const exceeded: string[] = [];
  for (const [k, v] of a) {
    const limit = b.get(k);
    if (limit && v.cmp(limit) > 0) exceeded.push(k);
  }
  return { allowed: exceeded.length === 0, exceeded };
}

export const isZeroList = (list: ResourceList): boolean => [...list.values()].every((q) => q.isZero());

/** Equal names and values. */
export function equalLists(a: ResourceList, b: ResourceList): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!b.get(k)?.equals(v)) return false;
  return true;
}

/** `a=1,b=2Gi`, sorted by name (upstream's prettyPrint). */
export function prettyPrint(list: ResourceList): string {
  return [...list.keys()]
    .sort()
    .map((k) => `${k}=${list.get(k)!.toString()}`)
    .join(',');
}
