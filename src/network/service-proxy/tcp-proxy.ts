/**
 * One TCP listener of the service proxy: every accepted connection is routed to an endpoint (the
 * `route` callback, read per connection so endpoint changes apply without reopening the socket)
 * and piped both ways, half-close included. Dialling an endpoint is given a short time that grows
 * with each try (250 ms, 500 ms, 1 s, 2 s, as the userspace kube-proxy did): an endpoint that
 * refuses or does not answer in time (a pod whose network is already gone) is skipped in favour of
 * another, and once every endpoint was tried they are tried again until the tries run out. With
 * no endpoint the client's connection is reset at once (kube-proxy rejects it). Connections are registered in the tracker under their Service port and endpoint.
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
  /** The dial timeout of each try, in order; as many tries as entries (default: the userspace kube-proxy's). */
  dialTimeoutsMs?: readonly number[];
}

/** The userspace kube-proxy's EndpointDialTimeouts. */
export const defaultDialTimeoutsMs: readonly number[] = [250, 500, 1000, 2000];

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
    const timeouts = this.opts.dialTimeoutsMs ?? defaultDialTimeoutsMs;
    const tried = new Set<string>();
    let tries = 0;
    const attempt = () => {
      let route: Route | undefined;
      if (tries < timeouts.length) {
        route = this.opts.route(clientIP, tried);
        // Every endpoint failed once: go round again with the longer timeouts.
        if (!route && tried.size) {
          tried.clear();
          route = this.opts.route(clientIP, tried);
        }
      }
      if (!route || client.destroyed) {
        client.resetAndDestroy();
        return;
      }
      const key = endpointKey(route.endpoint);
      tried.add(key);
      const backend = net.connect({ host: route.endpoint.ip, port: route.endpoint.port, allowHalfOpen: true });
      this.sockets.add(backend);
      backend.setTimeout(timeouts[tries++]!);
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
