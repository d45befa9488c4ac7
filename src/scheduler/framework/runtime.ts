/**
 * The framework runtime of one profile (pkg/scheduler/framework/runtime/framework.go): it builds
 * the profile's plugins from the registry, expands `multiPoint` into every extension point a
 * plugin implements, and runs each extension point with upstream's rules (PreFilter/PreScore
 * `Skip` skips that plugin's Filter/Score; Filter stops at the first failure on a node; scores
 * are normalised, weighted and summed). It is also the FrameworkHandle plugins receive.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { type FieldError, FieldPath, invalid, required } from '../../api/field-errors.js';
import { extensionPoints, type ExtensionPoint, type PluginRef, type SchedulerProfile } from '../config/types.js';
import { InvalidSchedulerConfigError } from '../config/validation.js';
import {
  type BindPlugin,
  type ClusterEvent,
  type ClusterListers,
  CycleState,
  type FilterPlugin,
  type FrameworkHandle,
  type NodeScore,
  type NodeToStatus,
  type PermitPlugin,
  type Plugin,
  type PostBindPlugin,
  type PostFilterPlugin,
  type PostFilterResult,
  type PreBindPlugin,
  type PreEnqueuePlugin,
  type PreFilterPlugin,
  type PreFilterResult,
  type PreScorePlugin,
  type QueueSortPlugin,
  type ReservePlugin,
  type SchedulerEffects,
  type ScorePlugin,
  type SharedLister,
  Status,
} from './interface.js';
import type { NodeInfo } from './node-info.js';
import type { Registry } from './registry.js';

/** The method that marks a plugin as implementing each extension point. */
const pointMethod: Record<ExtensionPoint, string> = {
  preEnqueue: 'preEnqueue',
  queueSort: 'less',
  preFilter: 'preFilter',
  filter: 'filter',
  postFilter: 'postFilter',
  preScore: 'preScore',
  score: 'score',
  reserve: 'reserve',
  permit: 'permit',
  preBind: 'preBind',
  bind: 'bind',
  postBind: 'postBind',
};

const implementsPoint = (p: Plugin, point: ExtensionPoint): boolean => typeof (p as unknown as Record<string, unknown>)[pointMethod[point]] === 'function';

export interface FrameworkDeps {
  registry: Registry;
  /** The snapshot of the current cycle. */
  snapshot: () => SharedLister;
  listers: ClusterListers;
  effects: SchedulerEffects;
  now?: () => Date;
  /** Pods nominated to run on a node (for filtering with nominated pods). */
  nominatedPodsForNode?: (nodeName: string) => readonly Pod[];
  /** Aborts when the scheduler stops. */
  stopSignal?: AbortSignal;
}

export interface PreFilterOutcome {
  result?: PreFilterResult;
  status: Status;
  /** Plugins whose PreFilter returned node names. */
  pluginsWithNodes: string[];
}

function safe<T>(pluginName: string, fn: () => T, onError: (s: Status) => T): T {
  try {
    return fn();
  } catch (e) {
    return onError(Status.error(e as Error).withPlugin(pluginName));
  }
}

const podPriority = (p: Pod): number => p.spec?.priority ?? 0;

export class Framework implements FrameworkHandle {
  readonly profileName: string;
  readonly percentageOfNodesToScore?: number;
  readonly listers: ClusterListers;
  readonly effects: SchedulerEffects;
  readonly stopSignal?: AbortSignal;
  readonly plugins = new Map<string, Plugin>();
  queueSort?: QueueSortPlugin;
  readonly preEnqueuePlugins: PreEnqueuePlugin[] = [];
  readonly preFilterPlugins: PreFilterPlugin[] = [];
  readonly filterPlugins: FilterPlugin[] = [];
  readonly postFilterPlugins: PostFilterPlugin[] = [];
  readonly preScorePlugins: PreScorePlugin[] = [];
  readonly scorePlugins: ScorePlugin[] = [];
  readonly scoreWeights = new Map<string, number>();
  readonly reservePlugins: ReservePlugin[] = [];
  readonly permitPlugins: PermitPlugin[] = [];
  readonly preBindPlugins: PreBindPlugin[] = [];
  readonly bindPlugins: BindPlugin[] = [];
  readonly postBindPlugins: PostBindPlugin[] = [];

