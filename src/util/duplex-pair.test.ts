import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { duplexPair } from './duplex-pair.js';

describe('duplexPair', () => {
  test('bytes flow both ways; ending one end ends the other', async () => {
    const [a, b] = duplexPair();
    const got: Buffer[] = [];
    b.on('data', (d: Buffer) => got.push(d));
    const ended = new Promise((r) => b.on('end', r));
    a.write('hello ');
    a.end('world');
    await ended;
    assert.equal(Buffer.concat(got).toString(), 'hello world');
  });

  test('a write waits until the reader asks for more', async () => {
    const [a, b] = duplexPair();
    b.pause();
    const big = Buffer.alloc(64 * 1024, 1);
    let wrote = 0;
    for (let i = 0; i < 8; i++) if (a.write(big)) wrote++;
    assert.ok(wrote < 8, 'backpressure reached the writer');
    let read = 0;
    b.on('data', (d: Buffer) => (read += d.length));
    b.resume();
    await new Promise<void>((r) => a.once('drain', () => r()));
    assert.ok(read > 0);
    a.destroy();
    b.destroy();
  });

  test('an http.Server and an http.Agent talk over it, keep-alive and streaming included', async () => {
    const server = http.createServer((req, res) => {
      if (req.url === '/stream') {
        res.writeHead(200);
        res.write('a\n');
        setTimeout(() => res.end('b\n'), 5);
        return;
      }
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => res.end(`${req.method} ${req.url} ${body}`));
    });
    class InProcess extends http.Agent {
      override createConnection(): never {
        const [client, srv] = duplexPair();
        server.emit('connection', srv);
        return client as never;
      }
    }
    const agent = new InProcess({ keepAlive: true, maxSockets: 2 });
    const call = (path: string, body?: string) =>
      new Promise<string>((resolve, reject) => {
        const req = http.request({ host: 'in-process', path, method: body ? 'POST' : 'GET', agent }, (res) => {
          let s = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (s += d));
          res.on('end', () => resolve(s));
        });
        req.on('error', reject);
        req.end(body);
      });
    assert.equal(await call('/x', 'hi'), 'POST /x hi');
    assert.equal(await call('/y'), 'GET /y ');
    assert.equal(await call('/stream'), 'a\nb\n');
    agent.destroy();
  });

  test('requests with a timeout on a kept-alive connection do not pile up timeout listeners', async () => {
    const ends: Duplex[] = [];
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    class InProcess extends http.Agent {
      override createConnection(): never {
        const [client, srv] = duplexPair();
        ends.push(client, srv);
        server.emit('connection', srv);
        return client as never;
      }
    }
    const agent = new InProcess({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = http.request({ host: 'in-process', path: '/', agent, timeout: 5000 }, (res) => {
          res.resume();
          res.on('end', () => resolve());
        });
        req.on('error', reject);
        req.end();
      });
    }
    assert.equal(ends.length, 2, 'one connection served every request');
    for (const end of ends) assert.ok(end.listenerCount('timeout') <= 1, `${end.listenerCount('timeout')} timeout listeners`);
    agent.destroy();
  });
});
