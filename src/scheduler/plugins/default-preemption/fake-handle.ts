/**
 * A FrameworkHandle over a fixed list of NodeInfos for unit tests of plugins: it runs the given
 * Filter/PreFilter plugins as the runtime would and records effects instead of calling the API.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { type ClusterListers, CycleState, type FilterPlugin, type FrameworkHandle, type NodeInfoLister, type PreFilterPlugin, Status } from '../../framework/interface.js';
import { NodeInfo } from '../../framework/node-info.js';

export interface RecordedEffect {
  kind: 'evict' | 'nominate' | 'bind';
  pod: string;
  value?: string;
}

export class FakeHandle implements FrameworkHandle {
  nodes: NodeInfo[];
  readonly effectsLog: RecordedEffect[] = [];
  listers: ClusterListers;
  filterPlugins: (FilterPlugin & Partial<PreFilterPlugin>)[] = [];
  nominated = new Map<string, Pod[]>();
  nowValue = new Date('2024-01-01T00:00:00Z');

  constructor(nodes: NodeInfo[], listers: Partial<ClusterListers> & Record<string, unknown> = {}) {
    this.nodes = nodes;
    this.listers = {
      podDisruptionBudgets: () => [],
      persistentVolumeClaim: () => undefined,
      persistentVolume: () => undefined,
      storageClass: () => undefined,
      priorityClass: () => undefined,
      ...listers,
    } as ClusterListers;
  }

  snapshot() {
    const nodes = this.nodes;
    const lister: NodeInfoLister = {
      list: () => nodes,
      get: (n) => nodes.find((x) => x.name === n),
      havePodsWithAffinityList: () => nodes.filter((n) => n.podsWithAffinity.length > 0),
      havePodsWithRequiredAntiAffinityList: () => nodes.filter((n) => n.podsWithRequiredAntiAffinity.length > 0),
    };
    return { nodeInfos: () => lister };
  }

  effects = {
    evictVictim: async (victim: Pod, _preemptor: Pod, reason: string) => {
      this.effectsLog.push({ kind: 'evict', pod: victim.metadata!.name!, value: reason });
    },
    setNominatedNodeName: async (pod: Pod, nodeName: string | undefined) => {
      this.effectsLog.push({ kind: 'nominate', pod: pod.metadata!.name!, value: nodeName });
    },
    bind: async (pod: Pod, nodeName: string) => {
      this.effectsLog.push({ kind: 'bind', pod: pod.metadata!.name!, value: nodeName });
    },
  };

  nominatedPodsForNode(nodeName: string): readonly Pod[] {
    return this.nominated.get(nodeName) ?? [];
  }

  /** Runs PreFilter of the filter plugins into a fresh CycleState (what the runtime does first). */
  preFilter(pod: Pod): CycleState {
    const state = new CycleState();
    for (const p of this.filterPlugins) {
      const r = p.preFilter?.(state, pod, this.nodes);
      if (r?.status.isSkip()) state.skipFilterPlugins.add(p.name);
    }
    return state;
  }

  runFilterPlugins(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    for (const p of this.filterPlugins) {
      if (state.skipFilterPlugins.has(p.name)) continue;
      const s = p.filter(state, pod, nodeInfo);
      if (!s.isSuccess()) return s.withPlugin(p.name);
    }
    return Status.success();
  }

  runPreFilterExtensionAddPod(state: CycleState, podToSchedule: Pod, podToAdd: Pod, nodeInfo: NodeInfo): Status {
    for (const p of this.filterPlugins) {
      if (state.skipFilterPlugins.has(p.name)) continue;
      const s = p.addPod?.(state, podToSchedule, podToAdd, nodeInfo);
      if (s && !s.isSuccess()) return s;
    }
    return Status.success();
  }

  runPreFilterExtensionRemovePod(state: CycleState, podToSchedule: Pod, podToRemove: Pod, nodeInfo: NodeInfo): Status {
    for (const p of this.filterPlugins) {
      if (state.skipFilterPlugins.has(p.name)) continue;
      const s = p.removePod?.(state, podToSchedule, podToRemove, nodeInfo);
      if (s && !s.isSuccess()) return s;
    }
    return Status.success();
  }

  now(): Date {
    return this.nowValue;
  }
}

/** Test fixtures: a node with labels (and optional taints/capacity) holding the given pods. */
export function nodeInfo(name: string, labels: Record<string, string>, pods: Pod[] = [], extra: { taints?: { key: string; value?: string; effect: string }[]; pods?: string } = {}): NodeInfo {
  const ni = new NodeInfo({
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    spec: extra.taints ? { taints: extra.taints } : {},
    status: { allocatable: { cpu: '4', memory: '8Gi', pods: extra.pods ?? '110' } },
  });
  for (const p of pods) ni.addPod({ ...p, spec: { ...p.spec!, nodeName: name } });
  return ni;
}

export function pod(name: string, labels: Record<string, string> = {}, spec: Partial<NonNullable<Pod['spec']>> = {}, ns = 'default'): Pod {
  return { metadata: { name, namespace: ns, labels, uid: `uid-${name}` }, spec: { ...spec, containers: spec.containers ?? [{ name: 'c' }] } };
}
