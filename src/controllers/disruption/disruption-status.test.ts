import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { buildStatus, countHealthyPods, expectedPodCount, needsScale, pruneDisruptedPods, scaledValue, statusChanged } from './disruption-status.js';

const pdb = (spec: PodDisruptionBudget['spec'], status?: PodDisruptionBudget['status']): PodDisruptionBudget => ({ metadata: { name: 'b', namespace: 'ns', generation: 3 }, spec, status });
const pod = (name: string, ready: boolean, deleting = false): Pod => ({
  metadata: { name, ...(deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const t0 = Date.parse('2024-01-01T00:10:00Z');

describe('scaledValue (intstr.GetScaledValueFromIntOrPercent)', () => {
  const cases: [number | string, number, boolean, number][] = [
    [2, 10, true, 2],
    ['50%', 5, true, 3],
    ['50%', 5, false, 2],
    ['34%', 3, true, 2],
    ['0%', 7, true, 0],
    ['100%', 7, true, 7],
  ];
  for (const [v, total, up, want] of cases) test(`${v} of ${total} rounding ${up ? 'up' : 'down'}`, () => assert.equal(scaledValue(v, total, up), want));
  test('malformed', () => assert.throws(() => scaledValue('abc', 3, true)));
});

describe('expectedPodCount', () => {
  const cases: { name: string; spec: PodDisruptionBudget['spec']; pods: number; scale: number; want: { expectedCount: number; desiredHealthy: number }; scaleNeeded: boolean }[] = [
    { name: 'minAvailable int uses the pod count', spec: { minAvailable: 2 }, pods: 4, scale: 10, want: { expectedCount: 4, desiredHealthy: 2 }, scaleNeeded: false },
    { name: 'minAvailable percent rounds up of scale', spec: { minAvailable: '50%' }, pods: 4, scale: 5, want: { expectedCount: 5, desiredHealthy: 3 }, scaleNeeded: true },
    { name: 'maxUnavailable int', spec: { maxUnavailable: 1 }, pods: 2, scale: 3, want: { expectedCount: 3, desiredHealthy: 2 }, scaleNeeded: true },
    { name: 'maxUnavailable percent rounds up (fewer healthy needed)', spec: { maxUnavailable: '30%' }, pods: 5, scale: 5, want: { expectedCount: 5, desiredHealthy: 3 }, scaleNeeded: true },
    { name: 'maxUnavailable larger than scale', spec: { maxUnavailable: 9 }, pods: 2, scale: 2, want: { expectedCount: 2, desiredHealthy: 0 }, scaleNeeded: true },
    { name: 'neither', spec: {}, pods: 3, scale: 3, want: { expectedCount: 0, desiredHealthy: 0 }, scaleNeeded: false },
  ];
  for (const c of cases)
    test(c.name, () => {
      assert.deepEqual(expectedPodCount(pdb(c.spec), c.pods, c.scale), c.want);
      assert.equal(needsScale(pdb(c.spec)), c.scaleNeeded);
    });
});

describe('disrupted pods and health', () => {
  test('entries go when the pod is gone, being deleted, or overdue', () => {
    const pods = [pod('a', true), pod('b', true, true), pod('c', true), pod('d', true)];
    const disrupted = { a: '2024-01-01T00:09:30Z', b: '2024-01-01T00:09:30Z', c: '2024-01-01T00:07:00Z', gone: '2024-01-01T00:09:00Z' };
    const r = pruneDisruptedPods(disrupted, pods, t0);
    assert.deepEqual(r.kept, { a: '2024-01-01T00:09:30Z' });
    assert.deepEqual(r.expired, ['c']);
    assert.equal(r.recheckAt, Date.parse('2024-01-01T00:11:30Z'));
    assert.equal(countHealthyPods(pods, r.kept), 2, 'a is being disrupted, b is deleting: c and d count');
    assert.equal(countHealthyPods([pod('x', false)], {}), 0);
  });
});

describe('buildStatus', () => {
  const now = '2024-01-01T00:10:00Z';
  test('sufficient pods', () => {
    const s = buildStatus(pdb({ minAvailable: 2 }), { currentHealthy: 3, desiredHealthy: 2, expectedCount: 3, disruptedPods: {} }, now);
    assert.equal(s.disruptionsAllowed, 1);
    assert.equal(s.observedGeneration, 3);
    assert.equal(s.expectedPods, 3);
    assert.equal(s.disruptedPods, undefined);
    assert.deepEqual(s.conditions, [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration: 3, lastTransitionTime: now }]);
  });
  test('insufficient pods never go negative; transition time kept while status unchanged', () => {
    const prev = buildStatus(pdb({ minAvailable: 5 }), { currentHealthy: 1, desiredHealthy: 5, expectedCount: 3, disruptedPods: {} }, '2024-01-01T00:00:00Z');
    const p = pdb({ minAvailable: 5 }, prev);
    const s = buildStatus(p, { currentHealthy: 2, desiredHealthy: 5, expectedCount: 3, disruptedPods: { x: now } }, now);
    assert.equal(s.disruptionsAllowed, 0);
    assert.equal(s.conditions![0]!.reason, 'InsufficientPods');
    assert.equal(s.conditions![0]!.lastTransitionTime, '2024-01-01T00:00:00Z');
    assert.deepEqual(s.disruptedPods, { x: now });
    assert.ok(statusChanged(p, s));
    assert.ok(!statusChanged(pdb({}, s), s));
  });
  test('sync failure is fail-safe and does not observe the generation', () => {
    const p = pdb({ maxUnavailable: 1 }, { currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1, observedGeneration: 2 });
    const s = buildStatus(p, { error: 'found no controllers for pod "p"' }, now);
    assert.equal(s.disruptionsAllowed, 0);
    assert.equal(s.observedGeneration, 2);
    assert.equal(s.conditions![0]!.reason, 'SyncFailed');
    assert.equal(s.conditions![0]!.message, 'found no controllers for pod "p"');
  });
});
