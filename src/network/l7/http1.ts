/**
 * HTTP/1.1 message heads and body framing for the proxy's fast path (pure, incremental): request
 * and response head parsing from a byte buffer (bounded size, strict syntax), the framing of a
 * message body (none, Content-Length, chunked, until close) and a framer that finds where a body
 * ends in a byte stream without copying or decoding it, so bodies pass through verbatim.
 *
 * Header objects follow node:http's IncomingMessage conventions (lowercase names; a repeated
 * header joined with `, `, `cookie` with `; `, `set-cookie` kept as a list, and the first value
 * kept for the singleton fields), so the pure routing code sees the same shape either way.
 * Anything this module does not want to own is reported as `unsupported`, for node:http to serve.
 */

/** Heads larger than this are refused (431 for requests), as upstream proxies bound them. */
export const maxHeadBytes = 64 * 1024;

export type Headers = Record<string, string | string[]>;

export interface RequestHead {
  method: string;
  target: string;
  /** The minor HTTP version (1.0 or 1.1). */
  minor: number;
  headers: Headers;
  /** More than one Content-Length field was sent. */
  duplicateLength: boolean;
}

export interface ResponseHead {
  status: number;
  minor: number;
  headers: Headers;
  duplicateLength: boolean;
}

export type HeadParse<T> =
  | { kind: 'incomplete' }
  /** `length`: the bytes the head took, its final empty line included. */
  | { kind: 'head'; head: T; length: number }
  | { kind: 'error'; status: 400 | 431; reason: string }
  /** Valid or not, a form this parser leaves to node:http (bare LF lines, HTTP/2 preface, ...). */
  | { kind: 'unsupported'; reason: string };

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');

/** tchar (RFC 9110 §5.6.2): which bytes may appear in a method or a field name. */
const tchar = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") tchar[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) tchar[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) tchar[c] = tchar[c + 0x20] = 1;

function isToken(s: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) if (!tchar[s.charCodeAt(i)]) return false;
  return true;
}

