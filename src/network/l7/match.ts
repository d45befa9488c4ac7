/**
 * Request matching over a RouteTable listener (pure): the virtual host for a Host header (exact
 * names first, then the longest wildcard, then `*`), then the first rule whose matches accept the
 * request (path Exact/PathPrefix/RegularExpression, headers, query parameters, method).
 *
 * Per-listener indexes and compiled regular expressions are cached against the table's own
 * objects (WeakMaps), so a new table needs no invalidation and a request allocates nothing here
 * beyond the query string parse that a rule with query matches needs.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type Listener, type Match, type PathMatch, type Rule, type VirtualHost, pathPrefixMatches } from './route-table.js';

/** What matching looks at in a request. */
export interface RequestView {
  /** Host without port, lowercase. */
  host: string;
  /** The path part of the request target, without the query. */
  path: string;
  /** The query string without `?` ('' when none). */
  query: string;
  method: string;
  headers: IncomingHttpHeaders;
}

export interface RouteMatch {
  vhost: VirtualHost;
  rule: Rule;
  /** The match that accepted the request (undefined when the rule has no matches). */
  match?: Match;
}

interface HostIndex {
  exact: Map<string, VirtualHost>;
  /** Wildcard hosts, longest suffix first; `suffix` keeps the leading dot. */
  wildcards: { suffix: string; vhost: VirtualHost }[];
  any?: VirtualHost;
}

const hostIndexes = new WeakMap<Listener, HostIndex>();

function indexHosts(listener: Listener): HostIndex {
  let idx = hostIndexes.get(listener);
  if (idx) return idx;
  idx = { exact: new Map(), wildcards: [] };
  for (const vh of listener.hosts) {
    const name = vh.hostname.toLowerCase();
    if (name === '*' || name === '') idx.any ??= vh;
    else if (name.startsWith('*.')) idx.wildcards.push({ suffix: name.slice(1), vhost: vh });
    else if (!idx.exact.has(name)) idx.exact.set(name, vh);
  }
  idx.wildcards.sort((a, b) => b.suffix.length - a.suffix.length);
  hostIndexes.set(listener, idx);
  return idx;
}

/** The virtual host serving `host` (lowercase, no port): exact name, else longest wildcard, else `*`. */
export function findVirtualHost(listener: Listener, host: string): VirtualHost | undefined {
  const idx = indexHosts(listener);
  const exact = idx.exact.get(host);
  if (exact) return exact;
  for (const w of idx.wildcards) if (host.length > w.suffix.length && host.endsWith(w.suffix)) return w.vhost;
  return idx.any;
}

/** Host header without port, lowercase (`[::1]:80` → `[::1]`). */
export function hostOf(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  let end = hostHeader.length;
  if (hostHeader.charCodeAt(0) === 91 /* [ */) end = hostHeader.indexOf(']') + 1 || end;
  else {
    const colon = hostHeader.lastIndexOf(':');
    if (colon >= 0) end = colon;
  }
  return hostHeader.slice(0, end).toLowerCase();
}

const regexes = new WeakMap<object, RegExp>();

/** A RegularExpression match value must match the whole string (as Envoy-based implementations do). */
function regexOf(m: { value: string }): RegExp {
  let re = regexes.get(m);
  if (!re) {
    try {
      re = new RegExp(`^(?:${m.value})$`);
    } catch {
      re = /(?!)/; // an invalid expression matches nothing
    }
    regexes.set(m, re);
  }
  return re;
}

export function pathMatches(pm: PathMatch, path: string): boolean {
  switch (pm.type) {
    case 'Exact':
      return path === pm.value;
    case 'PathPrefix':
      return pathPrefixMatches(pm.value, path);
    case 'RegularExpression':
      return regexOf(pm).test(path);
  }
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Whether one Match accepts the request; `params` parses the query once, on first need. */
export function matchAccepts(m: Match, req: RequestView, params: () => URLSearchParams): boolean {
  if (m.method && m.method !== req.method) return false;
  if (m.path && !pathMatches(m.path, req.path)) return false;
  if (m.headers)
    for (const h of m.headers) {
      const v = headerValue(req.headers, h.name);
      if (v === undefined || (h.type === 'RegularExpression' ? !regexOf(h).test(v) : v !== h.value)) return false;
    }
  if (m.queryParams)
    for (const q of m.queryParams) {
      const v = params().get(q.name);
      if (v === null || (q.type === 'RegularExpression' ? !regexOf(q).test(v) : v !== q.value)) return false;
    }
  return true;
}

/** The first rule of the matching virtual host that accepts the request, or undefined (404). */
export function matchRequest(listener: Listener, req: RequestView): RouteMatch | undefined {
  const vhost = findVirtualHost(listener, req.host);
  if (!vhost) return undefined;
  let parsed: URLSearchParams | undefined;
  const params = () => (parsed ??= new URLSearchParams(req.query));
  for (const rule of vhost.rules) {
    if (!rule.matches.length) return { vhost, rule };
    for (const m of rule.matches) if (matchAccepts(m, req, params)) return { vhost, rule, match: m };
  }
  return undefined;
}

/** Splits a request target into path and query (no decoding: matching is on the raw path). */
export function splitTarget(url: string | undefined): { path: string; query: string } {
  const u = url || '/';
  const q = u.indexOf('?');
  return q < 0 ? { path: u, query: '' } : { path: u.slice(0, q), query: u.slice(q + 1) };
}
