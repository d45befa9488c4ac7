import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { desiredEndpoints, endpointsEqual, truncateSubsets } from './endpoints-decisions.js';
import { findPort } from './pod-endpoints.js';

const svc = (spec: Service['spec'], labels?: Record<string, string>): Service => ({ metadata: { name: 'web', namespace: 'ns', labels }, spec: { selector: { app: 'web' }, ...spec } });

function pod(name: string, opts: { ip?: string; ready?: boolean; labels?: Record<string, string>; deleting?: boolean; phase?: string; restartPolicy?: string; ports?: { name: string; containerPort: number; protocol?: string }[]; hostname?: string; subdomain?: string } = {}): Pod {
  return {
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: opts.labels ?? { app: 'web' }, ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: 'n1', restartPolicy: opts.restartPolicy, hostname: opts.hostname, subdomain: opts.subdomain, containers: [{ name: 'c', ports: opts.ports ?? [{ name: 'http', containerPort: 8080 }] }] },
    status: { phase: opts.phase ?? 'Running', podIP: opts.ip, conditions: [{ type: 'Ready', status: opts.ready ? 'True' : 'False' }] },
  } as Pod;
}

test('ready pods become addresses, the rest not-ready addresses; unselected, finished and IP-less pods are left out', () => {
  const s = svc({ ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] });
  const e = desiredEndpoints(s, [
    pod('a', { ip: '10.0.0.2', ready: true }),
    pod('b', { ip: '10.0.0.1' }),
    pod('c', { ip: '10.0.0.3', labels: { app: 'other' } }),
    pod('d', { ip: '10.0.0.4', phase: 'Succeeded', ready: true }),
    pod('e'),
    pod('f', { ip: '10.0.0.6', ready: true, deleting: true }),
    pod('g', { ip: '10.0.0.7', restartPolicy: 'Never', phase: 'Failed' }),
  ]);
  assert.equal(e.subsets!.length, 1);
  assert.deepEqual(e.subsets![0].addresses!.map((a) => a.ip), ['10.0.0.2']);
  assert.deepEqual(e.subsets![0].notReadyAddresses!.map((a) => a.ip), ['10.0.0.1']);
  assert.deepEqual(e.subsets![0].ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  assert.deepEqual(e.subsets![0].addresses![0].targetRef, { kind: 'Pod', namespace: 'ns', name: 'a', uid: 'uid-a' });
  assert.equal(e.subsets![0].addresses![0].nodeName, 'n1');
});

test('publishNotReadyAddresses lists every pod as ready, terminating ones included', () => {
  const e = desiredEndpoints(svc({ publishNotReadyAddresses: true, ports: [{ port: 80, targetPort: 80 }] }), [pod('a', { ip: '10.0.0.1' }), pod('b', { ip: '10.0.0.2', deleting: true })]);
  assert.deepEqual(e.subsets![0].addresses!.map((a) => a.ip), ['10.0.0.1', '10.0.0.2']);
  assert.equal(e.subsets![0].notReadyAddresses, undefined);
});

test('pods whose named port differs land in different subsets; an unresolvable name leaves the pod out', () => {
  const s = svc({ ports: [{ name: 'http', port: 80, targetPort: 'http' }] });
  const e = desiredEndpoints(s, [
    pod('a', { ip: '10.0.0.1', ready: true }),
    pod('b', { ip: '10.0.0.2', ready: true, ports: [{ name: 'http', containerPort: 9090 }] }),
    pod('c', { ip: '10.0.0.3', ready: true, ports: [{ name: 'grpc', containerPort: 9090 }] }),
  ]);
  assert.deepEqual(e.subsets!.map((ss) => [ss.addresses!.map((a) => a.ip), ss.ports!.map((p) => p.port)]), [[['10.0.0.1'], [8080]], [['10.0.0.2'], [9090]]]);
  assert.equal(findPort(pod('x', { ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }] }), { port: 53, targetPort: 'dns', protocol: 'TCP' }), undefined);
});

test('headless services without ports still list addresses; hostnames follow the subdomain; labels carry the headless marker', () => {
  const s = svc({ clusterIP: 'None' }, { tier: 'db' });
  const e = desiredEndpoints(s, [pod('a', { ip: '10.0.0.1', ready: true, hostname: 'a', subdomain: 'web' }), pod('b', { ip: '10.0.0.2', ready: true, hostname: 'b', subdomain: 'other' })]);
  assert.deepEqual(e.subsets![0].addresses!.map((a) => a.hostname), ['a', undefined]);
  assert.equal(e.subsets![0].ports, undefined);
  assert.deepEqual(e.metadata!.labels, { tier: 'db', 'service.kubernetes.io/headless': '' });
});

test('more than 1,000 addresses are truncated, ready ones first, and marked', () => {
  const subsets = [{ notReadyAddresses: [{ ip: '10.1.0.1' }], addresses: Array.from({ length: 1000 }, (_, i) => ({ ip: `10.0.${i >> 8}.${i & 255}` })) }];
  const t = truncateSubsets(subsets);
  assert.equal(t.truncated, true);
  assert.equal(t.subsets[0].addresses!.length, 1000);
  assert.equal(t.subsets[0].notReadyAddresses, undefined);
});

test('endpointsEqual ignores the trigger-time annotation and key order', () => {
  const s = svc({ ports: [{ port: 80, targetPort: 80 }] });
  const want = desiredEndpoints(s, [pod('a', { ip: '10.0.0.1', ready: true })]);
  const have = JSON.parse(JSON.stringify(want));
  have.metadata.annotations = { 'endpoints.kubernetes.io/last-change-trigger-time': 'x' };
  assert.ok(endpointsEqual(have, want));
  have.subsets[0].addresses[0].ip = '10.0.0.9';
  assert.ok(!endpointsEqual(have, want));
});
