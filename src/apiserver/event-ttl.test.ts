import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../storage/memory.js';
import { lastActivity, sweepExpiredEvents } from './event-ttl.js';

const hour = 3_600_000;

test('lastActivity takes the latest of creation, lastTimestamp, eventTime and series', () => {
  assert.equal(lastActivity({ metadata: { creationTimestamp: '2026-01-01T00:00:00Z' }, lastTimestamp: '2026-01-01T02:00:00Z' }), Date.parse('2026-01-01T02:00:00Z'));
  assert.equal(lastActivity({ metadata: { creationTimestamp: '2026-01-01T00:00:00Z' }, series: { lastObservedTime: '2026-01-01T03:00:00.000000Z' } }), Date.parse('2026-01-01T03:00:00Z'));
});

test('the sweeper deletes only events idle for longer than the TTL', async () => {
  const store = new MemoryStore();
  const now = Date.parse('2026-01-01T12:00:00Z');
  const ev = (name: string, last: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Event', metadata: { name, creationTimestamp: '2026-01-01T00:00:00Z' }, lastTimestamp: last });
  await store.create('/registry/events/default/old', ev('old', '2026-01-01T10:00:00Z'));
  await store.create('/registry/events/default/fresh', ev('fresh', '2026-01-01T11:30:00Z'));
  await store.create('/registry/configmaps/default/untouched', '{"metadata":{"creationTimestamp":"2000-01-01T00:00:00Z"}}');
  assert.equal(await sweepExpiredEvents({ store, prefix: '/registry/events/', ttlMs: hour, now: () => now }), 1);
  assert.equal(await store.get('/registry/events/default/old'), undefined);
  assert.ok(await store.get('/registry/events/default/fresh'));
  assert.ok(await store.get('/registry/configmaps/default/untouched'));
  await store.close();
});
