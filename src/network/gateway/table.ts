/**
 * Compiles attached HTTPRoutes into RouteTable listeners: one table listener per Gateway port,
 * virtual hosts by intersected host name (most specific first), and within a host one table rule
 * per (route rule, match) in the Gateway API's precedence order: Exact path, then regular
 * expression and prefix paths by length (longest first), then method, most headers, most query
 * parameters, oldest route, route `namespace/name` alphabetically, rule and match order.
 */
import type { HTTPHeaderFilter, HTTPPathModifier, HTTPRoute, HTTPRouteFilter, HTTPRouteMatch, HTTPRouteRule } from '../../api/strategies/gateway/types.js';
import { parseGatewayDuration } from '../../api/strategies/gateway/rules.js';
import type { Backend, Filter, HeaderModifier, Listener, Match, PathRewrite, Rule, TlsCertificate, VirtualHost } from '../l7/route-table.js';
import { findShadowed, type Shadowed } from './conflicts.js';
import { compareHostSpecificity } from './hostnames.js';
import type { BackendIndex, EvaluatedListener } from './model.js';
import { resolveBackend } from './routes.js';

/** One (route rule, match) on one host of one listener. */
export interface RouteEntry {
  route: HTTPRoute;
  ruleIndex: number;
  matchIndex: number;
  match: HTTPRouteMatch;
  rule: Rule;
}

const pathRank = (m: HTTPRouteMatch): number => (m.path?.type === 'Exact' ? 0 : m.path?.type === 'RegularExpression' ? 1 : 2);

/** The Gateway API precedence between two entries (negative: `a` is tried first). */
export function comparePrecedence(a: RouteEntry, b: RouteEntry): number {
  const ma = a.match;
  const mb = b.match;
  return (
    pathRank(ma) - pathRank(mb) ||
    (mb.path?.value ?? '/').length - (ma.path?.value ?? '/').length ||
    Number(!!mb.method) - Number(!!ma.method) ||
    (mb.headers?.length ?? 0) - (ma.headers?.length ?? 0) ||
    (mb.queryParams?.length ?? 0) - (ma.queryParams?.length ?? 0) ||
    compareStrings(a.route.metadata?.creationTimestamp ?? '', b.route.metadata?.creationTimestamp ?? '') ||
    compareStrings(`${a.route.metadata?.namespace}/${a.route.metadata?.name}`, `${b.route.metadata?.namespace}/${b.route.metadata?.name}`) ||
    a.ruleIndex - b.ruleIndex ||
    a.matchIndex - b.matchIndex
  );
}

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function compileMatch(m: HTTPRouteMatch): Match {
  const out: Match = {};
  if (m.path) out.path = { type: (m.path.type ?? 'PathPrefix') as 'Exact', value: m.path.value ?? '/' };
  if (m.headers?.length) out.headers = m.headers.map((h) => ({ name: h.name ?? '', value: h.value ?? '', type: (h.type ?? 'Exact') as 'Exact' }));
  if (m.queryParams?.length) out.queryParams = m.queryParams.map((q) => ({ name: q.name ?? '', value: q.value ?? '', type: (q.type ?? 'Exact') as 'Exact' }));
  if (m.method) out.method = m.method;
  return out;
}

function headerModifier(f: HTTPHeaderFilter): HeaderModifier {
  const pairs = (l: HTTPHeaderFilter['set']) => (l ?? []).map((h) => ({ name: h.name ?? '', value: h.value ?? '' }));
  return { ...(f.set ? { set: pairs(f.set) } : {}), ...(f.add ? { add: pairs(f.add) } : {}), ...(f.remove ? { remove: [...f.remove] } : {}) };
}

function pathRewrite(p: HTTPPathModifier | undefined): PathRewrite | undefined {
  if (p?.type === 'ReplaceFullPath') return { type: 'ReplaceFullPath', value: p.replaceFullPath ?? '/' };
  if (p?.type === 'ReplacePrefixMatch') return { type: 'ReplacePrefixMatch', value: p.replacePrefixMatch ?? '/' };
  return undefined;
}

function compileFilter(f: HTTPRouteFilter, ns: string, index: BackendIndex): Filter | undefined {
  switch (f.type) {
    case 'RequestHeaderModifier':
      return { type: 'RequestHeaderModifier', modifier: headerModifier(f.requestHeaderModifier ?? {}) };
    case 'ResponseHeaderModifier':
      return { type: 'ResponseHeaderModifier', modifier: headerModifier(f.responseHeaderModifier ?? {}) };
    case 'RequestRedirect': {
      const r = f.requestRedirect ?? {};
      const path = pathRewrite(r.path);
      return {
        type: 'RequestRedirect',
        ...(r.scheme ? { scheme: r.scheme as 'http' } : {}),
        ...(r.hostname ? { hostname: r.hostname } : {}),
        ...(r.port ? { port: r.port } : {}),
        ...(path ? { path } : {}),
        statusCode: (r.statusCode ?? 302) as 302,
      };
    }
    case 'URLRewrite': {
      const path = pathRewrite(f.urlRewrite?.path);
      return { type: 'URLRewrite', ...(f.urlRewrite?.hostname ? { hostname: f.urlRewrite.hostname } : {}), ...(path ? { path } : {}) };
    }
    case 'RequestMirror': {
      const ref = f.requestMirror?.backendRef;
      const backend = ref ? resolveBackend(ref, ns, index).backend : undefined;
      return backend ? { type: 'RequestMirror', backend: { namespace: backend.namespace, service: backend.service, port: backend.port } } : undefined;
    }
    default:
      return undefined;
  }
}

