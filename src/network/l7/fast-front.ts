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
import type { BackendConnection, ConnectionUser } from './connection-pool.js';
import { BodyFramer, type Framing, type Headers, type RequestHead, leadingEmptyLines, listHas, maxHeadBytes, parseRequestHead, parseResponseHead, planRequestFraming, responseFraming } from './http1.js';
import { answerText, keepAliveSeconds, rejectText, requestHeadText, responseHeadText } from './http1-write.js';
import type { EndpointAddress } from './endpoints.js';
import { type Plan, type Planned, type ProxyContext, type RequestInfo, type ServingListener, chooseEndpoint, downstreamHeaders, errorBody, planRequest, upstreamRequest } from './proxy-handler.js';
import type { Rule } from './route-table.js';

/** Serves `socket` on the fast path; `handOff` gives it to node:http (its unread bytes unshifted). */
export function serveFast(ctx: ProxyContext, s: ServingListener, socket: Socket, handOff: (socket: Socket) => void): void {
  new FrontConnection(ctx, s, socket, handOff).listen();
}

class FrontConnection {
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

/** One request and its response on the fast path. */
class Exchange implements ConnectionUser {
  private readonly reqFramer: BodyFramer;
  private conn: BackendConnection | undefined;
  private address: EndpointAddress | undefined;
  private rule: Rule | undefined;
  private plan: Plan | undefined;
  /** The whole request as first written, while it may be sent again on a fresh connection. */
  private replay: { head: string; body?: Buffer } | undefined;
  private resBuf: Buffer | undefined;
  private resFramer: BodyFramer | undefined;
  private reusable = true;
  private gotBytes = false;
  private responded = false;
  private timedOut = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly front: FrontConnection,
    private readonly head: RequestHead,
    framing: Framing,
  ) {
    this.reqFramer = new BodyFramer(framing);
  }

  requestDone(): boolean {
    return this.reqFramer.done;
  }

  /** Routes and sends the request with the body bytes in `buf` from `from`; returns the offset consumed. */
  start(planned: Planned, buf: Buffer, from: number): number {
    if ('status' in planned) return this.answer(planned.status, buf, from, planned.location);
    const ctx = this.front.ctx;
    const chosen = chooseEndpoint(ctx, planned.match);
    if ('status' in chosen) return this.answer(chosen.status, buf, from);
    const h = this.head;
    const info: RequestInfo = { method: h.method, url: h.target, headers: h.headers, remoteAddress: this.front.remoteAddress() };
    const target = upstreamRequest(this.front.s, info, planned, false);
    // As node:http's client does for a request without one.
    if (h.headers.host === undefined) {
      const { ip, port } = chosen.address;
      const name = ip.includes(':') ? `[${ip}]` : ip;
      h.headers.host = port === 80 ? name : `${name}:${port}`;
    }
    this.plan = planned.plan;
    this.rule = planned.match.rule;
    this.address = chosen.address;
    const end = this.reqFramer.feed(buf, from);
    if (this.reqFramer.error) {
      this.front.badRequestBody(false);
      return buf.length;
    }
    const text = requestHeadText(h.method, target, h.headers as Headers, this.reqFramer.framing);
    const body = end > from ? buf.subarray(from, end) : undefined;
    if (this.reqFramer.done) this.replay = { head: text, body };
    const timeoutMs = this.rule.timeoutMs;
    if (timeoutMs) this.timer = setTimeout(() => ((this.timedOut = true), this.failed()), timeoutMs);
    this.send(text, body, false);
    return end;
  }

  private send(head: string, body: Buffer | undefined, fresh: boolean): void {
    const a = this.address!;
    const c = this.front.ctx.pools.connections.acquire(a.ip, a.port, this, fresh);
    this.conn = c;
    c.setTimeout(this.rule!.readTimeoutMs ?? this.front.ctx.pools.connections.idleTimeoutMs);
    const so = c.socket;
    if (body) {
      so.cork();
      so.write(head, 'latin1');
      so.write(body);
      so.uncork();
    } else so.write(head, 'latin1');
  }

  /** An answer of the proxy's own; the request body, if any, is read and dropped. */
  private answer(status: number, buf: Buffer, from: number, location?: string): number {
    const end = this.reqFramer.feed(buf, from);
    if (this.reqFramer.error) {
      this.front.badRequestBody(false);
      return buf.length;
    }
    this.respondWith(status, location);
    return end;
  }

  private respondWith(status: number, location?: string): void {
    this.responded = true;
    this.front.write(answerText(status, errorBody(status), location ? { location } : {}, this.front.keepAlive, this.head.method === 'HEAD'));
    if (this.reqFramer.done) this.front.exchangeDone(this);
  }

