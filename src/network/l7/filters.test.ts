import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { applyHeaderModifier, clientAddress, pickBackend, redirectLocation, rewritePath, setForwardedHeaders, stripHopByHop } from './filters.js';
import type { Backend } from './route-table.js';

const b = (service: string, weight?: number): Backend => ({ namespace: 'ns', service, port: 80, weight });

describe('weighted backend choice', () => {
  test('weights split the unit interval; weight 0 is never chosen', () => {
    const backends = [b('a', 1), b('zero', 0), b('c', 3)];
    const counts: Record<string, number> = {};
    for (let i = 0; i < 100; i++) {
      const s = pickBackend(backends, i / 100)!.service;
      counts[s] = (counts[s] ?? 0) + 1;
    }
    assert.deepEqual(counts, { a: 25, c: 75 });
    assert.equal(pickBackend([b('x'), b('y')], 0.99)?.service, 'y');
    assert.equal(pickBackend([b('z', 0)], 0.1), undefined);
    assert.equal(pickBackend([], 0.1), undefined);
    assert.equal(pickBackend([b('z', 0), b('w', 0)], 0.5), undefined);
  });
});

describe('header modifiers', () => {
  test('set replaces, add appends, remove deletes; names are case-insensitive', () => {
    const h: IncomingHttpHeaders = { 'x-a': '1', 'x-b': '2', 'set-cookie': ['c=1'] };
    applyHeaderModifier(h, { set: [{ name: 'X-A', value: 'one' }], add: [{ name: 'x-b', value: '3' }, { name: 'x-new', value: 'n' }, { name: 'Set-Cookie', value: 'd=2' }], remove: ['X-Gone', 'x-new'] });
    assert.deepEqual(h, { 'x-a': 'one', 'x-b': '2,3', 'set-cookie': ['c=1', 'd=2'] });
  });
  test('hop-by-hop headers and those Connection names are dropped; Upgrade kept on request', () => {
    const h: IncomingHttpHeaders = { connection: 'Upgrade, X-Secret', upgrade: 'websocket', 'x-secret': 's', 'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked', host: 'h' };
    stripHopByHop(h, true);
    assert.deepEqual(h, { upgrade: 'websocket', host: 'h' }); // the proxy sets its own Connection: upgrade
    const h2: IncomingHttpHeaders = { connection: 'keep-alive', te: 'trailers', host: 'h' };
    stripHopByHop(h2);
    assert.deepEqual(h2, { host: 'h' });
  });
  test('X-Forwarded-* and X-Real-IP replace what the client sent', () => {
    const h: IncomingHttpHeaders = { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https' };
    setForwardedHeaders(h, { remoteAddress: clientAddress('::ffff:10.0.0.7'), scheme: 'http', port: 8080, host: 'a.example.com:8080' });
    assert.deepEqual(h, { 'x-forwarded-for': '10.0.0.7', 'x-real-ip': '10.0.0.7', 'x-forwarded-proto': 'http', 'x-forwarded-scheme': 'http', 'x-forwarded-host': 'a.example.com:8080', 'x-forwarded-port': '8080' });
    assert.equal(clientAddress('::1'), '::1');
  });
});

describe('rewrites and redirects', () => {
  const prefix = { path: { type: 'PathPrefix' as const, value: '/foo' } };
  test('ReplacePrefixMatch replaces the matched prefix element-wise; ReplaceFullPath the whole path', () => {
    assert.equal(rewritePath({ type: 'ReplacePrefixMatch', value: '/bar' }, '/foo/x', prefix), '/bar/x');
    assert.equal(rewritePath({ type: 'ReplacePrefixMatch', value: '/' }, '/foo/x', prefix), '/x');
    assert.equal(rewritePath({ type: 'ReplacePrefixMatch', value: '/' }, '/foo', prefix), '/');
    assert.equal(rewritePath({ type: 'ReplacePrefixMatch', value: '/bar/' }, '/foo', { path: { type: 'PathPrefix', value: '/foo/' } }), '/bar');
    assert.equal(rewritePath({ type: 'ReplaceFullPath', value: '/new' }, '/foo/x', prefix), '/new');
  });
  test('redirect locations: scheme change goes to the well-known port; default ports are left out', () => {
    const r = { scheme: 'http' as const, host: 'a.example.com', port: 8080, path: '/p', query: 'q=1' };
    assert.equal(redirectLocation({ type: 'RequestRedirect', scheme: 'https' }, r, undefined), 'https://a.example.com/p?q=1');
    assert.equal(redirectLocation({ type: 'RequestRedirect', scheme: 'https', port: 8443 }, r, undefined), 'https://a.example.com:8443/p?q=1');
    assert.equal(redirectLocation({ type: 'RequestRedirect', hostname: 'b.example.com' }, r, undefined), 'http://b.example.com:8080/p?q=1');
    assert.equal(redirectLocation({ type: 'RequestRedirect', path: { type: 'ReplacePrefixMatch', value: '/bar' } }, { ...r, path: '/foo/z', port: 80, query: '' }, prefix), 'http://a.example.com/bar/z');
  });
});
