import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSummary, rfc3339 } from './summary.js';
import { cpuRate, UsageSeries, type UsagePoint } from './usage.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const pt = (dtMs: number, cpuNs: number, mem = 4096): UsagePoint => ({ timestampMs: T0 + dtMs, cpuNs, workingSetBytes: mem, usageBytes: mem, rssBytes: mem });

test('cpuRate: the counter difference over the time between the two points, in nanocores', () => {
  assert.deepEqual(cpuRate(pt(0, 1e9), pt(10_000, 6e9)), { nanoCores: 500_000_000, windowMs: 10_000 });
  assert.deepEqual(cpuRate(pt(0, 0), pt(2_000, 3e6)), { nanoCores: 1_500_000, windowMs: 2_000 });
});

test('cpuRate: no rate for a single point, a counter that went back, or no elapsed time', () => {
  assert.equal(cpuRate(undefined, pt(0, 5)), undefined);
  assert.equal(cpuRate(pt(0, 10), pt(1000, 5)), undefined);
  assert.equal(cpuRate(pt(1000, 1), pt(1000, 5)), undefined);
});

test('cpuRate: a container seen once counts from its start when it is old enough', () => {
  assert.deepEqual(cpuRate(undefined, pt(4_000, 4e9), T0), { nanoCores: 1e9, windowMs: 4_000 });
  assert.equal(cpuRate(undefined, pt(500, 1e8), T0, 1000), undefined);
});

test('UsageSeries keeps the last two points and ignores points that are not newer', () => {
  const s = new UsageSeries();
  s.push(pt(0, 0));
  s.push(pt(10_000, 1e9));
  s.push(pt(5_000, 9e9));
  s.push(pt(20_000, 3e9));
  assert.equal(s.previous()?.cpuNs, 1e9);
  assert.equal(s.latest()?.cpuNs, 3e9);
  assert.deepEqual(s.rate(), { nanoCores: 200_000_000, windowMs: 10_000 });
});

test('rfc3339 writes whole seconds in UTC', () => {
  assert.equal(rfc3339(T0 + 1_999), '2024-01-01T12:00:01Z');
});

test('buildSummary: node and pods with containers; pod totals only when every container has a reading', () => {
  const node = new UsageSeries();
  node.push(pt(0, 100e9, 1 * 2 ** 30));
  node.push(pt(10_000, 110e9, 1 * 2 ** 30));
  const burner = new UsageSeries();
  burner.push(pt(0, 1e9, 8192));
  burner.push(pt(10_000, 11e9, 12288));
  const fresh = new UsageSeries();
  fresh.push(pt(10_000, 1e6, 4096));
  const s = buildSummary({
    nodeName: 'n1',
    bootTimeMs: T0 - 3_600_000,
    node,
    nodeAvailableBytes: 2 * 2 ** 30,
    pods: [
      { name: 'b', namespace: 'default', uid: 'u-b', startTimeMs: T0 - 60_000, containers: [{ name: 'burn', startedAtMs: T0 - 50_000, series: burner }] },
      { name: 'a', namespace: 'default', uid: 'u-a', startTimeMs: T0 + 9_900, containers: [{ name: 'new', startedAtMs: T0 + 9_900, series: fresh }, { name: 'idle', startedAtMs: T0 + 9_900, series: new UsageSeries() }] },
    ],
  });
  assert.deepEqual(s.node, {
    nodeName: 'n1',
    startTime: '2024-01-01T11:00:00Z',
    cpu: { time: '2024-01-01T12:00:10Z', usageNanoCores: 1e9, usageCoreNanoSeconds: 110e9 },
    memory: { time: '2024-01-01T12:00:10Z', availableBytes: 2 * 2 ** 30, usageBytes: 1 * 2 ** 30, workingSetBytes: 1 * 2 ** 30 },
  });
  assert.deepEqual(s.pods.map((p) => p.podRef.name), ['a', 'b']);
  const b = s.pods[1]!;
  assert.deepEqual(b.containers[0], {
    name: 'burn',
    startTime: '2024-01-01T11:59:10Z',
    cpu: { time: '2024-01-01T12:00:10Z', usageNanoCores: 1e9, usageCoreNanoSeconds: 11e9 },
    memory: { time: '2024-01-01T12:00:10Z', usageBytes: 12288, workingSetBytes: 12288, rssBytes: 12288 },
  });
  assert.deepEqual(b.cpu, { time: '2024-01-01T12:00:10Z', usageNanoCores: 1e9, usageCoreNanoSeconds: 11e9 });
  const a = s.pods[0]!;
  // Started 100 ms before its only point: too young for a rate, and one container has no reading.
  assert.equal(a.containers.find((c) => c.name === 'new')?.cpu?.usageNanoCores, undefined);
  assert.equal(a.containers.find((c) => c.name === 'idle')?.cpu, undefined);
  assert.equal(a.cpu, undefined);
  assert.equal(a.memory, undefined);
});
