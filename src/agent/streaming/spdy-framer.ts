/**
 * SPDY/3.1 framing (the draft-mbelshe-httpbis-spdy protocol that kubectl's SPDY transport speaks
 * through moby/spdystream): an incremental frame decoder, frame encoders, and name/value header
 * blocks. Header blocks travel zlib-compressed with one compression context per direction and the
 * protocol's dictionary; `HeaderDeflater` writes stored (uncompressed) deflate blocks, which any
 * zlib reader accepts, and `HeaderInflater` reads the peer's compressed ones.
 */
import { createInflate, constants as zc, type Inflate } from 'node:zlib';

export const SPDY_VERSION = 3;

export const FrameType = { synStream: 1, synReply: 2, rstStream: 3, settings: 4, ping: 6, goAway: 7, headers: 8, windowUpdate: 9 } as const;

/** Control frame and data frame flags. */
export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes. */
export const RstStatus = { protocolError: 1, invalidStream: 2, refusedStream: 3, cancel: 5, internalError: 6, streamInUse: 8, streamAlreadyClosed: 9 } as const;

/** Frames over this length are refused (the 24-bit length allows 16 MiB). */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024 - 1;

export type SpdyFrame =
  | { kind: 'data'; streamId: number; flags: number; data: Buffer }
  | { kind: 'control'; type: number; flags: number; payload: Buffer };

export class SpdyProtocolError extends Error {}

/** Splits a byte stream into frames; `push` returns every frame completed by the chunk. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): SpdyFrame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: SpdyFrame[] = [];
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4) & 0xffffff;
      if (this.buf.length < 8 + len) break;
      const first = this.buf.readUInt32BE(0);
      const flags = this.buf[4]!;
      const body = Buffer.from(this.buf.subarray(8, 8 + len));
      this.buf = this.buf.subarray(8 + len);
      if (first & 0x80000000) {
        const version = (first >>> 16) & 0x7fff;
        if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
        out.push({ kind: 'control', type: first & 0xffff, flags, payload: body });
      } else out.push({ kind: 'data', streamId: first & 0x7fffffff, flags, data: body });
    }
    return out;
  }
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE((0x80000000 | (SPDY_VERSION << 16) | type) >>> 0, 0);
  head.writeUInt32BE(((flags << 24) | payload.length) >>> 0, 4);
  return Buffer.concat([head, payload]);
}

export function encodeData(streamId: number, data: Buffer, fin = false): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head.writeUInt32BE((((fin ? FLAG_FIN : 0) << 24) | data.length) >>> 0, 4);
  return Buffer.concat([head, data]);
}

export function encodeSynReply(streamId: number, compressedHeaders: Buffer, fin = false): Buffer {
  const id = Buffer.alloc(4);
  id.writeUInt32BE(streamId & 0x7fffffff, 0);
  return controlFrame(FrameType.synReply, fin ? FLAG_FIN : 0, Buffer.concat([id, compressedHeaders]));
}

/** SYN_STREAM, as a client sends it (used by tests that play the client). */
export function encodeSynStream(streamId: number, compressedHeaders: Buffer, fin = false): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt32BE(streamId & 0x7fffffff, 0);
  return controlFrame(FrameType.synStream, fin ? FLAG_FIN : 0, Buffer.concat([fixed, compressedHeaders]));
}

export function encodeRstStream(streamId: number, status: number): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(streamId & 0x7fffffff, 0);
  p.writeUInt32BE(status, 4);
  return controlFrame(FrameType.rstStream, 0, p);
}

export function encodePing(id: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(id >>> 0, 0);
  return controlFrame(FrameType.ping, 0, p);
}

export function encodeGoAway(lastGoodStreamId: number, status = 0): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(lastGoodStreamId & 0x7fffffff, 0);
  p.writeUInt32BE(status, 4);
  return controlFrame(FrameType.goAway, 0, p);
}

/** The stream id a stream-level control frame (SYN_STREAM, SYN_REPLY, RST_STREAM, HEADERS, WINDOW_UPDATE) is about. */
export const frameStreamId = (payload: Buffer): number => (payload.length >= 4 ? payload.readUInt32BE(0) & 0x7fffffff : 0);

/** Name/value pairs; names lower-case, a header's several values joined by NUL as SPDY does. */
export type HeaderBlock = Record<string, string[]>;

