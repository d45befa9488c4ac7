import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { desiredGroups, planSlices } from './slice-decisions.js';

const svc: Service = { metadata: { name: 'web', namespace: 'ns', uid: 'svc-uid', labels: { team: 'ml' } }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] } };

function pod(i: number, opts: { ready?: boolean; deleting?: boolean } = {}): Pod {
  return {
    metadata: { name: `p${i}`, namespace: 'ns', uid: `u${i}`, labels: { app: 'web' }, ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: 'n1', containers: [{ name: 'c' }] },
    status: { phase: 'Running', podIP: `10.42.${i >> 8}.${i & 255}`, conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  };
}

const nodes = (n: string) => (n === 'n1' ? { metadata: { name: 'n1', labels: { 'topology.kubernetes.io/zone': 'z1' } } } : undefined);
const groups = (pods: Pod[]) => desiredGroups(svc, pods, 'IPv4', nodes);
let seq = 0;
/** Applies a plan the way the API would (names for created slices). */
function apply(existing: EndpointSlice[], plan: ReturnType<typeof planSlices>): EndpointSlice[] {
  const gone = new Set(plan.delete.map((s) => s.metadata!.name));
  const updated = new Map(plan.update.map((s) => [s.metadata!.name, s]));
  const out = existing.filter((s) => !gone.has(s.metadata!.name)).map((s) => updated.get(s.metadata!.name) ?? s);
  for (const c of plan.create) out.push({ ...c, metadata: { ...c.metadata, name: `web-${++seq}` } });
  return out;
}

test('endpoints carry conditions, node, zone and target; terminating pods stay, not ready', () => {
  const plan = planSlices(svc, 'IPv4', groups([pod(1), pod(2, { ready: false }), pod(3, { deleting: true })]), []);
  assert.equal(plan.create.length, 1);
  const s = plan.create[0];
  assert.equal(s.metadata!.generateName, 'web-');
  assert.deepEqual(s.metadata!.labels, { team: 'ml', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
  assert.deepEqual(s.metadata!.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }]);
  assert.deepEqual(s.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  assert.deepEqual(s.endpoints.map((e) => [e.addresses[0], e.conditions]), [
    ['10.42.0.1', { ready: true, serving: true, terminating: false }],
    ['10.42.0.2', { ready: false, serving: false, terminating: false }],
    ['10.42.0.3', { ready: false, serving: true, terminating: true }],
  ]);
  assert.equal(s.endpoints[0].zone, 'z1');
  assert.equal(s.endpoints[0].nodeName, 'n1');
});

test('slices hold at most 100 endpoints; growing fills slices with room before creating new ones', () => {
  let slices = apply([], planSlices(svc, 'IPv4', groups(Array.from({ length: 250 }, (_, i) => pod(i))), []));
  assert.deepEqual(slices.map((s) => s.endpoints.length), [100, 100, 50]);
  const plan = planSlices(svc, 'IPv4', groups(Array.from({ length: 260 }, (_, i) => pod(i))), slices);
  assert.equal(plan.create.length, 0);
  assert.equal(plan.update.length, 1);
  slices = apply(slices, plan);
  assert.deepEqual(slices.map((s) => s.endpoints.length), [100, 100, 60]);
  // Nothing changed: nothing to do.
  const same = planSlices(svc, 'IPv4', groups(Array.from({ length: 260 }, (_, i) => pod(i))), slices);
  assert.deepEqual([same.create.length, same.update.length, same.delete.length], [0, 0, 0]);
  // A readiness change rewrites only the slice holding that pod.
  const flip = planSlices(svc, 'IPv4', groups(Array.from({ length: 260 }, (_, i) => pod(i, { ready: i !== 150 }))), slices);
  assert.equal(flip.update.length, 1);
  assert.ok(flip.update[0].endpoints.some((e) => e.targetRef!.name === 'p150' && e.conditions!.ready === false));
});

test('a service without endpoints keeps one placeholder slice; endpoints appearing replace it', () => {
  const empty = apply([], planSlices(svc, 'IPv4', groups([]), []));
  assert.equal(empty.length, 1);
  assert.deepEqual(empty[0].endpoints, []);
  assert.equal(empty[0].ports, undefined);
  const again = planSlices(svc, 'IPv4', groups([]), empty);
  assert.deepEqual([again.create.length, again.update.length, again.delete.length], [0, 0, 0]);
  const grown = planSlices(svc, 'IPv4', groups([pod(1)]), empty);
  assert.equal(grown.create.length, 1);
  assert.deepEqual(grown.delete.map((s) => s.metadata!.name), [empty[0].metadata!.name]);
  const slices = apply(empty, grown);
  const shrunk = planSlices(svc, 'IPv4', groups([]), slices);
  assert.equal(shrunk.delete.length, 1);
  assert.equal(shrunk.create.length, 1);
  assert.deepEqual(shrunk.create[0].endpoints, []);
});
