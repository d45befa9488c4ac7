import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import { serviceEvaluator, serviceUsage } from './service-usage.js';
import { writeList } from './resource-list.js';

const svc = (type: string, ports: number, extra: Partial<NonNullable<Service['spec']>> = {}): Service => ({
  metadata: { name: 's', namespace: 'n' },
  spec: { type, ports: Array.from({ length: ports }, (_, i) => ({ port: 80 + i })), ...extra },
});

describe('service quota usage', () => {
  test('a ClusterIP Service uses no node port and no load balancer', () => {
    assert.deepEqual(writeList(serviceUsage(svc('ClusterIP', 2))), { 'count/services': '1', services: '1', 'services.loadbalancers': '0', 'services.nodeports': '0' });
  });

  test('a NodePort Service uses one node port per port', () => {
    assert.equal(writeList(serviceUsage(svc('NodePort', 3)))['services.nodeports'], '3');
    assert.equal(writeList(serviceUsage(svc('NodePort', 3)))['services.loadbalancers'], '0');
  });

  test('a LoadBalancer uses a load balancer and node ports, only the explicit ones when allocation is off', () => {
    assert.deepEqual(writeList(serviceUsage(svc('LoadBalancer', 2))), { 'count/services': '1', services: '1', 'services.loadbalancers': '1', 'services.nodeports': '2' });
    const noAlloc = svc('LoadBalancer', 0, { allocateLoadBalancerNodePorts: false, ports: [{ port: 80, nodePort: 30080 }, { port: 81 }] });
    assert.equal(writeList(serviceUsage(noAlloc))['services.nodeports'], '1');
  });

  test('names and operations', () => {
    assert.deepEqual(serviceEvaluator.matchingResources(['services.nodeports', 'pods', 'count/services', 'services.nodeports']), ['count/services', 'services.nodeports']);
    assert.equal(serviceEvaluator.handles('UPDATE'), true);
    assert.equal(serviceEvaluator.handles('DELETE'), false);
  });
});