export function encodeHeaderBlock(headers: HeaderBlock): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n, 0);
    return b;
  };
  const names = Object.keys(headers);
  parts.push(u32(names.length));
  for (const name of names) {
    const n = Buffer.from(name.toLowerCase());
    const v = Buffer.from(headers[name]!.join('\0'));
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): HeaderBlock {
  const out: HeaderBlock = Object.create(null) as HeaderBlock;
  if (block.length < 4) throw new SpdyProtocolError('short header block');
  const count = block.readUInt32BE(0);
  let off = 4;
  const take = (): Buffer => {
    if (off + 4 > block.length) throw new SpdyProtocolError('truncated header block');
    const len = block.readUInt32BE(off);
    off += 4;
    if (off + len > block.length) throw new SpdyProtocolError('truncated header block');
    const b = block.subarray(off, off + len);
    off += len;
    return b;
  };
  for (let i = 0; i < count; i++) {
    const name = take().toString('utf8').toLowerCase();
    const values = take().toString('utf8').split('\0');
    (out[name] ??= []).push(...values);
  }
  return out;
}

/** Writes this side's header blocks as one zlib stream of stored deflate blocks, each sync-flushed (no dictionary needed). */
export class HeaderDeflater {
  private started = false;

  compress(block: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      // CMF 0x78 (deflate, 32 KiB window), FLG 0x01: no preset dictionary, check bits valid.
      parts.push(Buffer.of(0x78, 0x01));
    }
    for (let off = 0; off === 0 || off < block.length; off += 0xffff) {
      const piece = block.subarray(off, off + 0xffff);
      const hdr = Buffer.alloc(5);
      hdr[0] = 0x00; // BFINAL 0, BTYPE 00 (stored), padded to the byte boundary
      hdr.writeUInt16LE(piece.length, 1);
      hdr.writeUInt16LE(~piece.length & 0xffff, 3);
      parts.push(hdr, piece);
    }
    // An empty stored block (the sync-flush marker): a reader hands out a stored block's bytes only
    // once it has seen the next block start (Go's compress/flate does), so every block ends with one.
    parts.push(Buffer.of(0x00, 0x00, 0x00, 0xff, 0xff));
    return Buffer.concat(parts);
  }
}

/** Reads the peer's header blocks: one inflate context for the whole connection, with the SPDY dictionary. */
export class HeaderInflater {
  private readonly z: Inflate;
  private out: Buffer[] = [];
  private failed?: Error;
  private chain: Promise<unknown> = Promise.resolve();

  constructor() {
    this.z = createInflate({ dictionary: SPDY_DICTIONARY });
    this.z.on('data', (d: Buffer) => this.out.push(d));
    this.z.on('error', (e: Error) => (this.failed = e));
  }

  /** The decompressed bytes of one header block; calls complete in order. */
  inflate(block: Buffer): Promise<Buffer> {
    const run = () =>
      new Promise<Buffer>((resolve, reject) => {
        if (this.failed) return reject(this.failed);
        this.z.write(block);
        this.z.flush(zc.Z_SYNC_FLUSH, () => {
          if (this.failed) return reject(this.failed);
          if (this.z.destroyed) return reject(new Error('header inflater closed'));
          const r = Buffer.concat(this.out);
          this.out = [];
          resolve(r);
        });
      });
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  close(): void {
    this.z.destroy();
  }
}

const DICTIONARY_WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language', 'accept-ranges', 'age', 'allow',
  'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding', 'content-language', 'content-length', 'content-location', 'content-md5',
  'content-range', 'content-type', 'date', 'etag', 'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range',
  'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer', 'retry-after',
  'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning', 'www-authenticate', 'method', 'get', 'status', '200 OK',
  'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive', 'origin',
];
const DICTIONARY_TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505203 Non-Authoritative Information204 No Content' +
  '301 Moved Permanently400 Bad Request401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,' +
  'application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

/** The header compression dictionary of SPDY/3 (§2.6.10.1): length-prefixed words, then a text tail. */
export const SPDY_DICTIONARY: Buffer = Buffer.concat([
  ...DICTIONARY_WORDS.map((w) => {
    const b = Buffer.alloc(4 + w.length);
    b.writeUInt32BE(w.length, 0);
    b.write(w, 4, 'latin1');
    return b;
  }),
  Buffer.from(DICTIONARY_TAIL, 'latin1'),
]);
