import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeMessage, DnsFormatError, encodeMessage, Rcode, RRClass, RRType, type DnsMessage } from './message.js';

const base = (over: Partial<DnsMessage> = {}): DnsMessage => ({
  id: 0x1234, qr: true, opcode: 0, aa: true, tc: false, rd: true, ra: true, rcode: 0,
  questions: [{ name: 'web.default.svc.cluster.local', type: RRType.A, class: RRClass.IN }],
  answers: [], authorities: [], additionals: [], ...over,
});

describe('DNS message codec', () => {
  it('round-trips every record type it knows', () => {
    const m = base({
      answers: [
        { name: 'web.default.svc.cluster.local', type: RRType.A, class: RRClass.IN, ttl: 5, data: '10.43.0.7' },
        { name: 'web.default.svc.cluster.local', type: RRType.AAAA, class: RRClass.IN, ttl: 5, data: 'fd00::1:0:0:7' },
        { name: 'x.default.svc.cluster.local', type: RRType.CNAME, class: RRClass.IN, ttl: 5, data: 'www.example.com' },
        { name: '7.0.43.10.in-addr.arpa', type: RRType.PTR, class: RRClass.IN, ttl: 5, data: 'web.default.svc.cluster.local' },
        { name: 'cluster.local', type: RRType.NS, class: RRClass.IN, ttl: 5, data: 'ns.dns.cluster.local' },
        { name: 'dns-version.cluster.local', type: RRType.TXT, class: RRClass.IN, ttl: 5, data: ['1.1.0', 'more'] },
        { name: '_http._tcp.web.default.svc.cluster.local', type: RRType.SRV, class: RRClass.IN, ttl: 5, data: { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' } },
        { name: 'odd.example', type: 99, class: RRClass.IN, ttl: 7, data: Uint8Array.from([1, 2, 3]) },
      ],
      authorities: [
        { name: 'cluster.local', type: RRType.SOA, class: RRClass.IN, ttl: 5, data: { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 42, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 } },
      ],
      edns: { udpSize: 1232, extendedRcode: 0, version: 0, flags: 0x8000, options: Uint8Array.from([0, 10, 0, 2, 0xab, 0xcd]) },
    });
    const back = decodeMessage(encodeMessage(m));
    assert.deepEqual(back, m);
  });

  it('compresses repeated names and follows the pointers back', () => {
    const answers = Array.from({ length: 3 }, (_, i) => ({ name: 'web.default.svc.cluster.local', type: RRType.A, class: RRClass.IN, ttl: 5, data: `10.0.0.${i}` }));
    const wire = encodeMessage(base({ answers }));
    // Header 12 + question (31 + 4) + three answers of pointer (2) + fixed fields 10 + 4 bytes.
    assert.equal(wire.length, 12 + 35 + 3 * 16);
    assert.equal(decodeMessage(wire).answers.length, 3);
    // A suffix is shared too: the PTR target's "svc.cluster.local" points into the question.
    const ptr = encodeMessage(base({ answers: [{ name: 'a.cluster.local', type: RRType.PTR, class: RRClass.IN, ttl: 5, data: 'other.svc.cluster.local' }] }));
    assert.equal(decodeMessage(ptr).answers[0].data, 'other.svc.cluster.local');
    assert.ok(ptr.length < 12 + 35 + 'a.cluster.local'.length + 12 + 'other.svc.cluster.local'.length);
  });

  it('carries the rcode upper bits in the OPT record', () => {
    const m = base({ rcode: Rcode.BADVERS, questions: [], edns: { udpSize: 512, extendedRcode: 1, version: 0, flags: 0, options: new Uint8Array() } });
    assert.equal(decodeMessage(encodeMessage(m)).rcode, Rcode.BADVERS);
  });

  it('rejects malformed packets with DnsFormatError and never reads past the end', () => {
    const good = encodeMessage(base({ answers: [{ name: 'a.b', type: RRType.A, class: 1, ttl: 1, data: '1.2.3.4' }] }));
    for (let n = 0; n < good.length; n++) assert.throws(() => decodeMessage(good.subarray(0, n)), DnsFormatError, `prefix of ${n} bytes`);
    // A pointer to itself (a loop), and one pointing forwards.
    const loop = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    assert.throws(() => decodeMessage(loop), DnsFormatError);
    const fwd = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 0, 0, 1, 0, 1]);
    assert.throws(() => decodeMessage(fwd), DnsFormatError);
    // An A record whose length says 5.
    const bad = Buffer.from(good);
    bad.writeUInt16BE(5, good.length - 6);
    assert.throws(() => decodeMessage(bad), DnsFormatError);
    // Random bytes only ever throw DnsFormatError.
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256);
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(Array.from({ length: 12 + (i % 60) }, rnd));
      try {
        decodeMessage(b);
      } catch (e) {
        assert.ok(e instanceof DnsFormatError, String(e));
      }
    }
  });

  it('refuses to encode labels over 63 bytes', () => {
    assert.throws(() => encodeMessage(base({ questions: [{ name: `${'a'.repeat(64)}.x`, type: 1, class: 1 }] })), DnsFormatError);
  });
});
