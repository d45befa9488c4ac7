import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodAffinityTerm, WeightedPodAffinityTerm } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { labelSelectorAsSelector } from '../../../api/labels.js';
import { CycleState, type NodeScore } from '../../framework/interface.js';
import { type NodeInfo, podInfo } from '../../framework/node-info.js';
import { FakeHandle, nodeInfo, pod } from '../default-preemption/fake-handle.js';
import { affinityPodInfo, memoizeNamespaceLabels, placedPodAffinityInfo, termMatches } from './affinity-term.js';
import { InterPodAffinity, type InterPodAffinityArgs } from './plugin.js';
import { TopologyCounts } from './topology-counts.js';

const zone = 'topology.kubernetes.io/zone';
const host = 'kubernetes.io/hostname';
const region = 'topology.kubernetes.io/region';

describe('TopologyCounts', () => {
  test('pairs that return to zero are dropped, so emptiness is exact', () => {
    const c = new TopologyCounts();
    assert.ok(c.isEmpty());
    c.add(zone, 'a', 1);
    c.add(zone, 'a', 1);
    c.add(host, 'n1', -1);
    assert.equal(c.get(zone, 'a'), 2);
    assert.equal(c.get(host, 'n1'), -1);
    c.add(host, 'n1', 1);
    c.add(zone, 'a', -2);
    assert.ok(c.isEmpty());
  });

  test('node lookups use the node label of each counted key', () => {
    const c = new TopologyCounts();
    c.addForNode({ [zone]: 'a', [host]: 'n1' }, zone, 1);
    c.addForNode({ [host]: 'n2' }, zone, 1); // no zone label: nothing to count
    c.addForNode(undefined, zone, 1);
    assert.equal(c.forNode({ [zone]: 'a' }, zone), 1);
    assert.equal(c.forNode({ [host]: 'n1' }, zone), 0);
    assert.ok(c.anyPositiveForNode({ [zone]: 'a', other: 'x' }));
    assert.ok(!c.anyPositiveForNode({ [zone]: 'b' }));
    c.add(host, 'n3', -1);
    assert.ok(!c.anyPositiveForNode({ [host]: 'n3' }), 'a negative count is not a hit');
  });

  test('a clone is independent', () => {
    const c = new TopologyCounts();
    c.add(zone, 'a', 1);
    const d = c.clone();
    d.add(zone, 'a', -1);
    d.add(zone, 'b', 1);
    assert.equal(c.get(zone, 'a'), 1);
    assert.equal(c.get(zone, 'b'), 0);
    assert.equal(d.get(zone, 'a'), 0);
  });
});

const anti = (terms: PodAffinityTerm[]): NonNullable<Pod['spec']>['affinity'] => ({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms } });

describe('parsed terms', () => {
  const term: PodAffinityTerm = { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: host };

  test('a pod is parsed once; replacing its affinity parses it again', () => {
    const p = pod('w', {}, { affinity: anti([term]) });
    const info = affinityPodInfo(p);
    assert.equal(affinityPodInfo(p), info);
    p.spec = { ...p.spec!, affinity: anti([{ ...term, topologyKey: zone }]) };
    assert.equal(affinityPodInfo(p).requiredAntiAffinity[0]!.topologyKey, zone);
  });

  test('replicas share their parsed terms; other namespaces do not', () => {
    const a = affinityPodInfo(pod('a', {}, { affinity: anti([term]) }));
    const b = affinityPodInfo(pod('b', {}, { affinity: anti([structuredClone(term)]) }));
    const c = affinityPodInfo(pod('c', {}, { affinity: anti([term]) }, 'other'));
    assert.equal(a.requiredAntiAffinity[0], b.requiredAntiAffinity[0]);
    assert.notEqual(a.requiredAntiAffinity[0], c.requiredAntiAffinity[0]);
    assert.deepEqual([...c.requiredAntiAffinity[0]!.namespaces], ['other']);
  });

  test('the terms of a placed pod are kept on its PodInfo', () => {
    const pi = podInfo(pod('w', {}, { affinity: anti([term]) }));
    assert.equal(pi.affinityTerms, undefined);
    const info = placedPodAffinityInfo(pi);
    assert.equal(pi.affinityTerms, info);
    assert.equal(placedPodAffinityInfo(pi), info);
  });

  test('an invalid selector throws and is not kept', () => {
    const bad = pod('bad', {}, { affinity: anti([{ labelSelector: { matchExpressions: [{ key: 'app', operator: 'Bogus' }] }, topologyKey: host }]) });
    const pi = podInfo(bad);
    assert.throws(() => placedPodAffinityInfo(pi), /not a valid label selector operator/);
    assert.equal(pi.affinityTerms, undefined);
  });

  test('equality selectors and other selectors match alike', () => {
    const info = affinityPodInfo(
      pod('o', {}, {
        affinity: anti([
          { labelSelector: { matchLabels: { app: 'web', tier: 'fe' } }, topologyKey: host },
          { labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'db'] }] }, topologyKey: host },
          { labelSelector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, topologyKey: host },
          { labelSelector: {}, topologyKey: host },
          { topologyKey: host },
        ]),
      }),
    );
    assert.deepEqual(info.requiredAntiAffinity[0]!.labelEqualities, [
      ['app', 'web'],
      ['tier', 'fe'],
    ]);
    assert.equal(info.requiredAntiAffinity[1]!.labelEqualities, undefined);
    const cases: [Record<string, string>, boolean[]][] = [
      [{ app: 'web', tier: 'fe' }, [true, true, false, true, false]],
      [{ app: 'web' }, [false, true, false, true, false]],
      [{ app: 'db', tier: 'fe' }, [false, true, true, true, false]],
      [{}, [false, false, true, true, false]],
      [{ toString: 'x' }, [false, false, true, true, false]],
    ];
    for (const [labels, want] of cases) {
      assert.deepEqual(
        info.requiredAntiAffinity.map((t) => termMatches(t, pod('x', labels), undefined)),
        want,
        JSON.stringify(labels),
      );
    }
  });

  test('namespace labels are looked up once per namespace', () => {
    const seen: string[] = [];
    const of = memoizeNamespaceLabels((ns) => (seen.push(ns), ns === 'prod' ? { team: 'x' } : undefined));
    assert.deepEqual(of('prod'), { team: 'x' });
    assert.equal(of('dev'), undefined);
    of('prod');
    of('dev');
    assert.deepEqual(seen, ['prod', 'dev']);
  });
});

