/**
 * Daemon pods and where they may run (`pkg/controller/daemon/util/daemonset_util.go` and
 * `daemon_controller.go` NodeShouldRunDaemonPod): the tolerations every daemon pod gets, the
 * required node affinity `metadata.name In [node]` that pins a pod to its node for the scheduler,
 * and the node-selector / node-affinity / taint predicates.
 */
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Affinity, Node, NodeSelectorRequirement, NodeSelectorTerm, Pod, PodTemplateSpec, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import type { ApiObject } from '../../api/object.js';
import { controllerRef } from '../history/controller-revision.js';

export type DaemonSetObject = DaemonSet & ApiObject;
export type PodObject = Pod & ApiObject;
export type NodeObject = Node & ApiObject;

export const daemonSetHashLabel = 'controller-revision-hash';
export const podTemplateGenerationLabel = 'pod-template-generation';

const tol = (key: string, effect: 'NoExecute' | 'NoSchedule'): Toleration => ({ key, operator: 'Exists', effect });

/** `AddOrUpdateDaemonPodTolerations`: the tolerations added to every daemon pod. */
export function daemonPodTolerations(spec: { hostNetwork?: boolean }): Toleration[] {
  const out = [
    tol('node.kubernetes.io/not-ready', 'NoExecute'),
    tol('node.kubernetes.io/unreachable', 'NoExecute'),
    tol('node.kubernetes.io/disk-pressure', 'NoSchedule'),
    tol('node.kubernetes.io/memory-pressure', 'NoSchedule'),
    tol('node.kubernetes.io/pid-pressure', 'NoSchedule'),
    tol('node.kubernetes.io/unschedulable', 'NoSchedule'),
  ];
  if (spec.hostNetwork) out.push(tol('node.kubernetes.io/network-unavailable', 'NoSchedule'));
  return out;
}

/** `v1helper.AddOrUpdateTolerationInPodSpec`: a toleration with the same key/operator/value/effect is replaced. */
export function addTolerations(existing: readonly Toleration[] | undefined, add: readonly Toleration[]): Toleration[] {
  const out = [...(existing ?? [])];
  for (const t of add) {
    const i = out.findIndex((o) => (o.key ?? '') === (t.key ?? '') && (o.operator ?? 'Equal') === (t.operator ?? 'Equal') && (o.value ?? '') === (t.value ?? '') && (o.effect ?? '') === (t.effect ?? ''));
    if (i >= 0) out[i] = t;
    else out.push(t);
  }
  return out;
}

/** `ReplaceDaemonSetPodNodeNameNodeAffinity`: required node affinity becomes the one term `metadata.name In [node]`. */
export function pinToNode(affinity: Affinity | undefined, nodeName: string): Affinity {
  const term: NodeSelectorTerm = { matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] };
  const a: Affinity = JSON.parse(JSON.stringify(affinity ?? {}));
  a.nodeAffinity = { ...a.nodeAffinity, requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term] } };
  return a;
}

/** `GetTargetNodeName`: spec.nodeName, else the node named by the pinning affinity. */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const t of terms) for (const f of t.matchFields ?? []) if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
  return undefined;
}

/** The template of the pods of `ds` (`CreatePodTemplate`): daemon tolerations, hash and generation labels. */
export function daemonPodTemplate(ds: DaemonSetObject, hash: string): PodTemplateSpec {
  const tpl: PodTemplateSpec = JSON.parse(JSON.stringify(ds.spec?.template ?? {}));
  const spec = tpl.spec ?? { containers: [] };
  spec.tolerations = addTolerations(spec.tolerations, daemonPodTolerations(spec));
  tpl.spec = spec;
  const labels: Record<string, string> = { ...tpl.metadata?.labels };
  if (ds.metadata.generation !== undefined) labels[podTemplateGenerationLabel] = String(ds.metadata.generation);
  if (hash) labels[daemonSetHashLabel] = hash;
  tpl.metadata = { ...tpl.metadata, labels };
  return tpl;
}

/** A daemon pod for `nodeName`, named by the server from `<ds>-`. */
export function newDaemonPod(ds: DaemonSetObject, hash: string, nodeName: string): PodObject {
  const tpl = daemonPodTemplate(ds, hash);
  const spec = tpl.spec!;
  spec.affinity = pinToNode(spec.affinity, nodeName);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${ds.metadata.name}-`,
      namespace: ds.metadata.namespace,
      labels: tpl.metadata?.labels,
      ...(tpl.metadata?.annotations ? { annotations: tpl.metadata.annotations } : {}),
      ...(tpl.metadata?.finalizers ? { finalizers: tpl.metadata.finalizers } : {}),
      ownerReferences: [controllerRef({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: ds.metadata })],
    },
    spec,
  };
}

// --- predicates -------------------------------------------------------------------------------

/** `ToleratesTaint`. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (!t.key && t.operator !== 'Exists') return false;
  if ((t.operator ?? 'Equal') === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}

/** `FindMatchingUntoleratedTaint` over the taints that `filter` keeps. */
export function untoleratedTaint(taints: readonly Taint[] | undefined, tolerations: readonly Toleration[] | undefined, filter: (t: Taint) => boolean): Taint | undefined {
  return (taints ?? []).filter(filter).find((taint) => !(tolerations ?? []).some((t) => toleratesTaint(t, taint)));
}

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1) return false;
      const a = Number(value);
      const b = Number(values[0]);
      if (!Number.isInteger(a) || !Number.isInteger(b)) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** `nodeaffinity` term matching: all expressions (labels) and fields (`metadata.name`) hold; an empty term matches nothing. */
export function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  return (
    exprs.every((r) => requirementMatches(r, node.metadata?.labels?.[r.key])) &&
    fields.every((r) => r.key === 'metadata.name' && requirementMatches(r, node.metadata?.name))
  );
}

/** `GetRequiredNodeAffinity(pod).Match(node)`: nodeSelector and any required term. */
export function fitsNodeAffinity(pod: Pod, node: Node): boolean {
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (node.metadata?.labels?.[k] !== v) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return required.nodeSelectorTerms.some((t) => termMatches(t, node));
}

export interface NodeDecision {
  /** A daemon pod should be created here. */
  shouldRun: boolean;
  /** An existing daemon pod may stay (it tolerates every NoExecute taint). */
  shouldContinueRunning: boolean;
}

/** `NodeShouldRunDaemonPod`. */
export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSetObject): NodeDecision {
  const tpl = daemonPodTemplate(ds, '');
  const pod: Pod = { metadata: tpl.metadata, spec: tpl.spec };
  if (pod.spec?.nodeName && pod.spec.nodeName !== node.metadata?.name) return { shouldRun: false, shouldContinueRunning: false };
  if (!fitsNodeAffinity(pod, node)) return { shouldRun: false, shouldContinueRunning: false };
  const taints = node.spec?.taints;
  const tolerations = pod.spec?.tolerations;
  if (untoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute' || t.effect === 'NoSchedule')) {
    return { shouldRun: false, shouldContinueRunning: !untoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute') };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}
