import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { formatIndexes, parseIndexes } from './indexes.js';
import { backoffDurationMs, backoffRecord, remainingBackoffMs } from './backoff.js';
import { matchPodFailurePolicy } from './pod-failure-policy.js';
import { timeLeftMs } from './ttl-after-finished.js';

const t0 = Date.parse('2024-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const job: Job = { metadata: { name: 'j', namespace: 'ns', uid: 'u' }, spec: { template: {} } };

function finished(phase: 'Succeeded' | 'Failed', at: number, exitCode = phase === 'Failed' ? 1 : 0): Pod {
  return { metadata: { name: `p${at}`, namespace: 'ns' }, status: { phase, containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, finishedAt: iso(at) } } }] } } as Pod;
}

describe('interval strings', () => {
  for (const [ixs, s] of [[[], ''], [[0], '0'], [[1, 2], '1,2'], [[1, 3, 4, 5, 7], '1,3-5,7'], [[5, 4, 3, 3, 0, 1], '0,1,3-5']] as [number[], string][]) {
    test(`${JSON.stringify(ixs)} ⇄ "${s}"`, () => {
      assert.equal(formatIndexes(ixs), s);
      assert.deepEqual(parseIndexes(s, 100), [...new Set(ixs)].sort((a, b) => a - b));
    });
  }
  test('parse drops indexes beyond completions and junk', () => assert.deepEqual(parseIndexes('0,x,2-9', 4), [0, 2, 3]));
});

describe('pod-creation back-off', () => {
  test('durations double from 10 s and cap at 6 min', () => {
    assert.deepEqual([0, 1, 2, 3, 6, 10].map((n) => backoffDurationMs(n)), [0, 10_000, 20_000, 40_000, 320_000, 360_000]);
  });
  const cases: { name: string; pods: Pod[]; now: number; want: number }[] = [
    { name: 'no failures', pods: [finished('Succeeded', t0)], now: t0, want: 0 },
    { name: 'one failure just now', pods: [finished('Failed', t0)], now: t0 + 3000, want: 7000 },
    { name: 'two failures', pods: [finished('Failed', t0), finished('Failed', t0 + 1000)], now: t0 + 1000, want: 20_000 },
    { name: 'a success resets', pods: [finished('Failed', t0), finished('Succeeded', t0 + 1000)], now: t0 + 1000, want: 0 },
    { name: 'failures after success', pods: [finished('Succeeded', t0), finished('Failed', t0 + 1000)], now: t0 + 1000, want: 10_000 },
    { name: 'elapsed', pods: [finished('Failed', t0)], now: t0 + 60_000, want: 0 },
  ];
  for (const c of cases) test(c.name, () => assert.equal(remainingBackoffMs(backoffRecord(job, c.pods), c.now), c.want));
});

describe('pod failure policy', () => {
  const policy = {
    rules: [
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      { action: 'FailJob', onExitCodes: { containerName: 'c', operator: 'In', values: [42] } },
      { action: 'Count', onExitCodes: { operator: 'NotIn', values: [1, 42] } },
    ],
  };
  test('exit code In', () => {
    const m = matchPodFailurePolicy(policy, finished('Failed', t0, 42));
    assert.equal(m?.action, 'FailJob');
    assert.equal(m?.message, 'Container c for pod ns/p' + t0 + ' failed with exit code 42 matching FailJob rule at index 1');
  });
  test('exit code NotIn', () => assert.equal(matchPodFailurePolicy(policy, finished('Failed', t0, 7))?.ruleIndex, 2));
  test('no rule matches', () => assert.equal(matchPodFailurePolicy(policy, finished('Failed', t0, 1)), undefined));
  test('DisruptionTarget condition', () => {
    const p = finished('Failed', t0, 1);
    p.status!.conditions = [{ type: 'DisruptionTarget', status: 'True' }];
    assert.equal(matchPodFailurePolicy(policy, p)?.message, `Pod ns/p${t0} has condition DisruptionTarget matching Ignore rule at index 0`);
  });
  test('only Failed pods match', () => assert.equal(matchPodFailurePolicy(policy, finished('Succeeded', t0, 0)), undefined));
});

describe('ttl after finished', () => {
  const done = (ttl?: number): Job => ({ ...job, spec: { ...job.spec!, ttlSecondsAfterFinished: ttl }, status: { completionTime: iso(t0), conditions: [{ type: 'Complete', status: 'True' }] } });
  test('no ttl', () => assert.equal(timeLeftMs(done(undefined), t0), undefined));
  test('running job', () => assert.equal(timeLeftMs({ ...job, spec: { ...job.spec!, ttlSecondsAfterFinished: 0 } }, t0), undefined));
  test('not yet', () => assert.equal(timeLeftMs(done(60), t0 + 10_000), 50_000));
  test('expired', () => assert.equal(timeLeftMs(done(0), t0), 0));
});