// --- The precomputed counts against a direct reading of the rules ----------------------------------

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const nsLabels: Record<string, Record<string, string>> = { prod: { team: 'x' }, dev: { team: 'y' } };
const nsLabelsOf = (ns: string) => nsLabels[ns];

/** Drops the node's hostname label (fixtures always set one). */
function withoutHostname(ni: NodeInfo): void {
  const { [host]: _, ...rest } = ni.node!.metadata!.labels!;
  ni.setNode({ ...ni.node!, metadata: { ...ni.node!.metadata, labels: rest } });
}

function randomCluster(r: () => number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const randomTerm = (): PodAffinityTerm => {
    const selector = pick<LabelSelector>([
      { matchLabels: { app: pick(['web', 'db', 'cache']) } },
      { matchLabels: { app: pick(['web', 'db']), tier: pick(['fe', 'be']) } },
      { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'db'] }] },
      { matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
      {},
    ]);
    const t: PodAffinityTerm = { labelSelector: selector, topologyKey: pick([zone, host, region]) };
    const ns = r();
    if (ns < 0.15) t.namespaces = ['dev'];
    else if (ns < 0.3) t.namespaceSelector = { matchLabels: { team: 'x' } };
    else if (ns < 0.35) t.namespaceSelector = {};
    return t;
  };
  const weighted = (): WeightedPodAffinityTerm => ({ weight: 1 + Math.floor(r() * 10), podAffinityTerm: randomTerm() });
  const some = <T>(f: () => T, p: number): T[] => (r() < p ? Array.from({ length: 1 + Math.floor(r() * 2) }, f) : []);
  const randomPod = (name: string): Pod => {
    const labels: Record<string, string> = {};
    if (r() < 0.9) labels.app = pick(['web', 'db', 'cache']);
    if (r() < 0.5) labels.tier = pick(['fe', 'be']);
    const p = pod(name, labels, {}, pick(['prod', 'dev', 'prod']));
    const ra = some(randomTerm, 0.2);
    const raa = some(randomTerm, 0.3);
    const pa = some(weighted, 0.2);
    const paa = some(weighted, 0.2);
    if (ra.length + raa.length + pa.length + paa.length) {
      p.spec!.affinity = {};
      if (ra.length || pa.length) p.spec!.affinity.podAffinity = { requiredDuringSchedulingIgnoredDuringExecution: ra, preferredDuringSchedulingIgnoredDuringExecution: pa };
      if (raa.length || paa.length) p.spec!.affinity.podAntiAffinity = { requiredDuringSchedulingIgnoredDuringExecution: raa, preferredDuringSchedulingIgnoredDuringExecution: paa };
    }
    return p;
  };
  const nodes = Array.from({ length: 8 }, (_, i) => {
    const labels: Record<string, string> = {};
    if (r() < 0.85) labels[zone] = pick(['a', 'b', 'c']);
    if (r() < 0.6) labels[region] = pick(['eu', 'us']);
    const pods = Array.from({ length: Math.floor(r() * 4) }, (_, j) => randomPod(`p${i}-${j}`));
    const ni = nodeInfo(`n${i}`, labels, pods);
    // Now and then a node without its hostname label.
    if (r() < 0.1) withoutHostname(ni);
    return ni;
  });
  return { nodes, randomPod };
}

