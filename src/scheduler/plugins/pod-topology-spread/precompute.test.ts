import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { everything, labelSelectorAsSelector, nothing } from '../../../api/labels.js';
import { CycleState } from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/node-info.js';
import { FakeHandle, nodeInfo, pod } from '../default-preemption/fake-handle.js';
import { type SpreadConstraint, nodeInclusionFilter, podLabelMatcher } from './constraints.js';
import { SpreadFilterState } from './filtering.js';
import { PodTopologySpread } from './plugin.js';

const zone = 'topology.kubernetes.io/zone';
const host = 'kubernetes.io/hostname';

const selector = (ls: Parameters<typeof labelSelectorAsSelector>[0]) => {
  const r = labelSelectorAsSelector(ls);
  assert.ok(r.ok);
  return r.selector;
};

describe('prepared selectors and inclusion policies', () => {
  test('podLabelMatcher agrees with the selector', () => {
    const sels = [
      selector({ matchLabels: { app: 'web', tier: 'fe' } }),
      selector({ matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] }),
      selector({ matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'db'] }] }),
      selector({ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }),
      everything(),
      nothing(),
    ];
    const labelSets: (Record<string, string> | undefined)[] = [{ app: 'web', tier: 'fe' }, { app: 'web' }, { app: 'db' }, {}, { constructor: 'x' }, undefined];
    for (const labels of labelSets)
      for (const s of sels) assert.equal(podLabelMatcher(s)(labels), s.matches(labels ?? {}), `${s.toString()} on ${JSON.stringify(labels)}`);
  });

  test('nodeInclusionFilter is only prepared when a policy can exclude a node', () => {
    const c = (p: Partial<SpreadConstraint>): SpreadConstraint => ({ maxSkew: 1, topologyKey: zone, selector: everything(), minDomains: 1, nodeAffinityPolicy: 'Honor', nodeTaintsPolicy: 'Ignore', ...p });
    const plain = pod('p');
    const pinned = pod('p', {}, { nodeSelector: { disk: 'ssd' } });
    assert.equal(nodeInclusionFilter(c({}), plain), undefined);
    assert.equal(nodeInclusionFilter(c({ nodeAffinityPolicy: 'Ignore' }), pinned), undefined);
    const byAffinity = nodeInclusionFilter(c({}), pinned)!;
    assert.equal(byAffinity(nodeInfo('a', { disk: 'ssd' }).node), true);
    assert.equal(byAffinity(nodeInfo('b', {}).node), false);
    const byTaints = nodeInclusionFilter(c({ nodeTaintsPolicy: 'Honor' }), plain)!;
    assert.equal(byTaints(nodeInfo('a', {}).node), true);
    assert.equal(byTaints(nodeInfo('b', {}, [], { taints: [{ key: 'k', effect: 'NoSchedule' }] }).node), false);
  });

  test('the global minimum is kept until the counts change', () => {
    const c: SpreadConstraint = { maxSkew: 1, topologyKey: zone, selector: selector({ matchLabels: { app: 'web' } }), minDomains: 1, nodeAffinityPolicy: 'Honor', nodeTaintsPolicy: 'Ignore' };
    const s = new SpreadFilterState(
      [c],
      [
        new Map([
          ['a', 2],
          ['b', 1],
        ]),
      ],
    );
    const preemptor = pod('new', { app: 'web' });
    assert.equal(s.minMatchNum(0), 1);
    s.updateWithPod(pod('w', { app: 'web' }), preemptor, nodeInfo('b1', { [zone]: 'b' }).node, -1);
    assert.equal(s.minMatchNum(0), 0);
    const copy = s.clone();
    copy.updateWithPod(pod('w', { app: 'web' }), preemptor, nodeInfo('b1', { [zone]: 'b' }).node, 3);
    assert.equal(copy.minMatchNum(0), 2);
    assert.equal(s.minMatchNum(0), 0);
  });
});

// --- Filter against a direct reading of the rules -------------------------------------------------

function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomCase(r: () => number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const randomPod = (name: string): Pod => {
    const labels: Record<string, string> = {};
    if (r() < 0.8) labels.app = pick(['web', 'db']);
    if (r() < 0.5) labels.ver = pick(['1', '2']);
    const p = pod(name, labels, {}, r() < 0.8 ? 'default' : 'other');
    return r() < 0.1 ? { ...p, metadata: { ...p.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } } : p;
  };
  const nodes = Array.from({ length: 2 + Math.floor(r() * 7) }, (_, i) => {
    const labels: Record<string, string> = {};
    if (r() < 0.85) labels[zone] = pick(['a', 'b', 'c']);
    if (r() < 0.5) labels.disk = 'ssd';
    const taints = r() < 0.2 ? [{ key: 'dedicated', effect: 'NoSchedule' }] : undefined;
    const ni = nodeInfo(`n${i}`, labels, Array.from({ length: Math.floor(r() * 4) }, (_, j) => randomPod(`p${i}-${j}`)), taints ? { taints } : {});
    if (r() < 0.1) {
      const { [host]: _, ...rest } = ni.node!.metadata!.labels!;
      ni.setNode({ ...ni.node!, metadata: { ...ni.node!.metadata, labels: rest } });
    }
    return ni;
  });
  const constraint = (): TopologySpreadConstraint => {
    const c: TopologySpreadConstraint = {
      maxSkew: 1 + Math.floor(r() * 2),
      topologyKey: pick([zone, host]),
      whenUnsatisfiable: 'DoNotSchedule',
      labelSelector: pick<LabelSelector>([{ matchLabels: { app: 'web' } }, { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'db'] }] }, { matchLabels: { app: 'web', ver: '1' } }]),
    };
    if (r() < 0.3) c.minDomains = 1 + Math.floor(r() * 4);
    if (r() < 0.3) c.nodeAffinityPolicy = 'Ignore';
    if (r() < 0.3) c.nodeTaintsPolicy = 'Honor';
    if (r() < 0.2) c.matchLabelKeys = ['ver'];
    return c;
  };
  const drawn = randomPod('in');
  const incoming: Pod = { ...drawn, metadata: { ...drawn.metadata, deletionTimestamp: undefined } };
  incoming.spec!.topologySpreadConstraints = Array.from({ length: 1 + Math.floor(r() * 2) }, constraint);
  if (r() < 0.3) incoming.spec!.nodeSelector = { disk: 'ssd' };
  return { nodes, incoming };
}

