import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../client/clock.js';
import type { SchedulerConfiguration } from './config/types.js';
import type { EventSink } from './event-recorder.js';
import type { ClusterListers } from './framework/interface.js';
import { InvalidSchedulerConfigError, Scheduler, type SchedulerBackend } from './scheduler.js';
import { makeNode, makePod } from './testing/fixtures.js';

class FakeBackend implements SchedulerBackend {
  binds: [string, string][] = [];
  patches: { pod: string; condition: PodCondition; nominated?: string | null }[] = [];
  failBind?: Error;
  async bind(pod: Pod, node: string) {
    if (this.failBind) throw this.failBind;
    this.binds.push([pod.metadata!.name!, node]);
  }
  async patchPodStatus(pod: Pod, condition: PodCondition, nominated?: string | null) {
    this.patches.push({ pod: pod.metadata!.name!, condition, nominated });
  }
  async setNominatedNodeName() {}
  async evictVictim() {}
}

class FakeEvents implements EventSink {
  events: { pod: string; type: string; reason: string; message: string }[] = [];
  event(pod: Pod, type: string, reason: string, _action: string, message: string) {
    this.events.push({ pod: pod.metadata!.name!, type, reason, message });
  }
}

const listers: ClusterListers = {
  podDisruptionBudgets: () => [],
  persistentVolumeClaim: () => undefined,
  persistentVolume: () => undefined,
  storageClass: () => undefined,
  priorityClass: () => undefined,
};

function setup(config?: SchedulerConfiguration) {
  const backend = new FakeBackend();
  const events = new FakeEvents();
  const clock = new FakeClock(1_700_000_000_000);
  const s = new Scheduler({ config, backend, events, listers, clock, random: () => 0 });
  return { s, backend, events, clock };
}

/** Runs cycles while pods are active, then waits for their bindings. */
async function drain(s: Scheduler): Promise<void> {
  while (s.queue.stats().active > 0) await s.scheduleOne();
  await s.waitForBindings();
}

const noPreemption: SchedulerConfiguration = { profiles: [{ schedulerName: 'default-scheduler', plugins: { multiPoint: { disabled: [{ name: 'DefaultPreemption' }] } } }] };
const taint = [{ key: 'dedicated', value: 'ml', effect: 'NoSchedule' as const }];

