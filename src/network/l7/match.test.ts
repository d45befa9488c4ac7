import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findVirtualHost, hostOf, matchRequest, pathMatches, splitTarget, type RequestView } from './match.js';
import type { Listener, Rule } from './route-table.js';

const rule = (source: string, matches: Rule['matches']): Rule => ({ matches, backends: [], source });
const listener = (hosts: Listener['hosts']): Listener => ({ name: 'l', address: '127.0.0.1', port: 0, protocol: 'HTTP', hosts });
const req = (over: Partial<RequestView>): RequestView => ({ host: 'a.example.com', path: '/', query: '', method: 'GET', headers: {}, ...over });

describe('host matching', () => {
  const l = listener([
    { hostname: '*', rules: [rule('any', [])] },
    { hostname: '*.example.com', rules: [rule('wild', [])] },
    { hostname: '*.b.example.com', rules: [rule('wild-b', [])] },
    { hostname: 'a.example.com', rules: [rule('exact', [])] },
  ]);
  test('exact, then the longest wildcard, then *', () => {
    assert.equal(findVirtualHost(l, 'a.example.com')?.rules[0].source, 'exact');
    assert.equal(findVirtualHost(l, 'x.b.example.com')?.rules[0].source, 'wild-b');
    assert.equal(findVirtualHost(l, 'x.y.example.com')?.rules[0].source, 'wild');
    assert.equal(findVirtualHost(l, 'example.com')?.rules[0].source, 'any');
    assert.equal(findVirtualHost(listener([{ hostname: 'a', rules: [] }]), 'b'), undefined);
  });
  test('Host header: port stripped, lowercased, IPv6 literals kept', () => {
    assert.equal(hostOf('A.Example.com:8080'), 'a.example.com');
    assert.equal(hostOf('[::1]:80'), '[::1]');
    assert.equal(hostOf(undefined), '');
  });
});

describe('rule matching', () => {
  test('paths: Exact, element-wise PathPrefix, anchored RegularExpression', () => {
    assert.ok(pathMatches({ type: 'Exact', value: '/a' }, '/a'));
    assert.ok(!pathMatches({ type: 'Exact', value: '/a' }, '/a/'));
    assert.ok(pathMatches({ type: 'PathPrefix', value: '/foo' }, '/foo/bar'));
    assert.ok(pathMatches({ type: 'PathPrefix', value: '/foo/' }, '/foo'));
    assert.ok(!pathMatches({ type: 'PathPrefix', value: '/foo' }, '/foobar'));
    assert.ok(pathMatches({ type: 'RegularExpression', value: '/v[0-9]+/.*' }, '/v2/x'));
    assert.ok(!pathMatches({ type: 'RegularExpression', value: '/v[0-9]+' }, '/v2/x'));
    assert.ok(!pathMatches({ type: 'RegularExpression', value: '(' }, '/'));
  });
  test('the first accepting rule wins; headers, query params and method must all match', () => {
    const l = listener([
      {
        hostname: 'a.example.com',
        rules: [
          rule('hdr', [{ path: { type: 'PathPrefix', value: '/' }, headers: [{ name: 'X-Canary', value: 'yes' }] }]),
          rule('query', [{ queryParams: [{ name: 'v', value: '2' }], method: 'POST' }]),
          rule('re', [{ headers: [{ name: 'user-agent', value: 'curl/.*', type: 'RegularExpression' }] }]),
          rule('api', [{ path: { type: 'PathPrefix', value: '/api' } }, { path: { type: 'Exact', value: '/v1' } }]),
        ],
      },
    ]);
    const src = (r: Partial<RequestView>) => matchRequest(l, req(r))?.rule.source;
    assert.equal(src({ headers: { 'x-canary': 'yes' } }), 'hdr');
    assert.equal(src({ query: 'a=1&v=2', method: 'POST' }), 'query');
    assert.equal(src({ query: 'v=2' }), undefined);
    assert.equal(src({ headers: { 'user-agent': 'curl/8.0' } }), 're');
    assert.equal(src({ path: '/api/x' }), 'api');
    const m = matchRequest(l, req({ path: '/v1' }));
    assert.deepEqual(m?.match, { path: { type: 'Exact', value: '/v1' } });
    assert.equal(src({ path: '/other' }), undefined);
    assert.equal(src({ host: 'b.example.com', path: '/api' }), undefined);
  });
  test('splitTarget keeps the raw path and query', () => {
    assert.deepEqual(splitTarget('/a%20b?x=1&y'), { path: '/a%20b', query: 'x=1&y' });
    assert.deepEqual(splitTarget(undefined), { path: '/', query: '' });
  });
});
