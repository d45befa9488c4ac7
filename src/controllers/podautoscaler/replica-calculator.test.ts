import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodMetricsSample } from './metrics-source.js';
import { rawResourceReplicas, resourceReplicas } from './replica-calculator.js';

const now = Date.parse('2024-01-01T01:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** A Running, Ready pod started long ago, requesting `req` millicores. */
function pod(name: string, opts: { req?: number; phase?: string; ready?: boolean; readySince?: number; start?: number; deleting?: boolean } = {}): Pod {
  const start = opts.start ?? now - 3_600_000;
  return {
    metadata: { name, ...(opts.deleting ? { deletionTimestamp: iso(now) } : {}) },
    spec: { containers: [{ name: 'app', resources: { requests: { cpu: `${opts.req ?? 1000}m` } } }] },
    status: {
      phase: opts.phase ?? 'Running',
      startTime: iso(start),
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', lastTransitionTime: iso(opts.readySince ?? start + 10_000) }],
    },
  };
}
const sample = (p: string, cpu: number, at = now - 10_000): PodMetricsSample => ({ pod: p, timestamp: at, windowMs: 30_000, containers: [{ name: 'app', usage: { cpu } }] });

describe('resourceReplicas (utilization)', () => {
  const cases: { name: string; current: number; target: number; pods: Pod[]; samples: PodMetricsSample[]; want: number; util?: number }[] = [
    { name: 'scale up at 2x target', current: 2, target: 50, pods: [pod('a'), pod('b')], samples: [sample('a', 1000), sample('b', 1000)], want: 4, util: 100 },
    { name: 'scale down', current: 4, target: 50, pods: ['a', 'b', 'c', 'd'].map((n) => pod(n)), samples: ['a', 'b', 'c', 'd'].map((n) => sample(n, 100)), want: 1, util: 10 },
    { name: 'within tolerance keeps count', current: 3, target: 50, pods: ['a', 'b', 'c'].map((n) => pod(n)), samples: ['a', 'b', 'c'].map((n) => sample(n, 540)), want: 3, util: 54 },
    { name: 'just outside tolerance scales', current: 3, target: 50, pods: ['a', 'b', 'c'].map((n) => pod(n)), samples: ['a', 'b', 'c'].map((n) => sample(n, 560)), want: 4, util: 56 },
    {
      name: 'missing metrics assumed at 0 when scaling up',
      current: 3,
      target: 50,
      pods: ['a', 'b', 'c'].map((n) => pod(n)),
      samples: [sample('a', 1000), sample('b', 1000)],
      want: 4,
    },
    {
      name: 'missing metrics assumed at 100% when scaling down',
      current: 3,
      target: 50,
      pods: ['a', 'b', 'c'].map((n) => pod(n)),
      samples: [sample('a', 100), sample('b', 100)],
      // (100+100+1000)/3000 = 40% → ratio .8 → ceil(2.4) = 3: no change.
      want: 3,
    },
    {
      name: 'missing metrics flip direction: keep count',
      current: 2,
      target: 50,
      pods: ['a', 'b'].map((n) => pod(n)),
      samples: [sample('a', 400)],
      want: 2,
    },
    {
      name: 'unready (pending) pods count as 0 when scaling up',
      current: 3,
      target: 50,
      pods: [pod('a'), pod('b'), pod('c', { phase: 'Pending' })],
      samples: [sample('a', 1000), sample('b', 1000)],
      // 2000/3000 = 66% → ratio 1.33 → ceil(4) = 4
      want: 4,
    },
    {
      name: 'unready pods ignored when scaling down',
      current: 3,
      target: 50,
      pods: [pod('a'), pod('b'), pod('c', { phase: 'Pending' })],
      samples: [sample('a', 100), sample('b', 100)],
      want: 1,
    },
    {
      name: 'recently started pod with a sample from before readiness is unready',
      current: 2,
      target: 50,
      pods: [pod('a'), pod('b', { start: now - 60_000, readySince: now - 20_000 })],
      samples: [sample('a', 1000), sample('b', 2000, now - 15_000)],
      // only a is ready: 100% → ratio 2; b counted as 0 → 1000/2000 = 50% → within tolerance
      want: 2,
    },
    { name: 'deleted and failed pods are ignored', current: 2, target: 50, pods: [pod('a'), pod('b', { deleting: true }), pod('c', { phase: 'Failed' })], samples: [sample('a', 1000), sample('b', 0), sample('c', 0)], want: 2 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const got = resourceReplicas(c.current, c.target, 'cpu', c.pods, c.samples, { now });
      assert.equal(got.replicas, c.want);
      if (c.util !== undefined) assert.equal(got.utilization, c.util);
    });
  }

  test('errors use upstream wording', () => {
    assert.throws(() => resourceReplicas(1, 50, 'cpu', [], [], { now }), /no pods returned by selector while calculating replica count/);
    assert.throws(() => resourceReplicas(1, 50, 'cpu', [pod('a', { phase: 'Pending' })], [sample('a', 1)], { now }), /did not receive metrics for targeted pods \(pods might be unready\)/);
    const noReq: Pod = { ...pod('a'), spec: { containers: [{ name: 'app' }] } };
    assert.throws(() => resourceReplicas(1, 50, 'cpu', [noReq], [sample('a', 1)], { now }), /missing request for cpu in container app of Pod a/);
  });
});

describe('rawResourceReplicas (average value)', () => {
  test('scales by average usage against the target', () => {
    const got = rawResourceReplicas(2, 250, 'cpu', [pod('a'), pod('b')], [sample('a', 500), sample('b', 500)], { now });
    assert.deepEqual([got.replicas, got.rawAverage], [4, 500]);
  });
  test('memory is compared in milli-units of bytes', () => {
    const s = (p: string): PodMetricsSample => ({ pod: p, timestamp: now, windowMs: 30_000, containers: [{ name: 'app', usage: { memory: 100 * 2 ** 20 } }] });
    const got = rawResourceReplicas(2, 50 * 2 ** 20 * 1000, 'memory', [pod('a'), pod('b')], [s('a'), s('b')], { now });
    assert.equal(got.replicas, 4);
  });
});