describe('Scheduler cycle', () => {
  test('binds a pod to the node that fits and reports it', async () => {
    const { s, backend, events } = setup();
    s.onNodeAdd(makeNode('small', { cpu: '1' }));
    s.onNodeAdd(makeNode('big', { cpu: '8' }));
    s.onPodAdd(makePod('p', { cpu: '2' }));
    await drain(s);
    assert.deepEqual(backend.binds, [['p', 'big']]);
    assert.deepEqual(events.events, [{ pod: 'p', type: 'Normal', reason: 'Scheduled', message: 'Successfully assigned default/p to big' }]);
    assert.equal(s.cache.isAssumedPod(makePod('p')), true);
    // The informer confirms the binding.
    s.onPodUpdate(makePod('p', { cpu: '2' }), makePod('p', { cpu: '2', nodeName: 'big' }));
    assert.equal(s.cache.isAssumedPod(makePod('p')), false);
  });

  test('explains failures in upstream words and records them once per change', async () => {
    const { s, backend, events } = setup(noPreemption);
    s.onNodeAdd(makeNode('n1'));
    s.onNodeAdd(makeNode('n2', { taints: taint }));
    s.onNodeAdd(makeNode('n3', { taints: taint }));
    s.onPodAdd(makePod('gpu', { extra: { 'nvidia.com/gpu': '1' } }));
    await drain(s);
    const msg = '0/3 nodes are available: 1 Insufficient nvidia.com/gpu, 2 node(s) had untolerated taint {dedicated: ml}.';
    assert.deepEqual(events.events, [{ pod: 'gpu', type: 'Warning', reason: 'FailedScheduling', message: msg }]);
    assert.equal(backend.patches.length, 1);
    assert.deepEqual({ ...backend.patches[0]!.condition, lastTransitionTime: undefined }, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: msg, lastProbeTime: null, lastTransitionTime: undefined });
    assert.equal(s.queue.whereIs(makePod('gpu')), 'unschedulable');
    // A GPU node arrives: NodeResourcesFit registered NodeAdd, the pod is retried after its backoff.
    s.onNodeAdd(makeNode('gpu-node', { extra: { 'nvidia.com/gpu': '2' } }));
    assert.equal(s.queue.whereIs(makePod('gpu')), 'backoff');
  });

  test('with DefaultPreemption the message gains the preemption part', async () => {
    const { s, events } = setup();
    s.onNodeAdd(makeNode('n1', { taints: taint }));
    s.onPodAdd(makePod('p'));
    await drain(s);
    assert.match(events.events[0]!.message, /^0\/1 nodes are available: 1 node\(s\) had untolerated taint \{dedicated: ml\}\. preemption: 0\/1 nodes are available: 1 Preemption is not helpful for scheduling\.$/);
  });

  test('GPU pods land only on GPU nodes; assumed pods count at once', async () => {
    const { s, backend } = setup(noPreemption);
    s.onNodeAdd(makeNode('cpu-1'));
    s.onNodeAdd(makeNode('gpu-1', { extra: { 'nvidia.com/gpu': '1' } }));
    s.onPodAdd(makePod('a', { extra: { 'nvidia.com/gpu': '1' } }));
    s.onPodAdd(makePod('b', { extra: { 'nvidia.com/gpu': '1' } }));
    await drain(s);
    assert.deepEqual(backend.binds, [['a', 'gpu-1']]);
    assert.equal(s.queue.whereIs(makePod('b')), 'unschedulable');
  });

  test('PreFilter narrowing reports the other nodes as not satisfying the plugin', async () => {
    const { s, events } = setup(noPreemption);
    s.onNodeAdd(makeNode('n1', { taints: taint }));
    s.onNodeAdd(makeNode('n2'));
    const pod = makePod('p', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] } } } as never });
    s.onPodAdd(pod);
    await drain(s);
    assert.equal(events.events[0]!.message, "0/2 nodes are available: 1 node(s) didn't satisfy plugin(s) [NodeAffinity], 1 node(s) had untolerated taint {dedicated: ml}.");
  });

  test('pods of other schedulers, bound pods and deleted pods are left alone', async () => {
    const { s, backend } = setup();
    s.onNodeAdd(makeNode('n1'));
    s.onPodAdd(makePod('other', { schedulerName: 'my-scheduler' }));
    s.onPodAdd(makePod('bound', { nodeName: 'n1' }));
    const deleting = makePod('deleting');
    (deleting.metadata as { deletionTimestamp?: string }).deletionTimestamp = '2024-01-01T00:00:00Z';
    s.onPodAdd(deleting);
    await drain(s);
    assert.deepEqual(backend.binds, []);
    assert.equal(s.cache.podCount(), 1);
  });

  test('a failed binding forgets the assumed pod and retries it with backoff', async () => {
    const { s, backend, events, clock } = setup();
    s.onNodeAdd(makeNode('n1'));
    backend.failBind = new Error('connection reset');
    s.onPodAdd(makePod('p'));
    await drain(s);
    assert.equal(s.cache.podCount(), 0);
    assert.equal(s.queue.whereIs(makePod('p')), 'backoff');
    assert.match(events.events.at(-1)!.message, /Binding rejected: .*connection reset/);
    backend.failBind = undefined;
    clock.step(1000);
    await drain(s);
    assert.deepEqual(backend.binds, [['p', 'n1']]);
  });

  test('a node vanishing between cycles never crashes the loop', async () => {
    const { s, backend, events } = setup(noPreemption);
    const n = makeNode('n1');
    s.onNodeAdd(n);
    s.onPodAdd(makePod('bound', { nodeName: 'n1' }));
    s.onNodeDelete(n);
    s.onPodAdd(makePod('p'));
    await drain(s);
    assert.deepEqual(backend.binds, []);
    assert.equal(events.events[0]!.message, 'no nodes available to schedule pods');
    s.onPodDelete(makePod('bound', { nodeName: 'n1' }));
    assert.equal(s.snapshot.numNodes(), 0);
  });

  test('MostAllocated configuration bin-packs', async () => {
    const { s, backend } = setup({ profiles: [{ pluginConfig: [{ name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'MostAllocated' } } }] }] });
    s.onNodeAdd(makeNode('empty', { cpu: '8' }));
    s.onNodeAdd(makeNode('busy', { cpu: '8' }));
    s.onPodAdd(makePod('existing', { cpu: '4', nodeName: 'busy' }));
    s.onPodAdd(makePod('p', { cpu: '1' }));
    await drain(s);
    assert.deepEqual(backend.binds, [['p', 'busy']]);
  });
});

