/**
 * The server side of a SPDY/3.1 connection as kubectl's client (moby/spdystream) uses it: the
 * client opens streams with SYN_STREAM, the server accepts each with SYN_REPLY (or refuses it with
 * RST_STREAM), data flows both ways, FIN half-closes a stream. Pings are echoed; GOAWAY ends the
 * session. spdystream does no flow control, so neither does this: backpressure is the transport's.
 */
import { Duplex } from 'node:stream';
import {
  FLAG_FIN,
  FrameDecoder,
  FrameType,
  HeaderDeflater,
  HeaderInflater,
  RstStatus,
  type HeaderBlock,
  type SpdyFrame,
  decodeHeaderBlock,
  encodeData,
  encodeGoAway,
  encodeHeaderBlock,
  encodePing,
  encodeRstStream,
  encodeSynReply,
  frameStreamId,
} from './spdy-framer.js';

/** Data frames are cut to this size. */
const MAX_DATA_FRAME = 64 * 1024;

/** One stream the client opened: readable is what it sends, writable what the server sends back. */
export class SpdyStream extends Duplex {
  private finSent = false;
  /** Set once the peer has sent FIN (or reset the stream). */
  remoteFinished = false;

  constructor(
    readonly id: number,
    readonly headers: HeaderBlock,
    private readonly session: SpdySession,
  ) {
    super({ allowHalfOpen: true });
  }

  /** The first value of a header (names are lower-case). */
  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()]?.[0];
  }

  override _read(): void {
    this.session.resumeTransport();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.session.sendData(this.id, chunk, false).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.finSent = true;
    this.session.sendData(this.id, Buffer.alloc(0), true).then(() => cb(), cb);
    this.session.maybeForget(this);
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.session.forget(this.id);
    cb(err);
  }

  get localFinished(): boolean {
    return this.finSent;
  }

  /** Aborts the stream toward the peer (RST_STREAM CANCEL). */
  reset(status: number = RstStatus.cancel): void {
    this.session.sendReset(this.id, status);
    this.destroy();
  }

  /** Called by the session for data and FIN from the peer. */
  deliver(data: Buffer, fin: boolean): void {
    if (data.length && !this.remoteFinished && !this.push(data)) this.session.pauseTransport();
    if (fin && !this.remoteFinished) {
      this.remoteFinished = true;
      this.push(null);
      this.session.maybeForget(this);
    }
  }
}

export interface SpdySessionHandlers {
  /** A stream the client opened; return false to refuse it. Accepted streams are replied to at once. */
  onStream(stream: SpdyStream): boolean;
  /** The transport is gone. */
  onClose?(): void;
}

export class SpdySession {
  private readonly decoder = new FrameDecoder();
  private readonly inflater = new HeaderInflater();
  private readonly deflater = new HeaderDeflater();
  private readonly streams = new Map<number, SpdyStream>();
  private queue: Promise<void> = Promise.resolve();
  private lastStreamId = 0;
  private goneAway = false;
  private closed = false;
  private pausedFor = 0;

  constructor(
    private readonly transport: Duplex,
    private readonly handlers: SpdySessionHandlers,
    head: Buffer = Buffer.alloc(0),
  ) {
    transport.on('data', (chunk: Buffer) => this.receive(chunk));
    transport.on('end', () => this.shutdown());
    transport.on('close', () => this.shutdown());
    transport.on('error', () => this.shutdown());
    if (head.length) queueMicrotask(() => this.receive(head));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Says goodbye (GOAWAY) and ends the transport once what was written has gone out. */
  goAway(): void {
    if (this.closed) return;
    if (!this.goneAway) {
      this.goneAway = true;
      this.transport.write(encodeGoAway(this.lastStreamId));
    }
    this.transport.end();
  }

  destroy(): void {
    this.transport.destroy();
    this.shutdown();
  }

  sendData(streamId: number, data: Buffer, fin: boolean): Promise<void> {
    if (this.closed) return Promise.resolve();
    let ok = true;
    if (data.length === 0) ok = this.transport.write(encodeData(streamId, data, fin));
    for (let off = 0; off < data.length; off += MAX_DATA_FRAME) {
      const end = Math.min(data.length, off + MAX_DATA_FRAME);
      ok = this.transport.write(encodeData(streamId, data.subarray(off, end), fin && end === data.length));
    }
    if (ok) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.transport.off('drain', done);
        this.transport.off('close', done);
        resolve();
      };
      this.transport.on('drain', done);
      this.transport.on('close', done);
    });
  }

  sendReset(streamId: number, status: number): void {
    if (!this.closed) this.transport.write(encodeRstStream(streamId, status));
  }

  pauseTransport(): void {
    this.pausedFor++;
    this.transport.pause();
  }

  resumeTransport(): void {
    if (this.pausedFor === 0) return;
    this.pausedFor = 0;
    this.transport.resume();
  }

  /** Drops a stream that is closed both ways. */
  maybeForget(s: SpdyStream): void {
    if (s.localFinished && s.remoteFinished) this.streams.delete(s.id);
  }

  forget(id: number): void {
    this.streams.delete(id);
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    let frames: SpdyFrame[];
    try {
      frames = this.decoder.push(chunk);
    } catch {
      this.destroy();
      return;
    }
    for (const f of frames) this.queue = this.queue.then(() => this.handle(f)).catch(() => this.destroy());
  }

  private async handle(f: SpdyFrame): Promise<void> {
    if (this.closed) return;
    if (f.kind === 'data') {
      this.streams.get(f.streamId)?.deliver(f.data, (f.flags & FLAG_FIN) !== 0);
      return;
    }
    const p = f.payload;
    switch (f.type) {
      case FrameType.synStream: {
        if (p.length < 10) throw new Error('short SYN_STREAM');
        const id = frameStreamId(p);
        const headers = decodeHeaderBlock(await this.inflater.inflate(p.subarray(10)));
        // Client streams have odd, increasing ids.
        if (id % 2 === 0 || id <= this.lastStreamId || this.goneAway) {
          this.sendReset(id, RstStatus.protocolError);
          return;
        }
        this.lastStreamId = id;
        const stream = new SpdyStream(id, headers, this);
        this.streams.set(id, stream);
        if (!this.handlers.onStream(stream)) {
          this.streams.delete(id);
          this.sendReset(id, RstStatus.refusedStream);
          stream.destroy();
          return;
        }
        this.transport.write(encodeSynReply(id, this.deflater.compress(encodeHeaderBlock({}))));
        if (f.flags & FLAG_FIN) stream.deliver(Buffer.alloc(0), true);
        return;
      }
      case FrameType.synReply:
        await this.inflater.inflate(p.subarray(4));
        return;
      case FrameType.headers: {
        await this.inflater.inflate(p.subarray(4));
        if (f.flags & FLAG_FIN) this.streams.get(frameStreamId(p))?.deliver(Buffer.alloc(0), true);
        return;
      }
      case FrameType.rstStream: {
        const s = this.streams.get(frameStreamId(p));
        if (s) {
          s.remoteFinished = true;
          s.destroy();
        }
        return;
      }
      case FrameType.ping:
        if (p.length >= 4 && p.readUInt32BE(0) % 2 === 1) this.transport.write(encodePing(p.readUInt32BE(0)));
        return;
      case FrameType.goAway:
        this.goneAway = true;
        return;
      default:
        // SETTINGS, WINDOW_UPDATE and unknown frames carry nothing this server acts on.
        return;
    }
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    this.inflater.close();
    for (const s of this.streams.values()) {
      s.remoteFinished = true;
      s.destroy();
    }
    this.streams.clear();
    this.handlers.onClose?.();
  }
}
