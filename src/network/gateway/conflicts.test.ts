import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HTTPRoute, HTTPRouteMatch } from '../../api/strategies/gateway/types.js';
import { findShadowed, matchKey, shadowedMessage } from './conflicts.js';
import { comparePrecedence, type RouteEntry } from './table.js';

const route = (name: string, created: string, ns = 'default'): HTTPRoute => ({ metadata: { namespace: ns, name, creationTimestamp: created } });
const entry = (r: HTTPRoute, match: HTTPRouteMatch, ruleIndex = 0, matchIndex = 0): RouteEntry => ({ route: r, ruleIndex, matchIndex, match, rule: { matches: [], backends: [], source: r.metadata!.name! } });
const prefix = (value: string, extra: Partial<HTTPRouteMatch> = {}): HTTPRouteMatch => ({ path: { type: 'PathPrefix', value }, ...extra });
const shadowedNames = (entries: RouteEntry[]) =>
  findShadowed('a.test', [...entries].sort(comparePrecedence)).map((s) => `${s.entry.route.metadata!.name}<${s.winner.metadata!.name}`);

test('match keys: equal for the same requests whatever the order of headers and query parameters, or header name case', () => {
  assert.equal(matchKey({ path: { type: 'PathPrefix', value: '/' } }), matchKey({}));
  assert.equal(
    matchKey(prefix('/a', { headers: [{ name: 'X-A', value: '1' }, { name: 'x-b', value: '2', type: 'Exact' }], queryParams: [{ name: 'q', value: '1' }, { name: 'r', value: '2' }] })),
    matchKey(prefix('/a', { headers: [{ name: 'x-b', value: '2' }, { name: 'x-a', value: '1' }], queryParams: [{ name: 'r', value: '2' }, { name: 'q', value: '1' }] })),
  );
  assert.notEqual(matchKey(prefix('/a')), matchKey({ path: { type: 'Exact', value: '/a' } }));
  assert.notEqual(matchKey(prefix('/a')), matchKey(prefix('/a', { method: 'GET' })));
  assert.notEqual(matchKey(prefix('/a', { queryParams: [{ name: 'Q', value: '1' }] })), matchKey(prefix('/a', { queryParams: [{ name: 'q', value: '1' }] })));
  assert.notEqual(matchKey(prefix('/a', { headers: [{ name: 'x', value: 'A' }] })), matchKey(prefix('/a', { headers: [{ name: 'x', value: 'a' }] })));
});

test('the older route wins an identical match; the younger is shadowed, once per match', () => {
  const old = route('old', '2026-01-01T00:00:00Z');
  const young = route('young', '2026-01-02T00:00:00Z');
  assert.deepEqual(shadowedNames([entry(young, prefix('/api')), entry(old, prefix('/api')), entry(young, prefix('/other'), 1)]), ['young<old']);
  // Three routes on one match: both younger ones lose to the oldest.
  const youngest = route('youngest', '2026-01-03T00:00:00Z');
  assert.deepEqual(shadowedNames([entry(youngest, prefix('/')), entry(young, prefix('/')), entry(old, prefix('/'))]), ['young<old', 'youngest<old']);
});

test('the same age: the first by namespace/name wins', () => {
  const b = route('b', '2026-01-01T00:00:00Z');
  const a = route('a', '2026-01-01T00:00:00Z', 'zz');
  const a2 = route('a', '2026-01-01T00:00:00Z', 'aa');
  assert.deepEqual(shadowedNames([entry(b, prefix('/')), entry(a, prefix('/')), entry(a2, prefix('/'))]), ['b<a', 'a<a']);
});

test('no conflict: a more specific match, different matches, or duplicates within one route', () => {
  const old = route('old', '2026-01-01T00:00:00Z');
  const young = route('young', '2026-01-02T00:00:00Z');
  assert.deepEqual(shadowedNames([entry(old, prefix('/api')), entry(young, prefix('/api', { headers: [{ name: 'x-v', value: '2' }] }))]), []);
  assert.deepEqual(shadowedNames([entry(old, prefix('/api')), entry(young, { path: { type: 'Exact', value: '/api' } })]), []);
  assert.deepEqual(shadowedNames([entry(old, prefix('/api'), 0), entry(old, prefix('/api'), 1)]), []);
});

test('the message names the match, the host and the route that serves it', () => {
  const old = route('old', '2026-01-01T00:00:00Z');
  const young = route('young', '2026-01-02T00:00:00Z');
  const [s] = findShadowed('a.test', [entry(old, prefix('/api')), entry(young, prefix('/api', { method: 'GET' }), 2, 1)].map((e) => ({ ...e, match: prefix('/api', { method: 'GET' }) })));
  assert.equal(shadowedMessage(s!), 'rule 2 match 1 (PathPrefix /api method GET) of host a.test is already served by the older HTTPRoute default/old');
  const [same] = findShadowed('a.test', [entry(route('a', '2026-01-01T00:00:00Z'), prefix('/')), entry(route('b', '2026-01-01T00:00:00Z'), prefix('/'))]);
  assert.equal(shadowedMessage(same!), 'rule 0 match 0 (PathPrefix /) of host a.test is already served by HTTPRoute default/a (same age, first by namespace/name)');
});
