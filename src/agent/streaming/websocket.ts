/**
 * A small RFC 6455 WebSocket server endpoint: the opening handshake as pure functions, an
 * incremental frame decoder, and a connection over an upgraded socket that answers pings, closes
 * cleanly and applies backpressure. It carries the streaming protocols of `kubectl exec`,
 * `attach`, `cp` and `port-forward` (the kubelet's wsstream).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Frames with a payload over this size close the connection with 1009 (message too big). */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

export const enum Opcode {
  Continuation = 0x0,
  Text = 0x1,
  Binary = 0x2,
  Close = 0x8,
  Ping = 0x9,
  Pong = 0xa,
}

/** The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + ACCEPT_GUID).digest('base64');
}

/** Comma-separated values of every instance of a header. */
export function headerList(value: string | string[] | undefined): string[] {
  const all = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return all.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/** Whether the request asks to upgrade to WebSocket (wsstream's IsWebSocketRequest). */
export function isWebSocketRequest(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket' && headerList(req.headers.connection).some((v) => v.toLowerCase() === 'upgrade');
}

export type HandshakeResult = { ok: true; protocol: string; response: string } | { ok: false; code: number; message: string };

/**
 * Checks a WebSocket upgrade request and picks the sub-protocol: the client's first one that the
 * server supports, or '' when the client names none and '' is supported (as wsstream's handshake).
 * The response is the raw 101 reply to write on the socket.
 */
export function handshake(req: IncomingMessage, supported: readonly string[]): HandshakeResult {
  const key = req.headers['sec-websocket-key'];
  if (req.method !== 'GET') return { ok: false, code: 400, message: 'websocket: the client is not using the GET method' };
  if (typeof key !== 'string' || Buffer.from(key, 'base64').length !== 16) return { ok: false, code: 400, message: 'websocket: not a websocket handshake: `Sec-WebSocket-Key` header is missing or blank' };
  if (req.headers['sec-websocket-version'] !== '13') return { ok: false, code: 400, message: 'websocket: unsupported version: 13 not found in `Sec-Websocket-Version` header' };
  const offered = headerList(req.headers['sec-websocket-protocol']);
  const wanted = offered.length ? offered : [''];
  const protocol = wanted.find((p) => supported.includes(p));
  if (protocol === undefined) return { ok: false, code: 400, message: `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${supported.join(' ')}]` };
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptKey(key)}`];
  if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  return { ok: true, protocol, response: `${lines.join('\r\n')}\r\n\r\n` };
}

export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** Encodes one unmasked frame, as a server sends them (or masked with `mask`, as a client must). */
export function encodeFrame(opcode: number, payload: Buffer, fin = true, mask?: Buffer): Buffer {
  const len = payload.length;
  const lenBytes = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + lenBytes + (mask ? 4 : 0));
  head[0] = (fin ? 0x80 : 0) | opcode;
  head[1] = (mask ? 0x80 : 0) | (lenBytes === 0 ? len : lenBytes === 2 ? 126 : 127);
  if (lenBytes === 2) head.writeUInt16BE(len, 2);
  else if (lenBytes === 8) head.writeBigUInt64BE(BigInt(len), 2);
  if (!mask) return Buffer.concat([head, payload]);
  mask.copy(head, 2 + lenBytes);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i]! ^= mask[i & 3]!;
  return Buffer.concat([head, body]);
}

export class ProtocolError extends Error {
  constructor(
    readonly closeCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Incremental frame decoder. `push` takes bytes as they arrive and returns the complete frames;
 * it throws ProtocolError on a frame a server must refuse (unmasked when `requireMask`, reserved
 * bits, oversized or fragmented control frames, payloads over the limit).
 */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  constructor(
    private readonly requireMask = true,
    private readonly maxPayload = MAX_MESSAGE_BYTES,
  ) {}

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    for (;;) {
      const f = this.next();
      if (!f) return out;
      out.push(f);
    }
  }

  private next(): Frame | undefined {
    const b = this.buf;
    if (b.length < 2) return undefined;
    const fin = (b[0]! & 0x80) !== 0;
    if (b[0]! & 0x70) throw new ProtocolError(1002, 'reserved bits set');
    const opcode = b[0]! & 0x0f;
    const masked = (b[1]! & 0x80) !== 0;
    if (this.requireMask && !masked) throw new ProtocolError(1002, 'client frame not masked');
    let len = b[1]! & 0x7f;
    let off = 2;
    if (len === 126) {
      if (b.length < 4) return undefined;
      len = b.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      if (b.length < 10) return undefined;
      const big = b.readBigUInt64BE(2);
      if (big > BigInt(this.maxPayload)) throw new ProtocolError(1009, 'frame too large');
      len = Number(big);
      off = 10;
    }
    if (opcode >= 0x8 && (len > 125 || !fin)) throw new ProtocolError(1002, 'invalid control frame');
    if (len > this.maxPayload) throw new ProtocolError(1009, 'frame too large');
    const maskAt = off;
    if (masked) off += 4;
    if (b.length < off + len) return undefined;
    const payload = Buffer.from(b.subarray(off, off + len));
    if (masked) for (let i = 0; i < len; i++) payload[i]! ^= b[maskAt + (i & 3)]!;
    this.buf = b.subarray(off + len);
    return { fin, opcode, payload };
  }
}

export interface WebSocketHandlers {
  /** A complete data message. */
  onMessage(data: Buffer, binary: boolean): void;
  /** The connection is gone (after a close handshake, an error, or the socket ending). */
  onClose?(code: number, reason: string): void;
}

/**
 * One server-side WebSocket connection over an upgraded socket (the 101 reply already written).
 * `send` returns false when the socket buffer is full: wait for `drained()` before sending more.
 */
export class WebSocketConnection {
  private readonly decoder: FrameDecoder;
  private fragments: Buffer[] = [];
  private fragmentOpcode = 0;
  private fragmentBytes = 0;
  private closeSent = false;
  private closed = false;
  private closeTimer?: NodeJS.Timeout;

  constructor(
    private readonly socket: Duplex,
    private readonly handlers: WebSocketHandlers,
    head: Buffer = Buffer.alloc(0),
    opts: { requireMask?: boolean; maxMessageBytes?: number } = {},
  ) {
    this.decoder = new FrameDecoder(opts.requireMask ?? true, opts.maxMessageBytes ?? MAX_MESSAGE_BYTES);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    // The peer stopped sending without a close frame: end our side too (upgraded sockets allow half-open).
    socket.on('end', () => {
      socket.end();
      this.finish(1006, '');
    });
    socket.on('close', () => this.finish(1006, ''));
    socket.on('error', () => this.finish(1006, ''));
    if (head.length) queueMicrotask(() => this.receive(head));
  }

  get isOpen(): boolean {
    return !this.closeSent && !this.closed;
  }

  send(data: Buffer, binary = true): boolean {
    if (!this.isOpen) return true;
    return this.socket.write(encodeFrame(binary ? Opcode.Binary : Opcode.Text, data));
  }

  /** Resolves once the socket can take more (at once when it already can, or it is gone). */
  drained(): Promise<void> {
    const s = this.socket as Duplex & { writableNeedDrain?: boolean };
    if (!s.writableNeedDrain || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        s.off('drain', done);
        s.off('close', done);
        resolve();
      };
      s.on('drain', done);
      s.on('close', done);
    });
  }

  /** Stops reading from the peer (backpressure toward the client) until `resume`. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Starts the closing handshake; the socket ends when the peer answers, or after a grace period. */
  close(code = 1000, reason = ''): void {
    if (this.closed) return;
    if (!this.closeSent) {
      this.closeSent = true;
      const r = Buffer.from(reason);
      const payload = Buffer.alloc(2 + r.length);
      payload.writeUInt16BE(code, 0);
      r.copy(payload, 2);
      this.socket.write(encodeFrame(Opcode.Close, payload));
    }
    this.closeTimer ??= setTimeout(() => this.socket.destroy(), 2000);
    this.closeTimer.unref();
  }

  /** Drops the connection without a closing handshake. */
  destroy(): void {
    this.socket.destroy();
    this.finish(1006, '');
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      const code = e instanceof ProtocolError ? e.closeCode : 1002;
      this.close(code, (e as Error).message);
      this.socket.end();
      return;
    }
    for (const f of frames) this.frame(f);
  }

  private frame(f: Frame): void {
    switch (f.opcode) {
      case Opcode.Ping:
        if (this.isOpen) this.socket.write(encodeFrame(Opcode.Pong, f.payload));
        return;
      case Opcode.Pong:
        return;
      case Opcode.Close: {
        const code = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005;
        const reason = f.payload.length > 2 ? f.payload.subarray(2).toString() : '';
        // Echo the peer's close (RFC 6455 §5.5.1), then the TCP connection ends.
        if (!this.closeSent) {
          this.closeSent = true;
          this.socket.write(encodeFrame(Opcode.Close, f.payload.subarray(0, 2)));
        }
        this.socket.end();
        this.finish(code, reason);
        return;
      }
      case Opcode.Text:
      case Opcode.Binary:
        if (this.fragments.length) return this.protocolError('new message inside a fragmented one');
        if (f.fin) return this.handlers.onMessage(f.payload, f.opcode === Opcode.Binary);
        this.fragmentOpcode = f.opcode;
        this.fragments = [f.payload];
        this.fragmentBytes = f.payload.length;
        return;
      case Opcode.Continuation: {
        if (!this.fragments.length) return this.protocolError('continuation without a message');
        this.fragments.push(f.payload);
        this.fragmentBytes += f.payload.length;
        if (this.fragmentBytes > MAX_MESSAGE_BYTES) return this.protocolError('message too large', 1009);
        if (!f.fin) return;
        const data = Buffer.concat(this.fragments);
        this.fragments = [];
        this.fragmentBytes = 0;
        return this.handlers.onMessage(data, this.fragmentOpcode === Opcode.Binary);
      }
      default:
        return this.protocolError(`unknown opcode ${f.opcode}`);
    }
  }

  private protocolError(why: string, code = 1002): void {
    this.close(code, why);
    this.socket.end();
  }

  private finish(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.closeTimer);
    this.handlers.onClose?.(code, reason);
  }
}
