/**
 * Parsed pod (anti-)affinity terms (after pkg/scheduler/framework/types.go AffinityTerm and
 * NewPodInfo). Instead of resolving a namespaceSelector into namespace names up front, a term
 * keeps the selector and is matched against the namespace labels of the pod under test.
 *
 * Upstream parses a pod's terms once, when the pod enters the cache; here the parse is kept on
 * the pod's PodInfo (pods on nodes) or memoized per Pod object (the pod being scheduled, pods
 * added by preemption's dry runs), so a scheduling cycle reuses the terms of the pods already
 * placed instead of re-validating their selectors.
 */
import type { Affinity, Pod, PodAffinityTerm } from 'kubernetes-types/core/v1.js';
import { type Labels, type Selector, labelSelectorAsSelector, nothing } from '../../../api/labels.js';
import type { PodInfo } from '../../framework/node-info.js';

export interface AffinityTerm {
  namespaces: ReadonlySet<string>;
  selector: Selector;
  topologyKey: string;
  namespaceSelector: Selector;
  /** False when namespaceSelector is absent (matches nothing): no namespace labels are needed. */
  usesNamespaceSelector: boolean;
  /**
   * When the selector is only `key = value` requirements (matchLabels, one-value `In`), those
   * pairs, so matching is a few string comparisons; undefined for any other selector.
   */
  labelEqualities: readonly (readonly [string, string])[] | undefined;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

/** The terms of one pod. */
export interface AffinityPodInfo {
  pod: Pod;
  requiredAffinity: AffinityTerm[];
  requiredAntiAffinity: AffinityTerm[];
  preferredAffinity: WeightedAffinityTerm[];
  preferredAntiAffinity: WeightedAffinityTerm[];
  /** Has terms that can score another pod (required affinity, preferred either way): PreScore skips the rest. */
  scoresOtherPods: boolean;
}

/** Namespace label lookup; optional member of the handle's ClusterListers. */
export interface NamespaceListers {
  namespaceLabels?(namespace: string): Labels | undefined;
}

/**
 * Parsed terms shared by the pods that spell them the same way in the same namespace (the
 * replicas of one workload), so that per-cycle work can be done once per distinct term. Cleared
 * when it grows past a bound: sharing is an optimisation, never needed for correctness.
 */
const internedTerms = new Map<string, AffinityTerm>();
const maxInternedTerms = 4096;

function internedAffinityTerm(pod: Pod, term: PodAffinityTerm): AffinityTerm {
  const key = `${pod.metadata?.namespace ?? ''}\n${JSON.stringify(term)}`;
  const hit = internedTerms.get(key);
  if (hit) return hit;
  const parsed = newAffinityTerm(pod, term);
  if (internedTerms.size >= maxInternedTerms) internedTerms.clear();
  internedTerms.set(key, parsed);
  return parsed;
}

/** Throws on an invalid selector (validation normally rejects it): the caller turns that into a status. */
function newAffinityTerm(pod: Pod, term: PodAffinityTerm): AffinityTerm {
  const sel = labelSelectorAsSelector(term.labelSelector);
  if (!sel.ok) throw new Error(sel.error);
  const nsSel = labelSelectorAsSelector(term.namespaceSelector);
  if (!nsSel.ok) throw new Error(nsSel.error);
  // No namespaces and no namespaceSelector: the term applies to the pod's own namespace.
  const namespaces = (term.namespaces?.length ?? 0) === 0 && !term.namespaceSelector ? [pod.metadata?.namespace ?? ''] : (term.namespaces ?? []);
  const namespaceSelector = term.namespaceSelector ? nsSel.selector : nothing();
  return {
    namespaces: new Set(namespaces),
    selector: sel.selector,
    topologyKey: term.topologyKey,
    namespaceSelector,
    usesNamespaceSelector: !namespaceSelector.matchesNothing(),
    labelEqualities: equalities(sel.selector),
  };
}

/** The selector as `key = value` pairs when it is nothing but such requirements. */
function equalities(sel: Selector): [string, string][] | undefined {
  const reqs = sel.requirements();
  if (!reqs) return undefined;
  const out: [string, string][] = [];
  for (const r of reqs) {
    const single = r.operator === '=' || r.operator === '==' || r.operator === 'in';
    if (!single || r.values.length !== 1) return undefined;
    out.push([r.key, r.values[0]!]);
  }
  return out;
}

function parseAffinityPodInfo(pod: Pod): AffinityPodInfo {
  const pa = pod.spec?.affinity?.podAffinity;
  const paa = pod.spec?.affinity?.podAntiAffinity;
  const requiredAffinity = (pa?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => internedAffinityTerm(pod, t));
  const preferredAffinity = (pa?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => ({ ...internedAffinityTerm(pod, w.podAffinityTerm), weight: w.weight }));
  const preferredAntiAffinity = (paa?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => ({ ...internedAffinityTerm(pod, w.podAffinityTerm), weight: w.weight }));
  return {
    pod,
    requiredAffinity,
    requiredAntiAffinity: (paa?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => internedAffinityTerm(pod, t)),
    preferredAffinity,
    preferredAntiAffinity,
    scoresOtherPods: requiredAffinity.length + preferredAffinity.length + preferredAntiAffinity.length > 0,
  };
}

interface ParsedPod {
  /** What the terms were parsed from: a pod whose affinity or namespace was replaced is re-parsed. */
  affinity: Affinity | undefined;
  namespace: string | undefined;
  info: AffinityPodInfo;
}

/** Pod objects are immutable once in the scheduler's cache, so their parsed terms can be kept beside them. */
const parsedPods = new WeakMap<Pod, ParsedPod>();

/** The pod's parsed terms, memoized per Pod object. Throws on an invalid selector (nothing is memoized then). */
export function affinityPodInfo(pod: Pod): AffinityPodInfo {
  const affinity = pod.spec?.affinity;
  const namespace = pod.metadata?.namespace;
  const hit = parsedPods.get(pod);
  if (hit && hit.affinity === affinity && hit.namespace === namespace) return hit.info;
  const info = parseAffinityPodInfo(pod);
  parsedPods.set(pod, { affinity, namespace, info });
  return info;
}

/** The parsed terms of a pod placed on a node, kept on its PodInfo after the first parse. */
export function placedPodAffinityInfo(pi: PodInfo): AffinityPodInfo {
  return (pi.affinityTerms as AffinityPodInfo | undefined) ?? (pi.affinityTerms = affinityPodInfo(pi.pod));
}

/**
 * Namespace labels looked up at most once per namespace: one scheduling cycle matches many pods
 * of few namespaces.
 */
export function memoizeNamespaceLabels(nsLabelsOf: (ns: string) => Labels | undefined): (ns: string) => Labels | undefined {
  const seen = new Map<string, Labels | undefined>();
  return (ns) => {
    if (seen.has(ns)) return seen.get(ns);
    const labels = nsLabelsOf(ns);
    seen.set(ns, labels);
    return labels;
  };
}

/** AffinityTerm.Matches: the pod is in one of the term's namespaces and its labels match. */
export function termMatches(t: AffinityTerm, pod: Pod, nsLabels: Labels | undefined): boolean {
  const ns = pod.metadata?.namespace ?? '';
  if (!t.namespaces.has(ns) && !(t.usesNamespaceSelector && t.namespaceSelector.matches(nsLabels ?? {}))) return false;
  const labels = pod.metadata?.labels;
  const eq = t.labelEqualities;
  if (!eq) return t.selector.matches(labels ?? {});
  // Label values are strings, so an inherited property (a missing label) never compares equal.
  for (let i = 0; i < eq.length; i++) if (labels?.[eq[i]![0]] !== eq[i]![1]) return false;
  return true;
}

/** True when some term needs the namespace labels of the pods it is matched against. */
export function termsUseNamespaceSelector(terms: readonly AffinityTerm[]): boolean {
  return terms.some((t) => t.usesNamespaceSelector);
}

/** True when there is at least one term and the pod matches every one. */
export function podMatchesAllTerms(terms: readonly AffinityTerm[], pod: Pod, nsLabels: Labels | undefined): boolean {
  return terms.length > 0 && terms.every((t) => termMatches(t, pod, nsLabels));
}
