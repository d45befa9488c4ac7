/**
 * One TCP listener of the service proxy: every accepted connection is routed to an endpoint (the
 * `route` callback, read per connection so endpoint changes apply without reopening the socket)
 * and piped both ways, half-close included. An endpoint that refuses the connection is skipped in
 * favour of another; with no endpoint the client's connection is reset at once (kube-proxy
 * rejects it). Connections are registered in the tracker under their Service port and endpoint.
 */
import net from 'node:net';
import type { ConnectionTracker } from './connection-tracker.js';
import { endpointKey, type ProxyEndpoint } from './proxy-rules.js';

export interface Route {
  ruleId: string;
  endpoint: ProxyEndpoint;
}

export interface TcpProxyOptions {
  host: string;
  port: number;
  /** The endpoint for a new connection from `clientIP`, skipping `exclude`; undefined rejects it. */
  route(clientIP: string, exclude: ReadonlySet<string>): Route | undefined;
  tracker: ConnectionTracker;
  /** Endpoints tried per connection before giving up (default 3). */
  maxAttempts?: number;
  connectTimeoutMs?: number;
}

export class TcpProxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly opts: TcpProxyOptions) {}

  /** Binds the socket; rejects with the bind error (EADDRINUSE, EACCES, EADDRNOTAVAIL). */
  listen(): Promise<void> {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (c) => this.accept(c));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.opts.host, port: this.opts.port, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', () => undefined);
        this.server = server;
        resolve();
      });
    });
  }

  /** Stops listening and ends every connection it carries. */
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  private accept(client: net.Socket): void {
    this.sockets.add(client);
    client.once('close', () => this.sockets.delete(client));
    client.on('error', () => undefined);
    const clientIP = client.remoteAddress ?? '';
    const tried = new Set<string>();
    const attempt = () => {
      const route = tried.size < (this.opts.maxAttempts ?? 3) ? this.opts.route(clientIP, tried) : undefined;
      if (!route || client.destroyed) {
        client.resetAndDestroy();
        return;
      }
      const key = endpointKey(route.endpoint);
      tried.add(key);
      const backend = net.connect({ host: route.endpoint.ip, port: route.endpoint.port, allowHalfOpen: true });
      this.sockets.add(backend);
      backend.setTimeout(this.opts.connectTimeoutMs ?? 10_000);
      const beforeConnect = () => {
        backend.destroy();
        client.off('close', clientGone);
        attempt();
      };
      // A client that leaves while the endpoint is being dialled takes the dial with it.
      const clientGone = () => backend.destroy();
      backend.once('error', beforeConnect);
      backend.once('timeout', beforeConnect);
      client.once('close', clientGone);
      backend.once('close', () => {
        this.sockets.delete(backend);
        client.off('close', clientGone);
      });
      backend.once('connect', () => {
        backend.off('error', beforeConnect);
        backend.off('timeout', beforeConnect);
        client.off('close', clientGone);
        backend.setTimeout(0);
        this.splice(route, key, client, backend);
      });
    };
    attempt();
  }

  /** Pipes both ways; an end (FIN) is passed on, an error or reset ends both sides. */
  private splice(route: Route, key: string, client: net.Socket, backend: net.Socket): void {
    const forget = this.opts.tracker.add(route.ruleId, key, { close: () => teardown() });
    const teardown = () => {
      forget();
      client.resetAndDestroy();
      backend.destroy();
    };
    // A side that is fully closed (both directions done, or destroyed) can carry nothing more.
    client.once('close', () => {
      forget();
      backend.destroy();
    });
    backend.once('close', () => {
      forget();
      client.destroy();
    });
    client.on('error', teardown);
    backend.on('error', teardown);
    client.setNoDelay(true);
    backend.setNoDelay(true);
    client.pipe(backend);
    backend.pipe(client);
    // A connection is done when both directions have ended; then release both sockets.
    let ended = 0;
    const onEnd = () => {
      if (++ended === 2) {
        client.destroySoon();
        backend.destroySoon();
      }
    };
    client.once('end', onEnd);
    backend.once('end', onEnd);
    client.resume();
  }
}
