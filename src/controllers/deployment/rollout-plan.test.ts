import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { findActiveOrLatest, newRSNewReplicas, oldPodsRunning, planNewReplicaSet, planOldReplicaSets, planScale, replicaSetProportion } from './rollout-plan.js';
import { maxSurge, maxUnavailable, resolveFenceposts, scaledValue } from './replica-set-util.js';

type IntOrString = number | string;

function deployment(replicas: number, surge: IntOrString = '25%', unavailable: IntOrString = '25%', type = 'RollingUpdate'): Deployment {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
      strategy: type === 'RollingUpdate' ? { type, rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } } : { type },
    },
  };
}

function rs(name: string, replicas: number, available = replicas, ageSeconds = 0, annotations: Record<string, string> = {}): ReplicaSet {
  return {
    metadata: { name, uid: `uid-${name}`, creationTimestamp: new Date(Date.UTC(2024, 0, 1, 0, 0, 0) + ageSeconds * 1000).toISOString(), annotations },
    spec: { replicas, selector: { matchLabels: { app: 'web' } } },
    status: { replicas, availableReplicas: available, readyReplicas: available },
  };
}

describe('fenceposts (surge rounds up, unavailable rounds down)', () => {
  const cases: [IntOrString, IntOrString, number, number, number][] = [
    ['25%', '25%', 10, 3, 2],
    ['25%', '25%', 4, 1, 1],
    ['25%', '25%', 1, 1, 0],
    [0, '10%', 5, 0, 1], // both 0 after rounding → unavailable 1
    [2, 0, 3, 2, 0],
    ['50%', '50%', 3, 2, 1],
    [1, 1, 0, 1, 1],
  ];
  for (const [s, u, desired, es, eu] of cases) {
    test(`${s}/${u} of ${desired} → surge ${es}, unavailable ${eu}`, () => {
      assert.deepEqual(resolveFenceposts(s, u, desired), { surge: es, unavailable: eu });
    });
  }
  test('maxUnavailable is capped by replicas and 0 for Recreate or zero replicas', () => {
    assert.equal(maxUnavailable(deployment(2, 0, 5)), 2);
    assert.equal(maxUnavailable(deployment(0, 1, 1)), 0);
    assert.equal(maxUnavailable(deployment(3, 1, 1, 'Recreate')), 0);
    assert.equal(maxSurge(deployment(3, 1, 1, 'Recreate')), 0);
  });
  test('scaledValue', () => {
    assert.equal(scaledValue('33%', 10, true), 4);
    assert.equal(scaledValue('33%', 10, false), 3);
    assert.equal(scaledValue(7, 10, false), 7);
  });
});

describe('new ReplicaSet scale-up (NewRSNewReplicas / reconcileNewReplicaSet)', () => {
  const cases: { name: string; d: Deployment; old: number; neu: number; want: number | undefined }[] = [
    { name: 'surge room: up to replicas+surge total', d: deployment(10, 3, 2), old: 10, neu: 0, want: 3 },
    { name: 'no surge room', d: deployment(10, 3, 2), old: 10, neu: 3, want: undefined },
    { name: 'never past spec.replicas', d: deployment(3, 5, 0), old: 0, neu: 1, want: 3 },
    { name: 'over-sized new RS scales down to spec', d: deployment(3, 1, 1), old: 0, neu: 5, want: 3 },
    { name: 'at spec: nothing', d: deployment(3, 1, 1), old: 2, neu: 3, want: undefined },
    { name: 'surge 0: only what old scale-down freed', d: deployment(4, 0, 1), old: 3, neu: 0, want: 1 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const oldRS = rs('old', c.old, c.old, 0);
      const newRS = rs('new', c.neu, c.neu, 10);
      assert.equal(planNewReplicaSet(c.d, [oldRS, newRS], newRS)?.replicas, c.want);
    });
  }
  test('Recreate: the new RS takes everything', () => {
    assert.equal(newRSNewReplicas(deployment(4, 1, 1, 'Recreate'), [], rs('new', 0)), 4);
  });
});

