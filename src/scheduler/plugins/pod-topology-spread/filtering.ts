/**
 * PodTopologySpread's hard constraints: PreFilter counts the matching pods per domain, Filter
 * checks the skew, AddPod/RemovePod keep the counts right during preemption's dry runs (after
 * pkg/scheduler/framework/plugins/podtopologyspread/filtering.go).
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { NodeInfo } from '../../framework/node-info.js';
import { type SpreadConstraint, countPodsMatchSelector, matchNodeInclusionPolicies, nodeHasAllTopologyKeys, nodeInclusionFilter, podLabelMatcher } from './constraints.js';

export const errReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints";
export const errReasonNodeLabelNotMatch = `${errReasonConstraintsNotMatch} (missing required label)`;

/**
 * Per constraint (by index): topology value → number of matching pods in that domain. The global
 * minimum of each constraint is computed once and kept until the counts change (upstream keeps
 * the two smallest domains as "critical paths" for the same reason): Filter asks for it on every
 * node.
 */
export class SpreadFilterState {
  private readonly minCache: (number | undefined)[];
  private selfMatch: { pod: Pod; matches: number[] } | undefined;

  constructor(
    readonly constraints: readonly SpreadConstraint[],
    readonly matchNum: Map<string, number>[],
  ) {
    this.minCache = constraints.map(() => undefined);
  }

  clone(): SpreadFilterState {
    return new SpreadFilterState(
      this.constraints,
      this.matchNum.map((m) => new Map(m)),
    );
  }

  /**
   * The global minimum of constraint `i`: the smallest count over its eligible domains, or 0
   * while there are fewer domains than minDomains.
   */
  minMatchNum(i: number): number {
    const cached = this.minCache[i];
    if (cached !== undefined) return cached;
    const counts = this.matchNum[i]!;
    let min = 0;
    if (counts.size >= this.constraints[i]!.minDomains) {
      min = Number.MAX_SAFE_INTEGER;
      for (const v of counts.values()) min = Math.min(min, v);
    }
    this.minCache[i] = min;
    return min;
  }

  /** 1 when constraint `i` selects `pod` itself (the pod being scheduled, the same on every node). */
  selfMatchNum(pod: Pod, i: number): number {
    if (this.selfMatch?.pod !== pod) {
      const labels = pod.metadata?.labels ?? {};
      this.selfMatch = { pod, matches: this.constraints.map((c) => (c.selector.matches(labels) ? 1 : 0)) };
    }
    return this.selfMatch.matches[i]!;
  }

  /** Adds `delta` for `updated` landing on (or leaving) `node`, as upstream's updateWithPod. */
  updateWithPod(updated: Pod, preemptor: Pod, node: Node | undefined, delta: number): void {
    if (!node || updated.metadata?.namespace !== preemptor.metadata?.namespace) return;
    if (!nodeHasAllTopologyKeys(node, this.constraints)) return;
    const labels = updated.metadata?.labels ?? {};
    this.constraints.forEach((c, i) => {
      if (!c.selector.matches(labels)) return;
      if (!matchNodeInclusionPolicies(c, preemptor, node)) return;
      const v = node.metadata!.labels![c.topologyKey]!;
      this.matchNum[i]!.set(v, (this.matchNum[i]!.get(v) ?? 0) + delta);
      this.minCache[i] = undefined;
    });
  }
}

/**
 * Counts the matching pods of every eligible domain over all nodes of the snapshot, once per
 * cycle; the inclusion policies and the selectors are prepared before the scan.
 */
export function computeFilterState(pod: Pod, constraints: readonly SpreadConstraint[], allNodes: readonly NodeInfo[]): SpreadFilterState {
  const matchNum = constraints.map(() => new Map<string, number>());
  const ns = pod.metadata?.namespace ?? '';
  const included = constraints.map((c) => nodeInclusionFilter(c, pod));
  const matchers = constraints.map((c) => podLabelMatcher(c.selector));
  for (const ni of allNodes) {
    const node = ni.node;
    if (!nodeHasAllTopologyKeys(node, constraints)) continue;
    const labels = node!.metadata!.labels!;
    for (let i = 0; i < constraints.length; i++) {
      const c = constraints[i]!;
      if (included[i] && !included[i]!(node)) continue;
      const v = labels[c.topologyKey]!;
      const counts = matchNum[i]!;
      counts.set(v, (counts.get(v) ?? 0) + countPodsMatchSelector(ni.pods, c.selector, ns, matchers[i]));
    }
  }
  return new SpreadFilterState(constraints, matchNum);
}

/** Filter: `matching pods in the node's domain + self-match − global minimum ≤ maxSkew` for every constraint. */
export function filterNode(s: SpreadFilterState, pod: Pod, node: Node | undefined): { ok: true } | { ok: false; unresolvable: boolean; reason: string } {
  const labels = node?.metadata?.labels ?? {};
  for (let i = 0; i < s.constraints.length; i++) {
    const c = s.constraints[i]!;
    if (!Object.hasOwn(labels, c.topologyKey)) return { ok: false, unresolvable: true, reason: errReasonNodeLabelNotMatch };
    const matchNum = s.matchNum[i]!.get(labels[c.topologyKey]!) ?? 0;
    const skew = matchNum + s.selfMatchNum(pod, i) - s.minMatchNum(i);
    if (skew > c.maxSkew) return { ok: false, unresolvable: false, reason: errReasonConstraintsNotMatch };
  }
  return { ok: true };
}
