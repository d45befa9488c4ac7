/**
 * Parsed pod (anti-)affinity terms (after pkg/scheduler/framework/types.go AffinityTerm and
 * NewPodInfo). Instead of resolving a namespaceSelector into namespace names up front, a term
 * keeps the selector and is matched against the namespace labels of the pod under test.
 */
import type { Pod, PodAffinityTerm } from 'kubernetes-types/core/v1.js';
import { type Labels, type Selector, labelSelectorAsSelector, nothing } from '../../../api/labels.js';

export interface AffinityTerm {
  namespaces: ReadonlySet<string>;
  selector: Selector;
  topologyKey: string;
  namespaceSelector: Selector;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

/** The terms of one pod, parsed once per cycle. */
export interface AffinityPodInfo {
  pod: Pod;
  requiredAffinity: AffinityTerm[];
  requiredAntiAffinity: AffinityTerm[];
  preferredAffinity: WeightedAffinityTerm[];
  preferredAntiAffinity: WeightedAffinityTerm[];
}

/** Namespace label lookup; optional member of the handle's ClusterListers. */
export interface NamespaceListers {
  namespaceLabels?(namespace: string): Labels | undefined;
}

/** Throws on an invalid selector (validation normally rejects it): the caller turns that into a status. */
function newAffinityTerm(pod: Pod, term: PodAffinityTerm): AffinityTerm {
  const sel = labelSelectorAsSelector(term.labelSelector);
  if (!sel.ok) throw new Error(sel.error);
  const nsSel = labelSelectorAsSelector(term.namespaceSelector);
  if (!nsSel.ok) throw new Error(nsSel.error);
  // No namespaces and no namespaceSelector: the term applies to the pod's own namespace.
  const namespaces = (term.namespaces?.length ?? 0) === 0 && !term.namespaceSelector ? [pod.metadata?.namespace ?? ''] : (term.namespaces ?? []);
  return { namespaces: new Set(namespaces), selector: sel.selector, topologyKey: term.topologyKey, namespaceSelector: term.namespaceSelector ? nsSel.selector : nothing() };
}

export function affinityPodInfo(pod: Pod): AffinityPodInfo {
  const pa = pod.spec?.affinity?.podAffinity;
  const paa = pod.spec?.affinity?.podAntiAffinity;
  return {
    pod,
    requiredAffinity: (pa?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => newAffinityTerm(pod, t)),
    requiredAntiAffinity: (paa?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => newAffinityTerm(pod, t)),
    preferredAffinity: (pa?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => ({ ...newAffinityTerm(pod, w.podAffinityTerm), weight: w.weight })),
    preferredAntiAffinity: (paa?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => ({ ...newAffinityTerm(pod, w.podAffinityTerm), weight: w.weight })),
  };
}

/** AffinityTerm.Matches: the pod is in one of the term's namespaces and its labels match. */
export function termMatches(t: AffinityTerm, pod: Pod, nsLabels: Labels | undefined): boolean {
  const ns = pod.metadata?.namespace ?? '';
  if (t.namespaces.has(ns) || t.namespaceSelector.matches(nsLabels ?? {})) return t.selector.matches(pod.metadata?.labels ?? {});
  return false;
}

/** True when there is at least one term and the pod matches every one. */
export function podMatchesAllTerms(terms: readonly AffinityTerm[], pod: Pod, nsLabels: Labels | undefined): boolean {
  return terms.length > 0 && terms.every((t) => termMatches(t, pod, nsLabels));
}
