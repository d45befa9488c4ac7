import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import { setCondition } from './hpa-status.js';
import { ScalingHistory, convertWithRules, scaleDownLimit, scaleUpLimit } from './scaling-behavior.js';

const t0 = 1_000_000_000;

describe('without behavior', () => {
  const cases = [
    { current: 2, desired: 3, min: 1, max: 10, want: 3, reason: 'DesiredWithinRange' },
    { current: 2, desired: 20, min: 1, max: 10, want: 4, reason: 'ScaleUpLimit' },
    { current: 6, desired: 20, min: 1, max: 10, want: 10, reason: 'TooManyReplicas' },
    { current: 3, desired: 1, min: 2, max: 10, want: 2, reason: 'TooFewReplicas' },
  ];
  for (const c of cases) {
    test(`${c.current}→${c.desired} in [${c.min},${c.max}] gives ${c.want} (${c.reason})`, () => {
      const got = convertWithRules(c.current, c.desired, c.min, c.max);
      assert.deepEqual([got.replicas, got.reason], [c.want, c.reason]);
    });
  }

  test('scale down waits for the 5 minute window', () => {
    const h = new ScalingHistory();
    h.recordInitial('k', 5, t0);
    const first = h.normalize('k', 5, 2, 1, 10, t0 + 60_000);
    assert.equal(first.replicas, 5);
    assert.equal(first.ableToScale.reason, 'ScaleDownStabilized');
    assert.equal(first.limited.status, 'False');
    const later = h.normalize('k', 5, 2, 1, 10, t0 + 301_000);
    assert.equal(later.replicas, 2);
    assert.equal(later.ableToScale.reason, 'ReadyForNewScale');
  });
});

describe('with behavior', () => {
  test('default scale-up policies: max(+4 pods, +100%) per 15 s', () => {
    const h = new ScalingHistory();
    h.recordInitial('k', 2, t0);
    const got = h.normalizeWithBehavior('k', {}, 2, 20, 1, 100, t0);
    assert.equal(got.replicas, 6);
    assert.deepEqual([got.limited.status, got.limited.reason], ['True', 'ScaleUpLimit']);
    h.storeScaleEvent('k', {}, 2, 6, t0);
    // Within the period the 4 pods already added count against the budget: start 2 → max(6, 4) = 6.
    assert.equal(h.normalizeWithBehavior('k', {}, 6, 20, 1, 100, t0 + 5_000).replicas, 6);
    // After the period: max(6+4, 12) = 12.
    assert.equal(h.normalizeWithBehavior('k', {}, 6, 20, 1, 100, t0 + 16_000).replicas, 12);
  });

  test('maxReplicas clamps with TooManyReplicas', () => {
    const h = new ScalingHistory();
    const got = h.normalizeWithBehavior('k', {}, 2, 5, 1, 3, t0);
    assert.deepEqual([got.replicas, got.limited.reason, got.limited.status], [3, 'TooManyReplicas', 'True']);
  });

  test('scale-down stabilization window from behavior', () => {
    const h = new ScalingHistory();
    const b = { scaleDown: { stabilizationWindowSeconds: 10 } };
    h.recordInitial('k', 4, t0);
    const held = h.normalizeWithBehavior('k', b, 4, 1, 1, 10, t0 + 5_000);
    assert.deepEqual([held.replicas, held.ableToScale.reason], [4, 'ScaleDownStabilized']);
    const down = h.normalizeWithBehavior('k', b, 4, 1, 1, 10, t0 + 16_000);
    assert.equal(down.replicas, 1);
  });

  test('scale-up stabilization window applies the lowest recent recommendation', () => {
    const h = new ScalingHistory();
    const b = { scaleUp: { stabilizationWindowSeconds: 60 } };
    h.recordInitial('k', 2, t0);
    const got = h.normalizeWithBehavior('k', b, 2, 5, 1, 10, t0 + 10_000);
    assert.deepEqual([got.replicas, got.ableToScale.reason], [2, 'ScaleUpStabilized']);
  });

  test('policies and selectPolicy', () => {
    const pods = { type: 'Pods', value: 1, periodSeconds: 60 };
    const pct = { type: 'Percent', value: 50, periodSeconds: 60 };
    assert.equal(scaleUpLimit(10, [], [], { selectPolicy: 'Max', policies: [pods, pct] }, t0), 15);
    assert.equal(scaleUpLimit(10, [], [], { selectPolicy: 'Min', policies: [pods, pct] }, t0), 11);
    assert.equal(scaleUpLimit(10, [], [], { selectPolicy: 'Disabled', policies: [pods, pct] }, t0), 10);
    assert.equal(scaleDownLimit(10, [], [], { selectPolicy: 'Max', policies: [pods, pct] }, t0), 5);
    assert.equal(scaleDownLimit(10, [], [], { selectPolicy: 'Min', policies: [pods, pct] }, t0), 9);
    assert.equal(scaleDownLimit(10, [{ change: 3, at: t0 - 1000, outdated: false }], [], { policies: [pods] }, t0), 6);
  });

  test('scaleDown Disabled keeps the count with ScaleDownLimit… or TooFewReplicas', () => {
    const h = new ScalingHistory();
    const got = h.normalizeWithBehavior('k', { scaleDown: { selectPolicy: 'Disabled', stabilizationWindowSeconds: 0 } }, 5, 1, 1, 10, t0);
    assert.deepEqual([got.replicas, got.limited.reason], [5, 'ScaleDownLimit']);
  });
});

test('setCondition keeps lastTransitionTime while the status holds', () => {
  const hpa: HorizontalPodAutoscaler = { spec: { maxReplicas: 1, scaleTargetRef: { kind: 'Deployment', name: 'x' } } };
  setCondition(hpa, 'AbleToScale', 'True', 'A', 'a', t0);
  setCondition(hpa, 'ScalingActive', 'False', 'B', 'b', t0);
  setCondition(hpa, 'AbleToScale', 'True', 'C', 'c', t0 + 5000);
  assert.deepEqual(
    hpa.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.lastTransitionTime]),
    [
      ['AbleToScale', 'True', 'C', new Date(t0).toISOString().replace('.000Z', 'Z')],
      ['ScalingActive', 'False', 'B', new Date(t0).toISOString().replace('.000Z', 'Z')],
    ],
  );
});
