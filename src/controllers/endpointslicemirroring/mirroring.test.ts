import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import { planSlices } from '../endpointslice/slice-decisions.js';
import { mirroredGroups, mirroredLabels, mirroringControllerName, shouldMirror } from './mirroring.js';

const svc: Service = { metadata: { name: 'db', namespace: 'ns', uid: 'u1' }, spec: { ports: [{ name: 'pg', port: 5432 }] } };
const eps: Endpoints = {
  metadata: { name: 'db', namespace: 'ns', labels: { team: 'data' } },
  subsets: [{ addresses: [{ ip: '192.0.2.10', hostname: 'primary' }], notReadyAddresses: [{ ip: '192.0.2.11' }], ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] }],
};

test('only selector-less Services whose Endpoints are not marked to skip are mirrored', () => {
  assert.equal(shouldMirror(svc, eps), true);
  assert.equal(shouldMirror({ ...svc, spec: { ...svc.spec, selector: { app: 'db' } } }, eps), false);
  assert.equal(shouldMirror(svc, { ...eps, metadata: { ...eps.metadata, labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } } }), false);
  assert.equal(shouldMirror(undefined, eps), false);
  assert.equal(shouldMirror(svc, undefined), false);
});

test('ready and not-ready addresses become endpoints of one slice with the Endpoints labels', () => {
  const plan = planSlices(svc, 'IPv4', mirroredGroups(eps, 'IPv4'), [], 100, { manager: mirroringControllerName, baseLabels: mirroredLabels(eps), placeholder: false });
  assert.equal(plan.create.length, 1);
  const s = plan.create[0];
  assert.deepEqual(s.metadata!.labels, { team: 'data', 'kubernetes.io/service-name': 'db', 'endpointslice.kubernetes.io/managed-by': mirroringControllerName });
  assert.deepEqual(s.ports, [{ name: 'pg', port: 5432, protocol: 'TCP' }]);
  assert.deepEqual(s.endpoints.map((e) => [e.addresses[0], e.conditions?.ready, e.hostname]), [['192.0.2.10', true, 'primary'], ['192.0.2.11', false, undefined]]);
  // No endpoints: no slice at all (mirroring keeps no placeholder).
  const none = planSlices(svc, 'IPv4', mirroredGroups({ metadata: eps.metadata, subsets: [] }, 'IPv4'), [], 100, { manager: mirroringControllerName, placeholder: false });
  assert.deepEqual([none.create.length, none.update.length], [0, 0]);
});
