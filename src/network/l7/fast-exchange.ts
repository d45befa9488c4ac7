/**
 * One request and its response on the proxy's fast path: the request head (rewritten as the
 * node:http path rewrites it) and body go to a pooled raw backend connection, the response head
 * comes back with the response header modifiers applied, and the body is relayed with its framing
 * (Content-Length, chunked, or until the backend closes). Answers of the proxy's own and failures
 * (502 before the response head, 504 on the rule's timeout or read timeout) drop the rest of the
 * request body so the client connection can stay open. A request sent whole on a reused
 * connection that closes before any answer is sent once more on a new connection.
 */
import type { Socket } from 'node:net';
import type { BackendConnection, ConnectionUser } from './connection-pool.js';
import type { EndpointAddress } from './endpoints.js';
import { BodyFramer, type Framing, type Headers, type RequestHead, listHas, parseResponseHead, responseFraming } from './http1.js';
import { answerText, requestHeadText, responseHeadText } from './http1-write.js';
import { type Plan, type Planned, type ProxyContext, type RequestInfo, type ServingListener, chooseEndpoint, downstreamHeaders, errorBody, upstreamRequest } from './proxy-handler.js';
import type { Rule } from './route-table.js';

/** The client connection an exchange answers on. */
export interface ExchangeFront {
  readonly ctx: ProxyContext;
  readonly s: ServingListener;
  readonly socket: Socket;
  /** False once the client or a response asked to close after the current exchange. */
  keepAlive: boolean;
  remoteAddress(): string | undefined;
  write(data: string | Buffer): boolean;
  destroy(): void;
  /** The request body cannot be framed: 400 if nothing was answered yet, else a reset. */
  badRequestBody(answered: boolean): void;
  /** The response is complete and the request body consumed. */
  exchangeDone(ex: Exchange): void;
}

/** One request and its response on the fast path. */
export class Exchange implements ConnectionUser {
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
    private readonly front: ExchangeFront,
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
