import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore } from '../../storage/memory.js';
import { createLogger } from '../../util/logger.js';
import { NodePortAllocator, ServiceIPAllocator } from './allocators.js';
import { passesBeforeRelease, planRepair, ServiceRangeRepair } from './repair.js';
import { isSet, setBit } from './stored-range.js';

test('planRepair marks used values at once and releases leaks only after several passes', () => {
  const stored = new Uint8Array(1);
  setBit(stored, 1, true); // leaked
  let leaks = new Map<number, number>();
  let plan = planRepair(stored, new Set([3]), 8, leaks, false);
  assert.deepEqual(plan.marked, [3]);
  assert.ok(isSet(plan.bits, 1), 'not yet released');
  for (let pass = 2; pass <= passesBeforeRelease; pass++) {
    leaks = plan.leaks;
    plan = planRepair(plan.bits, new Set([3]), 8, leaks, false);
  }
  assert.deepEqual(plan.released, [1]);
  assert.ok(!isSet(plan.bits, 1));
  assert.ok(isSet(plan.bits, 3));
  const rebuilt = planRepair(Uint8Array.from([0xff]), new Set([2]), 8, new Map(), true);
  assert.deepEqual([...rebuilt.bits], [0b100]);
});

test('the repair loop marks the addresses of stored Services and rebuilds after a range change', async () => {
  const store = new MemoryStore();
  const logger = createLogger('error');
  await store.create('/registry/services/default/a', JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'a', namespace: 'default' }, spec: { type: 'NodePort', clusterIP: '10.43.0.9', clusterIPs: ['10.43.0.9'], ports: [{ port: 80, nodePort: 30005 }] } }));
  const ips = new ServiceIPAllocator(store, '10.43.0.0/24');
  const ports = new NodePortAllocator(store, '30000-30010');
  await new ServiceRangeRepair({ store, servicesPrefix: '/registry/services/', ips, ports, logger }).runOnce();
  await assert.rejects(ips.allocate('10.43.0.9'), /already allocated/);
  await assert.rejects(ports.allocate(30005), /already allocated/);
  await ips.allocate('10.43.0.20');
  // A different range: the old bitmap is dropped and only what Services use in the new range stays.
  const wider = new ServiceIPAllocator(store, '10.43.0.0/16');
  await new ServiceRangeRepair({ store, servicesPrefix: '/registry/services/', ips: wider, ports, logger }).runOnce();
  await assert.rejects(wider.allocate('10.43.0.9'), /already allocated/);
  await wider.allocate('10.43.0.20');
});
