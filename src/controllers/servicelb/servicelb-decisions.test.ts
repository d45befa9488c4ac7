import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { desiredIngress, managedByServiceLB, needsCleanup, statusUpdate } from './servicelb-decisions.js';

const node = (name: string, ready: string, ...ips: string[]): Node => ({
  metadata: { name },
  status: { conditions: [{ type: 'Ready', status: ready }], addresses: [...ips.map((address) => ({ type: 'InternalIP', address })), { type: 'Hostname', address: name }] },
});
const lb = (extra: Partial<NonNullable<Service['spec']>> = {}, status?: Service['status']): Service => ({ metadata: { namespace: 'default', name: 'web' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }], ...extra }, status });

test('only LoadBalancer Services without a class are managed', () => {
  assert.equal(managedByServiceLB(lb()), true);
  assert.equal(managedByServiceLB(lb({ loadBalancerClass: 'example.com/lb' })), false);
  assert.equal(managedByServiceLB(lb({ type: 'NodePort' })), false);
});

test('the ingress lists the InternalIPs of Ready nodes, VIP mode, sorted and without duplicates', () => {
  const nodes = [node('b', 'True', '10.0.0.2'), node('a', 'True', '10.0.0.1', '10.0.0.2'), node('c', 'False', '10.0.0.3'), node('d', 'Unknown', '10.0.0.4')];
  assert.deepEqual(desiredIngress(lb(), nodes), [{ ip: '10.0.0.1', ipMode: 'VIP' }, { ip: '10.0.0.2', ipMode: 'VIP' }]);
  assert.deepEqual(desiredIngress(lb({ ipFamilies: ['IPv6'] }), [node('a', 'True', '10.0.0.1', 'fd00::1')]), [{ ip: 'fd00::1', ipMode: 'VIP' }]);
});

test('the status is written only when it differs, and emptied when no node is ready', () => {
  const want = [{ ip: '10.0.0.1', ipMode: 'VIP' }];
  assert.equal(statusUpdate(lb({}, { loadBalancer: { ingress: want } }), want), undefined);
  assert.deepEqual(statusUpdate(lb(), want)?.status, { loadBalancer: { ingress: want } });
  assert.deepEqual(statusUpdate(lb({}, { loadBalancer: { ingress: want } }), [])?.status, { loadBalancer: {} });
  assert.deepEqual(statusUpdate(lb({}, { loadBalancer: { ingress: [{ ip: '10.0.0.9' }] } }), want)?.status?.loadBalancer?.ingress, want);
});

test('a Service that stopped being a LoadBalancer has its ingress cleaned up', () => {
  const ingress = { loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } };
  assert.equal(needsCleanup(lb({ type: 'ClusterIP' }, ingress)), true);
  assert.equal(needsCleanup(lb({ type: 'ClusterIP' })), false);
  assert.equal(needsCleanup(lb({}, ingress)), false);
});