/** AffinityTerm.Matches straight from the API fields. */
function refMatches(term: PodAffinityTerm, owner: Pod, target: Pod): boolean {
  const sel = labelSelectorAsSelector(term.labelSelector);
  assert.ok(sel.ok);
  const ns = target.metadata!.namespace!;
  const namespaces = (term.namespaces ?? []).length === 0 && !term.namespaceSelector ? [owner.metadata!.namespace!] : (term.namespaces ?? []);
  let nsOk = namespaces.includes(ns);
  if (!nsOk && term.namespaceSelector) {
    const nsSel = labelSelectorAsSelector(term.namespaceSelector);
    assert.ok(nsSel.ok);
    nsOk = nsSel.selector.matches(nsLabelsOf(ns) ?? {});
  }
  return nsOk && sel.selector.matches(target.metadata?.labels ?? {});
}

const labelsOf = (ni: NodeInfo): Record<string, string> => ni.node?.metadata?.labels ?? {};
const sameDomain = (a: NodeInfo, b: NodeInfo, key: string): boolean => Object.hasOwn(labelsOf(a), key) && Object.hasOwn(labelsOf(b), key) && labelsOf(a)[key] === labelsOf(b)[key];
const placed = (nodes: NodeInfo[]) => nodes.flatMap((m) => m.pods.map((pi) => ({ m, e: pi.pod })));

/** Filter by the rules, pod by pod, with no precomputation. */
function refFilter(nodes: NodeInfo[], p: Pod): Record<string, string> {
  const ra = p.spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  const raa = p.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  const all = placed(nodes);
  const matchesAll = (e: Pod) => ra.length > 0 && ra.every((t) => refMatches(t, p, e));
  const anyCounted = all.some(({ m, e }) => matchesAll(e) && ra.some((t) => Object.hasOwn(labelsOf(m), t.topologyKey)));
  const out: Record<string, string> = {};
  for (const n of nodes) {
    let res = 'ok';
    if (ra.length) {
      const keys = ra.every((t) => Object.hasOwn(labelsOf(n), t.topologyKey));
      const exist = ra.every((t) => all.some(({ m, e }) => matchesAll(e) && sameDomain(m, n, t.topologyKey)));
      const first = !anyCounted && ra.every((t) => refMatches(t, p, p));
      if (!keys || (!exist && !first)) res = "UnschedulableAndUnresolvable: node(s) didn't match pod affinity rules";
    }
    if (res === 'ok' && raa.some((t) => all.some(({ m, e }) => sameDomain(m, n, t.topologyKey) && refMatches(t, p, e)))) res = "Unschedulable: node(s) didn't match pod anti-affinity rules";
    if (res === 'ok') {
      const repelled = all.some(({ m, e }) => (e.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).some((t) => sameDomain(m, n, t.topologyKey) && refMatches(t, e, p)));
      if (repelled) res = "Unschedulable: node(s) didn't satisfy existing pods anti-affinity rules";
    }
    out[n.name] = res;
  }
  return out;
}

/** Score by the rules: every (existing pod, term) pair in the node's domain adds or subtracts its weight. */
function refScores(nodes: NodeInfo[], p: Pod, args: InterPodAffinityArgs): Record<string, number> | 'skip' {
  const hard = args.hardPodAffinityWeight ?? 1;
  const pa = p.spec?.affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  const paa = p.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  if (args.ignorePreferredTermsOfExistingPods && pa.length + paa.length === 0) return 'skip';
  // Each [owner of the term, pod it must match, term, signed weight] that counts where the existing pod runs.
  const hits: { m: NodeInfo; key: string; w: number }[] = [];
  for (const { m, e } of placed(nodes)) {
    const ea = e.spec?.affinity;
    const tries: [Pod, Pod, PodAffinityTerm, number][] = [
      ...pa.map((w): [Pod, Pod, PodAffinityTerm, number] => [p, e, w.podAffinityTerm, w.weight]),
      ...paa.map((w): [Pod, Pod, PodAffinityTerm, number] => [p, e, w.podAffinityTerm, -w.weight]),
      ...(hard > 0 ? (ea?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t): [Pod, Pod, PodAffinityTerm, number] => [e, p, t, hard]) : []),
      ...(ea?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w): [Pod, Pod, PodAffinityTerm, number] => [e, p, w.podAffinityTerm, w.weight]),
      ...(ea?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w): [Pod, Pod, PodAffinityTerm, number] => [e, p, w.podAffinityTerm, -w.weight]),
    ];
    for (const [owner, target, t, w] of tries) if (Object.hasOwn(labelsOf(m), t.topologyKey) && refMatches(t, owner, target)) hits.push({ m, key: t.topologyKey, w });
  }
  if (hits.length === 0) return 'skip';
  const raw = nodes.map((n) => hits.filter((h) => sameDomain(h.m, n, h.key)).reduce((s, h) => s + h.w, 0));
  const min = Math.min(...raw);
  const max = Math.max(...raw);
  return Object.fromEntries(nodes.map((n, i) => [n.name, max > min ? Math.trunc((100 * (raw[i]! - min)) / (max - min)) : 0]));
}

