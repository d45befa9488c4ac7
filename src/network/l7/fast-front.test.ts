/** The proxy's raw-socket fast path, driven byte by byte through the engine against loopback backends. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import { type AddressInfo, type Server as NetServer, type Socket, connect, createServer as createNetServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { createLogger } from '../../util/logger.js';
import { generateFakeCertificate } from '../ingress/fake-certificate.js';
import type { EndpointSource, Resolution } from './endpoints.js';
import { ProxyEngine } from './proxy-engine.js';
import type { Backend, Listener, Rule } from './route-table.js';

const listen = (s: Server | NetServer): Promise<number> => new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));

/** A backend answering with what it saw (JSON), plus special paths. */
function backend(): Server {
  return createServer((req, res) => {
    if (req.url === '/hang') return;
    if (req.url === '/chunked') {
      res.write('ab');
      setImmediate(() => res.end('cd'));
      return;
    }
    if (req.url === '/nocontent') {
      res.writeHead(204);
      return res.end();
    }
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const text = JSON.stringify({ method: req.method, url: req.url, body, headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
}

/**
 * A raw backend: the first request on a connection gets a keep-alive answer, the second finds
 * the connection closed (a stale pooled connection); `/close` gets a close-delimited body.
 */
function rawBackend(): NetServer {
  return createNetServer((so) => {
    let n = 0;
    let buf = '';
    so.on('error', () => undefined);
    so.on('data', (d) => {
      buf += d.toString('latin1');
      while (buf.includes('\r\n\r\n')) {
        const head = buf.slice(0, buf.indexOf('\r\n\r\n'));
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        if (head.startsWith('GET /close ')) return so.end('HTTP/1.1 200 OK\r\nx-kind: close\r\n\r\nuntil-close');
        if (++n > 1) return so.destroy();
        so.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nfresh');
      }
    });
  });
}

/** Writes `pieces` one by one (each after the previous is flushed) and reads until the proxy closes. */
function converse(port: number, pieces: (string | Buffer)[], tls = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const so: Socket = tls ? tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: 'app.test' }) : connect(port, '127.0.0.1');
    let got = '';
    so.on('data', (d) => (got += d.toString('latin1')));
    so.on('end', () => {
      so.end();
      resolve(got);
    });
    so.on('close', () => resolve(got));
    so.on('error', reject);
    const send = (i: number) => {
      if (i < pieces.length) so.write(pieces[i], () => setImmediate(() => send(i + 1)));
    };
    so.once(tls ? 'secureConnect' : 'connect', () => send(0));
  });
}

/** The responses in a byte stream (status, headers, body), framed by Content-Length or chunked or close. */
function responses(raw: string, bodiless: number[] = []): { status: number; headers: Record<string, string>; body: string }[] {
  const out = [];
  let rest = raw;
  while (rest.length) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const lines = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
    rest = rest.slice(end + 4);
    let body = '';
    if (bodiless.includes(out.length) || /^HTTP\/1\.1 (204|304)/.test(lines[0])) {
      // no body whatever the fields say
    } else if (headers['content-length'] !== undefined) {
      body = rest.slice(0, Number(headers['content-length']));
      rest = rest.slice(body.length);
    } else if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        const eol = rest.indexOf('\r\n');
        const size = parseInt(rest.slice(0, eol), 16);
        rest = rest.slice(eol + 2);
        if (size === 0) {
          rest = rest.slice(rest.indexOf('\r\n') + 2);
          break;
        }
        body += rest.slice(0, size);
        rest = rest.slice(size + 2);
      }
    } else {
      body = rest;
      rest = '';
    }
    out.push({ status: Number(lines[0].split(' ')[1]), headers, body });
  }
  return out;
}

