/**
 * InterPodAffinity's required terms (after
 * pkg/scheduler/framework/plugins/interpodaffinity/filtering.go). PreFilter counts matching pods
 * per topology pair (`key=value` of a node label), so Filter is a lookup per term and node.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Labels } from '../../../api/labels.js';
import type { NodeInfo } from '../../framework/node-info.js';
import { type AffinityPodInfo, type AffinityTerm, affinityPodInfo, memoizeNamespaceLabels, placedPodAffinityInfo, podMatchesAllTerms, termMatches, termsUseNamespaceSelector } from './affinity-term.js';
import { TopologyCounts } from './topology-counts.js';

export const errReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules";
export const errReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules";
export const errReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules";

type NodeLabels = Labels | undefined;

/** Affinity counts: only when `pod` matches all the terms, every term's pair counts it. */
function updateWithAffinityTerms(m: TopologyCounts, terms: readonly AffinityTerm[], pod: Pod, nsLabels: Labels | undefined, node: NodeLabels, delta: number): void {
  if (!podMatchesAllTerms(terms, pod, nsLabels)) return;
  for (const t of terms) m.addForNode(node, t.topologyKey, delta);
}

/** Anti-affinity counts: each term the pod matches counts on its own. */
function updateWithAntiAffinityTerms(m: TopologyCounts, terms: readonly AffinityTerm[], pod: Pod, nsLabels: Labels | undefined, node: NodeLabels, delta: number): void {
  for (const t of terms) if (termMatches(t, pod, nsLabels)) m.addForNode(node, t.topologyKey, delta);
}

export class AffinityFilterState {
  constructor(
    readonly podInfo: AffinityPodInfo,
    /** Namespace labels of the incoming pod (for existing pods' namespaceSelectors). */
    readonly namespaceLabels: Labels | undefined,
    readonly nsLabelsOf: (ns: string) => Labels | undefined,
    /** Existing pods' required anti-affinity terms that the incoming pod matches. */
    readonly existingAntiAffinityCounts: TopologyCounts = new TopologyCounts(),
    /** Existing pods matching all of the incoming pod's required affinity terms. */
    readonly affinityCounts: TopologyCounts = new TopologyCounts(),
    /** Existing pods matching the incoming pod's required anti-affinity terms. */
    readonly antiAffinityCounts: TopologyCounts = new TopologyCounts(),
  ) {}

  clone(): AffinityFilterState {
    return new AffinityFilterState(this.podInfo, this.namespaceLabels, this.nsLabelsOf, this.existingAntiAffinityCounts.clone(), this.affinityCounts.clone(), this.antiAffinityCounts.clone());
  }

  /** Adds (delta 1) or removes (delta −1) an existing pod on `node`: the AddPod/RemovePod extensions. */
  updateWithPod(existing: Pod, node: Node | undefined, delta: number): void {
    const info = affinityPodInfo(existing);
    const nsLabels = this.nsLabelsOf(existing.metadata?.namespace ?? '');
    const labels = node?.metadata?.labels;
    updateWithAntiAffinityTerms(this.existingAntiAffinityCounts, info.requiredAntiAffinity, this.podInfo.pod, this.namespaceLabels, labels, delta);
    updateWithAffinityTerms(this.affinityCounts, this.podInfo.requiredAffinity, existing, nsLabels, labels, delta);
    updateWithAntiAffinityTerms(this.antiAffinityCounts, this.podInfo.requiredAntiAffinity, existing, nsLabels, labels, delta);
  }

  /** Nothing to check: no existing anti-affinity hits the pod and it has no required terms. */
  isEmpty(): boolean {
    return this.existingAntiAffinityCounts.isEmpty() && this.podInfo.requiredAffinity.length === 0 && this.podInfo.requiredAntiAffinity.length === 0;
  }
}

/**
 * PreFilter's counting over the snapshot, once per cycle, so that Filter is a lookup per term.
 * Existing pods' anti-affinity needs only the nodes that run pods with required anti-affinity
 * (and only those pods); the incoming pod's own terms need every pod, but only on nodes that
 * carry one of the terms' topology keys. Terms come parsed from the per-pod memo. Throws on an
 * unparsable term.
 */
export function computeFilterState(pod: Pod, allNodes: readonly NodeInfo[], nodesWithRequiredAntiAffinity: readonly NodeInfo[], nsLabelsOf: (ns: string) => Labels | undefined): AffinityFilterState {
  const nsLabelsOfOnce = memoizeNamespaceLabels(nsLabelsOf);
  const s = new AffinityFilterState(affinityPodInfo(pod), nsLabelsOfOnce(pod.metadata?.namespace ?? ''), nsLabelsOfOnce);
  // Replicas share their parsed terms, so each distinct term is matched against the pod once.
  const matched = new Map<AffinityTerm, boolean>();
  for (const ni of nodesWithRequiredAntiAffinity) {
    const labels = ni.node?.metadata?.labels;
    if (!labels) continue;
    for (const pi of ni.podsWithRequiredAntiAffinity) {
      for (const t of placedPodAffinityInfo(pi).requiredAntiAffinity) {
        let m = matched.get(t);
        if (m === undefined) matched.set(t, (m = termMatches(t, pod, s.namespaceLabels)));
        if (m) s.existingAntiAffinityCounts.addForNode(labels, t.topologyKey, 1);
      }
    }
  }
  const { requiredAffinity, requiredAntiAffinity } = s.podInfo;
  if (requiredAffinity.length === 0 && requiredAntiAffinity.length === 0) return s;
  const keys = [...new Set([...requiredAffinity, ...requiredAntiAffinity].map((t) => t.topologyKey))];
  const needNsLabels = termsUseNamespaceSelector(requiredAffinity) || termsUseNamespaceSelector(requiredAntiAffinity);
  for (const ni of allNodes) {
    const labels = ni.node?.metadata?.labels;
    // A node without any of the keys has no pair its pods could count in.
    if (!labels || ni.pods.length === 0 || !keys.some((k) => Object.hasOwn(labels, k))) continue;
    for (const { pod: existing } of ni.pods) {
      const nsLabels = needNsLabels ? nsLabelsOfOnce(existing.metadata?.namespace ?? '') : undefined;
      if (requiredAffinity.length) updateWithAffinityTerms(s.affinityCounts, requiredAffinity, existing, nsLabels, labels, 1);
      if (requiredAntiAffinity.length) updateWithAntiAffinityTerms(s.antiAffinityCounts, requiredAntiAffinity, existing, nsLabels, labels, 1);
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
    if (s.affinityCounts.get(t.topologyKey, labels[t.topologyKey]!) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  return s.affinityCounts.isEmpty() && podMatchesAllTerms(s.podInfo.requiredAffinity, s.podInfo.pod, s.namespaceLabels);
}

export function satisfyPodAntiAffinity(s: AffinityFilterState, node: Node | undefined): boolean {
  if (s.antiAffinityCounts.isEmpty()) return true;
  const labels = node?.metadata?.labels ?? {};
  for (const t of s.podInfo.requiredAntiAffinity) if (s.antiAffinityCounts.forNode(labels, t.topologyKey) > 0) return false;
  return true;
}

/** Upstream walks the node's labels; walking the counted keys instead gives the same answer. */
export function satisfyExistingPodsAntiAffinity(s: AffinityFilterState, node: Node | undefined): boolean {
  if (s.existingAntiAffinityCounts.isEmpty()) return true;
  return !s.existingAntiAffinityCounts.anyPositiveForNode(node?.metadata?.labels ?? {});
}