function pluginFilter(plugin: InterPodAffinity, nodes: NodeInfo[], p: Pod, state = new CycleState(), preFiltered = false): Record<string, string> {
  if (!preFiltered && plugin.preFilter(state, p).status.isSkip()) return Object.fromEntries(nodes.map((n) => [n.name, 'ok']));
  const out: Record<string, string> = {};
  for (const ni of nodes) {
    const s = plugin.filter(state, p, ni);
    out[ni.name] = s.isSuccess() ? 'ok' : `${s.code}: ${s.message()}`;
  }
  return out;
}

function pluginScores(plugin: InterPodAffinity, nodes: NodeInfo[], p: Pod): Record<string, number> | 'skip' {
  const state = new CycleState();
  if (plugin.preScore(state, p, nodes).isSkip()) return 'skip';
  const list: NodeScore[] = nodes.map((ni) => ({ name: ni.name, score: plugin.score(state, p, ni).score }));
  plugin.normalizeScore(state, p, list);
  return Object.fromEntries(list.map((s) => [s.name, s.score]));
}

describe('InterPodAffinity precomputation matches the rules', () => {
  test('Filter on random clusters', () => {
    for (let seed = 1; seed <= 150; seed++) {
      const r = rng(seed);
      const { nodes, randomPod } = randomCluster(r);
      const handle = new FakeHandle(nodes, { namespaceLabels: nsLabelsOf });
      const plugin = new InterPodAffinity(handle);
      for (let k = 0; k < 4; k++) {
        const p = randomPod(`in-${k}`);
        assert.deepEqual(pluginFilter(plugin, nodes, p), refFilter(nodes, p), `seed ${seed}, pod ${k}: ${JSON.stringify(p.metadata)} ${JSON.stringify(p.spec?.affinity)}`);
      }
    }
  });

  test('AddPod/RemovePod on random clusters', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const r = rng(1000 + seed);
      const { nodes, randomPod } = randomCluster(r);
      const withPods = nodes.filter((n) => n.pods.length > 0);
      if (withPods.length === 0) continue;
      const plugin = new InterPodAffinity(new FakeHandle(nodes, { namespaceLabels: nsLabelsOf }));
      const p = randomPod('in');
      const state = new CycleState();
      if (plugin.preFilter(state, p).status.isSkip()) continue;
      // Remove one pod as a preemption dry run would, then compare with the cluster without it.
      const victimNode = withPods[Math.floor(r() * withPods.length)]!;
      const victim = victimNode.pods[0]!.pod;
      const copy = state.clone();
      plugin.removePod(copy, p, victim, victimNode);
      const without = victimNode.clone();
      without.removePod(victim);
      const after = nodes.map((n) => (n === victimNode ? without : n));
      assert.deepEqual(pluginFilter(plugin, after, p, copy, true), refFilter(after, p), `seed ${seed}`);
      plugin.addPod(copy, p, victim, victimNode);
      assert.deepEqual(pluginFilter(plugin, nodes, p, copy, true), refFilter(nodes, p), `seed ${seed} (added back)`);
    }
  });

  test('Score on random clusters', () => {
    for (const args of [{}, { hardPodAffinityWeight: 5 }, { hardPodAffinityWeight: 0 }, { ignorePreferredTermsOfExistingPods: true }] as InterPodAffinityArgs[]) {
      for (let seed = 1; seed <= 80; seed++) {
        const r = rng(5000 + seed);
        const { nodes, randomPod } = randomCluster(r);
        const plugin = new InterPodAffinity(new FakeHandle(nodes, { namespaceLabels: nsLabelsOf }), args);
        for (let k = 0; k < 3; k++) {
          const p = randomPod(`in-${k}`);
          assert.deepEqual(pluginScores(plugin, nodes, p), refScores(nodes, p, args), `args ${JSON.stringify(args)}, seed ${seed}, pod ${k}`);
        }
      }
    }
  });
});
