/**
 * Proxying one request (or one Upgrade) for a listener on the node:http path: match, filters,
 * backend choice, endpoint round-robin, then a streamed exchange with the endpoint through the
 * pool's keep-alive agent. Matching, filters, endpoint choice and header rewriting are exported
 * as separate steps that the fast path (fast-front.ts) shares.
 * Bodies are piped both ways, never buffered. Status codes when no exchange happens: 404 no rule,
 * `failureStatus` (else 500) for a rule without a usable backend, 503 no Service/port/ready
 * endpoint, 502 connection failure, 504 the rule's timeout. No retries (the Gateway API default).
 */
import { Agent, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, STATUS_CODES, request as httpRequest } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../util/logger.js';
import type { EndpointAddress, EndpointSource } from './endpoints.js';
import { ConnectionPool } from './connection-pool.js';
import { applyHeaderModifier, clientAddress, pickBackend, redirectLocation, rewritePath, setForwardedHeaders, stripHopByHop } from './filters.js';
import { type RouteMatch, hostOf, matchRequest, splitTarget } from './match.js';
import type { Backend, Filter, HeaderModifier, Listener } from './route-table.js';

/**
 * Per backend pool (Service port): a keep-alive agent for node:http exchanges and the round-robin
 * position; and the raw keep-alive connections of the fast path, per endpoint.
 */
export class BackendPools {
  private readonly pools = new Map<string, { agent: Agent; next: number }>();
  readonly connections = new ConnectionPool();

  private pool(b: Backend) {
    const key = `${b.namespace}/${b.service}:${b.port}`;
    let p = this.pools.get(key);
    if (!p) this.pools.set(key, (p = { agent: new Agent({ keepAlive: true, maxFreeSockets: 64, timeout: 60_000 }), next: 0 }));
    return p;
  }

  /** The next endpoint in round-robin order. */
  next(b: Backend, addresses: readonly EndpointAddress[]): EndpointAddress {
    const p = this.pool(b);
    const address = addresses[p.next++ % addresses.length];
    if (p.next > 1e9) p.next = 0;
    return address;
  }

  agent(b: Backend): Agent {
    return this.pool(b).agent;
  }

  /** The next endpoint in round-robin order, with the pool's agent. */
  pick(b: Backend, addresses: readonly EndpointAddress[]): { address: EndpointAddress; agent: Agent } {
    return { address: this.next(b, addresses), agent: this.agent(b) };
  }

  close(): void {
    for (const p of this.pools.values()) p.agent.destroy();
    this.pools.clear();
    this.connections.close();
  }
}

export interface ProxyContext {
  endpoints: EndpointSource;
  pools: BackendPools;
  random: () => number;
  logger: Logger;
}

/** The listener as it serves: the current table entry and the port actually bound. */
export interface ServingListener {
  listener: Listener;
  port: number;
  scheme: 'http' | 'https';
}

export function errorBody(status: number): string {
  const text = `${status} ${STATUS_CODES[status] ?? ''}`.trim();
  return `<html>\r\n<head><title>${text}</title></head>\r\n<body>\r\n<center><h1>${text}</h1></center>\r\n<hr><center>capstan</center>\r\n</body>\r\n</html>\r\n`;
}

