/**
 * Ingresses → RouteTable (pure), with ingress-nginx's semantics where the Ingress API leaves a
 * choice to the controller:
 * - every host is served on both listeners; rules without `host` go to the `*` virtual host;
 * - paths: Exact before Prefix, longer paths first; `ImplementationSpecific` is treated as
 *   `Prefix` (element-wise);
 * - the same host + pathType + path in several Ingresses: the oldest Ingress (creationTimestamp,
 *   then namespace/name) wins;
 * - an Ingress's `defaultBackend` serves the `*` host (the oldest such Ingress wins) and the
 *   paths of its own hosts that no rule matches; without one, unmatched requests get 404;
 * - TLS hosts are served with the Secret's certificate (a missing or invalid Secret is reported,
 *   and the host gets the default certificate), and on the HTTP listener their requests are
 *   redirected to HTTPS with 308, unless the Ingress says `capstan.io/ssl-redirect: "false"`;
 * - a backend whose Service or named port does not exist answers 503;
 * - a backend silent for 60 s between two reads gets 504 (ingress-nginx's `proxy-read-timeout`
 *   default), or for the seconds its Ingress's `nginx.ingress.kubernetes.io/proxy-read-timeout`
 *   annotation says.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { Secret, Service } from 'kubernetes-types/core/v1.js';
import type { Ingress, IngressBackend } from 'kubernetes-types/networking/v1.js';
import type { Backend, Filter, Listener, Rule, TlsCertificate, VirtualHost } from '../l7/route-table.js';

export const sslRedirectAnnotation = 'capstan.io/ssl-redirect';
export const proxyReadTimeoutAnnotation = 'nginx.ingress.kubernetes.io/proxy-read-timeout';
/** ingress-nginx's default `proxy-read-timeout`, in seconds. */
export const defaultProxyReadTimeoutSeconds = 60;

/** The upstream read timeout of an Ingress's rules in ms: the annotation's whole seconds if valid (> 0), else the default. */
export function proxyReadTimeoutMs(ing: Ingress): number {
  const v = ing.metadata?.annotations?.[proxyReadTimeoutAnnotation]?.trim();
  const n = v && /^\d+$/.test(v) ? Number(v) : 0;
  return (n > 0 ? n : defaultProxyReadTimeoutSeconds) * 1000;
}

export interface CompileOptions {
  address: string;
  httpPort: number;
  httpsPort: number;
  defaultCertificate: TlsCertificate;
  service(namespace: string, name: string): Service | undefined;
  secret(namespace: string, name: string): Secret | undefined;
}

/** Something wrong with one Ingress, to be recorded as a Warning event on it. */
export interface IngressProblem {
  namespace: string;
  name: string;
  reason: string;
  message: string;
}

export interface Compiled {
  listeners: Listener[];
  problems: IngressProblem[];
}

interface PathEntry {
  ingress: Ingress;
  order: number;
  exact: boolean;
  path: string;
  rule: Rule;
}

const ingressSource = (ing: Ingress) => `ingress/${ing.metadata?.namespace}/${ing.metadata?.name}`;

