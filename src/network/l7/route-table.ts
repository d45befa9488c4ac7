/**
 * The HTTP routing table shared by the built-in Ingress controller and the Gateway API
 * implementation: both compile their objects into this one shape, and one HTTP proxy engine
 * serves it. Plain data, no I/O; backends name Services, which the engine resolves to ready
 * endpoints from EndpointSlices.
 */

/** A listener: where the proxy accepts connections. */
export interface Listener {
  /** Stable name, e.g. `ingress-http` or `gateway/default/web/https`. */
  name: string;
  /** Address to bind (`0.0.0.0`, `127.0.0.1`, ...) and port. */
  address: string;
  port: number;
  protocol: 'HTTP' | 'HTTPS';
  /** HTTPS only: certificates chosen by SNI; `default` answers clients without a matching name. */
  tls?: { certificates: TlsCertificate[]; default?: TlsCertificate };
  /** Virtual hosts served on this listener, most specific hostname first (see hostMatches). */
  hosts: VirtualHost[];
}

export interface TlsCertificate {
  /** Hostnames (exact or `*.suffix`) this certificate serves. */
  hostnames: string[];
  certPem: string;
  keyPem: string;
}

export interface VirtualHost {
  /** Exact (`api.example.com`), wildcard (`*.example.com`, one or more labels) or `*` for any host. */
  hostname: string;
  /** Tried in order; the first rule whose match accepts the request wins. */
  rules: Rule[];
}

export type PathMatch =
  | { type: 'Exact'; value: string }
  /** Element-wise prefix (`/foo` matches `/foo` and `/foo/bar`, not `/foobar`), as Ingress and Gateway API define it. */
  | { type: 'PathPrefix'; value: string }
  | { type: 'RegularExpression'; value: string };

export interface Match {
  path?: PathMatch;
  /** Header names are case-insensitive; values exact unless type is RegularExpression. */
  headers?: { name: string; value: string; type?: 'Exact' | 'RegularExpression' }[];
  queryParams?: { name: string; value: string; type?: 'Exact' | 'RegularExpression' }[];
  method?: string;
}

export interface HeaderModifier {
  set?: { name: string; value: string }[];
  add?: { name: string; value: string }[];
  remove?: string[];
}

export type Filter =
  | { type: 'RequestHeaderModifier'; modifier: HeaderModifier }
  | { type: 'ResponseHeaderModifier'; modifier: HeaderModifier }
  | { type: 'RequestRedirect'; scheme?: 'http' | 'https'; hostname?: string; port?: number; path?: PathRewrite; statusCode?: 301 | 302 | 303 | 307 | 308 }
  | { type: 'URLRewrite'; hostname?: string; path?: PathRewrite }
  /** Copies each request to the backend and ignores its answer (shadow traffic). */
  | { type: 'RequestMirror'; backend: Backend; percent?: number };

export type PathRewrite = { type: 'ReplaceFullPath'; value: string } | { type: 'ReplacePrefixMatch'; value: string };

export interface Backend {
  namespace: string;
  service: string;
  /** The Service port (number), resolved to the endpoints' target port by the engine. */
  port: number;
  /** Relative weight among a rule's backends (default 1; 0 takes no traffic). */
  weight?: number;
  /**
   * The reference does not resolve (a missing Service or port, a forbidden namespace): its share
   * of the traffic is answered with 500, as the Gateway API asks, instead of going elsewhere.
   */
  invalid?: true;
}

export interface Rule {
  /** Any of these matches (an empty list matches everything). */
  matches: Match[];
  filters?: Filter[];
  backends: Backend[];
  /**
   * When the rule cannot be served (no backend resolves): the status the client gets instead,
   * e.g. 500 for an HTTPRoute with invalid backends, 503 when no endpoint is ready.
   */
  failureStatus?: number;
  /** Request timeout for this rule in milliseconds (Gateway API `timeouts.request`, Ingress default). */
  timeoutMs?: number;
  /**
   * Longest wait for the backend between two reads (or writes) of one exchange, answered with 504
   * before the response starts (ingress-nginx's `proxy-read-timeout`); none when unset.
   */
  readTimeoutMs?: number;
  /** Where the rule came from, for logs and metrics: `ingress/ns/name` or `httproute/ns/name`. */
  source: string;
}

/** The whole table the engine serves; replaced atomically when objects change. */
export interface RouteTable {
  listeners: Listener[];
}

/**
 * Whether a listener's virtual host name accepts a request's Host (port stripped, lowercase):
 * exact names match exactly, `*.example.com` matches any name ending in `.example.com` with at
 * least one more label, `*` matches everything.
 */
export function hostMatches(pattern: string, host: string): boolean {
  const h = host.toLowerCase();
  const p = pattern.toLowerCase();
  if (p === '*') return true;
  if (p.startsWith('*.')) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
  return p === h;
}

/** Element-wise path prefix matching (`/foo` matches `/foo`, `/foo/`, `/foo/bar`, not `/foobar`). */
export function pathPrefixMatches(prefix: string, path: string): boolean {
  if (prefix === '/' || prefix === '') return true;
  const p = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return path === p || path.startsWith(`${p}/`);
}