  /**
   * Builds the profile. `profile` is defaulted (plugins merged with the defaults); `raw` is the
   * user's profile, used to name fields in errors; `path` is e.g. `profiles[0]`.
   */
  constructor(
    profile: SchedulerProfile,
    private readonly deps: FrameworkDeps,
    raw: SchedulerProfile = profile,
    path: FieldPath = FieldPath.root('profiles').index(0),
  ) {
    this.profileName = profile.schedulerName ?? 'default-scheduler';
    this.percentageOfNodesToScore = profile.percentageOfNodesToScore;
    this.listers = deps.listers;
    this.effects = deps.effects;
    this.stopSignal = deps.stopSignal;
    const errs: FieldError[] = [];
    const args = new Map((profile.pluginConfig ?? []).map((c) => [c.name, c.args] as const));
    const plugins = profile.plugins ?? {};
    const instance = (name: string, fieldPath: FieldPath): Plugin | undefined => {
      let p = this.plugins.get(name);
      if (p) return p;
      const factory = deps.registry[name];
      if (!factory) {
        errs.push(invalid(fieldPath.child('name'), name, 'unknown plugin'));
        return undefined;
      }
      p = factory(args.get(name), this);
      this.plugins.set(name, p);
      return p;
    };
    const rawIndex = (point: string, name: string): FieldPath => {
      const list = raw.plugins?.[point as ExtensionPoint]?.enabled ?? [];
      const i = list.findIndex((p) => p?.name === name);
      const base = path.child('plugins', point);
      return i >= 0 ? base.child('enabled').index(i) : base;
    };
    const multi = plugins.multiPoint?.enabled ?? [];
    for (const point of extensionPoints) {
      const specific = plugins[point]?.enabled ?? [];
      const disabled = new Set((plugins[point]?.disabled ?? []).map((p) => p.name));
      const specificNames = new Set(specific.map((p) => p.name));
      const ordered: { ref: PluginRef; explicit: boolean; from: string }[] = [];
      // Upstream order: specific entries that override multiPoint ones, multiPoint entries, other specific entries.
      const multiNames = new Set(multi.map((p) => p.name));
      for (const ref of specific) if (multiNames.has(ref.name)) ordered.push({ ref, explicit: true, from: point });
      for (const ref of multi) {
        if (specificNames.has(ref.name) || disabled.has('*') || disabled.has(ref.name)) continue;
        ordered.push({ ref, explicit: false, from: 'multiPoint' });
      }
      for (const ref of specific) if (!multiNames.has(ref.name)) ordered.push({ ref, explicit: true, from: point });
      for (const { ref, explicit, from } of ordered) {
        const p = instance(ref.name, rawIndex(from, ref.name));
        if (!p) continue;
        if (!implementsPoint(p, point)) {
          if (explicit) errs.push(invalid(rawIndex(point, ref.name).child('name'), ref.name, `plugin does not extend ${point} plugin`));
          continue;
        }
        this.addToPoint(point, p, ref);
      }
    }
    if (!this.queueSort) errs.push(required(path.child('plugins', 'queueSort'), 'a queue sort plugin is needed'));
    if (this.bindPlugins.length === 0) errs.push(required(path.child('plugins', 'bind'), 'at least one bind plugin is needed'));
    if (errs.length) throw new InvalidSchedulerConfigError(errs);
  }

