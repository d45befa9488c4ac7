/**
 * Topology spread constraints as the plugin evaluates them (after
 * pkg/scheduler/framework/plugins/podtopologyspread/common.go and helper/spread.go).
 */
import type { Node, Pod, ReplicationController, Service, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import { type Labels, type Requirement, type Selector, everything, labelSelectorAsSelector, newRequirement, selectorFromSet } from '../../../api/labels.js';
import type { PodInfo } from '../../framework/node-info.js';
import { findUntoleratedScheduleTaint, matchesRequiredNodeAffinity } from './node-inclusion.js';

export type NodeInclusionPolicy = 'Honor' | 'Ignore';

export interface SpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  selector: Selector;
  minDomains: number;
  nodeAffinityPolicy: NodeInclusionPolicy;
  nodeTaintsPolicy: NodeInclusionPolicy;
}

export const labelHostname = 'kubernetes.io/hostname';
export const labelZone = 'topology.kubernetes.io/zone';

/** The scheduler's system default constraints (DefaultingType System). */
export const systemDefaultConstraints: readonly TopologySpreadConstraint[] = [
  { topologyKey: labelZone, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 5 },
  { topologyKey: labelHostname, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 },
];

/**
 * Listers that the system default constraints need to build a pod's default selector. They are
 * optional members of the handle's ClusterListers; when absent, default spreading is off.
 */
export interface SpreadListers {
  services?(namespace: string): readonly Service[];
  replicationController?(namespace: string, name: string): ReplicationController | undefined;
  replicaSet?(namespace: string, name: string): ReplicaSet | undefined;
  statefulSet?(namespace: string, name: string): StatefulSet | undefined;
}

/**
 * The constraints of one `whenUnsatisfiable` action, with matchLabelKeys merged into the selector
 * and upstream's defaults (minDomains 1, nodeAffinityPolicy Honor, nodeTaintsPolicy Ignore).
 * Throws on an invalid label selector (validation normally rejects those).
 */
export function filterConstraints(constraints: readonly TopologySpreadConstraint[], podLabels: Labels | undefined, action: 'DoNotSchedule' | 'ScheduleAnyway'): SpreadConstraint[] {
  const out: SpreadConstraint[] = [];
  for (const c of constraints) {
    if (c.whenUnsatisfiable !== action) continue;
    const parsed = labelSelectorAsSelector(c.labelSelector);
    if (!parsed.ok) throw new Error(parsed.error);
    let selector = parsed.selector;
    const extra: Requirement[] = [];
    for (const key of c.matchLabelKeys ?? []) {
      const value = podLabels?.[key];
      if (value === undefined) continue;
      const r = newRequirement(key, 'in', [value]);
      if (r.ok) extra.push(r.requirement);
    }
    // A nil selector matches nothing and stays so: upstream merges matchLabelKeys into the selector's requirements.
    if (extra.length && !selector.matchesNothing()) selector = selector.add(...extra);
    out.push({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      selector,
      minDomains: c.minDomains ?? 1,
      nodeAffinityPolicy: (c.nodeAffinityPolicy as NodeInclusionPolicy | undefined) ?? 'Honor',
      nodeTaintsPolicy: (c.nodeTaintsPolicy as NodeInclusionPolicy | undefined) ?? 'Ignore',
    });
  }
  return out;
}

/**
 * helper.DefaultSelector: the merged selectors of the Services selecting the pod, plus its
 * controller's (ReplicationController, ReplicaSet or StatefulSet) selector.
 */
export function defaultSelector(pod: Pod, listers: SpreadListers): Selector {
  const ns = pod.metadata?.namespace ?? '';
  const podLabels = pod.metadata?.labels ?? {};
  let set: Record<string, string> = {};
  for (const svc of listers.services?.(ns) ?? []) {
    const sel = svc.spec?.selector;
    if (!sel) continue;
    if (selectorFromSet(sel).matches(podLabels)) set = { ...set, ...sel };
  }
  let selector = Object.keys(set).length ? selectorFromSet(set) : everything();
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller);
  if (!owner) return selector;
  const group = owner.apiVersion.includes('/') ? owner.apiVersion.split('/')[0] : '';
  if (group === '' && owner.kind === 'ReplicationController') {
    const rc = listers.replicationController?.(ns, owner.name);
    if (rc) selector = selectorFromSet({ ...set, ...(rc.spec?.selector ?? {}) });
  } else if (group === 'apps' && (owner.kind === 'ReplicaSet' || owner.kind === 'StatefulSet')) {
    const ctrl = owner.kind === 'ReplicaSet' ? listers.replicaSet?.(ns, owner.name) : listers.statefulSet?.(ns, owner.name);
    if (ctrl) {
      const parsed = labelSelectorAsSelector(ctrl.spec?.selector);
      const reqs = parsed.ok ? parsed.selector.requirements() : undefined;
      if (reqs) selector = selector.add(...reqs);
    }
  }
  return selector;
}

