/**
 * Orderings for sorting in hot paths. `String.prototype.localeCompare` goes through ICU collation
 * and costs about a microsecond a call, which made sorting thousands of Service ports the largest
 * part of a proxy resync; a deterministic order is all those sorts need.
 */

/** Compares by UTF-16 code units (the order of `<`), for Array.prototype.sort. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A comparator of items by a string key. */
export const byKey =
  <T>(key: (item: T) => string) =>
  (a: T, b: T): number =>
    compareStrings(key(a), key(b));