/** Field values: visible characters, obs-text, space and tab; no other control character. */
function badValue(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

/** Fields node:http keeps one value of (the first), as its IncomingMessage does. */
const singletons = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

function addField(h: Headers, name: string, value: string): void {
  const cur = h[name];
  if (cur === undefined) h[name] = name === 'set-cookie' ? [value] : value;
  else if (Array.isArray(cur)) cur.push(value);
  else if (!singletons.has(name)) h[name] = `${cur}${name === 'cookie' ? '; ' : ', '}${value}`;
}

type Lines = { kind: 'lines'; text: string; length: number } | Exclude<HeadParse<never>, { kind: 'head' }>;

/** The head's text (latin1, without the final CRLFCRLF) once the whole head is in `buf`. */
function headText(buf: Buffer, tooLarge: 400 | 431): Lines {
  const end = buf.indexOf(CRLFCRLF);
  if (end < 0) {
    if (buf.length > maxHeadBytes) return { kind: 'error', status: tooLarge, reason: 'head too large' };
    if (buf.indexOf(LFLF) >= 0) return { kind: 'unsupported', reason: 'bare LF line ends' };
    return { kind: 'incomplete' };
  }
  if (end + 4 > maxHeadBytes) return { kind: 'error', status: tooLarge, reason: 'head too large' };
  return { kind: 'lines', text: buf.toString('latin1', 0, end), length: end + 4 };
}

/** Parses the field lines after the start line; a string is the reason they are invalid. */
function parseFields(text: string, from: number): { headers: Headers; duplicateLength: boolean } | string {
  const headers: Headers = {};
  let duplicateLength = false;
  let pos = from;
  while (pos < text.length) {
    let eol = text.indexOf('\r\n', pos);
    if (eol < 0) eol = text.length;
    const c0 = text.charCodeAt(pos);
    if (c0 === 0x20 || c0 === 0x09) return 'obsolete line folding';
    const colon = text.indexOf(':', pos);
    if (colon < 0 || colon > eol || !isToken(text, pos, colon)) return 'invalid field name';
    let vs = colon + 1;
    let ve = eol;
    while (vs < ve && (text.charCodeAt(vs) === 0x20 || text.charCodeAt(vs) === 0x09)) vs++;
    while (ve > vs && (text.charCodeAt(ve - 1) === 0x20 || text.charCodeAt(ve - 1) === 0x09)) ve--;
    if (badValue(text, vs, ve)) return 'invalid field value';
    const name = text.slice(pos, colon).toLowerCase();
    if (name === 'content-length' && headers[name] !== undefined) duplicateLength = true;
    addField(headers, name, text.slice(vs, ve));
    pos = eol + 2;
  }
  return { headers, duplicateLength };
}

/** The number of empty lines (CRLF) at the start of `buf`, which a server ignores before a request. */
export function leadingEmptyLines(buf: Buffer): number {
  let i = 0;
  while (i + 1 < buf.length && buf[i] === 0x0d && buf[i + 1] === 0x0a) i += 2;
  return i;
}

/** Parses a request head at the start of `buf` (leading empty lines already skipped). */
export function parseRequestHead(buf: Buffer): HeadParse<RequestHead> {
  const t = headText(buf, 431);
  if (t.kind !== 'lines') return t;
  const text = t.text;
  let eol = text.indexOf('\r\n');
  if (eol < 0) eol = text.length;
  const sp1 = text.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : text.indexOf(' ', sp1 + 1);
  if (sp1 < 0 || sp2 < 0 || sp2 > eol) return { kind: 'error', status: 400, reason: 'invalid request line' };
  if (!isToken(text, 0, sp1)) return { kind: 'error', status: 400, reason: 'invalid method' };
  for (let i = sp1 + 1; i < sp2; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return { kind: 'error', status: 400, reason: 'invalid request target' };
  }
  if (sp2 === sp1 + 1) return { kind: 'error', status: 400, reason: 'empty request target' };
  const version = text.slice(sp2 + 1, eol);
  let minor: number;
  if (version === 'HTTP/1.1') minor = 1;
  else if (version === 'HTTP/1.0') minor = 0;
  else if (/^HTTP\/\d\.\d$/.test(version)) return { kind: 'unsupported', reason: `version ${version}` };
  else return { kind: 'error', status: 400, reason: 'invalid HTTP version' };
  const fields = parseFields(text, eol + 2);
  if (typeof fields === 'string') return { kind: 'error', status: 400, reason: fields };
  return { kind: 'head', length: t.length, head: { method: text.slice(0, sp1), target: text.slice(sp1 + 1, sp2), minor, ...fields } };
}

/** Parses a response head at the start of `buf`; `error` means the backend broke the protocol. */
export function parseResponseHead(buf: Buffer): HeadParse<ResponseHead> {
  const t = headText(buf, 400);
  if (t.kind === 'unsupported') return { kind: 'error', status: 400, reason: t.reason };
  if (t.kind !== 'lines') return t;
  const text = t.text;
  let eol = text.indexOf('\r\n');
  if (eol < 0) eol = text.length;
  const m = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(text.slice(0, Math.min(eol, 16)));
  if (!m || badValue(text, 0, eol)) return { kind: 'error', status: 400, reason: 'invalid status line' };
  const fields = parseFields(text, eol + 2);
  if (typeof fields === 'string') return { kind: 'error', status: 400, reason: fields };
  return { kind: 'head', length: t.length, head: { status: Number(m[2]), minor: Number(m[1]), ...fields } };
}

/** How a message body is delimited. */
export type Framing = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' };

/** Whether a comma-separated header (e.g. Connection) lists `token`, case-insensitively. */
export function listHas(value: string | string[] | undefined, token: string): boolean {
  if (value === undefined) return false;
  const v = (Array.isArray(value) ? value.join(',') : value).toLowerCase();
  if (v === token) return true;
  for (const part of v.split(',')) if (part.trim() === token) return true;
  return false;
}

function contentLength(v: string | string[] | undefined): number | undefined {
  if (typeof v !== 'string' || !/^\d{1,15}$/.test(v)) return undefined;
  return Number(v);
}

export type RequestPlan = { kind: 'fast'; framing: Framing; keepAlive: boolean } | { kind: 'unsupported'; reason: string } | { kind: 'error'; reason: string };

/**
 * Whether the fast path serves a request, and how its body is framed. Upgrades, `Expect`,
 * CONNECT, non-origin-form targets, HTTP/1.0 and unusual framing go to node:http.
 */
export function planRequestFraming(h: RequestHead): RequestPlan {
  if (h.minor !== 1) return { kind: 'unsupported', reason: 'HTTP/1.0' };
  if (h.method === 'CONNECT' || h.target.charCodeAt(0) !== 0x2f /* / */) return { kind: 'unsupported', reason: 'not origin-form' };
  const hd = h.headers;
  if (hd.upgrade !== undefined || hd.expect !== undefined) return { kind: 'unsupported', reason: 'upgrade or expect' };
  const conn = hd.connection;
  if (conn !== undefined && listHas(conn, 'upgrade')) return { kind: 'unsupported', reason: 'upgrade' };
  const keepAlive = conn === undefined || !listHas(conn, 'close');
  const te = hd['transfer-encoding'];
  const cl = hd['content-length'];
  if (te !== undefined) {
    if (cl !== undefined || typeof te !== 'string' || te.toLowerCase() !== 'chunked') return { kind: 'unsupported', reason: 'transfer-encoding' };
    return { kind: 'fast', framing: { kind: 'chunked' }, keepAlive };
  }
  if (cl === undefined) return { kind: 'fast', framing: { kind: 'none' }, keepAlive };
  const n = contentLength(cl);
  if (n === undefined || h.duplicateLength) return { kind: 'error', reason: 'invalid content-length' };
  return { kind: 'fast', framing: n === 0 ? { kind: 'none' } : { kind: 'length', length: n }, keepAlive };
}

/**
 * The framing of a response (RFC 9112 §6.3), or a string saying why it is invalid. HEAD answers
 * and 1xx/204/304 have no body; a final chunked coding wins over Content-Length; without either
 * the body lasts until the backend closes.
 */
export function responseFraming(h: ResponseHead, requestMethod: string): Framing | string {
  if (requestMethod === 'HEAD' || h.status < 200 || h.status === 204 || h.status === 304) return { kind: 'none' };
  const te = h.headers['transfer-encoding'];
  if (te !== undefined) {
    const codings = (Array.isArray(te) ? te.join(',') : te).toLowerCase().split(',');
    return codings[codings.length - 1].trim() === 'chunked' ? { kind: 'chunked' } : { kind: 'close' };
  }
  const cl = h.headers['content-length'];
  if (cl === undefined) return { kind: 'close' };
  const n = contentLength(cl);
  if (n === undefined || h.duplicateLength) return 'invalid content-length';
  return n === 0 ? { kind: 'none' } : { kind: 'length', length: n };
}

// Chunked decoder states.
const SIZE = 0;
const EXT = 1;
const SIZE_LF = 2;
const DATA = 3;
const DATA_CR = 4;
const DATA_LF = 5;
const TRAILER_START = 6;
const TRAILER_LINE = 7;
const TRAILER_LF = 8;
const END_LF = 9;

/** Longest chunk-size line (extensions included) and trailer section accepted. */
const maxChunkLine = 4096;
const maxTrailers = maxHeadBytes;

/**
 * Finds where a body ends in a stream of buffers. `feed(buf, from)` returns the offset in `buf`
 * just past the last byte of the body seen so far: everything before it belongs to the body,
 * anything after it (only once `done`) to the next message. A chunked body is checked, not
 * decoded; an invalid one sets `error`.
 */
export class BodyFramer {
  done: boolean;
  error?: string;
  private remaining: number;
  private state = SIZE;
  private digits = 0;
  private lineBytes = 0;
  private trailerBytes = 0;

  constructor(readonly framing: Framing) {
    this.done = framing.kind === 'none';
    this.remaining = framing.kind === 'length' ? framing.length : 0;
  }

  feed(buf: Buffer, from = 0): number {
    if (this.done || this.error) return from;
    switch (this.framing.kind) {
      case 'close':
        return buf.length;
      case 'length': {
        const n = Math.min(this.remaining, buf.length - from);
        this.remaining -= n;
        if (this.remaining === 0) this.done = true;
        return from + n;
      }
      case 'chunked':
        return this.chunked(buf, from);
      default:
        return from;
    }
  }

  private fail(reason: string, at: number): number {
    this.error = reason;
    return at;
  }

  private chunked(buf: Buffer, from: number): number {
    let i = from;
    const n = buf.length;
    while (i < n) {
      const c = buf[i];
      switch (this.state) {
        case SIZE: {
          const v = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
          if (v >= 0) {
            if (++this.digits > 12) return this.fail('chunk size too large', i);
            this.remaining = this.remaining * 16 + v;
          } else if (this.digits === 0) return this.fail('invalid chunk size', i);
          else if (c === 0x3b /* ; */ || c === 0x20 || c === 0x09) this.state = EXT;
          else if (c === 0x0d) this.state = SIZE_LF;
          else return this.fail('invalid chunk size', i);
          this.lineBytes++;
          i++;
          break;
        }
        case EXT:
          if (c === 0x0d) this.state = SIZE_LF;
          else if (c === 0x0a || ++this.lineBytes > maxChunkLine) return this.fail('invalid chunk extension', i);
          i++;
          break;
        case SIZE_LF:
          if (c !== 0x0a) return this.fail('invalid chunk size line', i);
          this.digits = this.lineBytes = 0;
          this.state = this.remaining === 0 ? TRAILER_START : DATA;
          i++;
          break;
        case DATA: {
          const take = Math.min(this.remaining, n - i);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.state = DATA_CR;
          break;
        }
        case DATA_CR:
          if (c !== 0x0d) return this.fail('chunk data longer than its size', i);
          this.state = DATA_LF;
          i++;
          break;
        case DATA_LF:
          if (c !== 0x0a) return this.fail('chunk data longer than its size', i);
          this.state = SIZE;
          i++;
          break;
        case TRAILER_START:
          this.state = c === 0x0d ? END_LF : TRAILER_LINE;
          if (this.state === TRAILER_LINE && c === 0x0a) return this.fail('invalid trailer', i);
          if (++this.trailerBytes > maxTrailers) return this.fail('trailers too large', i);
          i++;
          break;
        case TRAILER_LINE:
          if (c === 0x0d) this.state = TRAILER_LF;
          else if (c === 0x0a) return this.fail('invalid trailer', i);
          if (++this.trailerBytes > maxTrailers) return this.fail('trailers too large', i);
          i++;
          break;
        case TRAILER_LF:
          if (c !== 0x0a) return this.fail('invalid trailer', i);
          this.state = TRAILER_START;
          i++;
          break;
        case END_LF:
          if (c !== 0x0a) return this.fail('invalid end of chunked body', i);
          this.done = true;
          return i + 1;
      }
    }
    return i;
  }
}