describe('old ReplicaSets scale-down (reconcileOldReplicaSets)', () => {
  type Case = { name: string; d: Deployment; olds: [number, number][]; neu: [number, number]; want: number[] };
  const cases: Case[] = [
    // 10 replicas, maxUnavailable 2: 10 available old + new 3 unavailable → may drop 2.
    { name: 'respects maxUnavailable', d: deployment(10, 3, 2), olds: [[10, 10]], neu: [3, 0], want: [8] },
    { name: 'new pods available free old ones', d: deployment(10, 3, 2), olds: [[10, 10]], neu: [3, 3], want: [5] },
    { name: 'blocked when new RS unavailable eats the budget', d: deployment(4, 1, 0), olds: [[4, 4]], neu: [1, 0], want: [] },
    // Unhealthy old replicas go first, even beyond what availability alone would allow.
    { name: 'unhealthy cleaned first', d: deployment(4, 1, 0), olds: [[4, 2]], neu: [1, 1], want: [3] },
    { name: 'unhealthy then healthy, oldest RS first', d: deployment(6, 2, 2), olds: [[3, 1], [3, 3]], neu: [2, 2], want: [0, 2] },
    { name: 'nothing old left', d: deployment(3, 1, 1), olds: [[0, 0]], neu: [3, 3], want: [] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const olds = c.olds.map(([r, a], i) => rs(`old${i}`, r, a, i));
      const newRS = rs('new', c.neu[0], c.neu[1], 100);
      const ops = planOldReplicaSets(c.d, [...olds, newRS], olds.filter((o) => o.spec!.replicas! > 0), newRS);
      const byName = new Map(ops.map((o) => [o.rs.metadata!.name!, o.replicas]));
      const want = c.want.length === 0 ? [] : olds.map((o, i) => c.want[i] ?? o.spec!.replicas!);
      assert.deepEqual(
        ops.length === 0 ? [] : olds.map((o) => byName.get(o.metadata!.name!) ?? o.spec!.replicas!),
        want,
      );
    });
  }
  test('never below replicas − maxUnavailable available through a whole simulated rollout', () => {
    for (const [replicas, surge, unavailable] of [[10, 3, 2], [5, '25%', '25%'], [3, 0, 1], [7, '50%', 0]] as [number, IntOrString, IntOrString][]) {
      const d = deployment(replicas, surge, unavailable);
      const min = replicas - maxUnavailable(d);
      let old = rs('old', replicas, replicas, 0);
      let neu = rs('new', 0, 0, 10);
      for (let step = 0; step < 100; step++) {
        const up = planNewReplicaSet(d, [old, neu], neu);
        if (up) neu = rs('new', up.replicas, neu.status!.availableReplicas!, 10);
        else {
          const down = planOldReplicaSets(d, [old, neu], old.spec!.replicas! > 0 ? [old] : [], neu);
          if (down.length) old = rs('old', down[0]!.replicas, Math.min(old.status!.availableReplicas!, down[0]!.replicas), 0);
          else if (neu.status!.availableReplicas! < neu.spec!.replicas!) neu = rs('new', neu.spec!.replicas!, neu.status!.availableReplicas! + 1, 10);
          else break;
        }
        assert.ok(old.status!.availableReplicas! + neu.status!.availableReplicas! >= min, `step ${step} of ${replicas}/${surge}/${unavailable}`);
        assert.ok(old.spec!.replicas! + neu.spec!.replicas! <= replicas + maxSurge(d));
      }
      assert.equal(neu.spec!.replicas, replicas);
      assert.equal(old.spec!.replicas, 0);
    }
  });
});

