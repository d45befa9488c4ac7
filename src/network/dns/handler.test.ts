import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApiObject } from '../../api/object.js';
import { buildClusterIndex } from './cluster-index.js';
import { upstreamsFromResolvConf, parseUpstream, type Forwarder } from './forwarder.js';
import { DnsHandler } from './handler.js';
import { DnsListener } from './listener.js';
import { decodeMessage, encodeMessage, Rcode, RRType, type DnsMessage, type Edns } from './message.js';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

const endpoints = Array.from({ length: 60 }, (_, i) => ({ addresses: [`10.42.1.${i + 1}`], hostname: `pod-${i}` }));
const objects: ApiObject[] = [
  { metadata: { namespace: 'default', name: 'web' }, spec: { clusterIP: '10.43.0.20', ports: [{ name: 'http', port: 80 }] } },
  { metadata: { namespace: 'default', name: 'big' }, spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] } },
  { metadata: { namespace: 'default', name: 'ext' }, spec: { type: 'ExternalName', externalName: 'www.example.com' } },
];
const slices: ApiObject[] = [{ metadata: { namespace: 'default', name: 'big-1', labels: { 'kubernetes.io/service-name': 'big' } }, addressType: 'IPv4', endpoints, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }];
const index = buildClusterIndex(objects, slices, undefined, 'cluster.local');

/** A fake upstream: answers www.example.com with 192.0.2.53, fails everything else. */
const forwarded: Buffer[] = [];
const fakeForwarder: Forwarder = {
  async forward(query) {
    forwarded.push(query);
    const q = decodeMessage(query);
    if (q.questions[0]?.name !== 'www.example.com') throw new Error('unreachable upstream');
    return encodeMessage({ ...q, qr: true, ra: true, answers: [{ name: 'www.example.com', type: RRType.A, class: 1, ttl: 300, data: '192.0.2.53' }] });
  },
};
const handler = new DnsHandler({ zone: { zone: 'cluster.local', ttl: 5, serial: 1, dnsIPs: ['10.43.0.10'] }, index: () => index, forwarder: fakeForwarder });

const query = (name: string, type: number, edns?: Partial<Edns>, over: Partial<DnsMessage> = {}): Buffer =>
  encodeMessage({
    id: 77, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, rcode: 0, questions: [{ name, type, class: 1 }], answers: [], authorities: [], additionals: [],
    edns: edns && { udpSize: 512, extendedRcode: 0, version: 0, flags: 0, options: new Uint8Array(), ...edns }, ...over,
  });
async function ask(packet: Buffer, transport: 'udp' | 'tcp' = 'udp'): Promise<DnsMessage> {
  const out = await handler.handle(packet, transport);
  assert.ok(out, 'a reply');
  return decodeMessage(out);
}

