import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import dgram from 'node:dgram';
import { once } from 'node:events';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { createLogger } from '../../util/logger.js';
import { Proxier } from './proxier.js';
import { planProxy } from './proxy-rules.js';

const logger = createLogger('error');
const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A ClusterIP of its own per test (all of 127/8 is local), so sockets never clash. */
const octet = () => 2 + Math.floor(Math.random() * 250);
const freshIP = () => `127.${octet()}.${octet()}.${octet()}`;

interface Backend {
  port: number;
  name: string;
  sockets: Set<net.Socket>;
}

/** A TCP server that answers `<name>:` and then echoes, ending its side once the client has ended. */
async function tcpBackend(name: string): Promise<Backend> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.write(`${name}:`);
    s.on('data', (d) => s.write(d));
    s.on('end', () => s.end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => server.close(r));
  });
  return { port: (server.address() as net.AddressInfo).port, name, sockets };
}

function service(ip: string, extra: Partial<NonNullable<Service['spec']>> = {}, protocol = 'TCP'): Service {
  return { metadata: { namespace: 'default', name: 'web' }, spec: { clusterIP: ip, ports: [{ name: 'p', port: 18080, protocol }], ...extra } };
}

type Ep = { port: number; ready?: boolean; serving?: boolean; terminating?: boolean };
function slices(eps: Ep[], protocol = 'TCP'): EndpointSlice[] {
  // One slice per endpoint so that each can carry its own port.
  return eps.map((e, i) => ({
    metadata: { namespace: 'default', name: `web-${i}`, labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    ports: [{ name: 'p', port: e.port, protocol }],
    endpoints: [{ addresses: ['127.0.0.1'], nodeName: 'n1', conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false } }],
  }));
}

async function newProxier(svc: Service, eps: EndpointSlice[], opts: Partial<ConstructorParameters<typeof Proxier>[0]> = {}): Promise<Proxier> {
  const p = new Proxier({ nodeName: 'n1', logger, ...opts });
  cleanups.push(() => p.close());
  p.apply(planProxy([svc], eps, { name: 'n1', addresses: [] }));
  await p.settled();
  return p;
}