describe('proportional scaling (scale)', () => {
  const ann = (desired: number, max: number) => ({ 'deployment.kubernetes.io/desired-replicas': String(desired), 'deployment.kubernetes.io/max-replicas': String(max) });
  test('one active RS takes the whole size', () => {
    const ops = planScale(deployment(5), rs('new', 3, 3, 10), [rs('old', 0, 0, 0)]);
    assert.deepEqual(ops.map((o) => [o.rs.metadata!.name, o.replicas]), [['new', 5]]);
  });
  test('no active RS: the newest gets it', () => {
    assert.equal(findActiveOrLatest(undefined, [rs('a', 0, 0, 0), rs('b', 0, 0, 5)])?.metadata?.name, 'b');
  });
  test('10→15 mid-rollout (surge 3): 13 spread 8/5 → 12/6 by proportion', () => {
    // Before: replicas 10, maxSurge 3 → max 13; old 8 + new 5 = 13. After: replicas 15, surge 3 → 18.
    const d = deployment(15, 3, 2);
    const ops = planScale(d, rs('new', 5, 0, 10, ann(10, 13)), [rs('old', 8, 8, 0, ann(10, 13))]);
    const sizes = Object.fromEntries(ops.map((o) => [o.rs.metadata!.name, o.replicas]));
    assert.deepEqual(sizes, { old: 11, new: 7 });
    assert.equal(sizes.old! + sizes.new!, 18);
    assert.ok(ops.every((o) => o.operation === 'up'));
  });
  test('scale down mid-rollout removes from the larger, older first', () => {
    const d = deployment(5, 1, 1);
    const ops = planScale(d, rs('new', 4, 0, 10, ann(10, 11)), [rs('old', 7, 7, 0, ann(10, 11))]);
    const sizes = Object.fromEntries(ops.map((o) => [o.rs.metadata!.name, o.replicas]));
    assert.equal(sizes.old! + sizes.new!, 6);
    assert.deepEqual(sizes, { old: 4, new: 2 });
    assert.ok(ops.every((o) => o.operation === 'down'));
  });
  test('scale to zero takes every RS to 0', () => {
    const ops = planScale(deployment(0, 1, 1), rs('new', 2, 0, 10, ann(3, 4)), [rs('old', 2, 2, 0, ann(3, 4))]);
    assert.deepEqual(ops.map((o) => o.replicas), [0, 0]);
  });
  test('saturated new RS: old RSs go to zero', () => {
    const ops = planScale(deployment(3, 1, 1), rs('new', 3, 3, 10, ann(3, 4)), [rs('old', 1, 1, 0, ann(3, 4))]);
    assert.deepEqual(ops.map((o) => [o.rs.metadata!.name, o.replicas]), [['old', 0]]);
  });
  test('proportion is capped by what is left to add', () => {
    assert.equal(replicaSetProportion(rs('a', 10, 10, 0, ann(10, 10)), deployment(20, 0, 1), 3, 0), 3);
    assert.equal(replicaSetProportion(rs('a', 10, 10, 0, ann(10, 10)), deployment(5, 0, 1), -2, 0), -2);
    assert.equal(replicaSetProportion(rs('a', 0, 0, 0), deployment(5), 2, 0), 0);
  });
});

describe('Recreate: old pods running', () => {
  const pod = (phase: string) => ({ metadata: { name: 'p' }, status: { phase } });
  test('cases', () => {
    const newRS = rs('new', 0, 0, 10);
    assert.equal(oldPodsRunning(newRS, [rs('old', 1, 1)], new Map()), true);
    const old = { ...rs('old', 0, 0), status: { replicas: 0 } };
    assert.equal(oldPodsRunning(newRS, [old], new Map([['uid-old', [pod('Succeeded'), pod('Failed')]]])), false);
    assert.equal(oldPodsRunning(newRS, [old], new Map([['uid-old', [pod('Unknown')]]])), true);
    assert.equal(oldPodsRunning(newRS, [old], new Map([['uid-new', [pod('Running')]]])), false);
  });
});

describe('stale ReplicaSet status after a scale-down', () => {
  test('an old RS reporting more available pods than its spec is not scaled down twice', () => {
    const d = deployment(4, 1, 1);
    const old = { ...rs('old', 2, 4, 0), status: { replicas: 4, availableReplicas: 4 } };
    const neu = rs('new', 3, 2, 10);
    // Real availability: 2 (old, after its deletions) + 2 (new) = 4 ≥ min 3 → at most one more old pod may go.
    const ops = planOldReplicaSets(d, [old, neu], [old], neu);
    assert.deepEqual(ops.map((o) => o.replicas), [1]);
  });
});
