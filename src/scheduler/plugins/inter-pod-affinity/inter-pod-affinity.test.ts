import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodAffinityTerm } from 'kubernetes-types/core/v1.js';
import { CycleState, type NodeScore } from '../../framework/interface.js';
import { FakeHandle, nodeInfo, pod } from '../default-preemption/fake-handle.js';
import { InterPodAffinity } from './plugin.js';

const term = (labels: Record<string, string>, topologyKey: string, extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm => ({ labelSelector: { matchLabels: labels }, topologyKey, ...extra });
const withAffinity = (p: Pod, aff: NonNullable<Pod['spec']>['affinity']): Pod => ({ ...p, spec: { ...p.spec!, affinity: aff } });
const zone = 'topology.kubernetes.io/zone';
const host = 'kubernetes.io/hostname';

function setup(nodes: ReturnType<typeof nodeInfo>[], listers: Record<string, unknown> = {}) {
  const handle = new FakeHandle(nodes, listers);
  const plugin = new InterPodAffinity(handle);
  return { handle, plugin };
}

function filterAll(plugin: InterPodAffinity, handle: FakeHandle, p: Pod): Record<string, string> {
  const state = new CycleState();
  const pre = plugin.preFilter(state, p);
  const out: Record<string, string> = {};
  for (const ni of handle.nodes) {
    const s = pre.status.isSkip() ? undefined : plugin.filter(state, p, ni);
    out[ni.name] = !s || s.isSuccess() ? 'ok' : `${s.code}: ${s.message()}`;
  }
  return out;
}

describe('InterPodAffinity Filter', () => {
  test('required affinity needs a matching pod in the same topology domain', () => {
    const { plugin, handle } = setup([nodeInfo('n1', { [zone]: 'a' }, [pod('db', { app: 'db' })]), nodeInfo('n2', { [zone]: 'a' }), nodeInfo('n3', { [zone]: 'b' }), nodeInfo('n4', {})]);
    const p = withAffinity(pod('web'), { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' }, zone)] } });
    assert.deepEqual(filterAll(plugin, handle, p), {
      n1: 'ok',
      n2: 'ok',
      n3: "UnschedulableAndUnresolvable: node(s) didn't match pod affinity rules",
      n4: "UnschedulableAndUnresolvable: node(s) didn't match pod affinity rules",
    });
  });

  test('the first pod of a group that matches its own affinity may go anywhere with the topology key', () => {
    const { plugin, handle } = setup([nodeInfo('n1', { [zone]: 'a' }), nodeInfo('n2', {})]);
    const p = withAffinity(pod('db-0', { app: 'db' }), { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' }, zone)] } });
    assert.deepEqual(filterAll(plugin, handle, p), { n1: 'ok', n2: "UnschedulableAndUnresolvable: node(s) didn't match pod affinity rules" });
    // Pods in other namespaces do not count, so the exception still applies.
    const other = setup([nodeInfo('n1', { [zone]: 'a' }, [pod('x', { app: 'db' }, {}, 'other')])]);
    assert.deepEqual(filterAll(other.plugin, other.handle, p), { n1: 'ok' });
  });

  test('required anti-affinity of the incoming pod', () => {
    const { plugin, handle } = setup([nodeInfo('n1', {}, [pod('w1', { app: 'web' })]), nodeInfo('n2', {})]);
    const p = withAffinity(pod('w2', { app: 'web' }), { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, host)] } });
    assert.deepEqual(filterAll(plugin, handle, p), { n1: "Unschedulable: node(s) didn't match pod anti-affinity rules", n2: 'ok' });
  });

  test("existing pods' required anti-affinity repels the incoming pod from the whole domain", () => {
    const guard = withAffinity(pod('guard', { app: 'guard' }), { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, zone)] } });
    const { plugin, handle } = setup([nodeInfo('n1', { [zone]: 'a' }, [guard]), nodeInfo('n2', { [zone]: 'a' }), nodeInfo('n3', { [zone]: 'b' })]);
    assert.deepEqual(filterAll(plugin, handle, pod('w', { app: 'web' })), {
      n1: "Unschedulable: node(s) didn't satisfy existing pods anti-affinity rules",
      n2: "Unschedulable: node(s) didn't satisfy existing pods anti-affinity rules",
      n3: 'ok',
    });
    // A pod that does not match is not constrained at all: PreFilter skips.
    assert.equal(plugin.preFilter(new CycleState(), pod('other', { app: 'other' })).status.code, 'Skip');
  });

  test('namespaceSelector matches pods by their namespace labels', () => {
    const nsLabels: Record<string, Record<string, string>> = { prod: { team: 'x' }, dev: { team: 'y' } };
    const { plugin, handle } = setup([nodeInfo('n1', { [zone]: 'a' }, [pod('db', { app: 'db' }, {}, 'prod')]), nodeInfo('n2', { [zone]: 'b' }, [pod('db', { app: 'db' }, {}, 'dev')])], {
      namespaceLabels: (ns: string) => nsLabels[ns],
    });
    const p = withAffinity(pod('web'), { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' }, zone, { namespaceSelector: { matchLabels: { team: 'x' } } })] } });
    assert.deepEqual(filterAll(plugin, handle, p), { n1: 'ok', n2: "UnschedulableAndUnresolvable: node(s) didn't match pod affinity rules" });
    // An empty namespaceSelector selects every namespace.
    const all = withAffinity(pod('web'), { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' }, zone, { namespaceSelector: {} })] } });
    assert.deepEqual(filterAll(plugin, handle, all), { n1: 'ok', n2: 'ok' });
  });

  test('AddPod/RemovePod update the counts for preemption dry runs', () => {
    const db = pod('db', { app: 'db' });
    const n1 = nodeInfo('n1', { [zone]: 'a' }, [db]);
    const { plugin } = setup([n1, nodeInfo('n2', { [zone]: 'b' })]);
    const p = withAffinity(pod('web'), {
      podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' }, zone)] },
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'cache' }, zone)] },
    });
    const state = new CycleState();
    plugin.preFilter(state, p);
    assert.ok(plugin.filter(state, p, n1).isSuccess());
    const copy = state.clone();
    plugin.removePod(copy, p, db, n1);
    assert.equal(plugin.filter(copy, p, n1).message(), "node(s) didn't match pod affinity rules");
    plugin.addPod(copy, p, db, n1);
    plugin.addPod(copy, p, pod('cache', { app: 'cache' }), n1);
    assert.equal(plugin.filter(copy, p, n1).message(), "node(s) didn't match pod anti-affinity rules");
    // The original state is untouched by the clone's updates.
    assert.ok(plugin.filter(state, p, n1).isSuccess());
  });
});