/** Connects, sends `data`, half-closes, and resolves with everything received until the server ends. */
async function exchange(ip: string, data = 'hi'): Promise<string> {
  const s = net.connect({ host: ip, port: 18080, allowHalfOpen: true });
  let got = '';
  s.on('data', (d) => (got += d.toString()));
  await once(s, 'connect');
  s.end(data);
  await once(s, 'end');
  s.destroy();
  return got;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('TCP: connections are spread round-robin and half-close passes through both ways', async () => {
  const ip = freshIP();
  const bs = await Promise.all(['a', 'b', 'c'].map(tcpBackend));
  await newProxier(service(ip), slices(bs.map((b) => ({ port: b.port }))));
  const got = [];
  for (let i = 0; i < 6; i++) got.push(await exchange(ip, `m${i}`));
  assert.deepEqual(got, ['a:m0', 'b:m1', 'c:m2', 'a:m3', 'b:m4', 'c:m5']);
});

test('TCP: with no usable endpoint the connection is reset at once', async () => {
  const ip = freshIP();
  await newProxier(service(ip), slices([{ port: 1, ready: false }]));
  const s = net.connect({ host: ip, port: 18080 });
  const [err] = (await once(s, 'error')) as [NodeJS.ErrnoException];
  assert.match(err.code ?? '', /ECONNRESET|ECONNREFUSED/);
});

test('TCP: an endpoint that refuses is skipped for another', async () => {
  const ip = freshIP();
  const good = await tcpBackend('good');
  const closed = net.createServer().listen(0, '127.0.0.1');
  await once(closed, 'listening');
  const deadPort = (closed.address() as net.AddressInfo).port;
  await new Promise((r) => closed.close(r));
  await newProxier(service(ip), slices([{ port: deadPort }, { port: good.port }]));
  assert.equal(await exchange(ip, 'x'), 'good:x');
  assert.equal(await exchange(ip, 'y'), 'good:y');
});

test('TCP: connections to an endpoint removed from the slices are closed; a terminating one drains', async () => {
  const ip = freshIP();
  const [a, b] = await Promise.all([tcpBackend('a'), tcpBackend('b')]);
  const p = await newProxier(service(ip), slices([{ port: a.port }, { port: b.port }]));
  const open = async () => {
    const s = net.connect({ host: ip, port: 18080, allowHalfOpen: true });
    s.on('error', () => undefined);
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    await until(() => got.includes(':'), 'the greeting');
    return { s, got: () => got };
  };
  const toA = await open();
  const toB = await open();
  assert.deepEqual([toA.got(), toB.got()], ['a:', 'b:']);
  // a terminates: it keeps its connection but gets no new ones.
  p.apply(planProxy([service(ip)], slices([{ port: a.port, ready: false, serving: true, terminating: true }, { port: b.port }]), { name: 'n1', addresses: [] }));
  for (let i = 0; i < 3; i++) assert.equal(await exchange(ip, 'n'), 'b:n');
  toA.s.write('still');
  await until(() => toA.got() === 'a:still', 'the draining connection to answer');
  // a leaves the slices: its connection is closed, b's stays.
  p.apply(planProxy([service(ip)], slices([{ port: b.port }]), { name: 'n1', addresses: [] }));
  await until(() => toA.s.destroyed || toA.s.readableEnded, 'the connection to the removed endpoint to close');
  toB.s.write('ok');
  await until(() => toB.got() === 'b:ok', 'the connection to the remaining endpoint');
  assert.equal(p.tracker.count('default/web:p/TCP'), 1);
  toB.s.destroy();
});

test('TCP: ClientIP affinity sends every connection of a client to one endpoint', async () => {
  const ip = freshIP();
  const bs = await Promise.all(['a', 'b', 'c'].map(tcpBackend));
  await newProxier(service(ip, { sessionAffinity: 'ClientIP' }), slices(bs.map((b) => ({ port: b.port }))));
  const got = new Set<string>();
  for (let i = 0; i < 5; i++) got.add((await exchange(ip, '')).split(':')[0]!);
  assert.equal(got.size, 1);
});

test('UDP: datagrams reach an endpoint and replies come back; a removed endpoint ends its sessions', async () => {
  const ip = freshIP();
  const backend = dgram.createSocket('udp4');
  backend.on('message', (m, r) => backend.send(Buffer.from(`echo:${m}`), r.port, r.address));
  backend.bind(0, '127.0.0.1');
  await once(backend, 'listening');
  cleanups.push(() => backend.close());
  const port = backend.address().port;
  const p = await newProxier(service(ip, {}, 'UDP'), slices([], 'UDP'), { udpIdleMs: 60_000 });
  const client = dgram.createSocket('udp4');
  cleanups.push(() => client.close());
  const replies: string[] = [];
  client.on('message', (m) => replies.push(m.toString()));
  p.apply(planProxy([service(ip, {}, 'UDP')], slices([{ port }], 'UDP'), { name: 'n1', addresses: [] }));
  client.send('one', 18080, ip);
  await until(() => replies.length === 1, 'the first reply');
  client.send('two', 18080, ip);
  await until(() => replies.length === 2, 'the second reply');
  assert.deepEqual(replies, ['echo:one', 'echo:two']);
  assert.equal(p.tracker.count('default/web:p/UDP'), 1, 'one session per client address');
  // The endpoint leaves: its session is closed.
  p.apply(planProxy([service(ip, {}, 'UDP')], [], { name: 'n1', addresses: [] }));
  assert.equal(p.tracker.count('default/web:p/UDP'), 0);
});

test('a port that cannot be bound is reported once and retried until it can', async () => {
  const ip = freshIP();
  const squatter = net.createServer().listen(18080, ip);
  await once(squatter, 'listening');
  const failures: string[] = [];
  const b = await tcpBackend('a');
  const p = await newProxier(service(ip), slices([{ port: b.port }]), { bindRetryMs: 20, onBindFailure: (spec, _r, e) => failures.push(`${spec.key} ${(e as NodeJS.ErrnoException).code}`) });
  assert.deepEqual(failures, [`TCP/${ip}:18080 EADDRINUSE`]);
  assert.deepEqual(p.openListeners(), []);
  await new Promise((r) => squatter.close(r));
  await until(() => p.openListeners().length === 1, 'the retry to bind');
  assert.equal(await exchange(ip, 'x'), 'a:x');
  assert.equal(failures.length, 1);
});

test('listeners follow the plan: a removed Service port closes its socket', async () => {
  const ip = freshIP();
  const p = await newProxier(service(ip), []);
  assert.deepEqual(p.openListeners(), [`TCP/${ip}:18080`]);
  p.apply(planProxy([], [], { name: 'n1', addresses: [] }));
  await p.settled();
  assert.deepEqual(p.openListeners(), []);
  const s = net.connect({ host: ip, port: 18080 });
  const [err] = (await once(s, 'error')) as [NodeJS.ErrnoException];
  assert.equal(err.code, 'ECONNREFUSED');
});

test('TCP: a client that goes away takes its backend connection with it', async () => {
  const ip = freshIP();
  const b = await tcpBackend('a');
  const p = await newProxier(service(ip), slices([{ port: b.port }]));
  const s = net.connect({ host: ip, port: 18080 });
  s.on('error', () => undefined);
  await until(() => b.sockets.size === 1, 'the backend connection');
  s.destroy();
  await until(() => b.sockets.size === 0, 'the backend connection to close');
  await until(() => p.tracker.count('default/web:p/TCP') === 0, 'the tracker to forget it');
});
