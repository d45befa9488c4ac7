/**
 * The scheduling framework's extension points (after pkg/scheduler/framework/interface.go):
 * one small interface per point; a plugin implements only the points it needs. Decisions are
 * pure functions of the cycle state, the pod and the snapshot; they return a Status with
 * human-readable reasons in Kubernetes' words ("Insufficient cpu", "node(s) had untolerated
 * taint {dedicated: ml}"), which the scheduler aggregates into the FailedScheduling message.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { NodeInfo } from './node-info.js';

export type Code = 'Success' | 'Error' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Wait' | 'Skip' | 'Pending';

/** The outcome of a plugin call. `reasons` are upstream's texts; `plugin` names who failed. */
export class Status {
  constructor(
    readonly code: Code,
    readonly reasons: readonly string[] = [],
    readonly plugin?: string,
    readonly error?: Error,
  ) {}
  static success(): Status {
    return successStatus;
  }
  static unschedulable(...reasons: string[]): Status {
    return new Status('Unschedulable', reasons);
  }
  /** Preemption cannot help (e.g. a node selector mismatch). */
  static unresolvable(...reasons: string[]): Status {
    return new Status('UnschedulableAndUnresolvable', reasons);
  }
  static error(err: Error | string): Status {
    const e = typeof err === 'string' ? new Error(err) : err;
    return new Status('Error', [e.message], undefined, e);
  }
  static skip(): Status {
    return skipStatus;
  }
  isSuccess(): boolean {
    return this.code === 'Success';
  }
  isSkip(): boolean {
    return this.code === 'Skip';
  }
  isRejected(): boolean {
    return this.code === 'Unschedulable' || this.code === 'UnschedulableAndUnresolvable' || this.code === 'Pending';
  }
  withPlugin(plugin: string): Status {
    return this.plugin === plugin ? this : new Status(this.code, this.reasons, plugin, this.error);
  }
  message(): string {
    return this.reasons.join(', ');
  }
}
const successStatus = new Status('Success');
const skipStatus = new Status('Skip');

/** Per-cycle, per-pod data that plugins pass from one extension point to the next, keyed by plugin. */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  /** Set when the cycle runs for preemption's "what if" evaluation (state must be clonable). */
  skipFilterPlugins = new Set<string>();
  skipScorePlugins = new Set<string>();
  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }
  delete(key: string): void {
    this.data.delete(key);
  }
  /** A copy whose values are cloned with their own `clone()` when they have one. */
  clone(): CycleState {
    const c = new CycleState();
    for (const [k, v] of this.data) c.data.set(k, typeof (v as { clone?: () => unknown })?.clone === 'function' ? (v as { clone: () => unknown }).clone() : v);
    c.skipFilterPlugins = new Set(this.skipFilterPlugins);
    c.skipScorePlugins = new Set(this.skipScorePlugins);
    return c;
  }
}

/** Read-only view of the cluster for one scheduling cycle (the snapshot of the scheduler cache). */
export interface SharedLister {
  nodeInfos(): NodeInfoLister;
  /** How many nodes report `image` in status.images (ImageLocality's spread); 0 when none. */
  imageNodeCount?(image: string): number;
}

export interface NodeInfoLister {
  list(): readonly NodeInfo[];
  get(nodeName: string): NodeInfo | undefined;
  /** NodeInfos of nodes that run at least one pod with (anti-)affinity terms. */
  havePodsWithAffinityList(): readonly NodeInfo[];
  havePodsWithRequiredAntiAffinityList(): readonly NodeInfo[];
}

