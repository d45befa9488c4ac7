import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job, JobSpec, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { planJobSync } from './job-sync.js';
import { jobTrackingFinalizer, podFromTemplate } from './job-pods.js';

const t0 = Date.parse('2024-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
let seq = 0;

function mkJob(spec: Partial<JobSpec> = {}, status: JobStatus = {}): Job {
  return { metadata: { name: 'j', namespace: 'ns', uid: 'job-uid' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i' }] } }, ...spec }, status };
}

function pod(job: Job, phase: string, opts: { index?: number; finalizer?: boolean; exitCode?: number; at?: number; deleting?: boolean; ready?: boolean } = {}): Pod {
  const base = podFromTemplate(job, opts.index);
  const p: { -readonly [K in keyof Pod]: Pod[K] } = { ...base, metadata: { ...base.metadata, name: `p${seq}`, uid: `uid-${seq++}`, creationTimestamp: iso(t0) } };
  if (opts.finalizer === false) p.metadata = { ...p.metadata, finalizers: [] };
  if (opts.deleting) p.metadata = { ...p.metadata, deletionTimestamp: iso(t0) };
  const at = opts.at ?? t0;
  const terminated = phase === 'Succeeded' || phase === 'Failed' ? { exitCode: opts.exitCode ?? (phase === 'Failed' ? 1 : 0), finishedAt: iso(at) } : undefined;
  p.status = {
    phase,
    conditions: opts.ready ? [{ type: 'Ready', status: 'True' }] : [],
    containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: !!opts.ready, restartCount: 0, state: terminated ? { terminated } : { running: {} } }],
  };
  return p as Pod;
}

describe('planJobSync: non-indexed', () => {
  test('a new Job creates parallelism pods and gets startTime', () => {
    const job = mkJob({ parallelism: 2, completions: 5 });
    const plan = planJobSync(job, [], t0);
    assert.equal(plan.createPods.length, 2);
    assert.equal(plan.status.startTime, iso(t0));
    assert.equal(plan.status.active, 2);
    assert.deepEqual(plan.status.uncountedTerminatedPods, {});
  });
  test('never more pods than the completions left', () => {
    const job = mkJob({ parallelism: 5, completions: 3 }, { succeeded: 2, startTime: iso(t0) });
    assert.equal(planJobSync(job, [], t0).createPods.length, 1);
  });
  test('finished pods go to uncounted first, finalizers removed after', () => {
    const job = mkJob({ completions: 3 }, { startTime: iso(t0) });
    const s = pod(job, 'Succeeded');
    const plan = planJobSync(job, [s], t0);
    assert.deepEqual(plan.status.uncountedTerminatedPods, { succeeded: [s.metadata!.uid] });
    assert.equal(plan.status.succeeded, 0);
    assert.deepEqual(plan.removeFinalizers, [s]);
  });
  test('uncounted uids whose pods lost the finalizer are counted', () => {
    const job0 = mkJob({ completions: 3 }, { startTime: iso(t0) });
    const s = pod(job0, 'Succeeded', { finalizer: false });
    const job = mkJob({ completions: 3 }, { startTime: iso(t0), uncountedTerminatedPods: { succeeded: [s.metadata!.uid!, 'gone'] } });
    const plan = planJobSync(job, [s], t0);
    assert.equal(plan.status.succeeded, 2);
    assert.deepEqual(plan.status.uncountedTerminatedPods, {});
  });
  test('completions reached: SuccessCriteriaMet, then Complete when all counted', () => {
    const job = mkJob({ completions: 1 }, { startTime: iso(t0) });
    const s = pod(job, 'Succeeded');
    const first = planJobSync(job, [s], t0);
    assert.equal(first.status.conditions?.map((c) => `${c.type}/${c.reason}`).join(), 'SuccessCriteriaMet/CompletionsReached');
    const after = mkJob({ completions: 1 }, { ...first.status });
    s.metadata!.finalizers = [];
    const second = planJobSync(after, [s], t0 + 1000);
    assert.deepEqual(second.status.conditions?.map((c) => c.type), ['SuccessCriteriaMet', 'Complete']);
    assert.equal(second.status.conditions?.[1].message, 'Reached expected number of succeeded pods');
    assert.equal(second.status.completionTime, iso(t0 + 1000));
    assert.equal(second.status.succeeded, 1);
    assert.deepEqual(second.events, [{ type: 'Normal', reason: 'Completed', message: 'Job completed' }]);
  });
  test('backoff limit exceeded: FailureTarget, active pods deleted', () => {
    const job = mkJob({ backoffLimit: 1, parallelism: 2 }, { startTime: iso(t0), failed: 1 });
    const running = pod(job, 'Running');
    const f = pod(job, 'Failed');
    const plan = planJobSync(job, [running, f], t0);
    const ft = plan.status.conditions?.find((c) => c.type === 'FailureTarget');
    assert.equal(ft?.reason, 'BackoffLimitExceeded');
    assert.equal(ft?.message, 'Job has reached the specified backoff limit');
    assert.deepEqual(plan.deletePods, [running]);
    assert.equal(plan.status.conditions?.some((c) => c.type === 'Failed'), false);
  });
  test('Failed follows FailureTarget once nothing runs', () => {
    const job = mkJob({ backoffLimit: 0 }, { startTime: iso(t0), failed: 1, conditions: [{ type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }] });
    const plan = planJobSync(job, [], t0);
    assert.equal(plan.status.conditions?.find((c) => c.type === 'Failed')?.reason, 'BackoffLimitExceeded');
    assert.equal(plan.events[0].type, 'Warning');
    assert.equal(plan.status.completionTime, undefined);
  });
  test('creation waits for the back-off after a failure', () => {
    const job = mkJob({ backoffLimit: 6 }, { startTime: iso(t0) });
    const f = pod(job, 'Failed', { finalizer: false, at: t0 });
    const plan = planJobSync(job, [f], t0 + 4000);
    assert.equal(plan.createPods.length, 0);
    assert.equal(plan.requeueAfterMs, 6000);
    assert.equal(planJobSync(job, [f], t0 + 10_000).createPods.length, 1);
  });
  test('active deadline', () => {
    const job = mkJob({ activeDeadlineSeconds: 10 }, { startTime: iso(t0) });
    const r = pod(job, 'Running');
    assert.equal(planJobSync(job, [r], t0 + 4000).requeueAfterMs, 6000);
    const plan = planJobSync(job, [r], t0 + 10_000);
    assert.equal(plan.status.conditions?.[0].reason, 'DeadlineExceeded');
    assert.deepEqual(plan.deletePods, [r]);
  });
  test('podFailurePolicy FailJob and Ignore', () => {
    const podFailurePolicy = { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }, { action: 'Ignore', onExitCodes: { operator: 'In', values: [3] } }] };
    const job = mkJob({ podFailurePolicy }, { startTime: iso(t0) });
    const ignored = pod(job, 'Failed', { exitCode: 3 });
    const p1 = planJobSync(job, [ignored], t0 + 20_000);
    assert.equal(p1.status.uncountedTerminatedPods?.failed, undefined);
    assert.deepEqual(p1.removeFinalizers, [ignored]);
    const fatal = pod(job, 'Failed', { exitCode: 42 });
    const p2 = planJobSync(job, [fatal], t0);
    assert.equal(p2.status.conditions?.[0].reason, 'PodFailurePolicy');
    assert.match(p2.status.conditions?.[0].message ?? '', /failed with exit code 42 matching FailJob rule at index 0/);
  });
  test('suspend deletes active pods and sets Suspended; resume resets startTime', () => {
    const job = mkJob({ suspend: true, parallelism: 2 }, { startTime: iso(t0) });
    const r = pod(job, 'Running');
    const plan = planJobSync(job, [r], t0);
    assert.deepEqual(plan.deletePods, [r]);
    assert.equal(plan.status.conditions?.[0].reason, 'JobSuspended');
    assert.equal(plan.createPods.length, 0);
    const resumed = mkJob({ suspend: false, parallelism: 2 }, { conditions: plan.status.conditions });
    const p2 = planJobSync(resumed, [], t0 + 5000);
    assert.equal(p2.status.conditions?.[0].status, 'False');
    assert.equal(p2.status.conditions?.[0].reason, 'JobResumed');
    assert.equal(p2.status.startTime, iso(t0 + 5000));
    assert.equal(p2.createPods.length, 2);
  });
  test('finished Job only releases finalizers', () => {
    const job = mkJob({}, { conditions: [{ type: 'Complete', status: 'True' }] });
    const r = pod(job, 'Succeeded');
    const plan = planJobSync(job, [r], t0);
    assert.deepEqual(plan.removeFinalizers, [r]);
    assert.equal(plan.createPods.length, 0);
  });
});

