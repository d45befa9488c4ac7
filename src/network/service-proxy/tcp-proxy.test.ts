import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ConnectionTracker } from './connection-tracker.js';
import type { ProxyEndpoint } from './proxy-rules.js';
import { type Route, TcpProxy } from './tcp-proxy.js';

const endpoint = (port: number): ProxyEndpoint => ({ ip: '127.0.0.1', port, ready: true, serving: true, terminating: false });

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

/** Connects to the proxy, sends `hello`, and resolves with what comes back before the end (or the error). */
function exchange(port: number): Promise<string> {
  return new Promise((resolve) => {
    const c = net.connect({ host: '127.0.0.1', port });
    let got = '';
    c.on('data', (d) => (got += d));
    c.on('end', () => resolve(got));
    c.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
    c.end('hello');
  });
}

async function withProxy(route: (clientIP: string, exclude: ReadonlySet<string>) => Route | undefined, fn: (port: number) => Promise<void>): Promise<void> {
  const port = await closedPort();
  const proxy = new TcpProxy({ host: '127.0.0.1', port, route, tracker: new ConnectionTracker() });
  await proxy.listen();
  try {
    await fn(port);
  } finally {
    await proxy.close();
  }
}

test('an endpoint that refuses is skipped for another; every try can pick again', async () => {
  const echo = net.createServer((s) => s.on('data', (d) => s.end(`echo ${d}`)));
  const good = await listen(echo);
  const bad = await closedPort();
  const picks: number[] = [];
  // Refusing endpoint first; excluded endpoints are honoured as the proxy asks.
  const route = (_ip: string, exclude: ReadonlySet<string>): Route | undefined => {
    const ep = [endpoint(bad), endpoint(good)].find((e) => !exclude.has(`${e.ip}:${e.port}`));
    if (ep) picks.push(ep.port);
    return ep && { ruleId: 'ns/svc:http/TCP', endpoint: ep };
  };
  try {
    await withProxy(route, async (port) => assert.equal(await exchange(port), 'echo hello'));
    assert.deepEqual(picks, [bad, good]);
  } finally {
    echo.close();
  }
});

test('a lone endpoint is tried once per dial timeout, then the client is reset', async () => {
  const bad = await closedPort();
  let calls = 0;
  const route = (_ip: string, exclude: ReadonlySet<string>): Route | undefined => {
    calls++;
    return exclude.size ? undefined : { ruleId: 'ns/svc:http/TCP', endpoint: endpoint(bad) };
  };
  await withProxy(route, async (port) => assert.match(await exchange(port), /^(error ECONNRESET|)$/));
  // Four tries (the default timeouts); each retry first asks without the tried endpoint, then again.
  assert.equal(calls, 1 + 3 * 2);
});

test('without an endpoint the connection is reset at once', async () => {
  await withProxy(() => undefined, async (port) => assert.match(await exchange(port), /^(error ECONNRESET|)$/));
});
