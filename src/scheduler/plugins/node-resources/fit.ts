/**
 * NodeResourcesFit (pkg/scheduler/framework/plugins/noderesources/fit.go): Filter checks that the
 * pod's requests (computed once in PreFilter, init containers, sidecars and overhead counted as
 * upstream) fit the node's allocatable minus what its pods request, plus the pod-count limit;
 * Score ranks nodes by the configured strategy (LeastAllocated by default, MostAllocated for
 * bin-packing, RequestedToCapacityRatio).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import {
  type ClusterEvent,
  CycleState,
  type EnqueueExtensions,
  type FilterPlugin,
  type PluginFactory,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ScorePlugin,
  Status,
} from '../../framework/interface.js';
import { type NodeInfo, podRequests, type Resource } from '../../framework/node-info.js';
import { names } from '../names.js';
import { fitArgsWithDefaults, type NodeResourcesFitArgs } from './args.js';
import { leastAllocatedScorer, mostAllocatedScorer, podRequestList, requestedToCapacityRatioScorer, type Scorer, scoreNode } from './resource-allocation.js';

const preFilterKey = `PreFilter${names.NodeResourcesFit}`;
const preScoreKey = `PreScore${names.NodeResourcesFit}`;

export interface InsufficientResource {
  resourceName: string;
  reason: string;
  requested: number;
  used: number;
  capacity: number;
}

function insufficient(resourceName: string, requested: number, used: number, capacity: number): InsufficientResource {
  return { resourceName, reason: `Insufficient ${resourceName}`, requested, used, capacity };
}

const noneIgnored: ReadonlySet<string> = new Set();

/**
 * What does not fit (upstream fitsRequest), in upstream's order: pods, cpu, memory,
 * ephemeral-storage, then extended resources (sorted by name for a stable message).
 */
export function fitsRequest(podRequest: Resource, nodeInfo: NodeInfo, ignored: ReadonlySet<string> = noneIgnored, ignoredGroups: ReadonlySet<string> = noneIgnored): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  const alloc = nodeInfo.allocatable;
  const used = nodeInfo.requested;
  if (nodeInfo.pods.length + 1 > alloc.allowedPodNumber) out.push({ resourceName: 'pods', reason: 'Too many pods', requested: 1, used: nodeInfo.pods.length, capacity: alloc.allowedPodNumber });
  let hasScalar = false;
  for (const k in podRequest.scalar)
    if (podRequest.scalar[k] !== 0) {
      hasScalar = true;
      break;
    }
  if (podRequest.milliCPU === 0 && podRequest.memory === 0 && podRequest.ephemeralStorage === 0 && !hasScalar) return out;
  if (podRequest.milliCPU > 0 && podRequest.milliCPU > alloc.milliCPU - used.milliCPU) out.push(insufficient('cpu', podRequest.milliCPU, used.milliCPU, alloc.milliCPU));
  if (podRequest.memory > 0 && podRequest.memory > alloc.memory - used.memory) out.push(insufficient('memory', podRequest.memory, used.memory, alloc.memory));
  if (podRequest.ephemeralStorage > 0 && podRequest.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage)
    out.push(insufficient('ephemeral-storage', podRequest.ephemeralStorage, used.ephemeralStorage, alloc.ephemeralStorage));
  if (!hasScalar) return out;
  for (const name of Object.keys(podRequest.scalar).sort()) {
    const req = podRequest.scalar[name]!;
    if (req === 0) continue;
    if (isExtendedResourceName(name)) {
      if (ignored.has(name)) continue;
      const slash = name.indexOf('/');
      if (slash > 0 && ignoredGroups.has(name.slice(0, slash))) continue;
    }
    if (req > (alloc.scalar[name] ?? 0) - (used.scalar[name] ?? 0)) out.push(insufficient(name, req, used.scalar[name] ?? 0, alloc.scalar[name] ?? 0));
  }
  return out;
}

/** Extended resources: fully qualified names outside kubernetes.io, not hugepages or requests.* (v1helper.IsExtendedResourceName). */
export function isExtendedResourceName(name: string): boolean {
  if (!name.includes('/') || name.startsWith('requests.')) return false;
  const domain = name.slice(0, name.indexOf('/'));
  return domain !== 'kubernetes.io' && !domain.endsWith('.kubernetes.io');
}

export function buildScorer(args: NodeResourcesFitArgs): Scorer {
  const s = args.scoringStrategy;
  switch (s.type) {
    case 'MostAllocated':
      return mostAllocatedScorer(s.resources);
    case 'RequestedToCapacityRatio':
      return requestedToCapacityRatioScorer(s.resources, s.requestedToCapacityRatio?.shape ?? []);
    default:
      return leastAllocatedScorer(s.resources);
  }
}

export class NodeResourcesFit implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = names.NodeResourcesFit;
  readonly args: NodeResourcesFitArgs;
  private readonly ignored: Set<string>;
  private readonly ignoredGroups: Set<string>;
  private readonly scorer: Scorer;

  constructor(raw?: Record<string, unknown>) {
    this.args = fitArgsWithDefaults(raw);
    this.ignored = new Set(this.args.ignoredResources);
    this.ignoredGroups = new Set(this.args.ignoredResourceGroups);
    this.scorer = buildScorer(this.args);
  }

  preFilter(state: CycleState, pod: Pod): { status: Status } {
    state.write(preFilterKey, podRequests(pod));
    return { status: Status.success() };
  }

  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    const req = state.read<Resource>(preFilterKey) ?? podRequests(pod);
    const insufficient = fitsRequest(req, nodeInfo, this.ignored, this.ignoredGroups);
    if (insufficient.length === 0) return Status.success();
    return Status.unschedulable(...insufficient.map((r) => r.reason));
  }

  preScore(state: CycleState, pod: Pod): Status {
    state.write(preScoreKey, podRequestList(podRequests(pod, true), this.args.scoringStrategy.resources));
    return Status.success();
  }

  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): { score: number; status: Status } {
    const req = state.read<number[]>(preScoreKey) ?? podRequestList(podRequests(pod, true), this.args.scoringStrategy.resources);
    return { score: scoreNode(nodeInfo, req, this.args.scoringStrategy.resources, false, this.scorer), status: Status.success() };
  }

  eventsToRegister(): readonly ClusterEvent[] {
    return ['PodDelete', 'PodUpdate', 'NodeAdd', 'NodeUpdate'];
  }
}

export const factory: PluginFactory = (args) => new NodeResourcesFit(args);