/** The pod's own constraints of `action`, or the system defaults with its default selector. */
export function podConstraints(pod: Pod, action: 'DoNotSchedule' | 'ScheduleAnyway', defaults: readonly TopologySpreadConstraint[], listers: SpreadListers): SpreadConstraint[] {
  const own = pod.spec?.topologySpreadConstraints ?? [];
  if (own.length) return filterConstraints(own, pod.metadata?.labels, action);
  const cs = filterConstraints(defaults, pod.metadata?.labels, action);
  if (cs.length === 0) return cs;
  const selector = defaultSelector(pod, listers);
  if (selector.empty()) return [];
  return cs.map((c) => ({ ...c, selector }));
}

/** Whether the node carries every constraint's topology key. */
export function nodeHasAllTopologyKeys(node: Node | undefined, constraints: readonly SpreadConstraint[]): boolean {
  const labels = node?.metadata?.labels ?? {};
  return constraints.every((c) => Object.hasOwn(labels, c.topologyKey));
}

/** Whether a node counts as a domain member for this constraint (nodeAffinityPolicy/nodeTaintsPolicy). */
export function matchNodeInclusionPolicies(c: SpreadConstraint, pod: Pod, node: Node | undefined): boolean {
  if (c.nodeAffinityPolicy === 'Honor' && !matchesRequiredNodeAffinity(pod, node)) return false;
  if (c.nodeTaintsPolicy === 'Honor' && findUntoleratedScheduleTaint(node, pod.spec?.tolerations)) return false;
  return true;
}

/**
 * matchNodeInclusionPolicies for one pod, prepared once per cycle: undefined when every node is
 * included (the policies are Ignore, or Honor for a pod without a nodeSelector or required node
 * affinity and so nothing to honour).
 */
export function nodeInclusionFilter(c: SpreadConstraint, pod: Pod): ((node: Node | undefined) => boolean) | undefined {
  const honorAffinity = c.nodeAffinityPolicy === 'Honor' && hasRequiredNodeAffinity(pod);
  const honorTaints = c.nodeTaintsPolicy === 'Honor';
  if (!honorAffinity && !honorTaints) return undefined;
  return (node) => matchNodeInclusionPolicies(c, pod, node);
}

function hasRequiredNodeAffinity(pod: Pod): boolean {
  for (const _ in pod.spec?.nodeSelector ?? {}) return true;
  return pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution !== undefined;
}

/**
 * The selector's test prepared for matching many pods: a selector of only `key = value`
 * requirements (matchLabels, one-value `In`) becomes plain string comparisons.
 */
export function podLabelMatcher(selector: Selector): (labels: Labels | undefined) => boolean {
  const reqs = selector.requirements();
  const pairs: [string, string][] = [];
  for (const r of reqs ?? []) {
    if ((r.operator !== '=' && r.operator !== '==' && r.operator !== 'in') || r.values.length !== 1) return (labels) => selector.matches(labels ?? {});
    pairs.push([r.key, r.values[0]!]);
  }
  if (!reqs) return () => false;
  // Label values are strings, so an inherited property (a missing label) never compares equal.
  return (labels) => {
    for (let i = 0; i < pairs.length; i++) if (labels?.[pairs[i]![0]] !== pairs[i]![1]) return false;
    return true;
  };
}

/** Pods in `namespace` matched by the selector, skipping terminating ones; an empty selector counts nothing. */
export function countPodsMatchSelector(pods: readonly PodInfo[], selector: Selector, namespace: string, matches = podLabelMatcher(selector)): number {
  if (selector.empty()) return 0;
  let n = 0;
  for (let i = 0; i < pods.length; i++) {
    const meta = pods[i]!.pod.metadata;
    if (meta?.deletionTimestamp || meta?.namespace !== namespace) continue;
    if (matches(meta.labels)) n++;
  }
  return n;
}
