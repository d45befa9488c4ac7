/**
 * One DNS query in, one reply out: decoding, protocol checks (FORMERR, NOTIMP, BADVERS), the
 * cluster records or forwarding, CNAME chasing for ExternalName services, EDNS0 and UDP truncation.
 * Never throws: a packet too short to carry a header is dropped (undefined), anything else that
 * fails gets FORMERR or SERVFAIL.
 */
import { randomInt } from 'node:crypto';
import type { ClusterIndex } from './cluster-index.js';
import type { Forwarder } from './forwarder.js';
import { decodeMessage, encodeMessage, Opcode, Rcode, RRClass, type DnsMessage, type Edns, type Question, type ResourceRecord } from './message.js';
import type { QueryHandler } from './listener.js';
import { resolveQuestion, type ZoneConfig } from './records.js';

/** The UDP payload size this server advertises and the most it sends over UDP. */
export const maxUdpPayload = 1232;
const minUdpPayload = 512;

export interface DnsHandlerOptions {
  zone: ZoneConfig;
  /** The current cluster index. */
  index: () => ClusterIndex;
  forwarder: Forwarder;
  /** Called per query with its outcome, for metrics and logs. */
  onQuery?: (q: Question | undefined, rcode: number, how: 'cluster' | 'forward' | 'error', transport: 'udp' | 'tcp') => void;
}

function formErr(packet: Buffer): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(packet.readUInt16BE(0), 0);
  // QR set, the query's opcode and RD kept, rcode FORMERR.
  out[2] = 0x80 | (packet[2] & 0x79);
  out[3] = Rcode.FORMERR;
  return out;
}

export class DnsHandler implements QueryHandler {
  constructor(private readonly opts: DnsHandlerOptions) {}

  /** The reply to `packet` (undefined: drop it); never rejects. */
  async handle(packet: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    if (packet.length < 12) return undefined;
    try {
      return await this.reply(packet, transport);
    } catch {
      // Even the error reply could not be encoded (a name this codec cannot write).
      return packet[2] & 0x80 ? undefined : formErr(packet);
    }
  }

  private async reply(packet: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    let query: DnsMessage;
    try {
      query = decodeMessage(packet);
    } catch {
      if (packet[2] & 0x80) return undefined;
      this.opts.onQuery?.(undefined, Rcode.FORMERR, 'error', transport);
      return formErr(packet);
    }
    if (query.qr) return undefined;
    const limit = transport === 'tcp' ? 65535 : Math.min(Math.max(query.edns?.udpSize ?? minUdpPayload, minUdpPayload), maxUdpPayload);
    const edns: Edns | undefined = query.edns && { udpSize: maxUdpPayload, extendedRcode: 0, version: 0, flags: query.edns.flags & 0x8000, options: new Uint8Array() };
    const reply = (rcode: number, body: Partial<DnsMessage> = {}): DnsMessage => ({
      id: query.id, qr: true, opcode: query.opcode, aa: false, tc: false, rd: query.rd, ra: true, rcode,
      questions: query.questions.slice(0, 1), answers: [], authorities: [], additionals: [], edns, ...body,
    });
    const q = query.questions[0];
    try {
      if (query.opcode !== Opcode.QUERY) return this.finish(reply(Rcode.NOTIMP), limit, q, 'error', transport);
      if (query.questions.length !== 1) return this.finish(reply(Rcode.FORMERR, { questions: [] }), limit, q, 'error', transport);
      if (query.edns && query.edns.version > 0) return this.finish(reply(Rcode.BADVERS, { questions: [] }), limit, q, 'error', transport);
      const res = resolveQuestion(this.opts.index(), this.opts.zone, q);
      if (res.kind === 'forward') {
        try {
          const upstream = await this.opts.forwarder.forward(packet, transport);
          this.opts.onQuery?.(q, upstream.length >= 4 ? upstream[3] & 0xf : Rcode.SERVFAIL, 'forward', transport);
          return upstream;
        } catch {
          return this.finish(reply(Rcode.SERVFAIL), limit, q, 'forward', transport);
        }
      }
      const answers = [...res.answers];
      if (res.chase) answers.push(...(await this.chase(res.chase, q.type)));
      return this.finish(reply(res.rcode, { aa: true, answers, authorities: res.authorities, additionals: res.additionals }), limit, q, 'cluster', transport);
    } catch {
      return this.finish(reply(Rcode.SERVFAIL, { answers: [], authorities: [], additionals: [] }), limit, q, 'error', transport);
    }
  }

  /** Address records of an ExternalName target, from the cluster or upstream; none on failure. */
  private async chase(target: string, type: number, depth = 0): Promise<ResourceRecord[]> {
    const q: Question = { name: target, type, class: RRClass.IN };
    const res = resolveQuestion(this.opts.index(), this.opts.zone, q);
    if (res.kind === 'answer') {
      if (res.chase && depth < 7) return [...res.answers, ...(await this.chase(res.chase, type, depth + 1))];
      return res.answers;
    }
    try {
      const sub = encodeMessage({ id: randomInt(0, 65536), qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, rcode: 0, questions: [q], answers: [], authorities: [], additionals: [] });
      return decodeMessage(await this.opts.forwarder.forward(sub, 'udp')).answers;
    } catch {
      return [];
    }
  }

  /** Encodes, truncating to the header, question and OPT record when it does not fit. */
  private finish(m: DnsMessage, limit: number, q: Question | undefined, how: 'cluster' | 'forward' | 'error', transport: 'udp' | 'tcp'): Buffer {
    this.opts.onQuery?.(q, m.rcode, how, transport);
    const out = encodeMessage(m);
    if (out.length <= limit) return out;
    return encodeMessage({ ...m, tc: true, answers: [], authorities: [], additionals: [] });
  }
}