  private addToPoint(point: ExtensionPoint, p: Plugin, ref: PluginRef): void {
    switch (point) {
      case 'queueSort':
        this.queueSort ??= p as QueueSortPlugin;
        break;
      case 'preEnqueue':
        this.preEnqueuePlugins.push(p as PreEnqueuePlugin);
        break;
      case 'preFilter':
        this.preFilterPlugins.push(p as PreFilterPlugin);
        break;
      case 'filter':
        this.filterPlugins.push(p as FilterPlugin);
        break;
      case 'postFilter':
        this.postFilterPlugins.push(p as PostFilterPlugin);
        break;
      case 'preScore':
        this.preScorePlugins.push(p as PreScorePlugin);
        break;
      case 'score':
        this.scorePlugins.push(p as ScorePlugin);
        this.scoreWeights.set(p.name, ref.weight || 1);
        break;
      case 'reserve':
        this.reservePlugins.push(p as ReservePlugin);
        break;
      case 'permit':
        this.permitPlugins.push(p as PermitPlugin);
        break;
      case 'preBind':
        this.preBindPlugins.push(p as PreBindPlugin);
        break;
      case 'bind':
        this.bindPlugins.push(p as BindPlugin);
        break;
      case 'postBind':
        this.postBindPlugins.push(p as PostBindPlugin);
        break;
    }
  }

  // --- FrameworkHandle ---------------------------------------------------------------------------

  snapshot(): SharedLister {
    return this.deps.snapshot();
  }

  now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Pods nominated to `nodeName` by earlier preemptions (the preemption plugin reads it). */
  nominatedPodsForNode(nodeName: string): readonly Pod[] {
    return this.deps.nominatedPodsForNode?.(nodeName) ?? [];
  }

  /** Cluster events each plugin wants to requeue its rejected pods on (EnqueueExtensions). */
  eventsToRegister(): Map<string, readonly ClusterEvent[]> {
    const out = new Map<string, readonly ClusterEvent[]>();
    for (const [name, p] of this.plugins) {
      const ext = p as unknown as { eventsToRegister?: () => readonly ClusterEvent[] };
      if (typeof ext.eventsToRegister === 'function') out.set(name, ext.eventsToRegister());
    }
    return out;
  }

  // --- extension points --------------------------------------------------------------------------

  runPreEnqueuePlugins(pod: Pod): Status {
    for (const pl of this.preEnqueuePlugins) {
      const s = safe(pl.name, () => pl.preEnqueue(pod), (e) => e);
      if (!s.isSuccess()) return s.withPlugin(pl.name);
    }
    return Status.success();
  }

  runPreFilterPlugins(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): PreFilterOutcome {
    let result: PreFilterResult | undefined;
    const pluginsWithNodes: string[] = [];
    for (const pl of this.preFilterPlugins) {
      const out = safe(pl.name, () => pl.preFilter(state, pod, nodes), (status) => ({ status, result: undefined }));
      const s = out.status;
      if (s.isSkip()) {
        state.skipFilterPlugins.add(pl.name);
        continue;
      }
      if (!s.isSuccess()) {
        if (s.isRejected()) return { status: s.withPlugin(pl.name), pluginsWithNodes };
        return { status: new Status('Error', [`running PreFilter plugin "${pl.name}": ${s.message()}`], pl.name, s.error), pluginsWithNodes };
      }
      const names = out.result?.nodeNames;
      if (names) {
        pluginsWithNodes.push(pl.name);
        result = { nodeNames: result?.nodeNames ? new Set([...names].filter((n) => result!.nodeNames!.has(n))) : names };
        if (result.nodeNames!.size === 0) {
          const msg = pluginsWithNodes.length === 1 ? `node(s) didn't satisfy plugin ${pluginsWithNodes[0]}` : `node(s) didn't satisfy plugins [${pluginsWithNodes.join(' ')}] simultaneously`;
          return { result, status: Status.unresolvable(msg).withPlugin(pl.name), pluginsWithNodes };
        }
      }
    }
    return { result, status: Status.success(), pluginsWithNodes };
  }

  runPreFilterExtensionAddPod(state: CycleState, podToSchedule: Pod, podToAdd: Pod, nodeInfo: NodeInfo): Status {
    for (const pl of this.preFilterPlugins) {
      if (!pl.addPod || state.skipFilterPlugins.has(pl.name)) continue;
      const s = safe(pl.name, () => pl.addPod!(state, podToSchedule, podToAdd, nodeInfo), (e) => e);
      if (!s.isSuccess()) return Status.error(`running AddPod on PreFilter plugin "${pl.name}": ${s.message()}`).withPlugin(pl.name);
    }
    return Status.success();
  }

