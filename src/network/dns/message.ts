/**
 * The DNS wire format (RFC 1035 §4, EDNS0 per RFC 6891): a small codec for the records the cluster
 * DNS server answers with. Names are compressed on encode and pointers are followed on decode
 * (forward-only loops are impossible: a pointer must point strictly backwards). Record data of
 * types this codec does not know is kept as raw bytes. Decoding throws `DnsFormatError` on any
 * malformed input; it never reads past the buffer.
 */

export const RRType = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;
export const RRClass = { IN: 1 } as const;
export const Rcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 } as const;
export const Opcode = { QUERY: 0 } as const;

export class DnsFormatError extends Error {}

export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

/** Record data by type: an address string (A/AAAA), a name (NS/CNAME/PTR), strings (TXT), or raw bytes. */
export type RData = string | string[] | SoaData | SrvData | Uint8Array;

export interface ResourceRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  data: RData;
}

/** The EDNS0 pseudo-record, lifted out of the additional section. */
export interface Edns {
  udpSize: number;
  extendedRcode: number;
  version: number;
  flags: number;
  /** Raw option bytes (code, length, data...), passed through untouched. */
  options: Uint8Array;
}

export interface DnsMessage {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  /** The full rcode; values above 15 travel in the OPT record's extended rcode. */
  rcode: number;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
  edns?: Edns;
}

// ----- encoding ----------------------------------------------------------------------------------

class Writer {
  private buf = Buffer.alloc(512);
  length = 0;
  private readonly names = new Map<string, number>();

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf.writeUInt8(v & 0xff, this.length++);
  }
  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.length);
    this.length += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.length);
    this.length += 4;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  setU16(at: number, v: number): void {
    this.buf.writeUInt16BE(v & 0xffff, at);
  }
  /** Writes a name, pointing at an earlier copy of its longest known suffix. */
  name(name: string): void {
    const labels = splitName(name);
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join('.').toLowerCase();
      const at = this.names.get(suffix);
      if (at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.length < 0x3fff) this.names.set(suffix, this.length);
      const label = Buffer.from(labels[i], 'latin1');
      if (label.length === 0) throw new DnsFormatError(`empty label in ${JSON.stringify(name)}`);
      if (label.length > 63) throw new DnsFormatError(`label longer than 63 bytes in ${JSON.stringify(name)}`);
      this.u8(label.length);
      this.bytes(label);
    }
    this.u8(0);
  }
  done(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/** Splits a presentation name into labels; the root (`.` or ``) has none. */
export function splitName(name: string): string[] {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  return n === '' ? [] : n.split('.');
}

function ipv4Bytes(ip: string): Uint8Array {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new DnsFormatError(`bad IPv4 address ${ip}`);
  return Uint8Array.from(parts);
}

function ipv6Bytes(ip: string): Uint8Array {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) throw new DnsFormatError(`bad IPv6 address ${ip}`);
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

function formatIPv6(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i] << 8) | b[i + 1]);
  // Compress the longest run of zero groups (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function writeRData(w: Writer, rr: ResourceRecord): void {
  const lenAt = w.length;
  w.u16(0);
  const start = w.length;
  const d = rr.data;
  if (d instanceof Uint8Array) w.bytes(d);
  else if (rr.type === RRType.A) w.bytes(ipv4Bytes(d as string));
  else if (rr.type === RRType.AAAA) w.bytes(ipv6Bytes(d as string));
  else if (rr.type === RRType.NS || rr.type === RRType.CNAME || rr.type === RRType.PTR) w.name(d as string);
  else if (rr.type === RRType.TXT) {
    for (const s of d as string[]) {
      const b = Buffer.from(s, 'utf8');
      if (b.length > 255) throw new DnsFormatError('TXT string longer than 255 bytes');
      w.u8(b.length);
      w.bytes(b);
    }
  } else if (rr.type === RRType.SOA) {
    const s = d as SoaData;
    w.name(s.mname);
    w.name(s.rname);
    for (const v of [s.serial, s.refresh, s.retry, s.expire, s.minimum]) w.u32(v);
  } else if (rr.type === RRType.SRV) {
    const s = d as SrvData;
    w.u16(s.priority);
    w.u16(s.weight);
    w.u16(s.port);
    // RFC 2782: the SRV target is not compressed.
    for (const l of splitName(s.target)) {
      const b = Buffer.from(l, 'latin1');
      w.u8(b.length);
      w.bytes(b);
    }
    w.u8(0);
  } else throw new DnsFormatError(`cannot encode record type ${rr.type} from structured data`);
  w.setU16(lenAt, w.length - start);
}

function writeRecord(w: Writer, rr: ResourceRecord): void {
  w.name(rr.name);
  w.u16(rr.type);
  w.u16(rr.class);
  w.u32(rr.ttl);
  writeRData(w, rr);
}

function writeOpt(w: Writer, e: Edns, rcode: number): void {
  w.u8(0); // root name
  w.u16(RRType.OPT);
  w.u16(e.udpSize);
  w.u8(rcode >> 4);
  w.u8(e.version);
  w.u16(e.flags);
  w.u16(e.options.length);
  w.bytes(e.options);
}

