/**
 * PodTopologySpread's soft constraints (ScheduleAnyway): nodes in less crowded domains score
 * higher (after pkg/scheduler/framework/plugins/podtopologyspread/scoring.go).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Labels } from '../../../api/labels.js';
import { type NodeScore, maxNodeScore } from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/node-info.js';
import { type SpreadConstraint, countPodsMatchSelector, labelHostname, nodeHasAllTopologyKeys, nodeInclusionFilter, podLabelMatcher } from './constraints.js';

export interface SpreadScoreState {
  constraints: readonly SpreadConstraint[];
  /** Nodes lacking some topology key; they score 0. */
  ignoredNodes: Set<string>;
  /** Per constraint: topology value → matching pods (hostname constraints are counted in Score). */
  podCounts: Map<string, number>[];
  /** log(domains + 2): keeps small topologies' counts from being watered down by big ones. */
  normalizingWeight: number[];
  /** Per constraint: its selector prepared for counting pods (podLabelMatcher). */
  matchers: ((labels: Labels | undefined) => boolean)[];
}

/**
 * PreScore: `requireAllTopologies` is false only for the system default constraints, so that
 * nodes without a zone label still get hostname spreading.
 */
export function computeScoreState(pod: Pod, constraints: readonly SpreadConstraint[], filteredNodes: readonly NodeInfo[], allNodes: readonly NodeInfo[], requireAllTopologies: boolean): SpreadScoreState {
  const s: SpreadScoreState = { constraints, ignoredNodes: new Set(), podCounts: constraints.map(() => new Map()), normalizingWeight: [], matchers: constraints.map((c) => podLabelMatcher(c.selector)) };
  for (const ni of filteredNodes) {
    if (requireAllTopologies && !nodeHasAllTopologyKeys(ni.node, constraints)) {
      s.ignoredNodes.add(ni.name);
      continue;
    }
    constraints.forEach((c, i) => {
      if (c.topologyKey === labelHostname) return;
      const v = ni.node?.metadata?.labels?.[c.topologyKey] ?? '';
      if (!s.podCounts[i]!.has(v)) s.podCounts[i]!.set(v, 0);
    });
  }
  s.normalizingWeight = constraints.map((c, i) => {
    const size = c.topologyKey === labelHostname ? filteredNodes.length - s.ignoredNodes.size : s.podCounts[i]!.size;
    return Math.log(size + 2);
  });
  const ns = pod.metadata?.namespace ?? '';
  const included = constraints.map((c) => nodeInclusionFilter(c, pod));
  for (const ni of allNodes) {
    if (requireAllTopologies && !nodeHasAllTopologyKeys(ni.node, constraints)) continue;
    for (let i = 0; i < constraints.length; i++) {
      const c = constraints[i]!;
      if (included[i] && !included[i]!(ni.node)) continue;
      const v = ni.node?.metadata?.labels?.[c.topologyKey] ?? '';
      const cur = s.podCounts[i]!.get(v);
      if (cur === undefined) continue;
      s.podCounts[i]!.set(v, cur + countPodsMatchSelector(ni.pods, c.selector, ns, s.matchers[i]));
    }
  }
  return s;
}

export function scoreNode(s: SpreadScoreState, pod: Pod, ni: NodeInfo): number {
  if (s.ignoredNodes.has(ni.name)) return 0;
  const labels = ni.node?.metadata?.labels ?? {};
  let score = 0;
  s.constraints.forEach((c, i) => {
    if (!Object.hasOwn(labels, c.topologyKey)) return;
    const cnt = c.topologyKey === labelHostname ? countPodsMatchSelector(ni.pods, c.selector, pod.metadata?.namespace ?? '', s.matchers[i]) : (s.podCounts[i]!.get(labels[c.topologyKey]!) ?? 0);
    score += cnt * s.normalizingWeight[i]! + (c.maxSkew - 1);
  });
  return Math.round(score);
}

/** Inverts and scales: the fewest matching pods get maxNodeScore; ignored nodes get 0. */
export function normalizeScores(s: SpreadScoreState, scores: NodeScore[]): void {
  let min = Number.MAX_SAFE_INTEGER;
  let max = 0;
  for (const sc of scores) {
    if (s.ignoredNodes.has(sc.name)) continue;
    min = Math.min(min, sc.score);
    max = Math.max(max, sc.score);
  }
  for (const sc of scores) {
    if (s.ignoredNodes.has(sc.name)) sc.score = 0;
    else if (max === 0) sc.score = maxNodeScore;
    else sc.score = Math.trunc((maxNodeScore * (max + min - sc.score)) / max);
  }
}
