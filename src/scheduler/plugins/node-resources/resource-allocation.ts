/**
 * The shared scoring skeleton of NodeResourcesFit and BalancedAllocation
 * (pkg/scheduler/framework/plugins/noderesources/resource_allocation.go, least_allocated.go,
 * most_allocated.go, requested_to_capacity_ratio.go): per configured resource, the node's
 * allocatable and what would be requested with the pod on it; a scorer turns those into 0..100.
 * Integer arithmetic follows upstream so scores match exactly.
 */
import { maxNodeScore } from '../../framework/interface.js';
import type { NodeInfo, Resource } from '../../framework/node-info.js';
import type { ResourceSpec, UtilizationShapePoint } from './args.js';

/** (requested, allocatable) per resource, same order as the resource specs; allocatable 0 = skip. */
export type Scorer = (requested: readonly number[], allocatable: readonly number[]) => number;

function resourceValue(r: Resource, name: string): number {
  switch (name) {
    case 'cpu':
      return r.milliCPU;
    case 'memory':
      return r.memory;
    case 'ephemeral-storage':
      return r.ephemeralStorage;
    case 'pods':
      return r.allowedPodNumber;
    default:
      return r.scalar[name] ?? 0;
  }
}

const isScalar = (name: string): boolean => name !== 'cpu' && name !== 'memory' && name !== 'ephemeral-storage' && name !== 'pods';

/** The pod's request per resource: with the non-zero defaults unless `useRequested`. */
export function podRequestList(podRequest: Resource, resources: readonly ResourceSpec[]): number[] {
  return resources.map((r) => resourceValue(podRequest, r.name));
}

/**
 * Scores one node. `podRequests` comes from `podRequestList`; `useRequested` picks the node's
 * actual requested sums instead of the non-zero ones for cpu and memory (BalancedAllocation).
 */
export function scoreNode(nodeInfo: NodeInfo, podRequests: readonly number[], resources: readonly ResourceSpec[], useRequested: boolean, scorer: Scorer): number {
  const requested = new Array<number>(resources.length).fill(0);
  const allocatable = new Array<number>(resources.length).fill(0);
  for (let i = 0; i < resources.length; i++) {
    const name = resources[i]!.name;
    const podReq = podRequests[i] ?? 0;
    if (podReq === 0 && isScalar(name)) continue;
    const alloc = resourceValue(nodeInfo.allocatable, name);
    if (alloc === 0) continue;
    const nodeReq = !useRequested && (name === 'cpu' || name === 'memory') ? resourceValue(nodeInfo.nonZeroRequested, name) : resourceValue(nodeInfo.requested, name);
    allocatable[i] = alloc;
    requested[i] = nodeReq + podReq;
  }
  return scorer(requested, allocatable);
}

const idiv = (a: number, b: number): number => Math.trunc(a / b);

export function leastAllocatedScorer(resources: readonly ResourceSpec[]): Scorer {
  return (requested, allocatable) => {
    let nodeScore = 0;
    let weightSum = 0;
    for (let i = 0; i < requested.length; i++) {
      const cap = allocatable[i]!;
      if (cap === 0) continue;
      const w = resources[i]!.weight;
      const req = requested[i]!;
      nodeScore += (req > cap ? 0 : idiv((cap - req) * maxNodeScore, cap)) * w;
      weightSum += w;
    }
    return weightSum === 0 ? 0 : idiv(nodeScore, weightSum);
  };
}

export function mostAllocatedScorer(resources: readonly ResourceSpec[]): Scorer {
  return (requested, allocatable) => {
    let nodeScore = 0;
    let weightSum = 0;
    for (let i = 0; i < requested.length; i++) {
      const cap = allocatable[i]!;
      if (cap === 0) continue;
      const w = resources[i]!.weight;
      const req = Math.min(requested[i]!, cap);
      nodeScore += idiv(req * maxNodeScore, cap) * w;
      weightSum += w;
    }
    return weightSum === 0 ? 0 : idiv(nodeScore, weightSum);
  };
}

/** Shape scores are 0..10 (MaxCustomPriorityScore) and are scaled to 0..100. */
export function requestedToCapacityRatioScorer(resources: readonly ResourceSpec[], shape: readonly UtilizationShapePoint[]): Scorer {
  const scale = maxNodeScore / 10;
  const pts = shape.map((p) => ({ utilization: p.utilization, score: p.score * scale }));
  const f = (p: number): number => {
    for (let i = 0; i < pts.length; i++) {
      if (p <= pts[i]!.utilization) {
        if (i === 0) return pts[0]!.score;
        const a = pts[i - 1]!;
        const b = pts[i]!;
        return a.score + idiv((b.score - a.score) * (p - a.utilization), b.utilization - a.utilization);
      }
    }
    return pts[pts.length - 1]?.score ?? 0;
  };
  const resourceScore = (req: number, cap: number): number => (cap === 0 || req > cap ? f(100) : f(idiv(req * 100, cap)));
  return (requested, allocatable) => {
    let nodeScore = 0;
    let weightSum = 0;
    for (let i = 0; i < requested.length; i++) {
      const cap = allocatable[i]!;
      if (cap === 0) continue;
      const w = resources[i]!.weight;
      const rs = resourceScore(requested[i]!, cap);
      // Upstream leaves resources scoring 0 out of the average.
      if (rs > 0) {
        nodeScore += rs * w;
        weightSum += w;
      }
    }
    return weightSum === 0 ? 0 : Math.round(nodeScore / weightSum);
  };
}

/** BalancedAllocation: 100 × (1 − standard deviation of the requested fractions). */
export const balancedResourceScorer: Scorer = (requested, allocatable) => {
  const fractions: number[] = [];
  let total = 0;
  for (let i = 0; i < requested.length; i++) {
    const cap = allocatable[i]!;
    if (cap === 0) continue;
    const f = Math.min(requested[i]! / cap, 1);
    total += f;
    fractions.push(f);
  }
  let std = 0;
  if (fractions.length === 2) std = Math.abs((fractions[0]! - fractions[1]!) / 2);
  else if (fractions.length > 2) {
    const mean = total / fractions.length;
    let sum = 0;
    for (const f of fractions) sum += (f - mean) * (f - mean);
    std = Math.sqrt(sum / fractions.length);
  }
  return Math.trunc((1 - std) * maxNodeScore);
};