/** Encodes a message; the rcode's upper bits go into the OPT record when there is one. */
export function encodeMessage(m: DnsMessage): Buffer {
  const w = new Writer();
  w.u16(m.id);
  w.u8((m.qr ? 0x80 : 0) | ((m.opcode & 0xf) << 3) | (m.aa ? 4 : 0) | (m.tc ? 2 : 0) | (m.rd ? 1 : 0));
  w.u8((m.ra ? 0x80 : 0) | (m.rcode & 0xf));
  w.u16(m.questions.length);
  w.u16(m.answers.length);
  w.u16(m.authorities.length);
  w.u16(m.additionals.length + (m.edns ? 1 : 0));
  for (const q of m.questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const rr of m.answers) writeRecord(w, rr);
  for (const rr of m.authorities) writeRecord(w, rr);
  for (const rr of m.additionals) writeRecord(w, rr);
  if (m.edns) writeOpt(w, m.edns, m.rcode);
  return w.done();
}

// ----- decoding ----------------------------------------------------------------------------------

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  need(n: number, at = this.pos): void {
    if (at + n > this.buf.length) throw new DnsFormatError('message truncated');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  /** Reads a possibly compressed name; the result has no trailing dot (`.` for the root). */
  name(): string {
    const labels: string[] = [];
    let at = this.pos;
    let jumped = false;
    let total = 0;
    for (;;) {
      this.need(1, at);
      const len = this.buf[at];
      if ((len & 0xc0) === 0xc0) {
        this.need(2, at);
        const target = this.buf.readUInt16BE(at) & 0x3fff;
        if (target >= at) throw new DnsFormatError('compression pointer does not point backwards');
        if (!jumped) this.pos = at + 2;
        jumped = true;
        at = target;
        continue;
      }
      if (len & 0xc0) throw new DnsFormatError('unsupported label type');
      if (len === 0) {
        if (!jumped) this.pos = at + 1;
        break;
      }
      this.need(1 + len, at);
      total += len + 1;
      if (total > 255) throw new DnsFormatError('name longer than 255 bytes');
      const label = this.buf.toString('latin1', at + 1, at + 1 + len);
      // Names travel as dotted text here: a label holding a dot could not be told apart.
      if (label.includes('.')) throw new DnsFormatError('label contains a dot');
      labels.push(label);
      at += 1 + len;
    }
    return labels.length ? labels.join('.') : '.';
  }
}

function readRData(r: Reader, type: number, len: number): RData {
  const end = r.pos + len;
  r.need(len);
  let data: RData;
  if (type === RRType.A && len === 4) data = [...r.bytes(4)].join('.');
  else if (type === RRType.AAAA && len === 16) data = formatIPv6(r.bytes(16));
  else if (type === RRType.NS || type === RRType.CNAME || type === RRType.PTR) data = r.name();
  else if (type === RRType.TXT) {
    const out: string[] = [];
    while (r.pos < end) out.push(r.bytes(r.u8()).toString('utf8'));
    data = out;
  } else if (type === RRType.SOA) {
    data = { mname: r.name(), rname: r.name(), serial: r.u32(), refresh: r.u32(), retry: r.u32(), expire: r.u32(), minimum: r.u32() };
  } else if (type === RRType.SRV) data = { priority: r.u16(), weight: r.u16(), port: r.u16(), target: r.name() };
  else data = Uint8Array.from(r.bytes(len));
  if (r.pos !== end) throw new DnsFormatError(`record data of type ${type} has the wrong length`);
  return data;
}

/** Decodes a message; throws DnsFormatError when it is malformed. */
export function decodeMessage(buf: Buffer): DnsMessage {
  const r = new Reader(buf);
  const id = r.u16();
  const b1 = r.u8();
  const b2 = r.u8();
  const counts = [r.u16(), r.u16(), r.u16(), r.u16()];
  const m: DnsMessage = {
    id,
    qr: (b1 & 0x80) !== 0,
    opcode: (b1 >> 3) & 0xf,
    aa: (b1 & 4) !== 0,
    tc: (b1 & 2) !== 0,
    rd: (b1 & 1) !== 0,
    ra: (b2 & 0x80) !== 0,
    rcode: b2 & 0xf,
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
  };
  for (let i = 0; i < counts[0]; i++) m.questions.push({ name: r.name(), type: r.u16(), class: r.u16() });
  const sections = [m.answers, m.authorities, m.additionals];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]; i++) {
      const name = r.name();
      const type = r.u16();
      const klass = r.u16();
      const ttl = r.u32();
      const len = r.u16();
      if (type === RRType.OPT) {
        if (s !== 2 || m.edns || name !== '.') throw new DnsFormatError('misplaced OPT record');
        m.edns = { udpSize: klass, extendedRcode: ttl >>> 24, version: (ttl >>> 16) & 0xff, flags: ttl & 0xffff, options: Uint8Array.from(r.bytes(len)) };
        m.rcode |= m.edns.extendedRcode << 4;
        continue;
      }
      sections[s].push({ name, type, class: klass, ttl, data: readRData(r, type, len) });
    }
  }
  return m;
}

/** The id of a message of at least two bytes, without decoding the rest. */
export function messageId(buf: Buffer): number | undefined {
  return buf.length >= 2 ? buf.readUInt16BE(0) : undefined;
}
