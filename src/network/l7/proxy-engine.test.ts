/** The proxy engine against local HTTP backends on loopback. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type IncomingMessage, type Server, Agent, createServer, request } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import { createLogger } from '../../util/logger.js';
import { generateFakeCertificate } from '../ingress/fake-certificate.js';
import type { EndpointSource, Resolution } from './endpoints.js';
import { ProxyEngine } from './proxy-engine.js';
import type { Backend, Listener, Rule, TlsCertificate } from './route-table.js';

interface Seen {
  method?: string;
  url?: string;
  headers: IncomingMessage['headers'];
  remotePort?: number;
  body: string;
}

/** A backend that answers with who it is, and records what it saw. */
function backend(name: string, seen: Seen[]): Server {
  const s = createServer((req, res) => {
    if (req.url === '/hang') return; // never answers
    if (req.url === '/echo') {
      res.writeHead(200, { 'x-backend': name });
      req.pipe(res);
      return;
    }
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, remotePort: req.socket.remotePort, body });
      res.writeHead(200, { 'x-backend': name, 'x-drop': 'd', 'content-type': 'text/plain' });
      res.end(name);
    });
  });
  s.on('upgrade', (req, socket: Socket) => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\nX-Backend: ${name}\r\n\r\n`);
    socket.pipe(socket);
  });
  return s;
}

const listen = (s: Server): Promise<number> => new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));

interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}
function get(port: number, path: string, headers: Record<string, string> = {}, opts: { agent?: Agent; method?: string; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: opts.agent, method: opts.method ?? 'GET' }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

for (const fastPath of [true, false])
describe(`proxy engine (${fastPath ? 'fast path' : 'node:http only'})`, () => {
  const seen: Record<string, Seen[]> = { a: [], b: [], mirror: [] };
  const servers = { a: backend('a', seen.a), b: backend('b', seen.b), mirror: backend('mirror', seen.mirror) };
  const ports: Record<string, number> = {};
  const endpoints = new Map<string, Resolution>();
  const source: EndpointSource = { resolve: (b: Backend) => endpoints.get(b.service) ?? { kind: 'no-service' } };
  const engine = new ProxyEngine({ endpoints: source, logger: createLogger('error'), fastPath });
  let port = 0;
  let certs: TlsCertificate[];
  const be = (service: string, weight?: number): Backend => ({ namespace: 'ns', service, port: 80, weight });
  const rule = (r: Partial<Rule>): Rule => ({ matches: [], backends: [], source: 'test', ...r });
  const prefix = (value: string) => [{ path: { type: 'PathPrefix' as const, value } }];
  const httpListener = (hosts: Listener['hosts'], p = 0): Listener => ({ name: 'http', address: '127.0.0.1', port: p, protocol: 'HTTP', hosts });

  const hosts: Listener['hosts'] = [
    {
      hostname: 'app.test',
      rules: [
        rule({ matches: prefix('/slow'), backends: [be('a')], timeoutMs: 200 }),
        rule({ matches: prefix('/none'), backends: [be('empty')] }),
        rule({ matches: prefix('/down'), backends: [be('down')] }),
        rule({ matches: prefix('/invalid'), failureStatus: 500 }),
        rule({ matches: prefix('/moved'), filters: [{ type: 'RequestRedirect', scheme: 'https', port: 8443, statusCode: 308 }] }),
        rule({
          matches: prefix('/old'),
          backends: [be('a')],
          filters: [
            { type: 'URLRewrite', hostname: 'rewritten.test', path: { type: 'ReplacePrefixMatch', value: '/new' } },
            { type: 'RequestHeaderModifier', modifier: { set: [{ name: 'x-set', value: 's' }], remove: ['x-remove'] } },
            { type: 'ResponseHeaderModifier', modifier: { add: [{ name: 'x-added', value: 'yes' }], remove: ['x-drop'] } },
          ],
        }),
        rule({ matches: prefix('/mirrored'), backends: [be('a')], filters: [{ type: 'RequestMirror', backend: be('mirror') }] }),
        rule({ matches: prefix('/split'), backends: [be('a', 1), be('b', 0)] }),
        rule({ matches: prefix('/partly'), backends: [be('a', 0), { ...be('gone', 1), invalid: true }] }),
        rule({ matches: prefix('/'), backends: [be('both')] }),
      ],
    },
  ];

  before(async () => {
    for (const [n, s] of Object.entries(servers)) ports[n] = await listen(s);
    endpoints.set('a', { kind: 'ok', addresses: [{ ip: '127.0.0.1', port: ports.a }] });
    endpoints.set('b', { kind: 'ok', addresses: [{ ip: '127.0.0.1', port: ports.b }] });
    endpoints.set('mirror', { kind: 'ok', addresses: [{ ip: '127.0.0.1', port: ports.mirror }] });
    endpoints.set('both', { kind: 'ok', addresses: [{ ip: '127.0.0.1', port: ports.a }, { ip: '127.0.0.1', port: ports.b }] });
    endpoints.set('empty', { kind: 'no-endpoints' });
    // A port nothing listens on: take one and free it.
    const tmp = createServer();
    const downPort = await listen(tmp);
    await new Promise((r) => tmp.close(r));
    endpoints.set('down', { kind: 'ok', addresses: [{ ip: '127.0.0.1', port: downPort }] });
    certs = [await generateFakeCertificate(), await generateFakeCertificate(), await generateFakeCertificate()];
    await engine.setTable({ listeners: [httpListener(hosts)] });
    port = engine.listeners()[0].boundPort!;
  });
  after(async () => {
    await engine.close();
    for (const s of Object.values(servers)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  test('round-robin over endpoints, X-Forwarded-* as ingress-nginx, keep-alive both ways', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    seen.a.length = seen.b.length = 0;
    const bodies = [];
    for (let i = 0; i < 4; i++) bodies.push((await get(port, '/x?q=1', { host: 'app.test:8080', 'x-forwarded-for': '6.6.6.6' }, { agent })).body);
    agent.destroy();
    assert.deepEqual(bodies.sort(), ['a', 'a', 'b', 'b']);
    const h = seen.a[0].headers;
    assert.equal(seen.a[0].url, '/x?q=1');
    assert.equal(h.host, 'app.test:8080');
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h['x-real-ip'], '127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-forwarded-host'], 'app.test:8080');
    assert.equal(h['x-forwarded-port'], String(port));
    // The proxy reused its connection to each backend.
    assert.equal(seen.a[0].remotePort, seen.a[1].remotePort);
    assert.equal(seen.b[0].remotePort, seen.b[1].remotePort);
  });

  test('status codes: 404 no rule, 503 no endpoints or Service, 502 refused, 504 timeout, failureStatus', async () => {
    assert.equal((await get(port, '/', { host: 'other.test' })).status, 404);
    assert.equal((await get(port, '/none', { host: 'app.test' })).status, 503);
    assert.equal((await get(port, '/down', { host: 'app.test' })).status, 502);
    assert.equal((await get(port, '/slow', { host: 'app.test' })).status, 200);
    assert.equal((await get(port, '/invalid', { host: 'app.test' })).status, 500);
  });

  test('a rule timeout answers 504', async () => {
    const engine2 = new ProxyEngine({ endpoints: source, logger: createLogger('error'), fastPath });
    await engine2.setTable({ listeners: [httpListener([{ hostname: '*', rules: [rule({ backends: [be('a')], timeoutMs: 100 })] }])] });
    try {
      assert.equal((await get(engine2.listeners()[0].boundPort!, '/hang')).status, 504);
    } finally {
      await engine2.close();
    }
  });

  test('a rule read timeout (no byte from the backend for that long) answers 504', async () => {
    const engine2 = new ProxyEngine({ endpoints: source, logger: createLogger('error'), fastPath });
    await engine2.setTable({ listeners: [httpListener([{ hostname: '*', rules: [rule({ backends: [be('a')], readTimeoutMs: 100 })] }])] });
    try {
      const p = engine2.listeners()[0].boundPort!;
      assert.equal((await get(p, '/hang')).status, 504);
      assert.equal((await get(p, '/fine')).status, 200);
    } finally {
      await engine2.close();
    }
  });

  test('filters: redirect, URL rewrite, request and response header modifiers', async () => {
    const r = await get(port, '/moved/x?y=1', { host: 'app.test' });
    assert.equal(r.status, 308);
    assert.equal(r.headers.location, 'https://app.test:8443/moved/x?y=1');
    seen.a.length = 0;
    const ok = await get(port, '/old/page?z', { host: 'app.test', 'x-remove': 'r' });
    assert.equal(ok.headers['x-added'], 'yes');
    assert.equal(ok.headers['x-drop'], undefined);
    assert.equal(seen.a[0].url, '/new/page?z');
    assert.equal(seen.a[0].headers.host, 'rewritten.test');
    assert.equal(seen.a[0].headers['x-set'], 's');
    assert.equal(seen.a[0].headers['x-remove'], undefined);
  });

  test('weight 0 takes no traffic; mirrors get a copy of the request and body', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await get(port, '/split', { host: 'app.test' })).body, 'a');
    // An invalid backend's share is answered with 500, never sent to another backend.
    for (let i = 0; i < 3; i++) assert.equal((await get(port, '/partly', { host: 'app.test' })).status, 500);
    seen.mirror.length = 0;
    const r = await get(port, '/mirrored/m', { host: 'app.test' }, { method: 'POST', body: 'payload' });
    assert.equal(r.body, 'a');
    for (let i = 0; i < 200 && !seen.mirror.length; i++) await new Promise((res) => setTimeout(res, 10));
    assert.deepEqual([seen.mirror[0]?.url, seen.mirror[0]?.body, seen.mirror[0]?.method], ['/mirrored/m', 'payload', 'POST']);
  });

  test('bodies stream both ways without buffering', async () => {
    const engine2 = new ProxyEngine({ endpoints: source, logger: createLogger('error'), fastPath });
    await engine2.setTable({ listeners: [httpListener([{ hostname: '*', rules: [rule({ backends: [be('a')] })] }])] });
    try {
      const p = engine2.listeners()[0].boundPort!;
      const echoed = await new Promise<string>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: p, path: '/echo', method: 'POST' }, (res) => {
          let got = '';
          res.on('data', (c) => {
            got += c;
            // The first chunk came back before the request body was finished: send the rest.
            if (got === 'first;') req.end('second');
          });
          res.on('end', () => resolve(got));
        });
        req.on('error', reject);
        req.flushHeaders();
        req.write('first;');
      });
      assert.equal(echoed, 'first;second');
    } finally {
      await engine2.close();
    }
  });

  test('WebSocket upgrades are forwarded and the sockets piped', async () => {
    const echoed = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/ws', headers: { host: 'app.test', connection: 'Upgrade', upgrade: 'websocket' } });
      req.on('upgrade', (res, socket) => {
        assert.equal(res.statusCode, 101);
        socket.write('hello');
        socket.once('data', (d) => {
          socket.destroy();
          resolve(d.toString());
        });
      });
      req.on('response', (res) => reject(new Error(`got ${res.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
    assert.equal(echoed, 'hello');
  });

  test('a new table serves the next request; a listener that cannot bind is reported, others serve', async () => {
    await engine.setTable({ listeners: [httpListener([{ hostname: '*', rules: [rule({ backends: [be('b')] })] }], port), httpListener([], ports.a)] });
    assert.equal((await get(port, '/anything', { host: 'app.test' })).body, 'b');
    const states = engine.listeners();
    assert.equal(states.length, 2);
    assert.equal(states.find((s) => s.port === ports.a)?.listening, false);
    assert.match(states.find((s) => s.port === ports.a)?.error ?? '', /EADDRINUSE/);
    await engine.setTable({ listeners: [httpListener(hosts, port)] });
    assert.equal((await get(port, '/split', { host: 'app.test' })).body, 'a');
  });

  test('HTTPS: certificates by SNI, the default for other names', async () => {
    const [def, one, wild] = certs;
    const engine2 = new ProxyEngine({ endpoints: source, logger: createLogger('error'), fastPath });
    await engine2.setTable({
      listeners: [
        {
          name: 'https',
          address: '127.0.0.1',
          port: 0,
          protocol: 'HTTPS',
          tls: { certificates: [{ ...one, hostnames: ['one.test'] }, { ...wild, hostnames: ['*.wild.test'] }], default: def },
          hosts: [{ hostname: '*', rules: [rule({ backends: [be('a')] })] }],
        },
      ],
    });
    const p = engine2.listeners()[0].boundPort!;
    const served = (servername: string) =>
      new Promise<string>((resolve, reject) => {
        const s = tlsConnect({ host: '127.0.0.1', port: p, servername, rejectUnauthorized: false }, () => {
          const pem = s.getPeerX509Certificate()!.toString();
          s.end();
          resolve(pem);
        });
        s.on('error', reject);
      });
    try {
      const { X509Certificate } = await import('node:crypto');
      const fp = (pem: string) => new X509Certificate(pem).fingerprint256;
      assert.equal(fp(await served('one.test')), fp(one.certPem));
      assert.equal(fp(await served('x.wild.test')), fp(wild.certPem));
      assert.equal(fp(await served('other.test')), fp(def.certPem));
    } finally {
      await engine2.close();
    }
  });
});
