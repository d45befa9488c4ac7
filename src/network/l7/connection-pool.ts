/**
 * Raw keep-alive connections to backend endpoints for the proxy's fast path. A connection has at
 * most one user (the exchange writing a request on it); its socket's events go to that user, and
 * an idle connection that hears anything from its backend (data, end, error, timeout) is closed.
 * Idle connections are reused newest first, at most `maxIdle` per endpoint, closed after
 * `idleMs` without traffic.
 */
import { type Socket, connect } from 'node:net';

/** What an exchange hears from its backend connection. */
export interface ConnectionUser {
  onData(chunk: Buffer): void;
  /** The backend ended its side (FIN). */
  onEnd(): void;
  /** The socket closed or failed; the connection is gone. */
  onClose(error: Error | undefined): void;
  /** No traffic for the connection's timeout. */
  onTimeout(): void;
  onDrain(): void;
}

export class BackendConnection {
  user: ConnectionUser | undefined;
  /** Whether the connection served an exchange before (a stale one may fail before answering). */
  reused = false;
  private timeoutMs = 0;

  constructor(
    readonly socket: Socket,
    readonly key: string,
    private readonly pool: ConnectionPool,
  ) {
    socket.on('data', (c: Buffer) => (this.user ? this.user.onData(c) : socket.destroy()));
    socket.on('end', () => (this.user ? this.user.onEnd() : socket.destroy()));
    socket.on('timeout', () => (this.user ? this.user.onTimeout() : socket.destroy()));
    socket.on('drain', () => this.user?.onDrain());
    let error: Error | undefined;
    socket.on('error', (e) => (error = e));
    socket.on('close', () => {
      this.pool.forget(this);
      const u = this.user;
      this.user = undefined;
      u?.onClose(error ?? new Error('backend connection closed'));
    });
  }

  /** Sets the socket's inactivity timeout (a no-op when unchanged). */
  setTimeout(ms: number): void {
    if (ms !== this.timeoutMs) this.socket.setTimeout((this.timeoutMs = ms));
  }

  destroy(): void {
    this.user = undefined;
    this.socket.destroy();
  }
}

export class ConnectionPool {
  private readonly idle = new Map<string, BackendConnection[]>();
  private readonly all = new Set<BackendConnection>();

  constructor(
    private readonly maxIdle = 64,
    private readonly idleMs = 60_000,
  ) {}

  /** An idle connection to `ip:port`, or a new one (connecting; writes queue until it is up). */
  acquire(ip: string, port: number, user: ConnectionUser, fresh = false): BackendConnection {
    const key = `${ip}:${port}`;
    const list = fresh ? undefined : this.idle.get(key);
    let c: BackendConnection | undefined;
    while (list?.length) {
      const x = list.pop()!;
      if (!x.socket.destroyed && x.socket.writable) {
        c = x;
        break;
      }
    }
    if (!c) {
      c = new BackendConnection(connect({ host: ip, port, noDelay: true }), key, this);
      this.all.add(c);
    }
    c.user = user;
    return c;
  }

  /** Takes a connection back once its exchange is complete. */
  release(c: BackendConnection): void {
    c.user = undefined;
    c.reused = true;
    if (c.socket.destroyed) return;
    let list = this.idle.get(c.key);
    if (!list) this.idle.set(c.key, (list = []));
    if (list.length >= this.maxIdle) return c.destroy();
    c.setTimeout(this.idleMs);
    list.push(c);
  }

  /** Called when a connection's socket closed. */
  forget(c: BackendConnection): void {
    this.all.delete(c);
    const list = this.idle.get(c.key);
    const i = list ? list.indexOf(c) : -1;
    if (i >= 0) list!.splice(i, 1);
    if (list && !list.length) this.idle.delete(c.key);
  }

  /** The pool's inactivity timeout, which a busy connection keeps unless its rule sets one. */
  get idleTimeoutMs(): number {
    return this.idleMs;
  }

  close(): void {
    for (const c of this.all) c.destroy();
    this.all.clear();
    this.idle.clear();
  }
}
