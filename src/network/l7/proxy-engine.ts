/**
 * The HTTP proxy engine: serves a RouteTable on its listeners (HTTP, and HTTPS with certificates
 * chosen by SNI). Producers hand it their part of the table (`setPart`); the engine serves the
 * merge, opening listeners that appear and closing those that go. A new table takes effect for the
 * next request at once: each request reads its listener's current entry. Listeners accept raw
 * (or TLS-terminated) sockets and serve them on the fast path (fast-front.ts), which hands what it
 * does not serve to a node:http server per listener (proxy-handler.ts's `proxyRequest` and
 * `proxyUpgrade`).
 *
 * Contract: a listener that cannot bind (a privileged port as non-root, a port in use) is logged
 * and reported by `listeners()`, the rest keep serving, and binding is tried again with the next
 * table; `close()` closes every listener,
 * connection (upgraded ones included) and backend agent.
 */
import { type Server as HttpServer, createServer as createHttpServer } from 'node:http';
import { type Server as NetServer, type Socket, createServer as createNetServer } from 'node:net';
import { type Server as TlsServer, createServer as createTlsServer } from 'node:tls';
import type { Logger } from '../../util/logger.js';
import type { EndpointSource } from './endpoints.js';
import { listenerKey, mergeRouteTables } from './merge-tables.js';
import { serveFast } from './fast-front.js';
import { keepAliveSeconds } from './http1-write.js';
import { BackendPools, type ProxyContext, type ServingListener, proxyRequest, proxyUpgrade } from './proxy-handler.js';
import type { Listener, RouteTable, TlsCertificate } from './route-table.js';
import { baseCertificate, secureContextOf, selectCertificate, serverContextOptions } from './tls-select.js';

export interface ProxyEngineOptions {
  endpoints: EndpointSource;
  logger: Logger;
  /** Injected for tests of weights and mirror percentages (default Math.random). */
  random?: () => number;
  /**
   * Serve common requests on the raw-socket fast path (default true); false serves every request
   * with node:http, as the fast path does for what it hands off.
   */
  fastPath?: boolean;
}

export interface ListenerState {
  name: string;
  address: string;
  protocol: 'HTTP' | 'HTTPS';
  /** The port asked for, and the one bound (differs when 0 was asked for). */
  port: number;
  boundPort?: number;
  listening: boolean;
  error?: string;
}

interface Served extends ServingListener {
  /** What listens: a TCP server, or a TLS one that terminates TLS first. */
  server: NetServer | TlsServer;
  /** The node:http server that serves connections the fast path hands off (never listens itself). */
  http: HttpServer;
  state: ListenerState;
  /** The certificate the server context was built from (tls-select.ts's `baseCertificate`). */
  baseCert?: TlsCertificate;
  sockets: Set<Socket>;
}

export class ProxyEngine {
  private readonly served = new Map<string, Served>();
  private readonly parts = new Map<string, RouteTable>();
  private readonly ctx: ProxyContext;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  /** Bind failures already logged at error level (retries of the same failure log at debug). */
  private readonly reported = new Set<string>();

  constructor(private readonly opts: ProxyEngineOptions) {
    this.ctx = { endpoints: opts.endpoints, pools: new BackendPools(), random: opts.random ?? Math.random, logger: opts.logger };
  }

  /** Replaces one producer's part of the table (e.g. `ingress`, `gateway`); resolves once listeners are reconciled. */
  setPart(owner: string, table: RouteTable): Promise<void> {
    this.parts.set(owner, table);
    return this.setTable(mergeRouteTables([...this.parts.values()]));
  }

  /** Serves `table` from now on (the whole table; producers sharing the engine use setPart). */
  setTable(table: RouteTable): Promise<void> {
    this.chain = this.chain.then(() => this.reconcile(table));
    return this.chain;
  }

  /** Every listener of the current table, bound or not. */
  listeners(): ListenerState[] {
    return [...this.served.values()].map((s) => ({ ...s.state }));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    await Promise.all([...this.served.values()].map((s) => this.stop(s)));
    this.served.clear();
    this.ctx.pools.close();
  }

  private async reconcile(table: RouteTable): Promise<void> {
    if (this.closed) return;
    const wanted = new Map(table.listeners.map((l) => [listenerKey(l), l]));
    for (const [key, s] of this.served)
      if (!wanted.has(key)) {
        this.served.delete(key);
        await this.stop(s);
      }
    const starting: Promise<void>[] = [];
    for (const [key, l] of wanted) {
      const s = this.served.get(key);
      if (s?.state.listening) this.update(s, l);
      else starting.push(this.start(key, l)); // new, or failed before: try again
    }
    await Promise.all(starting);
  }

