/**
 * Two connected in-memory byte streams that stand in for a socket pair: what one end writes the
 * other reads, with backpressure (a write completes once the reader has asked for more), and
 * closing or destroying one end ends the other. They carry the socket methods Node's HTTP client
 * and server call (timeouts and keep-alive are no-ops), so an `http.Server` can serve one end and
 * an `http.Agent` can use the other: the in-process transport between the API server and the
 * components that run beside it.
 */
import { Duplex } from 'node:stream';

class PairEnd extends Duplex {
  peer!: PairEnd;
  private pendingWrite?: () => void;
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 0;
  readonly remoteFamily = 'IPv4';
  readonly localAddress = '127.0.0.1';
  readonly localPort = 0;

  override _read(): void {
    const cb = this.peer.pendingWrite;
    this.peer.pendingWrite = undefined;
    cb?.();
  }

  /**
   * Delivery to the peer happens on a later turn of the event loop (setImmediate, like data from
   * a real socket), never inside the writer's call: a synchronous hand-over would run the peer's
   * HTTP parser and handlers as part of this write, and chains of such calls starve real sockets.
   */
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private queuedEnd = false;
  private flushScheduled = false;

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.peer.destroyed) {
        this.queued = [];
        this.queuedBytes = 0;
        return;
      }
      const chunks = this.queued;
      this.queued = [];
      this.queuedBytes = 0;
      let more = true;
      for (const c of chunks) more = this.peer.push(c);
      if (this.queuedEnd) this.peer.push(null);
      const cb = this.pendingWrite;
      if (more && cb) {
        this.pendingWrite = undefined;
        cb();
      }
    });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.peer.destroyed) return cb(new Error('the in-process connection was closed'));
    this.queued.push(chunk);
    this.queuedBytes += chunk.length;
    // Complete at once while the peer's buffer has room; else once it reads (see _read).
    if (this.peer.readableLength + this.queuedBytes < this.peer.readableHighWaterMark) cb();
    else this.pendingWrite = () => cb();
    this.scheduleFlush();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.queuedEnd = true;
    this.scheduleFlush();
    cb();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    const pending = this.pendingWrite;
    this.pendingWrite = undefined;
    pending?.();
    if (!this.peer.destroyed) this.peer.destroy();
    cb(err);
  }

  /** No timer runs; the callback is registered as net.Socket does, and removed again by a 0 timeout. */
  setTimeout(ms: number, cb?: () => void): this {
    if (cb && ms === 0) this.removeListener('timeout', cb);
    else if (cb) this.once('timeout', cb);
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

/** A connected pair: [client end, server end]. */
export function duplexPair(): [Duplex, Duplex] {
  const a = new PairEnd();
  const b = new PairEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