describe('InterPodAffinity Score', () => {
  function scores(plugin: InterPodAffinity, handle: FakeHandle, p: Pod): Record<string, number> | 'skip' {
    const state = new CycleState();
    if (plugin.preScore(state, p, handle.nodes).isSkip()) return 'skip';
    const list: NodeScore[] = handle.nodes.map((ni) => ({ name: ni.name, score: plugin.score(state, p, ni).score }));
    plugin.normalizeScore(state, p, list);
    return Object.fromEntries(list.map((s) => [s.name, s.score]));
  }

  test("preferred affinity and anti-affinity of the incoming pod", () => {
    const { plugin, handle } = setup([nodeInfo('n1', { [zone]: 'a' }, [pod('db', { app: 'db' })]), nodeInfo('n2', { [zone]: 'b' }), nodeInfo('n3', { [zone]: 'c' }, [pod('c', { app: 'cache' })])]);
    const p = withAffinity(pod('web'), {
      podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term({ app: 'db' }, zone) }] },
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: term({ app: 'cache' }, zone) }] },
    });
    // Raw scores 10, 0, −5 → (s − min) / (max − min) × 100.
    assert.deepEqual(scores(plugin, handle, p), { n1: 100, n2: 33, n3: 0 });
  });

  test("existing pods' required (hardPodAffinityWeight) and preferred terms count", () => {
    const a = withAffinity(pod('a', { app: 'a' }), { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, zone)] } });
    const b = withAffinity(pod('b', { app: 'b' }), { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 3, podAffinityTerm: term({ app: 'web' }, zone) }] } });
    const { plugin, handle } = setup([nodeInfo('n1', { [zone]: 'a' }, [a]), nodeInfo('n2', { [zone]: 'b' }), nodeInfo('n3', { [zone]: 'c' }, [b])]);
    assert.deepEqual(scores(plugin, handle, pod('web', { app: 'web' })), { n1: 100, n2: 75, n3: 0 });
    assert.equal(scores(plugin, handle, pod('other', { app: 'other' })), 'skip');
    const ignoring = new InterPodAffinity(handle, { ignorePreferredTermsOfExistingPods: true });
    assert.equal(scores(ignoring, handle, pod('web', { app: 'web' })), 'skip');
  });
});
