import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { CycleState, type NodeScore } from '../../framework/interface.js';
import { FakeHandle, nodeInfo, pod } from '../default-preemption/fake-handle.js';
import { PodTopologySpread } from './plugin.js';

const zone = 'topology.kubernetes.io/zone';
const host = 'kubernetes.io/hostname';
const web = (n: string, extra: Record<string, string> = {}) => pod(n, { app: 'web', ...extra });
const spread = (c: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint => ({ maxSkew: 1, topologyKey: zone, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } }, ...c });
const withSpread = (p: Pod, ...cs: TopologySpreadConstraint[]): Pod => ({ ...p, spec: { ...p.spec!, topologySpreadConstraints: cs } });

function filterAll(handle: FakeHandle, p: Pod, plugin = new PodTopologySpread(handle)): Record<string, string> {
  const state = new CycleState();
  const pre = plugin.preFilter(state, p);
  const out: Record<string, string> = {};
  for (const ni of handle.nodes) {
    const s = pre.status.isSkip() ? undefined : plugin.filter(state, p, ni);
    out[ni.name] = !s || s.isSuccess() ? 'ok' : `${s.code}: ${s.message()}`;
  }
  return out;
}

const notMatch = "Unschedulable: node(s) didn't match pod topology spread constraints";

describe('PodTopologySpread Filter', () => {
  test('maxSkew against the global minimum; nodes without the key are unresolvable', () => {
    const handle = new FakeHandle([nodeInfo('a1', { [zone]: 'a' }, [web('w1'), web('w2')]), nodeInfo('b1', { [zone]: 'b' }, [web('w3'), pod('x', { app: 'other' })]), nodeInfo('none', {})]);
    assert.deepEqual(filterAll(handle, withSpread(web('new'), spread())), {
      a1: notMatch,
      b1: 'ok',
      none: "UnschedulableAndUnresolvable: node(s) didn't match pod topology spread constraints (missing required label)",
    });
    // Terminating pods and pods of other namespaces do not count.
    const h2 = new FakeHandle([nodeInfo('a1', { [zone]: 'a' }, [web('w1'), { ...web('w2'), metadata: { ...web('w2').metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } }]), nodeInfo('b1', { [zone]: 'b' }, [pod('o', { app: 'web' }, {}, 'other')])]);
    assert.deepEqual(filterAll(h2, withSpread(web('new'), spread())), { a1: notMatch, b1: 'ok' });
  });

  test('minDomains treats the minimum as 0 while there are too few domains', () => {
    const handle = new FakeHandle([nodeInfo('a1', { [zone]: 'a' }, [web('w1')]), nodeInfo('b1', { [zone]: 'b' }, [web('w2')])]);
    assert.deepEqual(filterAll(handle, withSpread(web('new'), spread())), { a1: 'ok', b1: 'ok' });
    assert.deepEqual(filterAll(handle, withSpread(web('new'), spread({ minDomains: 3 }))), { a1: notMatch, b1: notMatch });
  });

  test('nodeTaintsPolicy Honor leaves tainted nodes out of the domains; Ignore (default) counts them', () => {
    const nodes = [nodeInfo('a1', { [zone]: 'a' }, [web('w1')]), nodeInfo('b1', { [zone]: 'b' }, [web('w2')]), nodeInfo('c1', { [zone]: 'c' }, [], { taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] })];
    const handle = new FakeHandle(nodes);
    assert.deepEqual(filterAll(handle, withSpread(web('new'), spread())), { a1: notMatch, b1: notMatch, c1: 'ok' });
    const honored = filterAll(handle, withSpread(web('new'), spread({ nodeTaintsPolicy: 'Honor' })));
    assert.equal(honored.a1, 'ok');
    assert.equal(honored.b1, 'ok');
  });

  test('nodeAffinityPolicy Honor (default) counts only nodes the pod may land on', () => {
    const handle = new FakeHandle([nodeInfo('a1', { [zone]: 'a', disk: 'ssd' }, [web('w1')]), nodeInfo('b1', { [zone]: 'b', disk: 'ssd' }, [web('w2')]), nodeInfo('c1', { [zone]: 'c' })]);
    const p = withSpread({ ...web('new'), spec: { containers: [{ name: 'c' }], nodeSelector: { disk: 'ssd' } } }, spread());
    assert.equal(filterAll(handle, p).a1, 'ok');
    const ignoring = withSpread({ ...web('new'), spec: { containers: [{ name: 'c' }], nodeSelector: { disk: 'ssd' } } }, spread({ nodeAffinityPolicy: 'Ignore' }));
    assert.equal(filterAll(handle, ignoring).a1, notMatch);
  });

  test('matchLabelKeys narrows the selector to pods with the same label values', () => {
    const handle = new FakeHandle([nodeInfo('a1', { [zone]: 'a' }, [web('old1', { hash: 'v1' }), web('old2', { hash: 'v1' })]), nodeInfo('b1', { [zone]: 'b' })]);
    assert.deepEqual(filterAll(handle, withSpread(web('new', { hash: 'v2' }), spread())), { a1: notMatch, b1: 'ok' });
    assert.deepEqual(filterAll(handle, withSpread(web('new', { hash: 'v2' }), spread({ matchLabelKeys: ['hash'] }))), { a1: 'ok', b1: 'ok' });
  });

  test('AddPod/RemovePod adjust the domain counts', () => {
    const w1 = web('w1');
    const a1 = nodeInfo('a1', { [zone]: 'a' }, [w1, web('w2')]);
    const handle = new FakeHandle([a1, nodeInfo('b1', { [zone]: 'b' }, [web('w3')])]);
    const plugin = new PodTopologySpread(handle);
    const p = withSpread(web('new'), spread());
    const state = new CycleState();
    plugin.preFilter(state, p);
    assert.equal(plugin.filter(state, p, a1).code, 'Unschedulable');
    const copy = state.clone();
    plugin.removePod(copy, p, w1, a1);
    assert.ok(plugin.filter(copy, p, a1).isSuccess());
    plugin.addPod(copy, p, w1, a1);
    assert.equal(plugin.filter(copy, p, a1).code, 'Unschedulable');
    assert.equal(plugin.filter(state, p, a1).code, 'Unschedulable');
  });

  test('a pod without hard constraints is skipped', () => {
    const handle = new FakeHandle([nodeInfo('a1', { [zone]: 'a' })]);
    assert.equal(new PodTopologySpread(handle).preFilter(new CycleState(), web('x')).status.code, 'Skip');
  });
});

