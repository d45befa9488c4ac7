/**
 * One UDP listener of the service proxy: datagrams from each client address form a session with
 * one endpoint (its own socket towards the endpoint, so replies can be told apart), and replies
 * go back to the client from the listening socket. A session ends after `idleMs` without traffic
 * either way, or when the tracker closes it (its endpoint left the slices). With no endpoint the
 * datagram is dropped.
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { ConnectionTracker } from './connection-tracker.js';
import { endpointKey } from './proxy-rules.js';
import type { Route } from './tcp-proxy.js';

export interface UdpProxyOptions {
  host: string;
  port: number;
  route(clientIP: string, exclude: ReadonlySet<string>): Route | undefined;
  tracker: ConnectionTracker;
  /** A session without traffic for this long is closed (default 30 s). */
  idleMs?: number;
}

interface Session {
  socket: dgram.Socket;
  timer?: NodeJS.Timeout;
  forget: () => void;
  ready: Promise<void>;
}

export class UdpProxy {
  private socket?: dgram.Socket;
  private readonly sessions = new Map<string, Session>();
  /** Datagrams dropped for want of an endpoint. */
  dropped = 0;

  constructor(private readonly opts: UdpProxyOptions) {}

  listen(): Promise<void> {
    const socket = dgram.createSocket({ type: isIPv6(this.opts.host) ? 'udp6' : 'udp4' });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: this.opts.host, port: this.opts.port, exclusive: true }, () => {
        socket.off('error', reject);
        socket.on('error', () => undefined);
        socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
        this.socket = socket;
        resolve();
      });
    });
  }

  close(): Promise<void> {
    for (const key of [...this.sessions.keys()]) this.endSession(key);
    const socket = this.socket;
    this.socket = undefined;
    return new Promise((resolve) => (socket ? socket.close(() => resolve()) : resolve()));
  }

  sessionCount(): number {
    return this.sessions.size;
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const key = `${rinfo.address}|${rinfo.port}`;
    let s = this.sessions.get(key);
    if (!s) {
      const route = this.opts.route(rinfo.address, new Set());
      if (!route) {
        this.dropped++;
        return;
      }
      s = this.openSession(key, route, rinfo);
    }
    this.touch(key, s);
    const session = s;
    void session.ready.then(() => {
      if (this.sessions.get(key) === session) session.socket.send(msg, () => undefined);
    });
  }

  private openSession(key: string, route: Route, client: dgram.RemoteInfo): Session {
    const socket = dgram.createSocket({ type: isIPv6(route.endpoint.ip) ? 'udp6' : 'udp4' });
    socket.on('error', () => this.endSession(key));
    const session: Session = {
      socket,
      forget: () => undefined,
      ready: new Promise<void>((resolve) => socket.connect(route.endpoint.port, route.endpoint.ip, () => resolve())),
    };
    session.forget = this.opts.tracker.add(route.ruleId, endpointKey(route.endpoint), { close: () => this.endSession(key) });
    socket.on('message', (reply) => {
      if (this.sessions.get(key) !== session) return;
      this.touch(key, session);
      this.socket?.send(reply, client.port, client.address, () => undefined);
    });
    this.sessions.set(key, session);
    return session;
  }

  private touch(key: string, s: Session): void {
    if (s.timer) clearTimeout(s.timer);
    s.timer = setTimeout(() => this.endSession(key), this.opts.idleMs ?? 30_000);
    s.timer.unref();
  }

  private endSession(key: string): void {
    const s = this.sessions.get(key);
    if (!s) return;
    this.sessions.delete(key);
    if (s.timer) clearTimeout(s.timer);
    s.forget();
    try {
      s.socket.close();
    } catch {
      // already closed
    }
  }
}