function answer(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  const body = errorBody(status);
  res.writeHead(status, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** What the filters of a rule decided for a request. */
export interface Plan {
  path: string;
  host: string;
  redirect?: string;
  redirectStatus?: number;
  requestMods?: HeaderModifier[];
  responseMods?: HeaderModifier[];
  mirrors?: Extract<Filter, { type: 'RequestMirror' }>[];
}

function plan(m: RouteMatch, s: ServingListener, hostHeader: string, host: string, path: string, query: string): Plan {
  const p: Plan = { path, host: hostHeader };
  for (const f of m.rule.filters ?? []) {
    switch (f.type) {
      case 'RequestRedirect':
        p.redirect = redirectLocation(f, { scheme: s.scheme, host, port: s.port, path, query }, m.match);
        p.redirectStatus = f.statusCode ?? 302;
        return p;
      case 'URLRewrite':
        if (f.hostname) p.host = f.hostname;
        if (f.path) p.path = rewritePath(f.path, path, m.match);
        break;
      case 'RequestHeaderModifier':
        (p.requestMods ??= []).push(f.modifier);
        break;
      case 'ResponseHeaderModifier':
        (p.responseMods ??= []).push(f.modifier);
        break;
      case 'RequestMirror':
        (p.mirrors ??= []).push(f);
        break;
    }
  }
  return p;
}

/** A request as routing sees it (from node:http or from the fast path's own parser). */
export interface RequestInfo {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  remoteAddress: string | undefined;
}

/** The outcome of matching and filters: an answer of the proxy's own, or a rule to forward by. */
export type Planned = { status: number; location?: string } | { match: RouteMatch; plan: Plan; hostHeader: string; query: string };

/** Matching and filters (pure: no randomness, no round-robin step). */
export function planRequest(s: ServingListener, method: string, url: string, headers: IncomingHttpHeaders): Planned {
  const { path, query } = splitTarget(url);
  const hostHeader = headers.host ?? '';
  const host = hostOf(hostHeader);
  const m = matchRequest(s.listener, { host, path, query, method, headers });
  if (!m) return { status: 404 };
  const p = plan(m, s, hostHeader, host, path, query);
  if (p.redirect) return { status: p.redirectStatus!, location: p.redirect };
  return { match: m, plan: p, hostHeader, query };
}

/** The backend (by weight) and its next endpoint (round-robin), or the status to answer. */
export function chooseEndpoint(ctx: ProxyContext, m: RouteMatch): { status: number } | { backend: Backend; address: EndpointAddress } {
  const backend = pickBackend(m.rule.backends, ctx.random());
  if (!backend || backend.invalid) return { status: m.rule.failureStatus ?? 500 };
  const r = ctx.endpoints.resolve(backend);
  if (r.kind !== 'ok') return { status: r.kind === 'no-endpoints' ? 503 : (m.rule.failureStatus ?? 503) };
  return { backend, address: ctx.pools.next(backend, r.addresses) };
}

/** Turns the client's headers into the upstream request's, in place; returns the upstream target. */
export function upstreamRequest(s: ServingListener, req: RequestInfo, planned: Extract<Planned, { plan: Plan }>, upgrade: boolean): string {
  const { plan: p, hostHeader, query } = planned;
  const headers = req.headers;
  stripHopByHop(headers, upgrade);
  setForwardedHeaders(headers, { remoteAddress: clientAddress(req.remoteAddress), scheme: s.scheme, port: s.port, host: hostHeader });
  if (p.host) headers.host = p.host;
  if (p.requestMods) for (const mod of p.requestMods) applyHeaderModifier(headers, mod);
  if (upgrade) headers.connection = 'upgrade';
  return query ? `${p.path}?${query}` : p.path;
}

/** The backend's response headers as the client gets them, in place. */
export function downstreamHeaders(headers: IncomingHttpHeaders, p: Plan): void {
  stripHopByHop(headers);
  if (p.responseMods) for (const mod of p.responseMods) applyHeaderModifier(headers, mod);
}

type Routed = { status: number; location?: string } | { plan: Plan; target: string; address: EndpointAddress; agent: Agent; match: RouteMatch };

/** Matching, filters and endpoint choice; mutates `req.headers` into the upstream request's headers. */
function route(ctx: ProxyContext, s: ServingListener, req: IncomingMessage, upgrade: boolean): Routed {
  const info: RequestInfo = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, remoteAddress: req.socket.remoteAddress };
  const planned = planRequest(s, info.method, info.url, info.headers);
  if ('status' in planned) return planned;
  const chosen = chooseEndpoint(ctx, planned.match);
  if ('status' in chosen) return chosen;
  const target = upstreamRequest(s, info, planned, upgrade);
  return { plan: planned.plan, target, address: chosen.address, agent: ctx.pools.agent(chosen.backend), match: planned.match };
}

/** Copies the request to each mirror backend (percent permitting) and ignores the answers. */
function mirror(ctx: ProxyContext, req: IncomingMessage, routed: Extract<Routed, { plan: Plan }>): void {
  for (const f of routed.plan.mirrors ?? []) {
    if (f.percent !== undefined && ctx.random() * 100 >= f.percent) continue;
    const r = ctx.endpoints.resolve(f.backend);
    if (r.kind !== 'ok') continue;
    const { address, agent } = ctx.pools.pick(f.backend, r.addresses);
    const m = httpRequest({ host: address.ip, port: address.port, method: req.method, path: routed.target, headers: { ...req.headers }, agent });
    m.setTimeout(30_000, () => m.destroy());
    m.on('error', () => undefined);
    m.on('response', (res) => res.resume());
    req.on('data', (chunk: Buffer) => m.write(chunk));
    req.on('end', () => m.end());
    req.on('error', () => m.destroy());
  }
}

/** Serves one HTTP request. */
export function proxyRequest(ctx: ProxyContext, s: ServingListener, req: IncomingMessage, res: ServerResponse): void {
  const routed = route(ctx, s, req, false);
  if ('status' in routed) return answer(res, routed.status, routed.location ? { location: routed.location } : undefined);
  const { address, agent, plan: p } = routed;
  if (p.mirrors) mirror(ctx, req, routed);
  const up = httpRequest({ host: address.ip, port: address.port, method: req.method, path: routed.target, headers: req.headers, agent });
  let timedOut = false;
  const timeoutMs = routed.match.rule.timeoutMs;
  const timer = timeoutMs ? setTimeout(() => ((timedOut = true), up.destroy()), timeoutMs) : undefined;
  const readTimeoutMs = routed.match.rule.readTimeoutMs;
  if (readTimeoutMs) up.setTimeout(readTimeoutMs, () => ((timedOut = true), up.destroy()));
  const done = () => timer && clearTimeout(timer);
  res.on('close', () => {
    done();
    if (!res.writableFinished) up.destroy();
  });
  up.on('error', (e) => {
    if (res.headersSent) return void res.destroy();
    ctx.logger.debug('upstream request failed', { endpoint: `${address.ip}:${address.port}`, error: e.message, source: routed.match.rule.source });
    answer(res, timedOut ? 504 : 502);
  });
  up.on('response', (ur) => {
    const headers = ur.headers;
    downstreamHeaders(headers, p);
    res.writeHead(ur.statusCode ?? 502, headers);
    ur.pipe(res);
    ur.on('error', () => res.destroy());
  });
  req.pipe(up);
}

function rawResponse(status: number, headers: Record<string, string>): string {
  let out = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`;
  for (const k in headers) out += `${k}: ${headers[k]}\r\n`;
  return `${out}\r\n`;
}

function rawHead(status: number, message: string, rawHeaders: string[]): string {
  let out = `HTTP/1.1 ${status} ${message}\r\n`;
  for (let i = 0; i < rawHeaders.length; i += 2) out += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
  return `${out}\r\n`;
}

/** Serves an Upgrade request (WebSocket and the like): forwards it, then pipes the two sockets. */
export function proxyUpgrade(ctx: ProxyContext, s: ServingListener, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const routed = route(ctx, s, req, true);
  if ('status' in routed) {
    const body = errorBody(routed.status);
    socket.end(rawResponse(routed.status, { 'content-type': 'text/html', 'content-length': String(Buffer.byteLength(body)), connection: 'close', ...(routed.location ? { location: routed.location } : {}) }) + body);
    return;
  }
  const { address } = routed;
  const up = httpRequest({ host: address.ip, port: address.port, method: req.method, path: routed.target, headers: req.headers, agent: false });
  socket.on('close', () => up.destroy());
  up.on('error', () => {
    if (!socket.destroyed) socket.end(rawResponse(502, { 'content-length': '0', connection: 'close' }));
  });
  up.on('response', (ur) => {
    // The backend declined the upgrade: relay its answer and close.
    socket.write(rawHead(ur.statusCode ?? 502, ur.statusMessage ?? '', ur.rawHeaders));
    ur.pipe(socket);
  });
  up.on('upgrade', (ur, upSocket, upHead) => {
    upSocket.on('error', () => socket.destroy());
    socket.on('close', () => upSocket.destroy());
    upSocket.on('close', () => socket.destroy());
    socket.write(rawHead(101, ur.statusMessage ?? 'Switching Protocols', ur.rawHeaders));
    if (upHead.length) socket.write(upHead);
    if (head.length) upSocket.write(head);
    upSocket.pipe(socket);
    socket.pipe(upSocket);
  });
  up.end();
}
