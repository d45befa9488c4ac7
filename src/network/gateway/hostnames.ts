/**
 * Host name rules of the Gateway API: how a route's hostnames intersect a listener's hostname, and
 * the order virtual hosts are tried in (exact names, then wildcards by length, then `*`).
 */

/** Whether wildcard `pattern` (`*.example.com`) covers `name`, itself exact or a narrower wildcard. */
function wildcardCovers(pattern: string, name: string): boolean {
  const suffix = pattern.slice(1); // `.example.com`
  const bare = name.startsWith('*.') ? name.slice(2) : name;
  return bare.endsWith(suffix) && bare.length > suffix.length;
}

/**
 * The host names a route serves on a listener: `[]` when they do not intersect; `['*']` when
 * neither names a host. Exact names and the narrower side of two wildcards are kept.
 */
export function intersectHostnames(listenerHostname: string | undefined, routeHostnames: readonly string[] | undefined): string[] {
  const routes = [...new Set((routeHostnames ?? []).map((h) => h.toLowerCase()))];
  const l = listenerHostname?.toLowerCase();
  if (routes.length === 0) return [l ?? '*'];
  if (!l) return routes;
  const out = new Set<string>();
  for (const h of routes) {
    if (h === l) out.add(h);
    else if (l.startsWith('*.') && wildcardCovers(l, h)) out.add(h);
    else if (h.startsWith('*.') && wildcardCovers(h, l)) out.add(l);
  }
  return [...out];
}

/** Sort rank of a virtual host name: exact names first, then longer wildcards, `*` last. */
export function compareHostSpecificity(a: string, b: string): number {
  const rank = (h: string): [number, number] => (h === '*' ? [2, 0] : h.startsWith('*.') ? [1, -h.length] : [0, 0]);
  const [ra, la] = rank(a);
  const [rb, lb] = rank(b);
  return ra - rb || la - lb || (a < b ? -1 : a > b ? 1 : 0);
}
