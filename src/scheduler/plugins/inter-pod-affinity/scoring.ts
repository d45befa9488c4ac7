/**
 * InterPodAffinity's preferred terms (after
 * pkg/scheduler/framework/plugins/interpodaffinity/scoring.go): every existing pod adds weight to
 * the topology domain it runs in when it matches the incoming pod's preferred terms, and when the
 * incoming pod matches the existing pod's required (weight hardPodAffinityWeight) or preferred
 * terms; anti-affinity subtracts.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Labels } from '../../../api/labels.js';
import { type NodeScore, maxNodeScore } from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/node-info.js';
import { type AffinityPodInfo, type AffinityTerm, type WeightedAffinityTerm, affinityPodInfo, memoizeNamespaceLabels, placedPodAffinityInfo, termMatches, termsUseNamespaceSelector } from './affinity-term.js';

/** topologyKey → topology value → score. */
export type TopologyScore = Map<string, Map<string, number>>;

export interface AffinityScoreState {
  topologyScore: TopologyScore;
}

function processTerm(m: TopologyScore, t: AffinityTerm, weight: number, pod: Pod, nsLabels: Labels | undefined, nodeLabels: Labels, multiplier: number): void {
  if (!Object.hasOwn(nodeLabels, t.topologyKey) || !termMatches(t, pod, nsLabels)) return;
  let values = m.get(t.topologyKey);
  if (!values) m.set(t.topologyKey, (values = new Map()));
  const v = nodeLabels[t.topologyKey]!;
  values.set(v, (values.get(v) ?? 0) + weight * multiplier);
}

function processTerms(m: TopologyScore, terms: readonly WeightedAffinityTerm[], pod: Pod, nsLabels: Labels | undefined, nodeLabels: Labels, multiplier: number): void {
  for (const t of terms) processTerm(m, t, t.weight, pod, nsLabels, nodeLabels, multiplier);
}

function hasAnyLabel(labels: Labels | undefined): labels is Labels {
  for (const _ in labels) return true;
  return false;
}

export interface ScoreOptions {
  hardPodAffinityWeight: number;
  ignorePreferredTermsOfExistingPods: boolean;
}

/**
 * PreScore, once per cycle, so that Score is a lookup per topology key. Returns undefined when
 * there is nothing to score (upstream's Skip). Without preferred terms of its own the incoming
 * pod can only be scored by existing pods' terms, so only the nodes with pods that have affinity,
 * and only those pods, are visited; otherwise every pod is. Existing pods' terms come parsed from
 * their PodInfo, and pods with no terms that score others are passed over.
 */
export function computeScoreState(pod: Pod, allNodes: readonly NodeInfo[], nodesWithAffinityPods: readonly NodeInfo[], nsLabelsOf: (ns: string) => Labels | undefined, opts: ScoreOptions): AffinityScoreState | undefined {
  const incoming: AffinityPodInfo = affinityPodInfo(pod);
  const hasConstraints = incoming.preferredAffinity.length > 0 || incoming.preferredAntiAffinity.length > 0;
  if (opts.ignorePreferredTermsOfExistingPods && !hasConstraints) return undefined;
  const nsLabelsOfOnce = memoizeNamespaceLabels(nsLabelsOf);
  const nsLabels = nsLabelsOfOnce(pod.metadata?.namespace ?? '');
  const needNsLabels = termsUseNamespaceSelector(incoming.preferredAffinity) || termsUseNamespaceSelector(incoming.preferredAntiAffinity);
  const m: TopologyScore = new Map();
  for (const ni of hasConstraints ? allNodes : nodesWithAffinityPods) {
    const labels = ni.node?.metadata?.labels;
    if (!hasAnyLabel(labels)) continue;
    for (const pi of hasConstraints ? ni.pods : ni.podsWithAffinity) {
      const existing = pi.pod;
      if (hasConstraints) {
        const existingNsLabels = needNsLabels ? nsLabelsOfOnce(existing.metadata?.namespace ?? '') : undefined;
        processTerms(m, incoming.preferredAffinity, existing, existingNsLabels, labels, 1);
        processTerms(m, incoming.preferredAntiAffinity, existing, existingNsLabels, labels, -1);
      }
      // A pod without pod (anti-)affinity has no terms that could score the incoming pod.
      if (!pi.hasAffinity) continue;
      const info = placedPodAffinityInfo(pi);
      if (!info.scoresOtherPods) continue;
      if (opts.hardPodAffinityWeight > 0) for (const t of info.requiredAffinity) processTerm(m, t, opts.hardPodAffinityWeight, pod, nsLabels, labels, 1);
      processTerms(m, info.preferredAffinity, pod, nsLabels, labels, 1);
      processTerms(m, info.preferredAntiAffinity, pod, nsLabels, labels, -1);
    }
  }
  return m.size ? { topologyScore: m } : undefined;
}

export function scoreNode(s: AffinityScoreState, node: Node | undefined): number {
  const labels = node?.metadata?.labels ?? {};
  let score = 0;
  for (const [key, values] of s.topologyScore) if (Object.hasOwn(labels, key)) score += values.get(labels[key]!) ?? 0;
  return score;
}

/** Min–max scaling to [0, maxNodeScore]; all equal → 0. */
export function normalizeScores(scores: NodeScore[]): void {
  let min = Number.MAX_SAFE_INTEGER;
  let max = Number.MIN_SAFE_INTEGER;
  for (const s of scores) {
    min = Math.min(min, s.score);
    max = Math.max(max, s.score);
  }
  const diff = max - min;
  for (const s of scores) s.score = diff > 0 ? Math.trunc((maxNodeScore * (s.score - min)) / diff) : 0;
}