  /** More request body bytes from the client; returns the offset consumed (the rest is the next request). */
  requestBody(chunk: Buffer, from: number): number {
    const end = this.reqFramer.feed(chunk, from);
    if (this.reqFramer.error) {
      this.abort();
      this.front.badRequestBody(this.responded || this.resFramer !== undefined);
      return chunk.length;
    }
    const c = this.conn;
    if (c && end > from && !c.socket.write(end === chunk.length && from === 0 ? chunk : chunk.subarray(from, end))) this.front.socket.pause();
    if (this.reqFramer.done && this.responded) this.front.exchangeDone(this);
    return end;
  }

  onData(chunk: Buffer): void {
    this.gotBytes = true;
    if (this.resFramer) return this.responseBody(chunk, 0);
    const buf = this.resBuf ? Buffer.concat([this.resBuf, chunk]) : chunk;
    this.resBuf = undefined;
    const r = parseResponseHead(buf);
    if (r.kind === 'incomplete') {
      this.resBuf = buf;
      return;
    }
    if (r.kind !== 'head') return this.failed();
    const rh = r.head;
    if (rh.status < 200) {
      // Interim answers (103 Early Hints, an unasked 100) are dropped, as node:http's client does; 101 was not asked for.
      if (rh.status === 101) return this.failed();
      if (buf.length > r.length) this.onData(buf.subarray(r.length));
      return;
    }
    const framing = responseFraming(rh, this.head.method);
    if (typeof framing === 'string') return this.failed();
    const conn = rh.headers.connection;
    this.reusable = framing.kind !== 'close' && (rh.minor === 1 ? !listHas(conn, 'close') : listHas(conn, 'keep-alive'));
    if (framing.kind === 'close') this.front.keepAlive = false;
    downstreamHeaders(rh.headers, this.plan!);
    this.resFramer = new BodyFramer(framing);
    this.responseBody(buf, r.length, responseHeadText(rh.status, rh.headers, framing, this.front.keepAlive));
  }

  /** Relays the response body bytes in `buf` from `from`, after `head` when the head goes out now. */
  private responseBody(buf: Buffer, from: number, head?: string): void {
    const f = this.resFramer!;
    const end = f.feed(buf, from);
    if (f.error) {
      this.abort();
      return this.front.destroy();
    }
    // One write for the head and the first body bytes: one packet for a small response.
    const body = end === buf.length && from === 0 ? buf : buf.subarray(from, end);
    const out = head === undefined ? body : end > from ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : head;
    if ((head !== undefined || end > from) && !this.front.write(out)) this.conn?.socket.pause();
    if (end < buf.length) this.reusable = false; // bytes after the response: do not trust the connection
    if (f.done) this.complete();
  }

  private complete(): void {
    this.responded = true;
    this.clearTimer();
    const c = this.conn;
    this.conn = undefined;
    this.replay = undefined;
    if (c) {
      if (this.reusable && this.reqFramer.done) {
        if (c.socket.isPaused()) c.socket.resume();
        this.front.ctx.pools.connections.release(c);
      } else c.destroy();
    }
    if (this.reqFramer.done) this.front.exchangeDone(this);
  }

  onEnd(): void {
    if (this.resFramer?.framing.kind === 'close') {
      this.resFramer.done = true;
      return this.complete();
    }
    this.onClose(new Error('backend closed the connection'));
  }

  onClose(error: Error | undefined): void {
    if (this.responded) return;
    const c = this.conn;
    this.conn = undefined;
    if (c && c.reused && !this.gotBytes && this.replay && !this.timedOut) {
      // A kept-alive connection the backend had closed: send the request once more on a new one.
      c.destroy();
      return this.send(this.replay.head, this.replay.body, true);
    }
    this.front.ctx.logger.debug('upstream request failed', { endpoint: `${this.address?.ip}:${this.address?.port}`, error: error?.message, source: this.rule?.source });
    this.failed();
  }

  onTimeout(): void {
    // Quiet while paused for a slow client is not the backend's fault.
    if (!this.rule?.readTimeoutMs || this.responded || this.conn?.socket.isPaused()) return;
    this.timedOut = true;
    this.failed();
  }

  onDrain(): void {
    this.front.socket.resume();
  }

  clientDrained(): void {
    this.conn?.socket.resume();
  }

  /** The backend failed, broke the protocol or timed out: 502 or 504 before the response head, else a reset. */
  private failed(): void {
    if (this.responded) return;
    this.clearTimer();
    const c = this.conn;
    this.conn = undefined;
    c?.destroy();
    if (this.resFramer) {
      this.responded = true;
      return this.front.destroy();
    }
    this.respondWith(this.timedOut ? 504 : 502);
  }

  /** The client went away (or the exchange is abandoned): drop the backend connection. */
  abort(): void {
    this.responded = true;
    this.clearTimer();
    this.conn?.destroy();
    this.conn = undefined;
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