describe('DNS query handler', () => {
  it('answers authoritatively from the cluster, echoing id, question and RD', async () => {
    const r = await ask(query('web.default.svc.cluster.local', RRType.A));
    assert.equal(r.id, 77);
    assert.ok(r.qr && r.aa && r.rd && r.ra);
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.deepEqual(r.answers.map((a) => a.data), ['10.43.0.20']);
  });

  it('truncates over UDP beyond 512 bytes (or the EDNS size) and not over TCP', async () => {
    const plain = await ask(query('big.default.svc.cluster.local', RRType.SRV));
    assert.ok(plain.tc);
    assert.equal(plain.answers.length, 0);
    assert.equal(plain.questions.length, 1);
    const edns = await ask(query('big.default.svc.cluster.local', RRType.A, { udpSize: 4096 }));
    assert.ok(!edns.tc);
    assert.equal(edns.answers.length, 60);
    assert.equal(edns.edns?.udpSize, 1232);
    const tcp = await ask(query('big.default.svc.cluster.local', RRType.SRV), 'tcp');
    assert.ok(!tcp.tc);
    assert.equal(tcp.answers.length, 60);
  });

  it('answers garbage with FORMERR or drops it, and never throws', async () => {
    assert.equal(await handler.handle(Buffer.from([1, 2, 3]), 'udp'), undefined);
    const garbage = Buffer.from([0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 63, 1, 2]);
    const r = await ask(garbage);
    assert.equal(r.id, 0xabcd);
    assert.equal(r.rcode, Rcode.FORMERR);
    // A label holding a dot cannot be written back as it came: FORMERR too.
    const dotted = Buffer.from([0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x61, 0x2e, 0x62, 0, 0, 1, 0, 1]);
    assert.equal((await ask(dotted)).rcode, Rcode.FORMERR);
    // A response is never answered.
    assert.equal(await handler.handle(encodeMessage({ ...decodeMessage(query('a.b', 1)), qr: true }), 'udp'), undefined);
    let seed = 3;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256);
    for (let i = 0; i < 500; i++) await handler.handle(Buffer.from(Array.from({ length: 12 + (i % 40) }, rnd)), 'udp');
  });

  it('answers NOTIMP for other opcodes, FORMERR for several questions and BADVERS for EDNS versions above 0', async () => {
    assert.equal((await ask(query('a.cluster.local', 1, undefined, { opcode: 2 }))).rcode, Rcode.NOTIMP);
    const two = encodeMessage({ ...decodeMessage(query('a.cluster.local', 1)), questions: [{ name: 'a.cluster.local', type: 1, class: 1 }, { name: 'b.cluster.local', type: 1, class: 1 }] });
    assert.equal((await ask(two)).rcode, Rcode.FORMERR);
    assert.equal((await ask(query('a.cluster.local', 1, { version: 1 }))).rcode, Rcode.BADVERS);
  });

  it('forwards other names, answering SERVFAIL when no upstream answers', async () => {
    const ok = await ask(query('www.example.com', RRType.A));
    assert.deepEqual(ok.answers.map((a) => a.data), ['192.0.2.53']);
    const fail = await ask(query('nowhere.example', RRType.A));
    assert.equal(fail.rcode, Rcode.SERVFAIL);
  });

  it('adds the addresses of an ExternalName target after its CNAME', async () => {
    const r = await ask(query('ext.default.svc.cluster.local', RRType.A));
    assert.deepEqual(r.answers.map((a) => [a.type, a.data]), [[RRType.CNAME, 'www.example.com'], [RRType.A, '192.0.2.53']]);
  });

  it('serves UDP and TCP on one port', async () => {
    const listener = new DnsListener('127.0.0.1', 0, handler);
    await listener.listen();
    try {
      const udp = createSocket('udp4');
      const reply = await new Promise<Buffer>((resolve) => {
        udp.on('message', (m) => resolve(m));
        udp.send(query('web.default.svc.cluster.local', RRType.A), listener.port, '127.0.0.1');
      });
      udp.close();
      assert.deepEqual(decodeMessage(reply).answers.map((a) => a.data), ['10.43.0.20']);
      const sock = connect({ host: '127.0.0.1', port: listener.port });
      const q = query('big.default.svc.cluster.local', RRType.A);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(q.length);
      // Two queries in one write, answered one after the other on the stream.
      sock.write(Buffer.concat([len, q, len, q]));
      const msgs = await new Promise<DnsMessage[]>((resolve, reject) => {
        let buf = Buffer.alloc(0);
        const out: DnsMessage[] = [];
        sock.on('error', reject);
        sock.on('data', (d: Buffer) => {
          buf = Buffer.concat([buf, d]);
          while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
            out.push(decodeMessage(buf.subarray(2, 2 + buf.readUInt16BE(0))));
            buf = buf.subarray(2 + buf.readUInt16BE(0));
          }
          if (out.length === 2) resolve(out);
        });
      });
      sock.destroy();
      assert.deepEqual(msgs.map((m) => m.answers.length), [60, 60]);
    } finally {
      await listener.close();
    }
  });
});

describe('upstreams', () => {
  it('come from resolv.conf nameservers, less this server itself', () => {
    const text = 'search example.com\nnameserver 127.10.0.10\nnameserver 192.0.2.1\nnameserver fe80::1%eth0\n# nameserver 1.1.1.1\nnameserver [::1]:5353\n';
    assert.deepEqual(upstreamsFromResolvConf(text, new Set(['127.10.0.10:53'])), [
      { host: '192.0.2.1', port: 53 },
      { host: 'fe80::1', port: 53 },
      { host: '::1', port: 5353 },
    ]);
    assert.deepEqual(parseUpstream('127.0.0.1:5300'), { host: '127.0.0.1', port: 5300 });
    assert.equal(parseUpstream('resolver.example'), undefined);
  });
});