  runPreFilterExtensionRemovePod(state: CycleState, podToSchedule: Pod, podToRemove: Pod, nodeInfo: NodeInfo): Status {
    for (const pl of this.preFilterPlugins) {
      if (!pl.removePod || state.skipFilterPlugins.has(pl.name)) continue;
      const s = safe(pl.name, () => pl.removePod!(state, podToSchedule, podToRemove, nodeInfo), (e) => e);
      if (!s.isSuccess()) return Status.error(`running RemovePod on PreFilter plugin "${pl.name}": ${s.message()}`).withPlugin(pl.name);
    }
    return Status.success();
  }

  /** Runs the Filter plugins on one node, stopping at the first that does not succeed. */
  runFilterPlugins(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    for (const pl of this.filterPlugins) {
      if (state.skipFilterPlugins.has(pl.name)) continue;
      let s: Status;
      try {
        s = pl.filter(state, pod, nodeInfo);
      } catch (e) {
        s = Status.error(e as Error);
      }
      if (s.isSuccess()) continue;
      if (!s.isRejected()) return new Status('Error', [`running "${pl.name}" filter plugin: ${s.message()}`], pl.name, s.error);
      return s.withPlugin(pl.name);
    }
    return Status.success();
  }

  /**
   * Filters with the pods nominated to this node (of equal or higher priority) added first, then
   * without them: the pod must fit both ways (RunFilterPluginsWithNominatedPods).
   */
  runFilterPluginsWithNominatedPods(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    const nominated = this.deps.nominatedPodsForNode?.(nodeInfo.name) ?? [];
    if (nominated.length === 0) return this.runFilterPlugins(state, pod, nodeInfo);
    const higher = nominated.filter((p) => p.metadata?.uid !== pod.metadata?.uid && podPriority(p) >= podPriority(pod));
    if (higher.length === 0) return this.runFilterPlugins(state, pod, nodeInfo);
    const stateWith = state.clone();
    const infoWith = nodeInfo.clone();
    for (const p of higher) {
      infoWith.addPod(p);
      const s = this.runPreFilterExtensionAddPod(stateWith, pod, p, infoWith);
      if (!s.isSuccess()) return s;
    }
    const s = this.runFilterPlugins(stateWith, pod, infoWith);
    if (!s.isSuccess()) return s;
    return this.runFilterPlugins(state, pod, nodeInfo);
  }

  async runPostFilterPlugins(state: CycleState, pod: Pod, statuses: NodeToStatus): Promise<{ result?: PostFilterResult; status: Status }> {
    const reasons: string[] = [];
    let rejectedBy: string | undefined;
    for (const pl of this.postFilterPlugins) {
      let out: { result?: PostFilterResult; status: Status };
      try {
        out = await pl.postFilter(state, pod, statuses);
      } catch (e) {
        return { status: Status.error(e as Error).withPlugin(pl.name) };
      }
      if (out.status.isSuccess()) return { result: out.result, status: out.status.withPlugin(pl.name) };
      if (!out.status.isRejected()) return { result: out.result, status: out.status.withPlugin(pl.name) };
      reasons.push(...out.status.reasons);
      rejectedBy ??= pl.name;
    }
    return { status: new Status('Unschedulable', reasons, rejectedBy) };
  }