/** Everything a plugin may use besides its arguments: the snapshot and effectful services. */
export interface FrameworkHandle {
  snapshot(): SharedLister;
  /** PodDisruptionBudgets and PVC/PV/StorageClass listers, for preemption and volume plugins. */
  listers: ClusterListers;
  /** Effects: deleting victims, setting nominatedNodeName, binding. Implemented over the API client. */
  effects: SchedulerEffects;
  /** Runs the Filter plugins of this profile (preemption's dry runs use it). */
  runFilterPlugins(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status;
  runPreFilterExtensionAddPod(state: CycleState, podToSchedule: Pod, podToAdd: Pod, nodeInfo: NodeInfo): Status;
  runPreFilterExtensionRemovePod(state: CycleState, podToSchedule: Pod, podToRemove: Pod, nodeInfo: NodeInfo): Status;
  now(): Date;
  /** Pods nominated to run on a node (preemption clears lower-priority nominations there). */
  nominatedPodsForNode?(nodeName: string): readonly Pod[];
  /** Aborts when the scheduler stops: long waits in binding cycles (PreBind) end early. */
  readonly stopSignal?: AbortSignal;
}

export interface ClusterListers {
  podDisruptionBudgets(namespace: string): readonly import('kubernetes-types/policy/v1.js').PodDisruptionBudget[];
  persistentVolumeClaim(namespace: string, name: string): import('kubernetes-types/core/v1.js').PersistentVolumeClaim | undefined;
  persistentVolume(name: string): import('kubernetes-types/core/v1.js').PersistentVolume | undefined;
  /** Every PersistentVolume (VolumeBinding's static matching); absent means none. */
  persistentVolumes?(): readonly import('kubernetes-types/core/v1.js').PersistentVolume[];
  storageClass(name: string): import('kubernetes-types/storage/v1.js').StorageClass | undefined;
  priorityClass(name: string): import('kubernetes-types/scheduling/v1.js').PriorityClass | undefined;
  /** Labels of a namespace (InterPodAffinity's namespaceSelector). */
  namespaceLabels?(namespace: string): Readonly<Record<string, string>> | undefined;
  /** Owners' selectors for PodTopologySpread's system default constraints. */
  services?(namespace: string): readonly import('kubernetes-types/core/v1.js').Service[];
  replicationController?(namespace: string, name: string): import('kubernetes-types/core/v1.js').ReplicationController | undefined;
  replicaSet?(namespace: string, name: string): import('kubernetes-types/apps/v1.js').ReplicaSet | undefined;
  statefulSet?(namespace: string, name: string): import('kubernetes-types/apps/v1.js').StatefulSet | undefined;
}

export interface SchedulerEffects {
  /** Deletes a victim gracefully (with a DisruptionTarget condition first, as upstream). */
  evictVictim(victim: Pod, preemptor: Pod, reason: string): Promise<void>;
  setNominatedNodeName(pod: Pod, nodeName: string | undefined): Promise<void>;
  bind(pod: Pod, nodeName: string): Promise<void>;
  /** VolumeBinding's PreBind writes (a PV's claimRef, a claim's selected-node); they resolve to the stored object. */
  updatePersistentVolume?(pv: import('kubernetes-types/core/v1.js').PersistentVolume): Promise<import('kubernetes-types/core/v1.js').PersistentVolume>;
  updatePersistentVolumeClaim?(pvc: import('kubernetes-types/core/v1.js').PersistentVolumeClaim): Promise<import('kubernetes-types/core/v1.js').PersistentVolumeClaim>;
}

export interface Plugin {
  readonly name: string;
}

/** A pod waiting in the scheduling queue (upstream QueuedPodInfo). */
export interface QueuedPodInfo {
  pod: Pod;
  /** When the pod was (last) added to the queue, ms since the epoch; orders equal priorities. */
  timestamp: number;
  /** Scheduling attempts so far; drives the backoff. */
  attempts: number;
  /** When the pod was first popped for scheduling. */
  initialAttemptTimestamp?: number;
  /** Plugins that rejected the pod in its last attempt; their events requeue it. */
  unschedulablePlugins: Set<string>;
  /** Set while a PreEnqueue plugin (SchedulingGates) holds the pod back. */
  gatingPlugin?: string;
}

/** Orders the active queue; exactly one per scheduler (the same in every profile). */
export interface QueueSortPlugin extends Plugin {
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}

/** Decides whether a pod may enter the active queue at all (SchedulingGates). */
export interface PreEnqueuePlugin extends Plugin {
  preEnqueue(pod: Pod): Status;
}

/** PreFilter may narrow the candidate nodes (e.g. NodeAffinity on hostname). */
export interface PreFilterResult {
  nodeNames?: ReadonlySet<string>;
}

export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): { result?: PreFilterResult; status: Status };
  /** Incremental updates of the pre-filter state when preemption adds or removes pods. */
  addPod?(state: CycleState, podToSchedule: Pod, podToAdd: Pod, nodeInfo: NodeInfo): Status;
  removePod?(state: CycleState, podToSchedule: Pod, podToRemove: Pod, nodeInfo: NodeInfo): Status;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status;
}

/** Per-node statuses of the Filter phase, by node name. */
export type NodeToStatus = ReadonlyMap<string, Status>;

export interface PostFilterResult {
  nominatedNodeName?: string;
}

export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: Pod, filteredNodeStatuses: NodeToStatus): Promise<{ result?: PostFilterResult; status: Status }>;
}

export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status;
}

export const maxNodeScore = 100;
export const minNodeScore = 0;

export interface NodeScore {
  name: string;
  score: number;
}

export interface ScorePlugin extends Plugin {
  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): { score: number; status: Status };
  /** Rescales the raw scores in place to [minNodeScore, maxNodeScore]. */
  normalizeScore?(state: CycleState, pod: Pod, scores: NodeScore[]): Status;
}

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: Pod, nodeName: string): Status;
  unreserve(state: CycleState, pod: Pod, nodeName: string): void;
}

export interface PermitPlugin extends Plugin {
  /** `Wait` with a timeout in ms delays binding until allowed or rejected. */
  permit(state: CycleState, pod: Pod, nodeName: string): { status: Status; timeoutMs?: number };
}

export interface PreBindPlugin extends Plugin {
  preBind(state: CycleState, pod: Pod, nodeName: string): Promise<Status>;
}

export interface BindPlugin extends Plugin {
  /** `Skip` passes to the next bind plugin. */
  bind(state: CycleState, pod: Pod, nodeName: string): Promise<Status>;
}

export interface PostBindPlugin extends Plugin {
  postBind(state: CycleState, pod: Pod, nodeName: string): void;
}

/** Which cluster changes can make a rejected pod schedulable (for requeueing, QueueingHint-style). */
export type ClusterEvent = 'NodeAdd' | 'NodeUpdate' | 'NodeDelete' | 'PodAdd' | 'PodUpdate' | 'PodDelete' | 'PVCAdd' | 'PVCUpdate' | 'PVAdd' | 'PVUpdate' | 'StorageClassAdd';

export interface EnqueueExtensions {
  eventsToRegister(): readonly ClusterEvent[];
}

/** Builds a plugin from its args (from the scheduler configuration) and the handle. */
export type PluginFactory = (args: Record<string, unknown> | undefined, handle: FrameworkHandle) => Plugin;

export type { Node, Pod };