describe('Scheduler configuration', () => {
  const errorsOf = (config: unknown): string[] => {
    try {
      setup(config as SchedulerConfiguration);
      return [];
    } catch (e) {
      assert.ok(e instanceof InvalidSchedulerConfigError, String(e));
      return e.message.replace(/^invalid scheduler configuration: /, '').split(', profiles').map((m, i) => (i ? `profiles${m}` : m));
    }
  };
  test('unknown plugins are named by field', () => {
    assert.deepEqual(errorsOf({ profiles: [{ schedulerName: 'default-scheduler', plugins: { score: { enabled: [{ name: 'ImageLocality' }, { name: 'Bogus' }] } } }] }), [
      'profiles[0].plugins.score.enabled[1].name: Invalid value: "Bogus": unknown plugin',
    ]);
  });
  test('a plugin enabled at a point it does not implement', () => {
    assert.deepEqual(errorsOf({ profiles: [{ plugins: { score: { enabled: [{ name: 'NodeName' }] } } }] }), ['profiles[0].plugins.score.enabled[0].name: Invalid value: "NodeName": plugin does not extend score plugin']);
  });
  test('ranges, duplicates, missing names and bad args', () => {
    assert.deepEqual(errorsOf({ percentageOfNodesToScore: 120 }), ['percentageOfNodesToScore: Invalid value: 120: not in valid range [0-100]']);
    assert.deepEqual(errorsOf({ profiles: [{ schedulerName: 'a' }, { schedulerName: 'a' }] }), ['profiles[1].schedulerName: Duplicate value: "a"']);
    assert.deepEqual(errorsOf({ profiles: [{ schedulerName: 'a' }, {}] }), ['profiles[1].schedulerName: Required value']);
    assert.deepEqual(errorsOf({ profiles: [{ pluginConfig: [{ name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'Nope' } } }] }] }), [
      'profiles[0].pluginConfig[0].args.scoringStrategy.type: Unsupported value: "Nope": supported values: "LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"',
    ]);
  });
  test('defaults: upstream plugins and weights, two profiles', () => {
    const { s } = setup({ profiles: [{ schedulerName: 'default-scheduler' }, { schedulerName: 'packer', plugins: { score: { enabled: [{ name: 'NodeResourcesFit', weight: 5 }] } } }] });
    const def = s.profiles.get('default-scheduler')!;
    assert.deepEqual(Object.fromEntries(def.scoreWeights), { TaintToleration: 3, NodeAffinity: 2, NodeResourcesFit: 1, PodTopologySpread: 2, InterPodAffinity: 2, NodeResourcesBalancedAllocation: 1, ImageLocality: 1 });
    assert.deepEqual(def.filterPlugins.map((p) => p.name).slice(0, 6), ['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit']);
    assert.equal(s.profiles.get('packer')!.scoreWeights.get('NodeResourcesFit'), 5);
    assert.equal(s.responsibleFor(makePod('x', { schedulerName: 'packer' })), true);
    assert.equal(s.responsibleFor(makePod('x', { schedulerName: 'nobody' })), false);
  });
});