describe('PodTopologySpread Score', () => {
  function scores(handle: FakeHandle, p: Pod, plugin = new PodTopologySpread(handle)): Record<string, number> | 'skip' {
    const state = new CycleState();
    if (plugin.preScore(state, p, handle.nodes).isSkip()) return 'skip';
    const list: NodeScore[] = handle.nodes.map((ni) => ({ name: ni.name, score: plugin.score(state, p, ni).score }));
    plugin.normalizeScore(state, p, list);
    return Object.fromEntries(list.map((s) => [s.name, s.score]));
  }

  test('ScheduleAnyway prefers the emptier domains', () => {
    const handle = new FakeHandle([nodeInfo('n1', {}, [web('w1'), web('w2')]), nodeInfo('n2', {}, [web('w3')]), nodeInfo('n3', {})]);
    const p = withSpread(web('new'), spread({ topologyKey: host, whenUnsatisfiable: 'ScheduleAnyway' }));
    // Raw: count × log(3 + 2) → 3, 2, 0 after rounding; normalized (max + min − s) / max.
    assert.deepEqual(scores(handle, p), { n1: 0, n2: 33, n3: 100 });
  });

  test('system default constraints apply to pods owned by a ReplicaSet', () => {
    const owned = (n: string): Pod => ({ ...web(n), metadata: { ...web(n).metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u', controller: true }] } });
    const nodes = [nodeInfo('n1', { [zone]: 'a' }, [owned('w1'), owned('w2')]), nodeInfo('n2', { [zone]: 'a' }), nodeInfo('n3', {})];
    const handle = new FakeHandle(nodes, { replicaSet: (_ns: string, name: string) => (name === 'rs' ? { spec: { selector: { matchLabels: { app: 'web' } } } } : undefined) });
    const result = scores(handle, owned('new'));
    assert.notEqual(result, 'skip');
    const r = result as Record<string, number>;
    assert.ok(r.n3! > r.n2! && r.n2! > r.n1!, JSON.stringify(r));
    // No owner and no Service: nothing to spread against.
    assert.equal(scores(handle, web('lonely')), 'skip');
    // A Service selecting the pod gives it a default selector too.
    const withSvc = new FakeHandle(nodes, { services: () => [{ spec: { selector: { app: 'web' } } }] });
    assert.notEqual(scores(withSvc, web('svc-pod')), 'skip');
  });
});
