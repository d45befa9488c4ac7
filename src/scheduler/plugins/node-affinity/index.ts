/**
 * NodeAffinity (pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go): Filter applies
 * `spec.nodeSelector` and the required node affinity (plus the profile's `addedAffinity`); PreFilter
 * narrows the candidate nodes when every required term names nodes by `metadata.name`; Score sums
 * the weights of matching preferred terms, normalised to 0..100.
 */
import type { NodeAffinity as NodeAffinitySpec, Pod, PreferredSchedulingTerm } from 'kubernetes-types/core/v1.js';
import {
  type ClusterEvent,
  CycleState,
  type EnqueueExtensions,
  type FilterPlugin,
  maxNodeScore,
  type NodeScore,
  type PluginFactory,
  type PreFilterPlugin,
  type PreFilterResult,
  type PreScorePlugin,
  type ScorePlugin,
  Status,
} from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/node-info.js';
import { nodeSelectorMatches, podMatchesNodeSelectorAndAffinityTerms, preferredTermsScore } from '../helper/node-affinity.js';
import { defaultNormalizeScore } from '../helper/normalize-score.js';
import { names } from '../names.js';

export const errReasonPod = "node(s) didn't match Pod's node affinity/selector";
export const errReasonEnforced = "node(s) didn't match scheduler-enforced node affinity";
export const errReasonConflict = 'pod affinity terms conflict';

/** NodeAffinityArgs: affinity the profile adds to every pod. */
export interface NodeAffinityArgs {
  addedAffinity?: NodeAffinitySpec;
}

const preScoreKey = `PreScore${names.NodeAffinity}`;

export class NodeAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = names.NodeAffinity;
  constructor(private readonly args: NodeAffinityArgs = {}) {}

  preFilter(_state: CycleState, pod: Pod): { result?: PreFilterResult; status: Status } {
    const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    if (!required && !this.args.addedAffinity?.requiredDuringSchedulingIgnoredDuringExecution && !pod.spec?.nodeSelector) return { status: Status.skip() };
    const terms = required?.nodeSelectorTerms ?? [];
    if (terms.length === 0) return { status: Status.success() };
    let nodeNames: Set<string> | undefined;
    for (const t of terms) {
      let termNames: Set<string> | undefined;
      for (const r of t.matchFields ?? []) {
        if (r.key !== 'metadata.name' || r.operator !== 'In') continue;
        const s = new Set(r.values ?? []);
        termNames = termNames ? new Set([...termNames].filter((n) => s.has(n))) : s;
      }
      // A term without a metadata.name requirement admits every node: the terms are ORed.
      if (!termNames) return { status: Status.success() };
      nodeNames = new Set([...(nodeNames ?? []), ...termNames]);
    }
    if (nodeNames && nodeNames.size === 0) return { status: Status.unresolvable(errReasonConflict) };
    return { result: nodeNames ? { nodeNames } : undefined, status: Status.success() };
  }

  filter(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    const node = nodeInfo.node;
    if (!node) return Status.error('node not found');
    const added = this.args.addedAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    if (added && !nodeSelectorMatches(added, node)) return Status.unresolvable(errReasonEnforced);
    if (!podMatchesNodeSelectorAndAffinityTerms(pod, node)) return Status.unresolvable(errReasonPod);
    return Status.success();
  }

  preScore(state: CycleState, pod: Pod): Status {
    const terms = [...(this.args.addedAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []), ...(pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [])];
    if (terms.length === 0) return Status.skip();
    state.write(preScoreKey, terms);
    return Status.success();
  }

  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): { score: number; status: Status } {
    const node = nodeInfo.node;
    if (!node) return { score: 0, status: Status.error('node not found') };
    const terms = state.read<PreferredSchedulingTerm[]>(preScoreKey) ?? pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
    return { score: preferredTermsScore(terms, node), status: Status.success() };
  }

  normalizeScore(_state: CycleState, _pod: Pod, scores: NodeScore[]): Status {
    defaultNormalizeScore(maxNodeScore, false, scores);
    return Status.success();
  }

  eventsToRegister(): readonly ClusterEvent[] {
    return ['NodeAdd', 'NodeUpdate'];
  }
}

export const factory: PluginFactory = (args) => new NodeAffinity((args ?? {}) as NodeAffinityArgs);