  runPreScorePlugins(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status {
    for (const pl of this.preScorePlugins) {
      const s = safe(pl.name, () => pl.preScore(state, pod, nodes), (e) => e);
      if (s.isSkip()) {
        state.skipScorePlugins.add(pl.name);
        continue;
      }
      if (!s.isSuccess()) return Status.error(`running PreScore plugin "${pl.name}": ${s.message()}`).withPlugin(pl.name);
    }
    return Status.success();
  }

  /** Weighted total score per node, in the order of `nodes`. */
  runScorePlugins(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): { scores: NodeScore[]; status: Status } {
    const totals: NodeScore[] = nodes.map((n) => ({ name: n.name, score: 0 }));
    for (const pl of this.scorePlugins) {
      if (state.skipScorePlugins.has(pl.name)) continue;
      const scores: NodeScore[] = new Array(nodes.length);
      for (let i = 0; i < nodes.length; i++) {
        let out: { score: number; status: Status };
        try {
          out = pl.score(state, pod, nodes[i]!);
        } catch (e) {
          out = { score: 0, status: Status.error(e as Error) };
        }
        if (!out.status.isSuccess()) return { scores: totals, status: Status.error(`running Score plugin "${pl.name}": ${out.status.message()}`).withPlugin(pl.name) };
        scores[i] = { name: nodes[i]!.name, score: out.score };
      }
      if (pl.normalizeScore) {
        const s = safe(pl.name, () => pl.normalizeScore!(state, pod, scores), (e) => e);
        if (!s.isSuccess()) return { scores: totals, status: Status.error(`running Normalize on Score plugin "${pl.name}": ${s.message()}`).withPlugin(pl.name) };
      }
      const w = this.scoreWeights.get(pl.name) ?? 1;
      for (let i = 0; i < scores.length; i++) {
        const sc = scores[i]!.score;
        if (sc > 100 || sc < 0) return { scores: totals, status: Status.error(`plugin "${pl.name}" returns an invalid score ${sc}, it should in the range of [0, 100] after normalizing`).withPlugin(pl.name) };
        totals[i]!.score += sc * w;
      }
    }
    return { scores: totals, status: Status.success() };
  }

  runReservePluginsReserve(state: CycleState, pod: Pod, nodeName: string): Status {
    for (const pl of this.reservePlugins) {
      const s = safe(pl.name, () => pl.reserve(state, pod, nodeName), (e) => e);
      if (!s.isSuccess()) {
        if (s.isRejected()) return s.withPlugin(pl.name);
        return Status.error(`running Reserve plugin "${pl.name}": ${s.message()}`).withPlugin(pl.name);
      }
    }
    return Status.success();
  }

  /** Unreserve runs on every Reserve plugin, in reverse order, and never fails. */
  runReservePluginsUnreserve(state: CycleState, pod: Pod, nodeName: string): void {
    for (let i = this.reservePlugins.length - 1; i >= 0; i--) {
      const pl = this.reservePlugins[i]!;
      try {
        pl.unreserve(state, pod, nodeName);
      } catch {
        // unreserve must not fail the cycle
      }
    }
  }

  runPermitPlugins(state: CycleState, pod: Pod, nodeName: string): Status {
    for (const pl of this.permitPlugins) {
      const out = safe(pl.name, () => pl.permit(state, pod, nodeName), (status) => ({ status, timeoutMs: undefined }));
      const s = out.status;
      if (s.isSuccess()) continue;
      if (s.isRejected()) return s.withPlugin(pl.name);
      // Waiting needs a handle for other plugins to allow the pod, which the handle does not offer yet.
      if (s.code === 'Wait') return Status.error(`plugin "${pl.name}" asked to wait, which is not supported`).withPlugin(pl.name);
      return Status.error(`running Permit plugin "${pl.name}": ${s.message()}`).withPlugin(pl.name);
    }
    return Status.success();
  }

  async runPreBindPlugins(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    for (const pl of this.preBindPlugins) {
      let s: Status;
      try {
        s = await pl.preBind(state, pod, nodeName);
      } catch (e) {
        s = Status.error(e as Error);
      }
      if (!s.isSuccess()) return s.isRejected() ? s.withPlugin(pl.name) : Status.error(`running PreBind plugin "${pl.name}": ${s.message()}`).withPlugin(pl.name);
    }
    return Status.success();
  }

  async runBindPlugins(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    for (const pl of this.bindPlugins) {
      let s: Status;
      try {
        s = await pl.bind(state, pod, nodeName);
      } catch (e) {
        s = Status.error(e as Error);
      }
      if (s.isSkip()) continue;
      return s.withPlugin(pl.name);
    }
    return Status.error('all bind plugins skipped the pod');
  }

  runPostBindPlugins(state: CycleState, pod: Pod, nodeName: string): void {
    for (const pl of this.postBindPlugins) {
      try {
        pl.postBind(state, pod, nodeName);
      } catch {
        // informational only
      }
    }
  }
}
