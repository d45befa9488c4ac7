import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CronJob, CronJobSpec, CronJobStatus, Job } from 'kubernetes-types/batch/v1.js';
import { formatRfc3339, jobNameFor, mostRecentScheduleTime, parseSchedule } from './schedule.js';
import { planCronJobSync, scheduledTimestampAnnotation } from './cronjob-sync.js';

const T = (s: string) => Date.parse(s);
const iso = (ms: number) => new Date(ms).toISOString();

describe('schedules', () => {
  const cases: { schedule: string; tz?: string; from: string; want: string }[] = [
    { schedule: '*/5 * * * *', tz: 'UTC', from: '2024-01-01T00:05:00Z', want: '2024-01-01T00:10:00.000Z' },
    { schedule: '@hourly', tz: 'UTC', from: '2024-01-01T00:05:00Z', want: '2024-01-01T01:00:00.000Z' },
    { schedule: '@midnight', tz: 'UTC', from: '2024-01-01T00:05:00Z', want: '2024-01-02T00:00:00.000Z' },
    { schedule: '@weekly', tz: 'UTC', from: '2024-01-01T00:05:00Z', want: '2024-01-07T00:00:00.000Z' },
    { schedule: '@monthly', tz: 'UTC', from: '2024-01-15T00:00:00Z', want: '2024-02-01T00:00:00.000Z' },
    { schedule: '@yearly', tz: 'UTC', from: '2024-01-15T00:00:00Z', want: '2025-01-01T00:00:00.000Z' },
    { schedule: '0 9 * * *', tz: 'America/New_York', from: '2024-01-01T00:00:00Z', want: '2024-01-01T14:00:00.000Z' },
    { schedule: '0 9 * * *', tz: 'America/New_York', from: '2024-07-01T00:00:00Z', want: '2024-07-01T13:00:00.000Z' },
    { schedule: '30 2 * * *', tz: 'Asia/Kolkata', from: '2024-01-01T00:00:00Z', want: '2024-01-01T21:00:00.000Z' },
  ];
  for (const c of cases) test(`${c.schedule} in ${c.tz} after ${c.from}`, () => assert.equal(iso(parseSchedule(c.schedule, c.tz).next(T(c.from))), c.want));
  test('bad schedules throw', () => {
    assert.throws(() => parseSchedule('* * * *'), /expected exactly 5 fields/);
    assert.throws(() => parseSchedule('@fortnightly'), /unrecognized descriptor/);
    assert.throws(() => parseSchedule('* * * * *', 'Mars/Base'), /unknown time zone/);
  });
  test('missed runs: the most recent one and the count', () => {
    const s = parseSchedule('*/10 * * * *', 'UTC');
    assert.deepEqual(mostRecentScheduleTime(s, T('2024-01-01T00:00:00Z'), T('2024-01-01T00:35:00Z')), { time: T('2024-01-01T00:30:00Z'), missed: 3 });
    assert.deepEqual(mostRecentScheduleTime(s, T('2024-01-01T00:00:00Z'), T('2024-01-01T00:05:00Z')), { missed: 0 });
    const many = mostRecentScheduleTime(parseSchedule('* * * * *', 'UTC'), T('2024-01-01T00:00:00Z'), T('2024-01-02T00:00:30Z'));
    assert.equal(many.time, T('2024-01-02T00:00:00Z'));
    assert.ok(many.missed > 100);
  });
  test('names and timestamps', () => {
    assert.equal(jobNameFor('hello', T('2024-01-01T00:10:00Z')), `hello-${T('2024-01-01T00:10:00Z') / 60000}`);
    assert.equal(formatRfc3339(T('2024-01-01T14:00:00Z'), 'America/New_York'), '2024-01-01T09:00:00-05:00');
    assert.equal(formatRfc3339(T('2024-01-01T14:00:00Z'), 'UTC'), '2024-01-01T14:00:00Z');
  });
});

function cron(spec: Partial<CronJobSpec> = {}, status: CronJobStatus = {}): CronJob {
  return {
    metadata: { name: 'cj', namespace: 'ns', uid: 'cj-uid', creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: { schedule: '*/10 * * * *', timeZone: 'UTC', jobTemplate: { metadata: { labels: { a: 'b' } }, spec: { template: {} } }, ...spec },
    status,
  };
}
function ownedJob(name: string, uid: string, finished?: 'Complete' | 'Failed', start = '2024-01-01T00:00:00Z'): Job {
  return {
    metadata: { name, namespace: 'ns', uid, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'cj', uid: 'cj-uid', controller: true }] },
    spec: { template: {} },
    status: { startTime: start, ...(finished ? { conditions: [{ type: finished, status: 'True' }], ...(finished === 'Complete' ? { completionTime: start } : {}) } : {}) },
  };
}

