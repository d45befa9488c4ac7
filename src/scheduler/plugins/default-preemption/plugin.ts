/**
 * The DefaultPreemption PostFilter plugin (after pkg/scheduler/framework/plugins/defaultpreemption
 * and pkg/scheduler/framework/preemption/preemption.go Evaluator.Preempt). When no node fits, it
 * dry-runs evicting lower-priority pods on the nodes whose failure was Unschedulable (not
 * Unresolvable), picks the best candidate, evicts its victims, nominates the node for the
 * preemptor and clears lower-priority nominations there.
 *
 * Args (DefaultPreemptionArgs): minCandidateNodesPercentage (default 10) and
 * minCandidateNodesAbsolute (default 100) bound how many candidates the dry run collects.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { type CycleState, type FrameworkHandle, type NodeToStatus, type PostFilterPlugin, type PostFilterResult, Status } from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/node-info.js';
import { type Candidate, podPriority, selectCandidate, selectVictimsOnNode } from './victims.js';

export const name = 'DefaultPreemption';

export interface DefaultPreemptionArgs {
  minCandidateNodesPercentage?: number;
  minCandidateNodesAbsolute?: number;
}

/** Optional handle member: the pods the queue has nominated to a node (upstream's nominator). */
export interface NominatorHandle {
  nominatedPodsForNode?(nodeName: string): readonly Pod[];
}

export const notHelpfulReason = 'Preemption is not helpful for scheduling';
/** The DisruptionTarget condition's message that the effects implementation records. */
export const preemptionMessage = `${name}: preempting to accommodate a higher priority pod`;

/**
 * upstream FitError.Error(): `0/N nodes are available: <count> <reason>, ...` with the reason
 * histogram sorted as strings; nodes without a status count under `absentReason`.
 */
export function fitErrorMessage(numAllNodes: number, statuses: ReadonlyMap<string, Status>, absentReason: string): string {
  const hist = new Map<string, number>();
  for (const s of statuses.values()) for (const r of s.reasons) hist.set(r, (hist.get(r) ?? 0) + 1);
  if (statuses.size < numAllNodes) hist.set(absentReason, (hist.get(absentReason) ?? 0) + numAllNodes - statuses.size);
  const parts = [...hist].map(([r, n]) => `${n} ${r}`).sort();
  return `0/${numAllNodes} nodes are available:` + (parts.length ? ` ${parts.join(', ')}.` : '');
}

/** A pod being deleted because the scheduler preempted it. */
function terminatingByPreemption(p: Pod): boolean {
  if (!p.metadata?.deletionTimestamp) return false;
  const c = p.status?.conditions?.find((x) => x.type === 'DisruptionTarget');
  return c?.status === 'True' && c.reason === 'PreemptionByScheduler';
}

export class DefaultPreemption implements PostFilterPlugin {
  readonly name = name;
  private readonly minPercentage: number;
  private readonly minAbsolute: number;

  constructor(
    private readonly handle: FrameworkHandle,
    args: DefaultPreemptionArgs = {},
    /** Returns [0, 1); picks where the dry run starts, so that preemption spreads over nodes. */
    private readonly random: () => number = Math.random,
  ) {
    this.minPercentage = args.minCandidateNodesPercentage ?? 10;
    this.minAbsolute = args.minCandidateNodesAbsolute ?? 100;
  }

  async postFilter(state: CycleState, pod: Pod, statuses: NodeToStatus): Promise<{ result?: PostFilterResult; status: Status }> {
    const { result, status } = await this.preempt(state, pod, statuses);
    const msg = status.message();
    return { result, status: msg ? new Status(status.code, [`preemption: ${msg}`], status.plugin, status.error) : status };
  }

  /** Not eligible: preemptionPolicy Never, or lower-priority victims still terminating on its nominated node. */
  podEligibleToPreemptOthers(pod: Pod, nominatedNodeStatus: Status | undefined): { ok: boolean; message?: string } {
    if (pod.spec?.preemptionPolicy === 'Never') return { ok: false, message: 'not eligible due to preemptionPolicy=Never.' };
    const nominated = pod.status?.nominatedNodeName;
    if (nominated) {
      // A nominated node that the filters now call unresolvable (or did not evaluate) calls for preempting again.
      if (!nominatedNodeStatus || nominatedNodeStatus.code === 'UnschedulableAndUnresolvable') return { ok: true };
      const ni = this.handle.snapshot().nodeInfos().get(nominated);
      const prio = podPriority(pod);
      if (ni?.pods.some(({ pod: p }) => podPriority(p) < prio && terminatingByPreemption(p)))
        return { ok: false, message: 'not eligible due to a terminating pod on the nominated node.' };
    }
    return { ok: true };
  }