describe('proxy fast path', () => {
  const http = backend();
  const raw = rawBackend();
  const endpoints = new Map<string, Resolution>();
  const source: EndpointSource = { resolve: (b: Backend) => endpoints.get(b.service) ?? { kind: 'no-service' } };
  const engine = new ProxyEngine({ endpoints: source, logger: createLogger('error') });
  const be = (service: string): Backend => ({ namespace: 'ns', service, port: 80 });
  const rule = (r: Partial<Rule>): Rule => ({ matches: [], backends: [], source: 'test', ...r });
  const prefix = (value: string) => [{ path: { type: 'PathPrefix' as const, value } }];
  let port = 0;
  let tlsPort = 0;

  before(async () => {
    endpoints.set('http', { kind: 'ok', addresses: [{ ip: '127.0.0.1', port: await listen(http) }] });
    endpoints.set('raw', { kind: 'ok', addresses: [{ ip: '127.0.0.1', port: await listen(raw) }] });
    const hosts: Listener['hosts'] = [
      {
        hostname: '*',
        rules: [
          rule({ matches: prefix('/raw'), backends: [be('raw')] }),
          rule({ matches: prefix('/close'), backends: [be('raw')] }),
          rule({ matches: prefix('/hang'), backends: [be('http')], readTimeoutMs: 100 }),
          rule({ matches: prefix('/none'), backends: [be('missing')] }),
          rule({ matches: prefix('/'), backends: [be('http')], filters: [{ type: 'ResponseHeaderModifier', modifier: { set: [{ name: 'x-via', value: 'capstan' }] } }] }),
        ],
      },
    ];
    const cert = await generateFakeCertificate();
    await engine.setTable({
      listeners: [
        { name: 'http', address: '127.0.0.1', port: 0, protocol: 'HTTP', hosts },
        { name: 'https', address: '127.0.0.1', port: 0, protocol: 'HTTPS', tls: { certificates: [], default: cert }, hosts },
      ],
    });
    port = engine.listeners().find((l) => l.name === 'http')!.boundPort!;
    tlsPort = engine.listeners().find((l) => l.name === 'https')!.boundPort!;
  });
  after(async () => {
    await engine.close();
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
    await new Promise((r) => raw.close(r));
  });

  const seen = (r: { body: string }) => JSON.parse(r.body) as { method: string; url: string; body: string; headers: Record<string, string> };

  test('pipelined requests (no body, Content-Length, chunked) are answered in order on one connection', async () => {
    const all =
      'GET /one HTTP/1.1\r\nHost: a\r\n\r\n' +
      'POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello' +
      'POST /three HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n' +
      '\r\nGET /four HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n';
    const rs = responses(await converse(port, [all]));
    assert.deepEqual(
      rs.map((r) => [r.status, seen(r).method, seen(r).url, seen(r).body, r.headers['x-via']]),
      [
        [200, 'GET', '/one', '', 'capstan'],
        [200, 'POST', '/two', 'hello', 'capstan'],
        [200, 'POST', '/three', 'abcde', 'capstan'],
        [200, 'GET', '/four', '', 'capstan'],
      ],
    );
    assert.equal(rs[0].headers.connection, 'keep-alive');
    assert.equal(rs[3].headers.connection, 'close');
    const h = seen(rs[1]).headers;
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h['x-forwarded-port'], String(port));
    assert.equal(h.host, 'a');
  });

  test('a request split at every byte, chunked body included, arrives whole', async () => {
    const req = 'POST /split HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n4\r\nwxyz\r\n0\r\n\r\n';
    const rs = responses(await converse(port, [...req]));
    assert.equal(rs.length, 1);
    assert.deepEqual([seen(rs[0]).url, seen(rs[0]).body], ['/split', 'wxyz']);
  });

  test('chunked, empty and close-delimited responses keep their framing', async () => {
    const rs = responses(await converse(port, ['GET /chunked HTTP/1.1\r\nHost: a\r\n\r\nGET /nocontent HTTP/1.1\r\nHost: a\r\n\r\nHEAD /x HTTP/1.1\r\nHost: a\r\n\r\nGET /close HTTP/1.1\r\nHost: a\r\n\r\n']), [2]);
    assert.deepEqual(
      rs.map((r) => [r.status, r.body]),
      [
        [200, 'abcd'],
        [204, ''],
        [200, ''],
        [200, 'until-close'],
      ],
    );
    assert.equal(rs[0].headers['transfer-encoding'], 'chunked');
    assert.equal(rs[3].headers.connection, 'close');
  });

  test('a pooled connection the backend closed is replaced: the request is sent again', async () => {
    const rs = responses(await converse(port, ['GET /raw HTTP/1.1\r\nHost: a\r\n\r\n', 'GET /raw HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n']));
    assert.deepEqual(
      rs.map((r) => [r.status, r.body]),
      [
        [200, 'fresh'],
        [200, 'fresh'],
      ],
    );
  });

  test('bad heads get 400, oversized ones 431, and the connection closes; the proxy serves on', async () => {
    assert.match(await converse(port, ['NOT A REQUEST\r\n\r\nGET / HTTP/1.1\r\n\r\n']), /^HTTP\/1\.1 400 Bad Request\r\n[^]*connection: close\r\n\r\n$/);
    assert.match(await converse(port, ['GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n']), /^HTTP\/1\.1 400 /);
    assert.match(await converse(port, ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n']), /^HTTP\/1\.1 400 /);
    assert.match(await converse(port, [`GET / HTTP/1.1\r\nX: ${'a'.repeat(70_000)}`]), /^HTTP\/1\.1 431 /);
    assert.equal(responses(await converse(port, ['GET /after HTTP/1.1\r\nConnection: close\r\n\r\n']))[0].status, 200);
  });

  test('proxy answers and failures: 503 without a Service (body dropped, connection kept), 504 on the read timeout', async () => {
    const rs = responses(await converse(port, ['POST /none HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc', 'GET /hang HTTP/1.1\r\nHost: a\r\n\r\n', 'GET /ok HTTP/1.1\r\nConnection: close\r\n\r\n']));
    assert.deepEqual(
      rs.map((r) => r.status),
      [503, 504, 200],
    );
  });

  test('HTTP/1.0 and a mid-connection Upgrade are handed to node:http', async () => {
    const r10 = await converse(port, ['GET /old HTTP/1.0\r\nHost: a\r\n\r\n']);
    assert.match(r10, /^HTTP\/1\.1 200 OK\r\n/);
    assert.equal(seen(responses(r10)[0]).url, '/old');
    // A fast-path request, then an upgrade that the backend declines (node:http relays the answer).
    const rs = responses(await converse(port, ['GET /first HTTP/1.1\r\nHost: a\r\n\r\nGET /second HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: x-test\r\n\r\n']));
    assert.equal(rs.length, 2);
    assert.deepEqual(
      rs.map((r) => seen(r).url),
      ['/first', '/second'],
    );
  });

  test('HTTPS requests are served on the fast path after TLS termination', async () => {
    const rs = responses(await converse(tlsPort, ['GET /tls HTTP/1.1\r\nHost: a\r\n\r\n', 'GET /tls2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'], true));
    assert.deepEqual(
      rs.map((r) => [r.status, seen(r).url, seen(r).headers['x-forwarded-proto']]),
      [
        [200, '/tls', 'https'],
        [200, '/tls2', 'https'],
      ],
    );
  });
});
