/**
 * The proxy's fast path for one client connection (plain or TLS-terminated): request heads are
 * parsed from the byte stream, routed with the same pure functions as the node:http path, and
 * forwarded over raw keep-alive backend connections; bodies pass through verbatim, framed by
 * Content-Length or chunked coding. Requests are served one at a time in order (pipelined ones
 * wait in the buffer).
 *
 * Contract: anything else (Upgrade, `Expect`, mirrors, HTTP/1.0, unusual framing) is handed to
 * node:http at a request boundary: the unread bytes are put back on the socket and `handOff`
 * gives the socket to the listener's node:http server, which then serves the rest of the
 * connection exactly as before. Malformed heads get 400 (431 when too large) and a close.
 * Status codes match the node:http path: 404/503/500 and redirects from routing, 502 when the
 * backend fails before its response head, 504 on the rule's timeout or read timeout.
 */
import type { Socket } from 'node:net';
import { Exchange, type ExchangeFront } from './fast-exchange.js';
import { leadingEmptyLines, maxHeadBytes, parseRequestHead, planRequestFraming } from './http1.js';
import { keepAliveSeconds, rejectText } from './http1-write.js';
import { type ProxyContext, type ServingListener, planRequest } from './proxy-handler.js';

/** Serves `socket` on the fast path; `handOff` gives it to node:http (its unread bytes unshifted). */
export function serveFast(ctx: ProxyContext, s: ServingListener, socket: Socket, handOff: (socket: Socket) => void): void {
  new FrontConnection(ctx, s, socket, handOff).listen();
}

class FrontConnection implements ExchangeFront {
  /** Received bytes not yet consumed (the next request heads and their bodies). */
  private pending: Buffer | undefined;
  private ex: Exchange | undefined;
  /** False once the client or a response asked to close after the current exchange. */
  keepAlive = true;
  private processing = false;
  private done = false;
  private readonly onData = (c: Buffer) => this.data(c);
  private readonly onEnd = () => this.clientEnded();
  private readonly onError = () => undefined; // 'close' follows
  private readonly onClose = () => this.closed();
  private readonly onDrain = () => this.ex?.clientDrained();
  private readonly onTimeout = () => !this.ex && this.socket.destroy();

  constructor(
    readonly ctx: ProxyContext,
    readonly s: ServingListener,
    readonly socket: Socket,
    private readonly handOffTo: (socket: Socket) => void,
  ) {}

  listen(): void {
    const so = this.socket;
    so.on('data', this.onData);
    so.on('end', this.onEnd);
    so.on('error', this.onError);
    so.on('close', this.onClose);
    so.on('drain', this.onDrain);
    so.on('timeout', this.onTimeout);
    so.setTimeout(keepAliveSeconds * 1000);
  }

  private data(chunk: Buffer): void {
    if (this.done) return; // closing: what else the client sends is dropped
    const ex = this.ex;
    if (ex && !ex.requestDone()) {
      const used = ex.requestBody(chunk, 0);
      if (used < chunk.length && !this.done) this.append(chunk.subarray(used));
      return;
    }
    this.append(chunk);
    if (!ex) this.process();
  }

  private append(chunk: Buffer): void {
    this.pending = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    // Pipelined requests wait while one is served; stop reading when they pile up.
    if (this.ex && this.pending.length > maxHeadBytes) this.socket.pause();
  }

  /** Starts the requests in `pending`, one at a time, until one is in flight or a head is incomplete. */
  private process(): void {
    if (this.processing) return;
    this.processing = true;
    try {
      while (!this.ex && this.pending && !this.done) {
        let buf = this.pending;
        const skip = leadingEmptyLines(buf);
        if (skip) {
          buf = buf.subarray(skip);
          this.pending = buf.length ? buf : undefined;
          if (!buf.length) break;
        }
        const r = parseRequestHead(buf);
        if (r.kind === 'incomplete') break;
        if (r.kind === 'unsupported') return this.handOff();
        if (r.kind === 'error') return this.reject(r.status);
        const framing = planRequestFraming(r.head);
        if (framing.kind === 'unsupported') return this.handOff();
        if (framing.kind === 'error') return this.reject(400);
        const h = r.head;
        const planned = planRequest(this.s, h.method, h.target, h.headers);
        if ('plan' in planned && planned.plan.mirrors) return this.handOff();
        if (!framing.keepAlive) this.keepAlive = false;
        const ex = new Exchange(this, h, framing.framing);
        this.ex = ex;
        const used = ex.start(planned, buf, r.length);
        this.pending = used < buf.length ? buf.subarray(used) : undefined;
      }
    } finally {
      this.processing = false;
    }
  }

  /** Called by the exchange when its response is complete and its request body consumed. */
  exchangeDone(ex: Exchange): void {
    if (this.ex !== ex) return;
    this.ex = undefined;
    if (this.done) return;
    if (!this.keepAlive) {
      this.done = true;
      this.pending = undefined;
      this.socket.end();
      return;
    }
    if (this.socket.isPaused()) this.socket.resume();
    this.process();
  }

  /** Gives the connection to node:http at the current request boundary. */
  private handOff(): void {
    const so = this.socket;
    this.done = true;
    so.off('data', this.onData);
    so.off('end', this.onEnd);
    so.off('error', this.onError);
    so.off('close', this.onClose);
    so.off('drain', this.onDrain);
    so.off('timeout', this.onTimeout);
    so.setTimeout(0);
    so.pause();
    if (this.pending) so.unshift(this.pending);
    this.pending = undefined;
    this.handOffTo(so);
    so.resume();
  }

  private reject(status: 400 | 431): void {
    this.done = true;
    this.pending = undefined;
    this.ex?.abort();
    if (this.socket.writable) this.socket.end(rejectText(status));
    else this.socket.destroy();
  }

  /** A request body the fast path cannot frame: 400 if nothing was answered yet, else a reset. */
  badRequestBody(answered: boolean): void {
    if (answered) {
      this.done = true;
      this.socket.destroy();
    } else this.reject(400);
  }

  private peer: string | undefined;

  /** The client's address (asked of the socket once per connection). */
  remoteAddress(): string | undefined {
    return (this.peer ??= this.socket.remoteAddress);
  }

  write(data: string | Buffer): boolean {
    return typeof data === 'string' ? this.socket.write(data, 'latin1') : this.socket.write(data);
  }

  destroy(): void {
    this.done = true;
    this.socket.destroy();
  }

  private clientEnded(): void {
    // A half-closed client still gets the answer to its last request.
    this.keepAlive = false;
    if (!this.ex && !this.done) {
      this.done = true;
      this.socket.end();
    }
  }

  private closed(): void {
    this.done = true;
    this.pending = undefined;
    this.ex?.abort();
    this.ex = undefined;
  }
}
