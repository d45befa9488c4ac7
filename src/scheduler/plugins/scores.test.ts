import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CycleState, type FrameworkHandle } from '../framework/interface.js';
import { NodeInfo } from '../framework/node-info.js';
import { Snapshot } from '../internal/cache/snapshot.js';
import { makeNode, makePod } from '../testing/fixtures.js';
import { calculatePriority, ImageLocality, normalizedImageName } from './image-locality/index.js';
import { validateFitArgs } from './node-resources/args.js';
import { BalancedAllocation } from './node-resources/balanced-allocation.js';
import { NodeResourcesFit } from './node-resources/fit.js';
import { FieldPath, errorMessage } from '../../api/field-errors.js';

const score = (pl: { preScore(s: CycleState, p: never, n: never): unknown; score(s: CycleState, p: never, n: NodeInfo): { score: number } }, pod: ReturnType<typeof makePod>, info: NodeInfo) => {
  const s = new CycleState();
  pl.preScore(s, pod as never, [] as never);
  return pl.score(s, pod as never, info).score;
};

describe('NodeResourcesFit scoring strategies', () => {
  // cpu 4000m, memory 10000 bytes; the pod asks 3000m and 5000 bytes.
  const node = () => new NodeInfo(makeNode('n', { cpu: '4', memory: '10000' }));
  const pod = makePod('p', { cpu: '3', memory: '5000' });
  test('LeastAllocated (default): ((4000-3000)·100/4000 + (10000-5000)·100/10000) / 2 = 37', () => {
    assert.equal(score(new NodeResourcesFit(), pod, node()), 37);
  });
  test('MostAllocated: (75 + 50) / 2 = 62', () => {
    assert.equal(score(new NodeResourcesFit({ scoringStrategy: { type: 'MostAllocated' } }), pod, node()), 62);
  });
  test('weights and extended resources', () => {
    const gpuNode = new NodeInfo(makeNode('g', { cpu: '4', memory: '10000', extra: { 'nvidia.com/gpu': '4' } }));
    const gpuPod = makePod('p', { cpu: '3', memory: '5000', extra: { 'nvidia.com/gpu': '2' } });
    const pl = new NodeResourcesFit({ scoringStrategy: { type: 'MostAllocated', resources: [{ name: 'nvidia.com/gpu', weight: 3 }, { name: 'cpu', weight: 1 }] } });
    // gpu 50·3 + cpu 75·1 = 225 / 4 = 56
    assert.equal(score(pl, gpuPod, gpuNode), 56);
  });
  test('RequestedToCapacityRatio follows the shape', () => {
    const pl = new NodeResourcesFit({
      scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [{ utilization: 0, score: 0 }, { utilization: 100, score: 10 }] } },
    });
    // cpu 75% → 75, memory 50% → 50: round(125/2) = 63
    assert.equal(score(pl, pod, node()), 63);
  });
  test('pods requesting nothing count with the non-zero defaults (100m, 200Mi)', () => {
    const n = new NodeInfo(makeNode('n', { cpu: '1', memory: '1000Mi' }));
    // cpu (1000-100)·100/1000 = 90, memory (1000-200)·100/1000 = 80 → 85
    assert.equal(score(new NodeResourcesFit(), makePod('p'), n), 85);
  });
  test('args validation names the field', () => {
    const errs = validateFitArgs({ scoringStrategy: { type: 'Bogus' } }, FieldPath.root('profiles').index(0).child('pluginConfig').index(0).child('args'));
    assert.deepEqual(errs.map(errorMessage), ['profiles[0].pluginConfig[0].args.scoringStrategy.type: Unsupported value: "Bogus": supported values: "LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"']);
    const w = validateFitArgs({ scoringStrategy: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 0 }] } }, FieldPath.root('args'));
    assert.deepEqual(w.map(errorMessage), ['args.scoringStrategy.resources[0].weight: Invalid value: 0: resource weight of cpu not in valid range [1, 100]']);
  });
});

describe('NodeResourcesBalancedAllocation', () => {
  test('fractions 0.75 and 0.5 → (1 − 0.125)·100 = 87', () => {
    assert.equal(score(new BalancedAllocation(), makePod('p', { cpu: '3', memory: '5000' }), new NodeInfo(makeNode('n', { cpu: '4', memory: '10000' }))), 87);
  });
  test('skips pods without requests', () => {
    assert.equal(new BalancedAllocation().preScore(new CycleState(), makePod('p')).code, 'Skip');
  });
});

describe('ImageLocality', () => {
  test('image names normalise to :latest', () => {
    assert.equal(normalizedImageName('nginx'), 'nginx:latest');
    assert.equal(normalizedImageName('reg:5000/nginx'), 'reg:5000/nginx:latest');
    assert.equal(normalizedImageName('nginx:1.25'), 'nginx:1.25');
  });
  test('scores by size scaled by spread', () => {
    const mb = 1024 * 1024;
    const a = new NodeInfo(makeNode('a', { images: [{ names: ['big:latest'], sizeBytes: 500 * mb }] }));
    const b = new NodeInfo(makeNode('b'));
    const snap = Snapshot.of([a, b]);
    const pl = new ImageLocality({ snapshot: () => snap } as unknown as FrameworkHandle);
    const pod = makePod('p', { image: 'big' });
    // 500 MiB · 1/2 spread = 250 MiB; (250−23)·100/(1000−23) = 23
    assert.equal(pl.score(new CycleState(), pod, a).score, calculatePriority(250 * mb, 1));
    assert.equal(pl.score(new CycleState(), pod, a).score, 23);
    assert.equal(pl.score(new CycleState(), pod, b).score, 0);
  });
});
