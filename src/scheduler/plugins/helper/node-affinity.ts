/**
 * Node selector and required node affinity matching (component-helpers/scheduling/corev1/
 * nodeaffinity/nodeaffinity.go). Terms are ORed, a term's requirements ANDed; a term with no
 * requirements, or with an invalid one (bad Gt/Lt value, a field other than metadata.name),
 * matches nothing, as upstream's lazy-error selector does.
 */
import type { Node, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod, PreferredSchedulingTerm } from 'kubernetes-types/core/v1.js';

const int64 = /^[+-]?\d+$/;

/** One matchExpressions requirement against labels; undefined when the requirement is invalid. */
export function labelRequirementMatches(r: NodeSelectorRequirement, labels: Readonly<Record<string, string>> | undefined): boolean | undefined {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  const v = has ? labels![r.key]! : undefined;
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      if (values.length === 0) return undefined;
      return has && values.includes(v!);
    case 'NotIn':
      if (values.length === 0) return undefined;
      return !has || !values.includes(v!);
    case 'Exists':
      return values.length ? undefined : has;
    case 'DoesNotExist':
      return values.length ? undefined : !has;
    case 'Gt':
    case 'Lt': {
      if (values.length !== 1 || !int64.test(values[0]!)) return undefined;
      if (!has || !int64.test(v!)) return false;
      const a = BigInt(v!);
      const b = BigInt(values[0]!);
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return undefined;
  }
}

/** One matchFields requirement; only `metadata.name` with In/NotIn is valid. */
function fieldRequirementMatches(r: NodeSelectorRequirement, node: Node): boolean | undefined {
  if (r.key !== 'metadata.name') return undefined;
  const values = r.values ?? [];
  if (values.length !== 1 && (r.operator === 'In' || r.operator === 'NotIn')) {
    // Upstream requires exactly one value for metadata.name field selectors.
    return undefined;
  }
  const name = node.metadata?.name ?? '';
  if (r.operator === 'In') return values.includes(name);
  if (r.operator === 'NotIn') return !values.includes(name);
  return undefined;
}

export function nodeSelectorTermMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels;
  for (const r of exprs) if (labelRequirementMatches(r, labels) !== true) return false;
  for (const r of fields) if (fieldRequirementMatches(r, node) !== true) return false;
  return true;
}

export function nodeSelectorMatches(selector: NodeSelector, node: Node): boolean {
  for (const t of selector.nodeSelectorTerms ?? []) if (nodeSelectorTermMatches(t, node)) return true;
  return false;
}

/** spec.nodeSelector (every label equal) and the required node affinity terms, both must hold. */
export function podMatchesNodeSelectorAndAffinityTerms(pod: Pod, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required && !nodeSelectorMatches(required, node)) return false;
  return true;
}

/** Sum of the weights of the preferred terms that match (terms with weight 0 are skipped). */
export function preferredTermsScore(terms: readonly PreferredSchedulingTerm[] | undefined, node: Node): number {
  let score = 0;
  for (const t of terms ?? []) {
    if (!t.weight) continue;
    if (nodeSelectorTermMatches(t.preference, node)) score += t.weight;
  }
  return score;
}
