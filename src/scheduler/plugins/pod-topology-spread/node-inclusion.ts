/**
 * Node matching helpers that spreading and volume topology need: the pod's required node
 * affinity (nodeSelector AND requiredDuringScheduling terms, after
 * k8s.io/component-helpers/scheduling/corev1/nodeaffinity) and untolerated taints (after
 * k8s.io/component-helpers/scheduling/corev1 FindMatchingUntoleratedTaint).
 */
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { type LabelOperator, type Labels, newRequirement, requirementMatches } from '../../../api/labels.js';

const nodeSelectorOperators: Record<string, LabelOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!', Gt: 'gt', Lt: 'lt' };

/** One NodeSelectorRequirement against a label set; an invalid requirement matches nothing. */
function requirementHolds(req: NodeSelectorRequirement, labels: Labels): boolean {
  const op = Object.hasOwn(nodeSelectorOperators, req.operator) ? nodeSelectorOperators[req.operator] : undefined;
  if (!op) return false;
  const r = newRequirement(req.key, op, req.values ?? []);
  return r.ok && requirementMatches(r.requirement, labels);
}

/** matchFields supports only `metadata.name` with In/NotIn and one value. */
function fieldRequirementHolds(req: NodeSelectorRequirement, nodeName: string): boolean {
  if (req.key !== 'metadata.name' || (req.values ?? []).length !== 1) return false;
  if (req.operator === 'In') return req.values![0] === nodeName;
  if (req.operator === 'NotIn') return req.values![0] !== nodeName;
  return false;
}

/** A term with neither expressions nor fields matches nothing; the requirements of a term are ANDed. */
export function matchNodeSelectorTerm(term: NodeSelectorTerm, labels: Labels, nodeName: string): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  return exprs.every((e) => requirementHolds(e, labels)) && fields.every((f) => fieldRequirementHolds(f, nodeName));
}

/** corev1.MatchNodeSelectorTerms: the terms are ORed. */
export function matchNodeSelectorTerms(terms: readonly NodeSelectorTerm[], node: Node | undefined): boolean {
  const labels = node?.metadata?.labels ?? {};
  const name = node?.metadata?.name ?? '';
  return terms.some((t) => matchNodeSelectorTerm(t, labels, name));
}

/** nodeaffinity.GetRequiredNodeAffinity(pod).Match: spec.nodeSelector and the required affinity terms. */
export function matchesRequiredNodeAffinity(pod: Pod, node: Node | undefined): boolean {
  const labels = node?.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return matchNodeSelectorTerms(required.nodeSelectorTerms ?? [], node);
}

/** v1.Toleration.ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? '') {
    case '':
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/** The first taint with a NoSchedule or NoExecute effect that no toleration tolerates. */
export function findUntoleratedScheduleTaint(node: Node | undefined, tolerations: readonly Toleration[] | undefined): Taint | undefined {
  for (const taint of node?.spec?.taints ?? []) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!(tolerations ?? []).some((t) => toleratesTaint(t, taint))) return taint;
  }
  return undefined;
}
