import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { errorMessage } from '../../field-errors.js';
import type { ApiObject } from '../../object.js';
import type { ResourceStrategy } from '../../strategy.js';
import { cronScheduleError } from './cron-schedule.js';
import { workloadStrategies } from './index.js';
import { statefulSetUpdateForbiddenMessage } from './stateful-set-strategy.js';

const template = (labels: Record<string, string> = { app: 'x' }, spec: Record<string, unknown> = {}) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'c', image: 'busybox:1' }], ...spec },
});
const obj = (kind: string, spec: Record<string, unknown>, meta: Record<string, unknown> = {}): ApiObject => ({
  kind,
  metadata: { name: 'w', namespace: 'default', uid: 'uid-1', ...meta },
  spec,
});
const create = (s: ResourceStrategy, o: ApiObject): ApiObject => {
  s.default?.(o);
  s.prepareForCreate?.(o);
  return o;
};
const msgs = (s: ResourceStrategy, o: ApiObject): string[] => s.validate(o).map(errorMessage);

describe('StatefulSet', () => {
  const sts = workloadStrategies['apps/StatefulSet']!;
  test('defaults', () => {
    const o = create(sts, obj('StatefulSet', { selector: { matchLabels: { app: 'x' } }, serviceName: 'x', template: template(), volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }] }));
    const spec = o.spec as any;
    assert.equal(spec.replicas, 1);
    assert.equal(spec.podManagementPolicy, 'OrderedReady');
    assert.deepEqual(spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    assert.equal(spec.revisionHistoryLimit, 10);
    assert.deepEqual(spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
    assert.deepEqual(spec.volumeClaimTemplates[0], { metadata: { name: 'data', creationTimestamp: null }, spec: { volumeMode: 'Filesystem' }, status: { phase: 'Pending' } });
    assert.deepEqual(o.status, { replicas: 0, availableReplicas: 0 });
    assert.deepEqual(msgs(sts, o), []);
  });

  test('validation and immutable fields', () => {
    const o = create(sts, obj('StatefulSet', { selector: { matchLabels: { app: 'y' } }, podManagementPolicy: 'Random', template: template({ app: 'x' }, { restartPolicy: 'Never' }) }));
    assert.deepEqual(msgs(sts, o), [
      "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'",
      'spec.template.metadata.labels: Invalid value: {"app":"x"}: `selector` does not match template `labels`',
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]);
    const old = create(sts, obj('StatefulSet', { selector: { matchLabels: { app: 'x' } }, serviceName: 'a', template: template() }));
    const scaled = structuredClone(old);
    (scaled.spec as any).replicas = 5;
    (scaled.spec as any).template.spec.containers[0].image = 'busybox:2';
    assert.deepEqual(sts.validateUpdate!(scaled, old), []);
    const renamed = structuredClone(old);
    (renamed.spec as any).serviceName = 'b';
    assert.deepEqual(sts.validateUpdate!(renamed, old).map(errorMessage), [`spec: Forbidden: ${statefulSetUpdateForbiddenMessage}`]);
  });
});

describe('DaemonSet', () => {
  const ds = workloadStrategies['apps/DaemonSet']!;
  test('defaults and template generation', () => {
    const o = create(ds, obj('DaemonSet', { selector: { matchLabels: { app: 'x' } }, template: template() }));
    assert.deepEqual((o.spec as any).updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    assert.equal((o.spec as any).revisionHistoryLimit, 10);
    assert.equal(o.metadata.annotations?.['deprecated.daemonset.template.generation'], '1');
    assert.deepEqual(msgs(ds, o), []);
    const next = structuredClone(o);
    (next.spec as any).template.spec.containers[0].image = 'busybox:2';
    ds.prepareForUpdate!(next, o);
    assert.equal(next.metadata.annotations?.['deprecated.daemonset.template.generation'], '2');
  });

  test('rolling update needs exactly one of maxSurge and maxUnavailable', () => {
    const o = create(ds, obj('DaemonSet', { selector: { matchLabels: { app: 'x' } }, template: template(), updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } }));
    assert.deepEqual(msgs(ds, o), ['spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0']);
  });
});

