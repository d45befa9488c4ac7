/**
 * InterPodAffinity's required terms (after
 * pkg/scheduler/framework/plugins/interpodaffinity/filtering.go). Counts are kept per topology
 * pair (`key=value` of a node label), so Filter is a lookup per node.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Labels } from '../../../api/labels.js';
import type { NodeInfo } from '../../framework/node-info.js';
import { type AffinityPodInfo, type AffinityTerm, affinityPodInfo, podMatchesAllTerms, termMatches } from './affinity-term.js';

export const errReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules";
export const errReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules";
export const errReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules";

/** topology pair (`key\0value`) → number of matching terms. */
export type TopologyCounts = Map<string, number>;

const pairKey = (key: string, value: string): string => `${key}\0${value}`;

function updateCount(m: TopologyCounts, node: Node | undefined, topologyKey: string, delta: number): void {
  const labels = node?.metadata?.labels;
  if (!labels || !Object.hasOwn(labels, topologyKey)) return;
  const k = pairKey(topologyKey, labels[topologyKey]!);
  const v = (m.get(k) ?? 0) + delta;
  if (v === 0) m.delete(k);
  else m.set(k, v);
}

/** Affinity counts: only when `pod` matches all the terms, every term's pair counts it. */
function updateWithAffinityTerms(m: TopologyCounts, terms: readonly AffinityTerm[], pod: Pod, nsLabels: Labels | undefined, node: Node | undefined, delta: number): void {
  if (!podMatchesAllTerms(terms, pod, nsLabels)) return;
  for (const t of terms) updateCount(m, node, t.topologyKey, delta);
}

/** Anti-affinity counts: each term the pod matches counts on its own. */
function updateWithAntiAffinityTerms(m: TopologyCounts, terms: readonly AffinityTerm[], pod: Pod, nsLabels: Labels | undefined, node: Node | undefined, delta: number): void {
  for (const t of terms) if (termMatches(t, pod, nsLabels)) updateCount(m, node, t.topologyKey, delta);
}

export class AffinityFilterState {
  constructor(
    readonly podInfo: AffinityPodInfo,
    /** Namespace labels of the incoming pod (for existing pods' namespaceSelectors). */
    readonly namespaceLabels: Labels | undefined,
    readonly nsLabelsOf: (ns: string) => Labels | undefined,
    /** Existing pods' required anti-affinity terms that the incoming pod matches. */
    readonly existingAntiAffinityCounts: TopologyCounts = new Map(),
    /** Existing pods matching all of the incoming pod's required affinity terms. */
    readonly affinityCounts: TopologyCounts = new Map(),
    /** Existing pods matching the incoming pod's required anti-affinity terms. */
    readonly antiAffinityCounts: TopologyCounts = new Map(),
  ) {}

  clone(): AffinityFilterState {
    return new AffinityFilterState(this.podInfo, this.namespaceLabels, this.nsLabelsOf, new Map(this.existingAntiAffinityCounts), new Map(this.affinityCounts), new Map(this.antiAffinityCounts));
  }

  /** Adds (delta 1) or removes (delta −1) an existing pod on `node`: the AddPod/RemovePod extensions. */
  updateWithPod(existing: Pod, node: Node | undefined, delta: number): void {
    const info = affinityPodInfo(existing);
    const nsLabels = this.nsLabelsOf(existing.metadata?.namespace ?? '');
    updateWithAntiAffinityTerms(this.existingAntiAffinityCounts, info.requiredAntiAffinity, this.podInfo.pod, this.namespaceLabels, node, delta);
    updateWithAffinityTerms(this.affinityCounts, this.podInfo.requiredAffinity, existing, nsLabels, node, delta);
    updateWithAntiAffinityTerms(this.antiAffinityCounts, this.podInfo.requiredAntiAffinity, existing, nsLabels, node, delta);
  }

  /** Nothing to check: no existing anti-affinity hits the pod and it has no required terms. */
  isEmpty(): boolean {
    return this.existingAntiAffinityCounts.size === 0 && this.podInfo.requiredAffinity.length === 0 && this.podInfo.requiredAntiAffinity.length === 0;
  }
}

/** PreFilter's counting over the snapshot. Throws on an unparsable term. */
export function computeFilterState(pod: Pod, allNodes: readonly NodeInfo[], nodesWithRequiredAntiAffinity: readonly NodeInfo[], nsLabelsOf: (ns: string) => Labels | undefined): AffinityFilterState {
  const s = new AffinityFilterState(affinityPodInfo(pod), nsLabelsOf(pod.metadata?.namespace ?? ''), nsLabelsOf);
  for (const ni of nodesWithRequiredAntiAffinity) {
    for (const { pod: existing } of ni.podsWithRequiredAntiAffinity) {
      const info = affinityPodInfo(existing);
      updateWithAntiAffinityTerms(s.existingAntiAffinityCounts, info.requiredAntiAffinity, pod, s.namespaceLabels, ni.node, 1);
    }
  }
  if (s.podInfo.requiredAffinity.length || s.podInfo.requiredAntiAffinity.length) {
    for (const ni of allNodes) {
      for (const { pod: existing } of ni.pods) {
        const nsLabels = nsLabelsOf(existing.metadata?.namespace ?? '');
        updateWithAffinityTerms(s.affinityCounts, s.podInfo.requiredAffinity, existing, nsLabels, ni.node, 1);
        updateWithAntiAffinityTerms(s.antiAffinityCounts, s.podInfo.requiredAntiAffinity, existing, nsLabels, ni.node, 1);
      }
    }
  }
  return s;
}

/**
 * Every required affinity term has a matching pod in the node's domain, and the node has all the
 * topology keys. Exception: when no pod anywhere matches and the pod matches its own terms, it is
 * the first of its group and may go to any node carrying the keys.
 */
export function satisfyPodAffinity(s: AffinityFilterState, node: Node | undefined): boolean {
  const labels = node?.metadata?.labels ?? {};
  let podsExist = true;
  for (const t of s.podInfo.requiredAffinity) {
    if (!Object.hasOwn(labels, t.topologyKey)) return false;
    if ((s.affinityCounts.get(pairKey(t.topologyKey, labels[t.topologyKey]!)) ?? 0) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  return s.affinityCounts.size === 0 && podMatchesAllTerms(s.podInfo.requiredAffinity, s.podInfo.pod, s.namespaceLabels);
}

export function satisfyPodAntiAffinity(s: AffinityFilterState, node: Node | undefined): boolean {
  if (s.antiAffinityCounts.size === 0) return true;
  const labels = node?.metadata?.labels ?? {};
  for (const t of s.podInfo.requiredAntiAffinity) {
    if (!Object.hasOwn(labels, t.topologyKey)) continue;
    if ((s.antiAffinityCounts.get(pairKey(t.topologyKey, labels[t.topologyKey]!)) ?? 0) > 0) return false;
  }
  return true;
}

export function satisfyExistingPodsAntiAffinity(s: AffinityFilterState, node: Node | undefined): boolean {
  if (s.existingAntiAffinityCounts.size === 0) return true;
  for (const [k, v] of Object.entries(node?.metadata?.labels ?? {})) if ((s.existingAntiAffinityCounts.get(pairKey(k, v)) ?? 0) > 0) return false;
  return true;
}
