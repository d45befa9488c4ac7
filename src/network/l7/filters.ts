/**
 * The pure parts of proxying one request: weighted backend choice, header modifiers, path
 * rewrites and redirect locations (Gateway API HTTPRoute filter semantics), the headers a proxy
 * adds (`X-Forwarded-*` and `X-Real-IP` as ingress-nginx sets them by default) and the hop-by-hop
 * headers it drops.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Backend, Filter, HeaderModifier, Match, PathRewrite } from './route-table.js';

/**
 * A backend chosen by weight (default 1; weight 0 is never chosen), `random` in [0, 1).
 * Undefined when no backend has a positive weight.
 */
export function pickBackend(backends: readonly Backend[], random: number): Backend | undefined {
  if (backends.length === 1) return (backends[0].weight ?? 1) > 0 ? backends[0] : undefined;
  let total = 0;
  for (const b of backends) total += Math.max(0, b.weight ?? 1);
  if (total <= 0) return undefined;
  let point = random * total;
  for (const b of backends) {
    const w = Math.max(0, b.weight ?? 1);
    if (w === 0) continue;
    if (point < w) return b;
    point -= w;
  }
  for (let i = backends.length - 1; i >= 0; i--) if ((backends[i].weight ?? 1) > 0) return backends[i];
  return undefined;
}

/** Applies set/add/remove to a header object in place (names case-insensitive; add appends). */
export function applyHeaderModifier(headers: IncomingHttpHeaders | OutgoingHttpHeaders, mod: HeaderModifier): void {
  const h = headers as Record<string, string | string[] | number | undefined>;
  if (mod.set) for (const { name, value } of mod.set) h[name.toLowerCase()] = value;
  if (mod.add)
    for (const { name, value } of mod.add) {
      const key = name.toLowerCase();
      const cur = h[key];
      if (cur === undefined) h[key] = value;
      else if (Array.isArray(cur)) h[key] = [...cur, value];
      else h[key] = key === 'set-cookie' ? [String(cur), value] : `${cur},${value}`;
    }
  if (mod.remove) for (const name of mod.remove) delete h[name.toLowerCase()];
}

/**
 * The path after a rewrite. ReplacePrefixMatch replaces the part that the rule's PathPrefix
 * matched, element-wise (`/foo` → `/bar` turns `/foo/x` into `/bar/x`; → `/` turns it into `/x`).
 */
export function rewritePath(rw: PathRewrite, path: string, match: Match | undefined): string {
  if (rw.type === 'ReplaceFullPath') return rw.value || '/';
  const prefix = match?.path?.type === 'PathPrefix' ? match.path.value.replace(/\/+$/, '') : '';
  const rest = path.slice(prefix.length); // '' or '/...'
  const base = rw.value.replace(/\/+$/, '');
  const out = base + rest;
  return out === '' ? '/' : out.startsWith('/') ? out : `/${out}`;
}

const defaultPorts: Record<string, number> = { http: 80, https: 443 };

/**
 * The Location of a RequestRedirect. Unset fields keep the request's own; a changed scheme with
 * no port goes to that scheme's well-known port (and the port is left out when it is the scheme's
 * default), as Gateway API specifies.
 */
export function redirectLocation(
  f: Extract<Filter, { type: 'RequestRedirect' }>,
  req: { scheme: 'http' | 'https'; host: string; port: number; path: string; query: string },
  match: Match | undefined,
): string {
  const scheme = f.scheme ?? req.scheme;
  const port = f.port ?? (f.scheme && f.scheme !== req.scheme ? defaultPorts[scheme] : req.port);
  const host = f.hostname ?? req.host;
  const path = f.path ? rewritePath(f.path, req.path, match) : req.path;
  const portPart = port === defaultPorts[scheme] ? '' : `:${port}`;
  return `${scheme}://${host}${portPart}${path}${req.query ? `?${req.query}` : ''}`;
}

/** Hop-by-hop headers a proxy must not forward (RFC 9110 §7.6.1), plus legacy ones. */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization']);

const hopByHopList = [...hopByHop];

/** Removes hop-by-hop headers, and those the Connection header names, in place. */
export function stripHopByHop(headers: IncomingHttpHeaders | OutgoingHttpHeaders, keepUpgrade = false): void {
  const h = headers as Record<string, unknown>;
  const conn = h.connection;
  if (typeof conn === 'string' && conn !== 'keep-alive' && conn !== 'close')
    for (const n of conn.split(',')) {
      const name = n.trim().toLowerCase();
      if (name && !(keepUpgrade && name === 'upgrade')) delete h[name];
    }
  for (const name of hopByHopList) if (h[name] !== undefined && !(keepUpgrade && name === 'upgrade')) delete h[name];
}

export interface ClientInfo {
  remoteAddress: string;
  scheme: 'http' | 'https';
  /** The listener's port (what the client connected to). */
  port: number;
  /** The request's Host header as sent. */
  host: string;
}

/**
 * Sets the headers ingress-nginx adds with its defaults (`use-forwarded-headers: false`): the
 * client's own address replaces any `X-Forwarded-For`, and the scheme, host and port are the ones
 * this proxy saw, so a client cannot spoof them.
 */
export function setForwardedHeaders(headers: IncomingHttpHeaders, c: ClientInfo): void {
  headers['x-forwarded-for'] = c.remoteAddress;
  headers['x-real-ip'] = c.remoteAddress;
  headers['x-forwarded-proto'] = c.scheme;
  headers['x-forwarded-scheme'] = c.scheme;
  headers['x-forwarded-host'] = c.host;
  headers['x-forwarded-port'] = String(c.port);
}

/** `::ffff:127.0.0.1` → `127.0.0.1`, as nginx reports IPv4 clients. */
export function clientAddress(addr: string | undefined): string {
  if (!addr) return '';
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}