/** Oldest first: creationTimestamp, then namespace/name (ingress-nginx sorts the same way). */
export function byAge(a: Ingress, b: Ingress): number {
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata?.namespace}/${a.metadata?.name}`;
  const kb = `${b.metadata?.namespace}/${b.metadata?.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** The Service port number an Ingress backend names (number as is; a name through the Service). */
export function backendOf(ing: Ingress, b: IngressBackend, opts: CompileOptions): { backend?: Backend; problem?: string } {
  const ns = ing.metadata?.namespace ?? 'default';
  const svc = b.service;
  if (!svc) return { problem: 'resource backends are not supported' };
  if (svc.port?.number) return { backend: { namespace: ns, service: svc.name, port: svc.port.number } };
  const s = opts.service(ns, svc.name);
  if (!s) return { problem: `service "${ns}/${svc.name}" not found` };
  const p = s.spec?.ports?.find((x) => x.name === svc.port?.name);
  if (!p) return { problem: `service "${ns}/${svc.name}" does not have a port named "${svc.port?.name}"` };
  return { backend: { namespace: ns, service: svc.name, port: p.port } };
}

function ruleFor(ing: Ingress, b: IngressBackend, opts: CompileOptions, problems: IngressProblem[], matches: Rule['matches']): Rule {
  const r = backendOf(ing, b, opts);
  if (r.problem) problems.push({ namespace: ing.metadata?.namespace ?? '', name: ing.metadata?.name ?? '', reason: 'BackendNotFound', message: r.problem });
  return r.backend
    ? { matches, backends: [r.backend], readTimeoutMs: proxyReadTimeoutMs(ing), source: ingressSource(ing) }
    : { matches, backends: [], failureStatus: 503, source: ingressSource(ing) };
}

/** The certificate of a TLS Secret, or why it cannot be used. */
export function certificateFromSecret(secret: Secret | undefined, hosts: string[]): TlsCertificate | string {
  if (!secret) return 'not found';
  const crt = secret.data?.['tls.crt'];
  const key = secret.data?.['tls.key'];
  if (!crt || !key) return 'has no tls.crt and tls.key';
  const certPem = Buffer.from(crt, 'base64').toString('utf8');
  const keyPem = Buffer.from(key, 'base64').toString('utf8');
  try {
    const cert = new X509Certificate(certPem);
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return 'tls.key does not match tls.crt';
  } catch (e) {
    return `holds an invalid certificate or key: ${(e as Error).message}`;
  }
  return { hostnames: hosts, certPem, keyPem };
}

/** Compiles the Ingresses of this controller's class into the two listeners. */
export function compileIngresses(ingresses: readonly Ingress[], opts: CompileOptions): Compiled {
  const problems: IngressProblem[] = [];
  const sorted = [...ingresses].sort(byAge);
  const hosts = new Map<string, PathEntry[]>();
  const taken = new Map<string, Ingress>();
  let catchAll: Rule | undefined;
  const tlsHosts = new Map<string, Ingress>();
  const certificates: TlsCertificate[] = [];
  let order = 0;

  for (const ing of sorted) {
    const ns = ing.metadata?.namespace ?? '';
    const name = ing.metadata?.name ?? '';
    for (const t of ing.spec?.tls ?? []) {
      const th = (t.hosts ?? []).map((h) => h.toLowerCase());
      for (const h of th) if (!tlsHosts.has(h)) tlsHosts.set(h, ing);
      if (!t.secretName) continue;
      const c = certificateFromSecret(opts.secret(ns, t.secretName), th);
      if (typeof c === 'string') problems.push({ namespace: ns, name, reason: 'InvalidTLSSecret', message: `TLS secret "${ns}/${t.secretName}" ${c}; serving ${th.join(', ') || 'its hosts'} with the default certificate` });
      else certificates.push(c);
    }
    const ownHosts = new Set<string>();
    for (const r of ing.spec?.rules ?? []) {
      const host = (r.host ?? '*').toLowerCase();
      ownHosts.add(host);
      let list = hosts.get(host);
      if (!list) hosts.set(host, (list = []));
      for (const p of r.http?.paths ?? []) {
        const exact = p.pathType === 'Exact';
        const path = p.path || '/';
        const key = `${host} ${exact ? 'Exact' : 'Prefix'} ${path}`;
        const winner = taken.get(key);
        if (winner) {
          problems.push({ namespace: ns, name, reason: 'Conflict', message: `path ${path} of host ${host} is already served by the older Ingress ${winner.metadata?.namespace}/${winner.metadata?.name}` });
          continue;
        }
        taken.set(key, ing);
        const rule = ruleFor(ing, p.backend, opts, problems, [{ path: exact ? { type: 'Exact', value: path } : { type: 'PathPrefix', value: path } }]);
        list.push({ ingress: ing, order: order++, exact, path, rule });
      }
    }
    const def = ing.spec?.defaultBackend;
    if (def) {
      const rule = ruleFor(ing, def, opts, problems, []);
      catchAll ??= rule;
      // The Ingress's own hosts fall back to its default backend, after all their paths.
      for (const h of ownHosts) hosts.get(h)!.push({ ingress: ing, order: Number.MAX_SAFE_INTEGER, exact: false, path: '', rule });
    }
  }
  if (catchAll) {
    const list = hosts.get('*') ?? [];
    list.push({ ingress: sorted[0], order: Number.MAX_SAFE_INTEGER, exact: false, path: '', rule: catchAll });
    hosts.set('*', list);
  }

  const httpsHosts: VirtualHost[] = [];
  const httpHosts: VirtualHost[] = [];
  for (const [hostname, entries] of hosts) {
    entries.sort((a, b) => (a.exact !== b.exact ? (a.exact ? -1 : 1) : b.path.length - a.path.length || a.order - b.order));
    // A second default backend for a host (from a younger Ingress) is never reached.
    const rules = entries.map((e) => e.rule);
    httpsHosts.push({ hostname, rules });
    const tlsOwner = tlsHosts.get(hostname);
    if (!tlsOwner) httpHosts.push({ hostname, rules });
    else
      httpHosts.push({
        hostname,
        rules: entries.map((e) => (e.ingress.metadata?.annotations?.[sslRedirectAnnotation] === 'false' ? e.rule : redirectRule(e.rule, opts.httpsPort))),
      });
  }
  // Most specific host first: exact names, then wildcards by length, then `*`.
  const rank = (h: string) => (h === '*' ? 2 : h.startsWith('*.') ? 1 : 0);
  const order2 = (a: VirtualHost, b: VirtualHost) => rank(a.hostname) - rank(b.hostname) || b.hostname.length - a.hostname.length;
  httpHosts.sort(order2);
  httpsHosts.sort(order2);
  return {
    listeners: [
      { name: 'ingress-http', address: opts.address, port: opts.httpPort, protocol: 'HTTP', hosts: httpHosts },
      { name: 'ingress-https', address: opts.address, port: opts.httpsPort, protocol: 'HTTPS', tls: { certificates, default: opts.defaultCertificate }, hosts: httpsHosts },
    ],
    problems,
  };
}

function redirectRule(r: Rule, httpsPort: number): Rule {
  const f: Filter = { type: 'RequestRedirect', scheme: 'https', port: httpsPort, statusCode: 308 };
  return { matches: r.matches, filters: [f], backends: [], source: r.source };
}
