import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ResolvConfForwarder } from './forwarder.js';
import { decodeMessage, encodeMessage, RRType, type DnsMessage } from './message.js';

const query = (id: number): Buffer =>
  encodeMessage({ id, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, rcode: 0, questions: [{ name: 'outside.example', type: RRType.A, class: 1 }], answers: [], authorities: [], additionals: [] });
const answer = (q: DnsMessage, ip: string): Buffer => encodeMessage({ ...q, qr: true, ra: true, answers: [{ name: q.questions[0].name, type: RRType.A, class: 1, ttl: 30, data: ip }] });

describe('ResolvConfForwarder', () => {
  let dir: string;
  let udp: Socket;
  let silent: Socket;
  let tcp: Server;
  let port: number;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'capstan-dns-fwd-'));
    udp = createSocket('udp4');
    udp.on('message', (m, r) => udp.send(answer(decodeMessage(m), '192.0.2.1'), r.port, r.address));
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    port = udp.address().port;
    // TCP on the same port: one length-prefixed answer per query.
    tcp = createServer((s) => {
      s.on('data', (d: Buffer) => {
        const reply = answer(decodeMessage(d.subarray(2, 2 + d.readUInt16BE(0))), '192.0.2.2');
        const len = Buffer.alloc(2);
        len.writeUInt16BE(reply.length);
        s.write(Buffer.concat([len, reply]));
      });
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => tcp.listen(port, '127.0.0.1', () => r()));
    silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
  });
  after(async () => {
    udp.close();
    silent.close();
    await new Promise<void>((r) => tcp.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  it('relays over UDP and TCP, restoring the query id', async () => {
    const conf = join(dir, 'a.conf');
    await writeFile(conf, `nameserver 127.0.0.1:${port}\n`);
    const f = new ResolvConfForwarder({ resolvConfPath: conf, self: new Set() });
    const u = decodeMessage(await f.forward(query(4242), 'udp'));
    assert.equal(u.id, 4242);
    assert.deepEqual(u.answers.map((a) => a.data), ['192.0.2.1']);
    const t = decodeMessage(await f.forward(query(4343), 'tcp'));
    assert.equal(t.id, 4343);
    assert.deepEqual(t.answers.map((a) => a.data), ['192.0.2.2']);
  });

  it('moves on from an upstream that does not answer, and skips itself', async () => {
    const conf = join(dir, 'b.conf');
    await writeFile(conf, `nameserver 127.0.0.1:1\nnameserver 127.0.0.1:${silent.address().port}\nnameserver 127.0.0.1:${port}\n`);
    const f = new ResolvConfForwarder({ resolvConfPath: conf, self: new Set(['127.0.0.1:1']), timeoutMs: 200 });
    const u = decodeMessage(await f.forward(query(7), 'udp'));
    assert.deepEqual(u.answers.map((a) => a.data), ['192.0.2.1']);
  });

  it('fails when there is no upstream or none answers', async () => {
    const none = new ResolvConfForwarder({ resolvConfPath: join(dir, 'missing.conf'), self: new Set() });
    await assert.rejects(none.forward(query(1), 'udp'), /no upstream resolvers/);
    const conf = join(dir, 'c.conf');
    await writeFile(conf, `nameserver 127.0.0.1:${silent.address().port}\n`);
    const quiet = new ResolvConfForwarder({ resolvConfPath: conf, self: new Set(), timeoutMs: 100 });
    await assert.rejects(quiet.forward(query(1), 'udp'), /timed out/);
  });
});