/** The Filter verdict per node, counting pods afresh for every node and domain. */
function refFilter(nodes: NodeInfo[], p: Pod): Record<string, string> {
  const cs = p.spec!.topologySpreadConstraints!;
  const labels = (n: NodeInfo): Record<string, string> => n.node?.metadata?.labels ?? {};
  const hasAllKeys = (n: NodeInfo) => cs.every((c) => Object.hasOwn(labels(n), c.topologyKey));
  const included = (c: TopologySpreadConstraint, n: NodeInfo) => {
    if ((c.nodeAffinityPolicy ?? 'Honor') === 'Honor' && Object.entries(p.spec?.nodeSelector ?? {}).some(([k, v]) => labels(n)[k] !== v)) return false;
    if (c.nodeTaintsPolicy === 'Honor' && (n.node?.spec?.taints ?? []).some((t) => t.effect === 'NoSchedule')) return false;
    return true;
  };
  const out: Record<string, string> = {};
  for (const n of nodes) {
    let res = 'ok';
    for (const c of cs) {
      if (!Object.hasOwn(labels(n), c.topologyKey)) {
        res = "UnschedulableAndUnresolvable: node(s) didn't match pod topology spread constraints (missing required label)";
        break;
      }
      const extra = Object.fromEntries((c.matchLabelKeys ?? []).filter((k) => p.metadata?.labels?.[k] !== undefined).map((k) => [k, p.metadata!.labels![k]!]));
      const sel = selector(c.labelSelector);
      const matches = (q: Pod) => sel.matches(q.metadata?.labels ?? {}) && Object.entries(extra).every(([k, v]) => q.metadata?.labels?.[k] === v);
      const eligible = nodes.filter((m) => hasAllKeys(m) && included(c, m));
      const count = (value: string) =>
        eligible
          .filter((m) => labels(m)[c.topologyKey] === value)
          .flatMap((m) => m.pods.map((pi) => pi.pod))
          .filter((q) => !q.metadata?.deletionTimestamp && q.metadata?.namespace === p.metadata?.namespace && matches(q)).length;
      const domains = [...new Set(eligible.map((m) => labels(m)[c.topologyKey]!))];
      const min = domains.length < (c.minDomains ?? 1) ? 0 : Math.min(...domains.map(count));
      const own = eligible.some((m) => labels(m)[c.topologyKey] === labels(n)[c.topologyKey]) ? count(labels(n)[c.topologyKey]!) : 0;
      if (own + (matches(p) ? 1 : 0) - min > c.maxSkew) {
        res = "Unschedulable: node(s) didn't match pod topology spread constraints";
        break;
      }
    }
    out[n.name] = res;
  }
  return out;
}

function pluginFilter(plugin: PodTopologySpread, nodes: NodeInfo[], p: Pod, state: CycleState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const ni of nodes) {
    const s = plugin.filter(state, p, ni);
    out[ni.name] = s.isSuccess() ? 'ok' : `${s.code}: ${s.message()}`;
  }
  return out;
}

describe('PodTopologySpread precomputation matches the rules', () => {
  test('Filter, AddPod and RemovePod on random clusters', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed);
      const { nodes, incoming } = randomCase(r);
      const plugin = new PodTopologySpread(new FakeHandle(nodes));
      const state = new CycleState();
      assert.ok(plugin.preFilter(state, incoming).status.isSuccess());
      assert.deepEqual(pluginFilter(plugin, nodes, incoming, state), refFilter(nodes, incoming), `seed ${seed}: ${JSON.stringify(incoming.spec)}`);
      // Preemption's victims are running pods (updateWithPod, as upstream, does not look at deletionTimestamp).
      const live = (n: NodeInfo) => n.pods.find((pi) => !pi.pod.metadata?.deletionTimestamp)?.pod;
      const withPods = nodes.filter(live);
      if (withPods.length === 0) continue;
      const victimNode = withPods[Math.floor(r() * withPods.length)]!;
      const victim = live(victimNode)!;
      const copy = state.clone();
      plugin.removePod(copy, incoming, victim, victimNode);
      const without = victimNode.clone();
      without.removePod(victim);
      const after = nodes.map((n) => (n === victimNode ? without : n));
      assert.deepEqual(pluginFilter(plugin, after, incoming, copy), refFilter(after, incoming), `seed ${seed} (removed ${victim.metadata!.name})`);
    }
  });
});
