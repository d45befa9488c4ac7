import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceQuota } from 'kubernetes-types/core/v1.js';
import { StatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import { objectCountEvaluator } from '../../api/quota/object-count.js';
import { pvcEvaluator } from '../../api/quota/pvc-usage.js';
import { serviceEvaluator } from '../../api/quota/service-usage.js';
import type { ResourceDef } from '../../api/resource.js';
import { checkRequest, ResourceQuotaAdmission } from './resource-quota.js';

const def = (group: string, plural: string, kind: string, namespaced = true) => ({ group, version: 'v1', kind, plural, namespaced }) as unknown as ResourceDef;
const defs = {
  services: def('', 'services', 'Service'),
  configmaps: def('', 'configmaps', 'ConfigMap'),
  deployments: def('apps', 'deployments', 'Deployment'),
  events: def('', 'events', 'Event'),
};
const quota = (hard: Record<string, string>, used?: Record<string, string>, extra: Partial<ResourceQuota> = {}): ResourceQuota => ({
  metadata: { name: 'q', namespace: 'team', resourceVersion: '7' },
  spec: { hard },
  status: used ? { hard, used } : undefined,
  ...extra,
});
const service = (name: string, type: string, ports = 1, rv?: string): ApiObject => ({
  metadata: { name, namespace: 'team', ...(rv ? { resourceVersion: rv } : {}) },
  spec: { type, ports: Array.from({ length: ports }, (_, i) => ({ port: 80 + i })) },
});
const configMap = (name: string): ApiObject => ({ metadata: { name, namespace: 'team' } });
const claim = (storage: string): ApiObject => ({ metadata: { name: 'data', namespace: 'team' }, spec: { resources: { requests: { storage } } } });
const configMaps = objectCountEvaluator({ group: '', resource: 'configmaps' }, 'configmaps');

describe('quota checks by kind', () => {
  test('a NodePort Service over services.nodeports is refused with upstream message', () => {
    const rq = quota({ 'services.nodeports': '2' }, { 'services.nodeports': '2' });
    assert.deepEqual(checkRequest([rq], serviceEvaluator, { op: 'CREATE', obj: service('b', 'NodePort') }, 0), {
      refused: 'exceeded quota: q, requested: services.nodeports=1, used: services.nodeports=2, limited: services.nodeports=2',
    });
    // A ClusterIP Service uses no node port: nothing to charge for that quota.
    assert.deepEqual(checkRequest([rq], serviceEvaluator, { op: 'CREATE', obj: service('c', 'ClusterIP') }, 0), { charge: [] });
  });

  test('an update charges what it adds: ClusterIP to NodePort is checked, an unchanged NodePort is free', () => {
    const rq = quota({ 'services.nodeports': '1', services: '5' }, { 'services.nodeports': '1', services: '2' });
    const before = service('a', 'ClusterIP', 1, '10');
    assert.deepEqual(checkRequest([rq], serviceEvaluator, { op: 'UPDATE', obj: service('a', 'NodePort'), old: before }, 0), {
      refused: 'exceeded quota: q, requested: services.nodeports=1, used: services.nodeports=1, limited: services.nodeports=1',
    });
    assert.deepEqual(checkRequest([rq], serviceEvaluator, { op: 'UPDATE', obj: service('a', 'NodePort'), old: service('a', 'NodePort', 1, '10') }, 0), { charge: [] });
    const roomy = quota({ 'services.nodeports': '3', services: '5' }, { 'services.nodeports': '1', services: '2' });
    const r = checkRequest([roomy], serviceEvaluator, { op: 'UPDATE', obj: service('a', 'NodePort', 2), old: before }, 0);
    assert.ok('charge' in r);
    assert.deepEqual(r.charge[0]!.status!.used, { 'services.nodeports': '3', services: '2' });
  });

  test('object counts and their legacy names', () => {
    const rq = quota({ 'count/configmaps': '2', configmaps: '10' }, { 'count/configmaps': '2', configmaps: '2' });
    assert.deepEqual(checkRequest([rq], configMaps, { op: 'CREATE', obj: configMap('c3') }, 0), {
      refused: 'exceeded quota: q, requested: count/configmaps=1, used: count/configmaps=2, limited: count/configmaps=2',
    });
    assert.deepEqual(checkRequest([rq], configMaps, { op: 'UPDATE', obj: configMap('c1'), old: configMap('c1') }, 0), { charge: [] });
  });

  test('a claim over requests.storage is refused', () => {
    const rq = quota({ 'requests.storage': '1Gi', persistentvolumeclaims: '5' }, { 'requests.storage': '0', persistentvolumeclaims: '0' });
    assert.deepEqual(checkRequest([rq], pvcEvaluator, { op: 'CREATE', obj: claim('2Gi') }, 0), {
      refused: 'exceeded quota: q, requested: requests.storage=2Gi, used: requests.storage=0, limited: requests.storage=1Gi',
    });
    const r = checkRequest([rq], pvcEvaluator, { op: 'CREATE', obj: claim('512Mi') }, 0);
    assert.ok('charge' in r);
    assert.deepEqual(r.charge[0]!.status!.used, { persistentvolumeclaims: '1', 'requests.storage': '512Mi' });
  });

  test('unknown usage is refused; scoped quotas and quotas on other kinds do not apply', () => {
    const unknown = quota({ 'count/configmaps': '2', pods: '3' }, { pods: '0' });
    assert.deepEqual(checkRequest([unknown], configMaps, { op: 'CREATE', obj: configMap('c') }, 0), { refused: 'status unknown for quota: q, resources: count/configmaps' });
    const scoped = quota({ 'count/configmaps': '0' }, { 'count/configmaps': '0' }, { spec: { hard: { 'count/configmaps': '0' }, scopes: ['BestEffort'] } });
    assert.deepEqual(checkRequest([scoped], configMaps, { op: 'CREATE', obj: configMap('c') }, 0), { charge: [] });
    const podsOnly = quota({ pods: '0' }, { pods: '0' });
    assert.deepEqual(checkRequest([podsOnly], configMaps, { op: 'CREATE', obj: configMap('c') }, 0), { charge: [] });
  });
});

describe('ResourceQuota admission', () => {
  const access = (lists: ResourceQuota[][], written: ResourceQuota[], conflicts = 0) => {
    let reads = 0;
    let failures = conflicts;
    return {
      fresh: [] as boolean[],
      list: async function (this: { fresh: boolean[] }, _ns: string, fresh: boolean) {
        this.fresh.push(fresh);
        return lists[Math.min(reads++, lists.length - 1)]!;
      },
      writeStatus: async (q: ResourceQuota) => {
        if (failures-- > 0) throw new StatusError(409, 'Conflict', 'stale');
        written.push(q);
      },
      now: () => 0,
    };
  };

  test('a refusal names the qualified resource and is a 403', async () => {
    const rq = quota({ 'count/deployments.apps': '1' }, { 'count/deployments.apps': '1' });
    const a = new ResourceQuotaAdmission(access([[rq]], []));
    await assert.rejects(a.admit('CREATE', defs.deployments, { metadata: { name: 'web', namespace: 'team' } }, undefined, { dryRun: false }), (e: unknown) => {
      assert.ok(e instanceof StatusError);
      assert.equal(e.code, 403);
      assert.equal(e.reason, 'Forbidden');
      assert.equal(e.message, 'deployments.apps "web" is forbidden: exceeded quota: q, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1');
      assert.deepEqual(e.details, { name: 'web', group: 'apps', kind: 'deployments' });
      return true;
    });
  });

  test('a refusal on a cached list is checked again on a fresh one', async () => {
    const stale = quota({ configmaps: '2' }, { configmaps: '2' });
    const current = { ...quota({ configmaps: '2' }, { configmaps: '1' }), metadata: { name: 'q', namespace: 'team', resourceVersion: '9' } };
    const written: ResourceQuota[] = [];
    const acc = access([[stale], [current]], written);
    await new ResourceQuotaAdmission(acc).admit('CREATE', defs.configmaps, configMap('c'), undefined, { dryRun: false });
    assert.deepEqual(acc.fresh, [false, true]);
    assert.deepEqual(written.map((q) => [q.metadata!.resourceVersion, q.status!.used]), [['9', { configmaps: '2' }]]);
  });

  test('after a conflict only the quotas not yet raised are charged again', async () => {
    const a = quota({ configmaps: '5' }, { configmaps: '1' });
    const b = { ...quota({ 'count/configmaps': '5' }, { 'count/configmaps': '1' }), metadata: { name: 'r', namespace: 'team', resourceVersion: '8' } };
    const written: ResourceQuota[] = [];
    let conflicted = false;
    const acc = {
      list: async () => [a, b],
      writeStatus: async (q: ResourceQuota) => {
        if (q.metadata!.name === 'r' && !conflicted) {
          conflicted = true;
          throw new StatusError(409, 'Conflict', 'stale');
        }
        written.push(q);
      },
      now: () => 0,
    };
    await new ResourceQuotaAdmission(acc).admit('CREATE', defs.configmaps, configMap('c'), undefined, { dryRun: false });
    assert.deepEqual(written.map((q) => q.metadata!.name), ['q', 'r']);
  });

  test('dry runs, subresources, ignored and cluster-scoped kinds write nothing', async () => {
    const rq = quota({ 'count/configmaps': '5', 'count/events': '0', 'services.nodeports': '0' }, { 'count/configmaps': '0', 'count/events': '0', 'services.nodeports': '0' });
    const written: ResourceQuota[] = [];
    const a = new ResourceQuotaAdmission(access([[rq]], written));
    await a.admit('CREATE', defs.configmaps, configMap('c'), undefined, { dryRun: true });
    await a.admit('CREATE', defs.events, configMap('e'), undefined, { dryRun: false });
    await a.admit('UPDATE', defs.services, service('s', 'NodePort'), service('s', 'ClusterIP', 1, '3'), { dryRun: false, subresource: 'status' });
    await a.admit('CREATE', def('', 'namespaces', 'Namespace', false), { metadata: { name: 'x' } }, undefined, { dryRun: false });
    assert.equal(written.length, 0);
  });
});