describe('ReplicaSet and ReplicationController', () => {
  test('RC selector and labels default from the template', () => {
    const rc = workloadStrategies['/ReplicationController']!;
    const o = create(rc, obj('ReplicationController', { template: template({ app: 'r' }) }));
    assert.deepEqual((o.spec as any).selector, { app: 'r' });
    assert.deepEqual(o.metadata.labels, { app: 'r' });
    assert.equal((o.spec as any).replicas, 1);
    assert.deepEqual(msgs(rc, o), []);
    const bad = create(rc, obj('ReplicationController', { template: template({ app: 'r' }, { activeDeadlineSeconds: 5 }) }));
    assert.deepEqual(msgs(rc, bad), ['spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicationController is not Supported']);
  });

  test('ReplicaSet selector is immutable', () => {
    const rs = workloadStrategies['apps/ReplicaSet']!;
    const old = create(rs, obj('ReplicaSet', { selector: { matchLabels: { app: 'x' } }, template: template() }));
    assert.deepEqual(msgs(rs, old), []);
    const next = structuredClone(old);
    (next.spec as any).selector.matchLabels.app = 'y';
    assert.deepEqual(rs.validateUpdate!(next, old).map(errorMessage), ['spec.selector: Invalid value: {"matchLabels":{"app":"y"}}: field is immutable']);
  });
});

describe('Job', () => {
  const job = workloadStrategies['batch/Job']!;
  const newJob = (spec: Record<string, unknown> = {}) => create(job, obj('Job', { template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Never' } }, ...spec }));

  test('defaults and generated selector', () => {
    const o = newJob();
    const spec = o.spec as any;
    assert.equal(spec.completions, 1);
    assert.equal(spec.parallelism, 1);
    assert.equal(spec.backoffLimit, 6);
    assert.equal(spec.completionMode, 'NonIndexed');
    assert.equal(spec.suspend, false);
    assert.equal(spec.podReplacementPolicy, 'TerminatingOrFailed');
    assert.deepEqual(spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'uid-1' } });
    assert.deepEqual(spec.template.metadata.labels, {
      'job-name': 'w',
      'batch.kubernetes.io/job-name': 'w',
      'controller-uid': 'uid-1',
      'batch.kubernetes.io/controller-uid': 'uid-1',
    });
    assert.deepEqual(o.metadata.labels, spec.template.metadata.labels);
    assert.deepEqual(o.status, {});
    assert.deepEqual(msgs(job, o), []);
  });

  test('parallelism alone leaves completions unset', () => {
    const spec = newJob({ parallelism: 3 }).spec as any;
    assert.equal(spec.completions, undefined);
    assert.equal(spec.parallelism, 3);
  });

  test('validation', () => {
    const o = newJob({ completionMode: 'Indexed', completions: null, parallelism: 2 });
    delete (o.spec as any).completions;
    (o.spec as any).template.spec.restartPolicy = 'Always';
    (o.spec as any).backoffLimit = -1;
    assert.deepEqual(msgs(job, o), [
      'spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0',
      'spec.completions: Required value: when completion mode is Indexed',
      'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    ]);
    const perIndex = newJob({ backoffLimitPerIndex: 1 });
    assert.deepEqual(msgs(job, perIndex), ['spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode']);
    assert.equal((perIndex.spec as any).backoffLimit, 2147483647);
  });

  test('pod failure policy rules', () => {
    const o = newJob({ podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [0, 2, 1] } }, { action: 'Explode' }] } });
    assert.equal((o.spec as any).podReplacementPolicy, 'Failed');
    assert.deepEqual(msgs(job, o), [
      'spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator',
      'spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: [0,2,1]: must be ordered',
      'spec.podFailurePolicy.rules[1].action: Unsupported value: "Explode": supported values: "Count", "FailIndex", "FailJob", "Ignore"',
      'spec.podFailurePolicy.rules[1]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required',
    ]);
  });

  test('template, selector and completions are immutable', () => {
    const old = newJob();
    const next = structuredClone(old);
    (next.spec as any).template.spec.containers[0].image = 'other';
    (next.spec as any).completions = 3;
    assert.deepEqual(job.validateUpdate!(next, old).map((e) => `${e.field}: ${e.detail}`), ['spec.completions: field is immutable', 'spec.template: field is immutable']);
  });

  test('a suspended job that never started may change its scheduling directives', () => {
    const old = newJob({ suspend: true });
    const next = structuredClone(old);
    (next.spec as any).template.spec.nodeSelector = { zone: 'a' };
    assert.deepEqual(job.validateUpdate!(next, old), []);
  });
});