/** A reference that does not resolve, kept with its weight so that its share answers 500. */
function invalidBackend(ref: NonNullable<HTTPRouteRule['backendRefs']>[number], ns: string): Backend {
  return { namespace: ref.namespace ?? ns, service: ref.name ?? '', port: ref.port ?? 0, ...(ref.weight !== undefined ? { weight: ref.weight } : {}), invalid: true };
}

/**
 * One route rule as a table rule (without matches). Unresolvable backends stay in, marked invalid,
 * so that their share of the requests is answered with 500 (the spec's rule for a partly invalid
 * rule); a rule without a redirect whose backends all fail to resolve or weigh 0, or that has
 * none, answers 500.
 */
export function compileRule(route: HTTPRoute, rule: HTTPRouteRule, index: BackendIndex): Rule {
  const ns = route.metadata?.namespace ?? '';
  const filters = (rule.filters ?? []).map((f) => compileFilter(f, ns, index)).filter((f): f is Filter => !!f);
  const backends = (rule.backendRefs ?? []).map((b): Backend => resolveBackend(b, ns, index).backend ?? invalidBackend(b, ns));
  const redirects = filters.some((f) => f.type === 'RequestRedirect');
  const out: Rule = { matches: [], backends, source: `httproute/${ns}/${route.metadata?.name ?? ''}` };
  if (filters.length) out.filters = filters;
  // No backend to send to (none given, none resolves, or all weigh 0): the client gets a 500.
  if (!redirects && backends.every((b) => b.weight === 0 || b.invalid)) out.failureStatus = 500;
  const timeout = rule.timeouts?.request !== undefined ? parseGatewayDuration(rule.timeouts.request) : undefined;
  if (timeout) out.timeoutMs = timeout;
  return out;
}

/** Entries of one route rule: one per match, each a copy of the compiled rule with that match. */
export function ruleEntries(route: HTTPRoute, ruleIndex: number, index: BackendIndex): RouteEntry[] {
  const rule = route.spec?.rules?.[ruleIndex] ?? {};
  const compiled = compileRule(route, rule, index);
  const matches = rule.matches?.length ? rule.matches : [{ path: { type: 'PathPrefix', value: '/' } }];
  return matches.map((match, matchIndex) => ({ route, ruleIndex, matchIndex, match, rule: { ...compiled, matches: [compileMatch(match)] } }));
}

/** What a listener of a Gateway serves: the hosts each attached route contributes. */
export interface ListenerRoutes {
  listener: EvaluatedListener;
  /** host name → entries. */
  hosts: Map<string, RouteEntry[]>;
}

const hostnameRank = (h: string | undefined): string => h ?? '*';

/** A shadowed match (conflicts.ts) and the listener of the Gateway that the losing route came in through. */
export interface ListenerShadowed extends Shadowed {
  listener: EvaluatedListener;
}

/**
 * The table listeners of one Gateway: its ready listeners grouped by port. A host name served by
 * two listeners of a port goes to the one whose own hostname is more specific. Also the matches
 * that identical matches of other routes shadow on each host.
 */
export function buildListeners(gatewayListeners: readonly ListenerRoutes[], bindAddress: string): { listeners: Listener[]; shadowed: ListenerShadowed[] } {
  const shadowed: ListenerShadowed[] = [];
  const byPort = new Map<number, ListenerRoutes[]>();
  for (const lr of gatewayListeners) {
    if (!lr.listener.ready) continue;
    const port = lr.listener.spec.port ?? 0;
    byPort.set(port, [...(byPort.get(port) ?? []), lr]);
  }
  const out: Listener[] = [];
  for (const [port, group] of [...byPort.entries()].sort((a, b) => a[0] - b[0])) {
    const first = group[0]!.listener;
    const gw = first.gateway.metadata;
    const owner = new Map<string, { rank: string; entries: RouteEntry[] }>();
    const via = new Map<RouteEntry, EvaluatedListener>();
    for (const lr of group) {
      const rank = hostnameRank(lr.listener.spec.hostname);
      for (const [host, entries] of lr.hosts) {
        for (const e of entries) via.set(e, lr.listener);
        const cur = owner.get(host);
        if (!cur || compareHostSpecificity(rank, cur.rank) < 0) owner.set(host, { rank, entries: [...entries] });
        else if (cur.rank === rank) cur.entries.push(...entries);
      }
    }
    const hosts: VirtualHost[] = [...owner.entries()]
      .sort((a, b) => compareHostSpecificity(a[0], b[0]))
      .map(([hostname, { entries }]) => {
        const ordered = [...entries].sort(comparePrecedence);
        for (const s of findShadowed(hostname, ordered)) shadowed.push({ ...s, listener: via.get(s.entry)! });
        return { hostname, rules: ordered.map((e) => e.rule) };
      });
    const listener: Listener = { name: `gateway/${gw?.namespace}/${gw?.name}/${port}`, address: bindAddress, port, protocol: first.spec.protocol === 'HTTPS' ? 'HTTPS' : 'HTTP', hosts };
    if (listener.protocol === 'HTTPS') {
      const certificates: TlsCertificate[] = group.flatMap((lr) => lr.listener.certificates);
      const fallback = group.find((lr) => !lr.listener.spec.hostname)?.listener.certificates[0] ?? certificates[0];
      listener.tls = { certificates, ...(fallback ? { default: fallback } : {}) };
    }
    out.push(listener);
  }
  return { listeners: out, shadowed };
}