describe('planJobSync: indexed', () => {
  const indexed = (spec: Partial<JobSpec> = {}, status: JobStatus = {}) => mkJob({ completionMode: 'Indexed', completions: 4, parallelism: 2, ...spec }, { startTime: iso(t0), ...status });
  test('creates the lowest pending indexes, pods carry index, env and hostname', () => {
    const job = indexed();
    const running = pod(job, 'Running', { index: 0 });
    const plan = planJobSync(job, [running], t0);
    assert.deepEqual(plan.createPods, [{ index: 1 }]);
    const p = podFromTemplate(job, 1);
    assert.equal(p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'], '1');
    assert.equal(p.spec?.hostname, 'j-1');
    assert.equal(p.spec?.containers[0].env?.[0].name, 'JOB_COMPLETION_INDEX');
    assert.deepEqual(p.metadata?.finalizers, [jobTrackingFinalizer]);
    assert.equal(p.metadata?.labels?.['batch.kubernetes.io/job-name'], 'j');
    assert.equal(p.metadata?.labels?.['controller-uid'], 'job-uid');
  });
  test('completed indexes are recorded and skipped', () => {
    const job = indexed({}, { completedIndexes: '0' });
    const s = pod(job, 'Succeeded', { index: 2 });
    const plan = planJobSync(job, [s], t0);
    assert.equal(plan.status.completedIndexes, '0,2');
    assert.deepEqual(plan.createPods, [{ index: 1 }, { index: 3 }]);
  });
  test('duplicate index pods are trimmed', () => {
    const job = indexed();
    const a = pod(job, 'Running', { index: 0, ready: true });
    const b = pod(job, 'Running', { index: 0 });
    assert.deepEqual(planJobSync(job, [a, b], t0).deletePods, [b]);
  });
  test('all indexes done → SuccessCriteriaMet', () => {
    const job = indexed({}, { completedIndexes: '0-2', succeeded: 3 });
    const s = pod(job, 'Succeeded', { index: 3 });
    const plan = planJobSync(job, [s], t0);
    assert.equal(plan.status.completedIndexes, '0-3');
    assert.equal(plan.status.conditions?.[0].type, 'SuccessCriteriaMet');
  });
  test('backoffLimitPerIndex marks failed indexes and maxFailedIndexes fails the Job', () => {
    const job = indexed({ backoffLimitPerIndex: 0, maxFailedIndexes: 0 });
    const f = pod(job, 'Failed', { index: 1 });
    const plan = planJobSync(job, [f], t0);
    assert.equal(plan.status.failedIndexes, '1');
    assert.equal(plan.status.conditions?.[0].reason, 'MaxFailedIndexesExceeded');
  });
  test('successPolicy', () => {
    const job = indexed({ successPolicy: { rules: [{ succeededIndexes: '0-1' }] } }, { completedIndexes: '0' });
    const s = pod(job, 'Succeeded', { index: 1 });
    const r = pod(job, 'Running', { index: 2 });
    const plan = planJobSync(job, [s, r], t0);
    assert.equal(plan.status.conditions?.[0].reason, 'SuccessPolicy');
    assert.equal(plan.status.conditions?.[0].message, 'Matched rules at index 0');
    assert.deepEqual(plan.deletePods, [r]);
  });
});
