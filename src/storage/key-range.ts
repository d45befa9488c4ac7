/**
 * Key-range helpers shared by the backends. Keys are compared as JavaScript strings, which for
 * the ASCII keys the apiserver writes is the same order as etcd's and SQLite's byte order.
 */

/**
 * The smallest string greater than every string that starts with `prefix` (etcd's range_end for
 * a prefix), or undefined when `prefix` is empty (the whole keyspace).
 */
export function prefixEnd(prefix: string): string | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c < 0xffff) return prefix.slice(0, i) + String.fromCharCode(c + 1);
  }
  return undefined;
}

/** The inclusive lower bound of a list page: the prefix itself, or just after `startAfter`. */
export function pageStart(prefix: string, startAfter: string | undefined): string {
  if (startAfter === undefined || startAfter < prefix) return prefix;
  return startAfter + '\0';
}

/** Sorted-array helper: index of the first element >= key. */
export function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