describe('CronJob', () => {
  const cj = workloadStrategies['batch/CronJob']!;
  const newCronJob = (spec: Record<string, unknown> = {}) =>
    create(cj, obj('CronJob', { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'OnFailure' } } } }, ...spec }));

  test('defaults', () => {
    const o = newCronJob();
    const spec = o.spec as any;
    assert.equal(spec.concurrencyPolicy, 'Allow');
    assert.equal(spec.suspend, false);
    assert.equal(spec.successfulJobsHistoryLimit, 3);
    assert.equal(spec.failedJobsHistoryLimit, 1);
    assert.deepEqual(spec.jobTemplate.metadata, { creationTimestamp: null });
    assert.equal(spec.jobTemplate.spec.template.spec.dnsPolicy, 'ClusterFirst');
    assert.deepEqual(msgs(cj, o), []);
  });

  test('schedule and time zone', () => {
    assert.deepEqual(msgs(cj, newCronJob({ schedule: 'TZ=UTC 0 * * * *' })), [
      'spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
    ]);
    assert.deepEqual(msgs(cj, newCronJob({ schedule: '61 * * * *', timeZone: 'Mars/Olympus' })), [
      'spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61',
      'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus',
    ]);
    assert.deepEqual(msgs(cj, newCronJob({ schedule: '@hourly', timeZone: 'Europe/Berlin' })), []);
  });

  test('cron parser messages', () => {
    assert.equal(cronScheduleError('0 0 * *'), 'expected exactly 5 fields, found 4: [0 0 * *]');
    assert.equal(cronScheduleError('x * * * *'), 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
    assert.equal(cronScheduleError('@weekly'), undefined);
    assert.equal(cronScheduleError('0 9 * jan-mar mon-fri'), undefined);
    assert.equal(cronScheduleError('@sometimes'), 'unrecognized descriptor: @sometimes');
    assert.equal(cronScheduleError('5-1 * * * *'), 'beginning of range (5) beyond end of range (1): 5-1');
  });

  test('the job template may not set a selector', () => {
    const o = newCronJob();
    (o.spec as any).jobTemplate.spec.selector = { matchLabels: { a: 'b' } };
    assert.deepEqual(msgs(cj, o), ['spec.jobTemplate.spec.selector: Invalid value: {"matchLabels":{"a":"b"}}: `selector` will be auto-generated']);
  });
});

describe('ControllerRevision', () => {
  test('data is mandatory and immutable', () => {
    const cr = workloadStrategies['apps/ControllerRevision']!;
    const o: ApiObject = { metadata: { name: 'r', namespace: 'd' }, revision: 1 };
    assert.deepEqual(cr.validate(o).map(errorMessage), ['data: Required value: data is mandatory']);
    const withData = { ...o, data: { a: 1 } };
    assert.deepEqual(cr.validateUpdate!({ ...o, data: { a: 2 } }, withData).map(errorMessage), ['data: Invalid value: {"a":2}: field is immutable']);
  });
});
