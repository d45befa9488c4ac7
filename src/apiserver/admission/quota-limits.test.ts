import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LimitRange, Pod, ResourceQuota } from 'kubernetes-types/core/v1.js';
import { StatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resource.js';
import { quotaStatus } from '../../api/quota/calculate-usage.js';
import { podConstraintsError, podEvaluator, podUsage } from '../../api/quota/pod-usage.js';
import { writeList } from '../../api/quota/resource-list.js';
import { LimitRangerAdmission, limitRangerAnnotation } from './limit-ranger.js';
import { checkRequest, ResourceQuotaAdmission } from './resource-quota.js';

const podDef = { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true } as unknown as ResourceDef;
const pod = (name: string, resources?: Record<string, Record<string, string>>, extra: Partial<Pod> = {}): Pod => ({
  metadata: { name, namespace: 'team' },
  spec: { containers: [{ name: 'main', image: 'x', ...(resources ? { resources } : {}) }] },
  ...extra,
});
const limitRange: LimitRange = {
  metadata: { name: 'limits', namespace: 'team' },
  spec: { limits: [{ type: 'Container', default: { memory: '256Mi', cpu: '500m' }, defaultRequest: { memory: '128Mi', cpu: '100m' }, max: { memory: '1Gi' } }] },
};
const chargePod = (quotas: ResourceQuota[], p: Pod, now: number) => checkRequest(quotas, podEvaluator, { op: 'CREATE', obj: p as unknown as ApiObject }, now);
const desiredQuotaStatus = (rq: ResourceQuota, pods: Pod[], now: number) => quotaStatus(rq, () => pods as unknown as ApiObject[], now);
const quota = (status?: ResourceQuota['status']): ResourceQuota => ({
  metadata: { name: 'team-quota', namespace: 'team', resourceVersion: '5' },
  spec: { hard: { 'requests.memory': '1Gi', 'limits.memory': '2Gi', pods: '10' } },
  status,
});

describe('LimitRanger admission', () => {
  const admission = new LimitRangerAdmission(async () => [limitRange]);

  test('a container without resources gets the defaults and the annotation', async () => {
    const p = pod('bare');
    await admission.admit('CREATE', podDef, p as unknown as ApiObject, undefined, { dryRun: false });
    assert.deepEqual(p.spec!.containers[0]!.resources, { limits: { memory: '256Mi', cpu: '500m' }, requests: { memory: '128Mi', cpu: '100m' } });
    assert.equal(p.metadata!.annotations![limitRangerAnnotation], 'LimitRanger plugin set: cpu, memory request for container main; cpu, memory limit for container main');
  });

  test('only the missing values are defaulted', async () => {
    const p = pod('half', { limits: { memory: '512Mi' }, requests: { memory: '512Mi' } });
    await admission.admit('CREATE', podDef, p as unknown as ApiObject, undefined, { dryRun: false });
    assert.deepEqual(p.spec!.containers[0]!.resources, { limits: { memory: '512Mi', cpu: '500m' }, requests: { memory: '512Mi', cpu: '100m' } });
  });

  test('a limit over the max is refused with upstream message', async () => {
    const p = pod('big', { limits: { memory: '2Gi' }, requests: { memory: '1Gi' } });
    await assert.rejects(admission.admit('CREATE', podDef, p as unknown as ApiObject, undefined, { dryRun: false }), (e: unknown) => {
      assert.ok(e instanceof StatusError);
      assert.equal(e.code, 403);
      assert.equal(e.message, 'pods "big" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi');
      return true;
    });
  });

  test('min, ratio and several violations', async () => {
    const lr: LimitRange = { metadata: { name: 'l' }, spec: { limits: [{ type: 'Container', min: { cpu: '200m' }, maxLimitRequestRatio: { memory: '2' } }] } };
    const a = new LimitRangerAdmission(async () => [lr]);
    const p = pod('p', { requests: { cpu: '100m', memory: '100Mi' }, limits: { memory: '300Mi' } });
    await assert.rejects(a.admit('CREATE', podDef, p as unknown as ApiObject, undefined, { dryRun: false }), {
      message: 'pods "p" is forbidden: [minimum cpu usage per Container is 200m, but request is 100m, memory max limit to request ratio per Container is 2, but provided ratio is 3.000000]',
    });
  });

  test('updates and other kinds pass untouched', async () => {
    const p = pod('u');
    await admission.admit('UPDATE', podDef, p as unknown as ApiObject, p as unknown as ApiObject, { dryRun: false });
    assert.equal(p.spec!.containers[0]!.resources, undefined);
  });
});

describe('pod quota usage', () => {
  test('requests, limits, extended resources and count', () => {
    const p = pod('g', { requests: { cpu: '1', memory: '1Gi', 'nvidia.com/gpu': '2' }, limits: { memory: '2Gi', 'nvidia.com/gpu': '2' } });
    assert.deepEqual(writeList(podUsage(p, 0)), {
      'count/pods': '1',
      cpu: '1',
      'limits.memory': '2Gi',
      memory: '1Gi',
      pods: '1',
      'requests.cpu': '1',
      'requests.memory': '1Gi',
      'requests.nvidia.com/gpu': '2',
    });
  });

  test('a finished pod only counts as an object', () => {
    const p = pod('done', { requests: { memory: '1Gi' } }, { status: { phase: 'Failed' } });
    assert.deepEqual(writeList(podUsage(p, 0)), { 'count/pods': '1' });
  });

  test('a quota on memory needs every container to state it', () => {
    assert.equal(podConstraintsError(['requests.memory', 'limits.memory', 'pods'], pod('x', { requests: { memory: '1Gi' } })), 'must specify limits.memory for: main');
  });
});

describe('ResourceQuota admission', () => {
  test('a quota without status does not apply yet', () => {
    assert.deepEqual(chargePod([quota()], pod('p', { requests: { memory: '2Gi' }, limits: { memory: '2Gi' } }), 0), { charge: [] });
  });

  test('a pod over the quota is refused with upstream message', () => {
    const rq = quota({ hard: quota().spec!.hard, used: { 'requests.memory': '192Mi', 'limits.memory': '512Mi', pods: '2' } });
    const r = chargePod([rq], pod('p', { requests: { memory: '1Gi' }, limits: { memory: '1Gi' } }), 0);
    assert.deepEqual(r, { refused: 'exceeded quota: team-quota, requested: requests.memory=1Gi, used: requests.memory=192Mi, limited: requests.memory=1Gi' });
  });

  test('missing usage and missing values are refused', () => {
    const unknown = quota({ hard: quota().spec!.hard, used: { pods: '0' } });
    assert.deepEqual(chargePod([unknown], pod('p', { requests: { memory: '1Mi' }, limits: { memory: '1Mi' } }), 0), {
      refused: 'status unknown for quota: team-quota, resources: limits.memory,pods,requests.memory',
    });
    const known = quota({ hard: quota().spec!.hard, used: { pods: '0', 'requests.memory': '0', 'limits.memory': '0' } });
    assert.deepEqual(chargePod([known], pod('p'), 0), { refused: 'failed quota: team-quota: must specify limits.memory for: main; requests.memory for: main' });
  });

  test('an admitted pod raises status.used, written back with the resourceVersion read', async () => {
    const rq = quota({ hard: quota().spec!.hard, used: { pods: '1', 'requests.memory': '0', 'limits.memory': '0' } });
    const written: ResourceQuota[] = [];
    const a = new ResourceQuotaAdmission({ list: async () => [rq], writeStatus: async (q) => void written.push(q), now: () => 0 });
    await a.admit('CREATE', podDef, pod('p', { requests: { memory: '256Mi' }, limits: { memory: '256Mi' } }) as unknown as ApiObject, undefined, { dryRun: false });
    assert.equal(written.length, 1);
    assert.equal(written[0]!.metadata!.resourceVersion, '5');
    assert.deepEqual(written[0]!.status!.used, { 'limits.memory': '256Mi', pods: '2', 'requests.memory': '256Mi' });
    await assert.rejects(
      a.admit('CREATE', podDef, pod('big', { requests: { memory: '2Gi' }, limits: { memory: '2Gi' } }) as unknown as ApiObject, undefined, { dryRun: false }),
      { message: 'pods "big" is forbidden: exceeded quota: team-quota, requested: requests.memory=2Gi, used: requests.memory=0, limited: requests.memory=1Gi' },
    );
  });

  test('the controller counts running pods of the scopes the quota has', () => {
    const pods = [pod('a', { requests: { memory: '64Mi' }, limits: { memory: '256Mi' } }), pod('b', { requests: { memory: '128Mi' } }, { status: { phase: 'Succeeded' } })];
    assert.deepEqual(desiredQuotaStatus(quota(), pods, 0), { hard: { 'limits.memory': '2Gi', pods: '10', 'requests.memory': '1Gi' }, used: { 'limits.memory': '256Mi', pods: '1', 'requests.memory': '64Mi' } });
    const bestEffortOnly: ResourceQuota = { metadata: { name: 'q' }, spec: { hard: { pods: '3' }, scopes: ['BestEffort'] } };
    assert.deepEqual(desiredQuotaStatus(bestEffortOnly, [pod('x'), ...pods], 0).used, { pods: '1' });
  });
});