  private update(s: Served, l: Listener): void {
    s.listener = l;
    s.state.name = l.name;
    if (l.protocol === 'HTTPS' && s.state.listening) {
      const base = l.tls ? baseCertificate(l.tls) : undefined;
      if (base && base !== s.baseCert) {
        try {
          (s.server as TlsServer).setSecureContext(serverContextOptions(base));
          s.baseCert = base;
        } catch (e) {
          this.opts.logger.error('invalid base certificate', { listener: l.name, error: (e as Error).message });
        }
      }
    }
  }

  private start(key: string, l: Listener): Promise<void> {
    const state: ListenerState = { name: l.name, address: l.address, port: l.port, protocol: l.protocol, listening: false };
    const scheme = l.protocol === 'HTTPS' ? 'https' : 'http';
    let server: NetServer | TlsServer;
    let baseCert: TlsCertificate | undefined;
    const s = {} as Served;
    const http = createHttpServer((req, res) => proxyRequest(this.ctx, s, req, res));
    http.keepAliveTimeout = keepAliveSeconds * 1000; // nginx's keepalive_timeout default
    const sockets = new Set<Socket>();
    const fast = this.opts.fastPath !== false;
    const accept = (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.setNoDelay(true);
      if (fast) serveFast(this.ctx, s, socket, (so) => http.emit('connection', so));
      else http.emit('connection', socket);
    };
    if (scheme === 'https') {
      baseCert = l.tls ? baseCertificate(l.tls) : undefined;
      if (!baseCert) {
        state.error = 'no certificate for an HTTPS listener';
        this.opts.logger.error('cannot serve HTTPS listener without a certificate', { listener: l.name });
        this.served.set(key, Object.assign(s, { listener: l, port: l.port, scheme, server: createNetServer(), http, state, sockets }));
        return Promise.resolve();
      }
      server = createTlsServer(
        {
          ...serverContextOptions(baseCert),
          ALPNProtocols: ['http/1.1'],
          allowHalfOpen: true,
          noDelay: true,
          SNICallback: (servername, cb) => {
            const c = s.listener.tls ? selectCertificate(s.listener.tls, servername) : undefined;
            const ctx = c ? secureContextOf(c) : new Error('no certificate');
            if (ctx instanceof Error) cb(ctx);
            else cb(null, ctx);
          },
        },
        accept,
      );
      server.on('tlsClientError', () => undefined);
    } else server = createNetServer({ allowHalfOpen: true, noDelay: true }, accept);
    Object.assign(s, { listener: l, port: l.port, scheme, server, http, state, baseCert, sockets });
    this.served.set(key, s);
    http.on('upgrade', (req, socket: Socket, head: Buffer) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      proxyUpgrade(this.ctx, s, req, socket, head);
    });
    http.on('clientError', (_e, socket: Socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
      else socket.destroy();
    });
    return new Promise<void>((resolve) => {
      const onError = (e: NodeJS.ErrnoException) => {
        state.error = e.code === 'EACCES' ? `permission denied binding ${l.address}:${l.port} (ports below 1024 need root or CAP_NET_BIND_SERVICE)` : e.message;
        const first = !this.reported.has(`${key} ${state.error}`);
        this.reported.add(`${key} ${state.error}`);
        this.opts.logger[first ? 'error' : 'debug']('proxy listener could not listen (other listeners serve; it is tried again when the routes change)', { listener: l.name, address: l.address, port: l.port, error: state.error });
        resolve();
      };
      server.once('error', onError);
      server.listen(l.port, l.address, () => {
        server.off('error', onError);
        for (const r of this.reported) if (r.startsWith(`${key} `)) this.reported.delete(r);
        server.on('error', (e) => this.opts.logger.warn('proxy listener error', { listener: l.name, error: e.message }));
        const addr = server.address();
        state.listening = true;
        state.boundPort = typeof addr === 'object' && addr ? addr.port : l.port;
        s.port = state.boundPort;
        this.opts.logger.info('proxy listening', { listener: l.name, address: l.address, port: state.boundPort, protocol: l.protocol });
        resolve();
      });
    });
  }

  private async stop(s: Served): Promise<void> {
    if (!s.state.listening) return;
    s.state.listening = false;
    const closed = new Promise<void>((r) => s.server.close(() => r()));
    s.http.closeAllConnections();
    for (const sock of s.sockets) sock.destroy();
    await closed;
  }
}