  /** calculateNumCandidates: percentage of the nodes, at least the absolute minimum, at most all. */
  numCandidates(numNodes: number): number {
    let n = Math.trunc((numNodes * this.minPercentage) / 100);
    if (n < this.minAbsolute) n = this.minAbsolute;
    return Math.min(n, numNodes);
  }

  private async preempt(state: CycleState, pod: Pod, statuses: NodeToStatus): Promise<{ result?: PostFilterResult; status: Status }> {
    const nominated = pod.status?.nominatedNodeName;
    const elig = this.podEligibleToPreemptOthers(pod, nominated ? statuses.get(nominated) : undefined);
    if (!elig.ok) return { status: Status.unschedulable(elig.message!) };

    const allNodes = this.handle.snapshot().nodeInfos().list();
    if (allNodes.length === 0) return { status: Status.error('no nodes available') };
    const potential = allNodes.filter((ni) => statuses.get(ni.name)?.code === 'Unschedulable');
    let candidates: Candidate[] = [];
    const dryRunStatuses = new Map<string, Status>();
    if (potential.length === 0) {
      // Preemption cannot help anywhere: drop a stale nomination.
      if (nominated) await this.handle.effects.setNominatedNodeName(pod, undefined);
    } else {
      const r = this.dryRunPreemption(state, pod, potential);
      candidates = r.candidates;
      for (const [k, v] of r.statuses) dryRunStatuses.set(k, v);
      if (candidates.length === 0 && r.errors.length) return { status: Status.error(r.errors.join('; ')) };
    }
    if (candidates.length === 0) {
      return { result: { nominatedNodeName: '' }, status: Status.unschedulable(fitErrorMessage(allNodes.length, dryRunStatuses, notHelpfulReason)) };
    }
    const best = selectCandidate(candidates, this.handle.now());
    if (!best) return { status: Status.unschedulable('no candidate node for preemption') };
    const prep = await this.prepareCandidate(best, pod);
    if (!prep.isSuccess()) return { status: prep };
    return { result: { nominatedNodeName: best.nodeName }, status: Status.success() };
  }

  /**
   * Evaluates nodes from a random offset until it has `numCandidates` candidates and at least one
   * of them violates no PDB; non-violating candidates come first.
   */
  dryRunPreemption(state: CycleState, pod: Pod, potential: readonly NodeInfo[]): { candidates: Candidate[]; statuses: Map<string, Status>; errors: string[] } {
    const want = this.numCandidates(potential.length);
    const offset = Math.floor(this.random() * potential.length);
    const nonViolating: Candidate[] = [];
    const violating: Candidate[] = [];
    const statuses = new Map<string, Status>();
    const errors: string[] = [];
    for (let i = 0; i < potential.length; i++) {
      const ni = potential[(offset + i) % potential.length]!.clone();
      const r = selectVictimsOnNode(this.handle, state.clone(), pod, ni, this.pdbsFor(ni));
      let status = r.status;
      if (status.isSuccess() && r.victims && r.victims.pods.length) {
        (r.victims.numPDBViolations === 0 ? nonViolating : violating).push({ nodeName: ni.name, victims: r.victims });
        if (nonViolating.length > 0 && nonViolating.length + violating.length >= want) break;
        continue;
      }
      if (status.isSuccess()) status = Status.error(`expected at least one victim pod on node "${ni.name}"`);
      if (status.code === 'Error') errors.push(status.message());
      statuses.set(ni.name, status);
    }
    return { candidates: [...nonViolating, ...violating], statuses, errors };
  }

  private pdbsFor(ni: NodeInfo): PodDisruptionBudget[] {
    const namespaces = new Set(ni.pods.map(({ pod }) => pod.metadata?.namespace ?? ''));
    return [...namespaces].flatMap((ns) => this.handle.listers.podDisruptionBudgets(ns));
  }

  /** Evicts the victims, nominates the node, and clears the nominations of lower-priority pods there. */
  private async prepareCandidate(c: Candidate, pod: Pod): Promise<Status> {
    try {
      await Promise.all(c.victims.pods.map((v) => this.handle.effects.evictVictim(v, pod, preemptionMessage)));
    } catch (e) {
      return Status.error(e as Error);
    }
    const prio = podPriority(pod);
    const nominatedHere = (this.handle as NominatorHandle).nominatedPodsForNode?.(c.nodeName) ?? [];
    for (const p of nominatedHere) {
      if (podPriority(p) >= prio || p.metadata?.uid === pod.metadata?.uid) continue;
      try {
        await this.handle.effects.setNominatedNodeName(p, undefined);
      } catch {
        // Not critical: the pod keeps a stale nomination until its next attempt.
      }
    }
    try {
      await this.handle.effects.setNominatedNodeName(pod, c.nodeName);
    } catch (e) {
      return Status.error(e as Error);
    }
    return Status.success();
  }
}