describe('planCronJobSync', () => {
  test('before the first schedule time: nothing, requeue just after it', () => {
    const plan = planCronJobSync(cron(), [], T('2024-01-01T00:05:00Z'));
    assert.equal(plan.createJob, undefined);
    assert.equal(plan.requeueAfterMs, 5 * 60_000 + 100);
  });
  test('at the schedule time a Job is created with name, annotation and owner', () => {
    const plan = planCronJobSync(cron(), [], T('2024-01-01T00:10:01Z'));
    const j = plan.createJob!;
    assert.equal(j.metadata?.name, `cj-${T('2024-01-01T00:10:00Z') / 60000}`);
    assert.equal(j.metadata?.annotations?.[scheduledTimestampAnnotation], '2024-01-01T00:10:00Z');
    assert.equal(j.metadata?.labels?.a, 'b');
    assert.equal(j.metadata?.ownerReferences?.[0].uid, 'cj-uid');
    assert.equal(plan.status.lastScheduleTime, '2024-01-01T00:10:00Z');
    assert.equal(plan.requeueAfterMs, 10 * 60_000 - 1000 + 100);
  });
  test('missed runs: only the most recent is started; past 100 a warning', () => {
    const plan = planCronJobSync(cron({ schedule: '* * * * *' }), [], T('2024-01-02T00:00:30Z'));
    assert.equal(plan.status.lastScheduleTime, '2024-01-02T00:00:00Z');
    assert.equal(plan.events[0].reason, 'TooManyMissedTimes');
  });
  test('startingDeadlineSeconds: too late is MissSchedule', () => {
    const plan = planCronJobSync(cron({ startingDeadlineSeconds: 30 }, { lastScheduleTime: '2024-01-01T00:00:00Z' }), [], T('2024-01-01T00:11:00Z'));
    assert.equal(plan.createJob, undefined);
    const ok = planCronJobSync(cron({ startingDeadlineSeconds: 120 }, { lastScheduleTime: '2024-01-01T00:00:00Z' }), [], T('2024-01-01T00:11:00Z'));
    assert.ok(ok.createJob);
  });
  test('Forbid with an active Job skips; Replace deletes it', () => {
    const running = ownedJob('cj-old', 'j1');
    const status = { active: [{ name: 'cj-old', uid: 'j1' }], lastScheduleTime: '2024-01-01T00:00:00Z' };
    const forbid = planCronJobSync(cron({ concurrencyPolicy: 'Forbid' }, status), [running], T('2024-01-01T00:10:00Z'));
    assert.equal(forbid.createJob, undefined);
    assert.equal(forbid.events[0].reason, 'JobAlreadyActive');
    const replace = planCronJobSync(cron({ concurrencyPolicy: 'Replace' }, status), [running], T('2024-01-01T00:10:00Z'));
    assert.deepEqual(replace.deleteJobs, [running]);
    assert.ok(replace.createJob);
    assert.equal(replace.status.active, undefined);
  });
  test('finished Jobs leave active; lastSuccessfulTime; history limits', () => {
    const done = ['00:00', '00:10', '00:20'].map((t, i) => ownedJob(`cj-${i}`, `u${i}`, 'Complete', `2024-01-01T${t}:00Z`));
    const failed = ownedJob('cj-f', 'uf', 'Failed');
    const plan = planCronJobSync(cron({ successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 0, suspend: true }, { active: [{ name: 'cj-2', uid: 'u2' }] }), [...done, failed], T('2024-01-01T00:25:00Z'));
    assert.equal(plan.status.active, undefined);
    assert.equal(plan.status.lastSuccessfulTime, '2024-01-01T00:20:00Z');
    assert.deepEqual(plan.deleteJobs.map((j) => j.metadata?.name), ['cj-0', 'cj-1', 'cj-f']);
    assert.equal(plan.createJob, undefined);
  });
  test('unparseable schedule and unknown zone are warnings', () => {
    assert.equal(planCronJobSync(cron({ schedule: 'bad' }), [], 0).events[0].reason, 'UnparseableSchedule');
    assert.equal(planCronJobSync(cron({ timeZone: 'Nowhere/Land' }), [], 0).events[0].reason, 'UnknownTimeZone');
  });
});
