/**
 * Preemption's pure parts: victim selection on one node with reprieve, PDB violation counting and
 * picking the best candidate (after pkg/scheduler/framework/plugins/defaultpreemption/
 * default_preemption.go SelectVictimsOnNode and pkg/scheduler/framework/preemption/preemption.go).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { labelSelectorAsSelector } from '../../../api/labels.js';
import { type CycleState, type FrameworkHandle, Status } from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/node-info.js';

export const noVictimsReason = 'No preemption victims found for incoming pod';

export const podPriority = (p: Pod): number => p.spec?.priority ?? 0;

/** The pod's start time in ms; a pod that has not started counts as starting `now`. */
export const podStartTime = (p: Pod, now: Date): number => (p.status?.startTime ? Date.parse(p.status.startTime) : now.getTime());

/** util.MoreImportantPod: higher priority first, then the one that started earlier. */
export function moreImportantPod(a: Pod, b: Pod, now: Date): boolean {
  const pa = podPriority(a);
  const pb = podPriority(b);
  if (pa !== pb) return pa > pb;
  return podStartTime(a, now) < podStartTime(b, now);
}

const byImportance = (now: Date) => (a: Pod, b: Pod): number => (moreImportantPod(a, b, now) ? -1 : moreImportantPod(b, a, now) ? 1 : 0);

/**
 * Splits pods (in order) into those whose eviction would exceed some PDB's disruptionsAllowed and
 * the rest; each matching PDB's budget is spent as pods are taken.
 */
export function filterPodsWithPDBViolation(pods: readonly Pod[], pdbs: readonly PodDisruptionBudget[]): { violating: Pod[]; nonViolating: Pod[] } {
  const allowed = new Map(pdbs.map((p) => [p, p.status?.disruptionsAllowed ?? 0]));
  const violating: Pod[] = [];
  const nonViolating: Pod[] = [];
  for (const pod of pods) {
    let violated = false;
    const labels = pod.metadata?.labels ?? {};
    if (Object.keys(labels).length) {
      for (const pdb of pdbs) {
        if (pdb.metadata?.namespace !== pod.metadata?.namespace) continue;
        const sel = labelSelectorAsSelector(pdb.spec?.selector);
        // A nil or empty PDB selector matches nothing here.
        if (!sel.ok || sel.selector.empty() || sel.selector.matchesNothing() || !sel.selector.matches(labels)) continue;
        // Already in disruptedPods: the API server counted this eviction.
        if (Object.hasOwn(pdb.status?.disruptedPods ?? {}, pod.metadata?.name ?? '')) continue;
        const left = allowed.get(pdb)! - 1;
        allowed.set(pdb, left);
        if (left < 0) violated = true;
      }
    }
    (violated ? violating : nonViolating).push(pod);
  }
  return { violating, nonViolating };
}

export interface Victims {
  pods: Pod[];
  numPDBViolations: number;
}

/**
 * Removes every lower-priority pod from (a copy of) the node, checks that the preemptor then
 * fits, and reprieves as many as possible: PDB-violating victims first, each group from the
 * highest priority down. `nodeInfo` and `state` are mutated: pass copies.
 */
export function selectVictimsOnNode(handle: FrameworkHandle, state: CycleState, pod: Pod, nodeInfo: NodeInfo, pdbs: readonly PodDisruptionBudget[]): { victims?: Victims; status: Status } {
  const now = handle.now();
  const removePod = (p: Pod): Status => {
    nodeInfo.removePod(p);
    return handle.runPreFilterExtensionRemovePod(state, pod, p, nodeInfo);
  };
  const addPod = (p: Pod): Status => {
    nodeInfo.addPod(p);
    return handle.runPreFilterExtensionAddPod(state, pod, p, nodeInfo);
  };
  const prio = podPriority(pod);
  const potential: Pod[] = [];
  for (const { pod: p } of [...nodeInfo.pods]) {
    if (podPriority(p) >= prio) continue;
    potential.push(p);
    const s = removePod(p);
    if (!s.isSuccess()) return { status: Status.error(s.message()) };
  }
  if (potential.length === 0) return { status: Status.unresolvable(noVictimsReason) };
  const fits = handle.runFilterPlugins(state, pod, nodeInfo);
  if (!fits.isSuccess()) return { status: fits };

  potential.sort(byImportance(now));
  const { violating, nonViolating } = filterPodsWithPDBViolation(potential, pdbs);
  const victims: Pod[] = [];
  const reprieve = (p: Pod): boolean | Status => {
    const a = addPod(p);
    if (!a.isSuccess()) return Status.error(a.message());
    if (handle.runFilterPlugins(state, pod, nodeInfo).isSuccess()) return true;
    const r = removePod(p);
    if (!r.isSuccess()) return Status.error(r.message());
    victims.push(p);
    return false;
  };
  let numPDBViolations = 0;
  for (const p of violating) {
    const r = reprieve(p);
    if (r instanceof Status) return { status: r };
    if (!r) numPDBViolations++;
  }
  for (const p of nonViolating) {
    const r = reprieve(p);
    if (r instanceof Status) return { status: r };
  }
  if (violating.length && nonViolating.length) victims.sort(byImportance(now));
  return { victims: { pods: victims, numPDBViolations }, status: Status.success() };
}

export interface Candidate {
  nodeName: string;
  victims: Victims;
}

/** util.GetEarliestPodStartTime: the earliest start among the highest-priority victims. */
function earliestStartOfHighestPriority(pods: readonly Pod[], now: Date): number {
  let maxPrio = podPriority(pods[0]!);
  let earliest = podStartTime(pods[0]!, now);
  for (const p of pods) {
    const pr = podPriority(p);
    if (pr === maxPrio) earliest = Math.min(earliest, podStartTime(p, now));
    else if (pr > maxPrio) {
      maxPrio = pr;
      earliest = podStartTime(p, now);
    }
  }
  return earliest;
}

/**
 * pickOneNodeForPreemption: each criterion keeps the best-scoring candidates, the next breaks ties:
 * fewest PDB violations, lowest highest-victim priority, smallest priority sum, fewest victims,
 * latest start of the most important victims. Victims are sorted by importance (first = highest).
 */
export function selectCandidate(candidates: readonly Candidate[], now: Date): Candidate | undefined {
  if (candidates.length <= 1) return candidates[0];
  const scoreFuncs: ((c: Candidate) => number)[] = [
    (c) => -c.victims.numPDBViolations,
    (c) => -podPriority(c.victims.pods[0]!),
    // Offset by 2^31 so that many negative-priority victims do not beat few of them.
    (c) => -c.victims.pods.reduce((sum, p) => sum + podPriority(p) + 2 ** 31, 0),
    (c) => -c.victims.pods.length,
    (c) => earliestStartOfHighestPriority(c.victims.pods, now),
  ];
  let remaining = [...candidates];
  for (const f of scoreFuncs) {
    let best = -Infinity;
    let selected: Candidate[] = [];
    for (const c of remaining) {
      const s = f(c);
      if (s > best) {
        best = s;
        selected = [];
      }
      if (s === best) selected.push(c);
    }
    if (selected.length === 1) return selected[0];
    remaining = selected;
  }
  return remaining[0];
}
