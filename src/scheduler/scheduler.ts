/**
 * The scheduler (pkg/scheduler/scheduler.go, schedule_one.go, eventhandlers.go): informer events
 * feed the cache (bound pods, nodes) and the queue (unscheduled pods of our profiles); one loop
 * pops a pod, snapshots the cache, runs the profile's framework, and on success assumes the pod,
 * reserves, permits and binds asynchronously; on failure runs PostFilter (preemption), then
 * records `PodScheduled=False` and a `FailedScheduling` event and requeues the pod.
 */
import type { Node, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { FieldPath } from '../api/field-errors.js';
import { type Clock, realClock } from '../client/clock.js';
import type { Logger } from '../util/logger.js';
import { withDefaults } from './config/defaults.js';
import { defaultSchedulerName, type SchedulerConfiguration, type SchedulerProfile } from './config/types.js';
import { type ArgsValidator, InvalidSchedulerConfigError, validateSchedulerConfiguration } from './config/validation.js';
import type { EventSink } from './event-recorder.js';
import { FitError } from './framework/fit-error.js';
import { type ClusterEvent, type ClusterListers, CycleState, type QueuedPodInfo, type SchedulerEffects, Status } from './framework/interface.js';
import type { Registry } from './framework/registry.js';
import { Framework } from './framework/runtime.js';
import { SchedulerCache } from './internal/cache/cache.js';
import { Snapshot } from './internal/cache/snapshot.js';
import { SchedulingQueue } from './internal/queue/scheduling-queue.js';
import { inTreeArgsValidators, inTreeRegistry } from './plugins/registry.js';
import { PodScheduler } from './schedule-pod.js';

/** Effects on the API, beyond what plugins use. */
export interface SchedulerBackend extends SchedulerEffects {
  /** Patches pod status: the PodScheduled condition, and nominatedNodeName when given (null clears). */
  patchPodStatus(pod: Pod, condition: PodCondition, nominatedNodeName?: string | null): Promise<void>;
}

export interface SchedulerOptions {
  /** The user's configuration (validated here; the scheduler refuses an invalid one). */
  config?: SchedulerConfiguration;
  registry?: Registry;
  argsValidators?: Record<string, ArgsValidator>;
  backend: SchedulerBackend;
  events: EventSink;
  listers: ClusterListers;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  /** Writes in flight at most for bindings (default 256); further pods wait in the binding cycle. */
  maxConcurrentBindings?: number;
}

const schedulerNameOf = (pod: Pod): string => pod.spec?.schedulerName || defaultSchedulerName;
const isAssigned = (pod: Pod): boolean => !!pod.spec?.nodeName;
const isTerminal = (pod: Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
const podRef = (pod: Pod): string => `${pod.metadata?.namespace}/${pod.metadata?.name}`;

/** Node changes that can make a pod fit (upstream nodeSchedulingPropertiesChange). */
function nodeSchedulingPropertiesChanged(a: Node, b: Node): boolean {
  const j = (v: unknown) => JSON.stringify(v ?? null);
  return (
    !!a.spec?.unschedulable !== !!b.spec?.unschedulable ||
    j(a.status?.allocatable) !== j(b.status?.allocatable) ||
    j(a.metadata?.labels) !== j(b.metadata?.labels) ||
    j(a.spec?.taints) !== j(b.spec?.taints) ||
    j(a.metadata?.annotations) !== j(b.metadata?.annotations) ||
    j(a.status?.conditions?.map((c) => [c.type, c.status])) !== j(b.status?.conditions?.map((c) => [c.type, c.status]))
  );
}

export class Scheduler {
  readonly queue: SchedulingQueue;
  readonly cache: SchedulerCache;
  readonly snapshot = new Snapshot();
  readonly profiles = new Map<string, Framework>();
  readonly config: SchedulerConfiguration;
  private readonly algorithm: PodScheduler;
  private readonly clock: Clock;
  private readonly bindings = new Set<Promise<void>>();
  private readonly bindingSlots: (() => void)[] = [];
  private activeBindings = 0;
  /** Aborted when run() is told to stop, so that binding cycles waiting in PreBind give up. */
  private readonly stopping = new AbortController();

  constructor(private readonly opts: SchedulerOptions) {
    const registry = opts.registry ?? inTreeRegistry;
    const errs = validateSchedulerConfiguration(opts.config ?? {}, {
      isRegistered: (n) => Object.hasOwn(registry, n),
      argsValidators: opts.argsValidators ?? inTreeArgsValidators,
    });
    if (errs.length) throw new InvalidSchedulerConfigError(errs);
    this.config = withDefaults(opts.config, (n) => Object.hasOwn(registry, n));
    this.clock = opts.clock ?? realClock;
    this.cache = new SchedulerCache({ clock: this.clock });
    let queue: SchedulingQueue | undefined;
    const rawProfiles: SchedulerProfile[] = opts.config?.profiles ?? [];
    this.config.profiles!.forEach((p, i) => {
      const fwk = new Framework(
        p,
        {
          registry,
          snapshot: () => this.snapshot,
          listers: opts.listers,
          effects: opts.backend,
          now: () => new Date(this.clock.now()),
          nominatedPodsForNode: (n) => queue?.nominator.nominatedPodsForNode(n) ?? [],
          stopSignal: this.stopping.signal,
        },
        rawProfiles[i] ?? {},
        FieldPath.root('profiles').index(i),
      );
      this.profiles.set(fwk.profileName, fwk);
    });
    const first = [...this.profiles.values()][0]!;
    const pluginEvents = new Map<string, readonly ClusterEvent[]>();
    for (const f of this.profiles.values()) for (const [n, ev] of f.eventsToRegister()) pluginEvents.set(n, ev);
    queue = this.queue = new SchedulingQueue({
      less: (a, b) => first.queueSort!.less(a, b),
      clock: this.clock,
      podInitialBackoffMs: (this.config.podInitialBackoffSeconds ?? 1) * 1000,
      podMaxBackoffMs: (this.config.podMaxBackoffSeconds ?? 10) * 1000,
      preEnqueue: (pod) => this.profiles.get(schedulerNameOf(pod))?.runPreEnqueuePlugins(pod) ?? Status.success(),
      pluginEvents,
    });
    this.algorithm = new PodScheduler(this.config.percentageOfNodesToScore ?? 0, opts.random);
  }

  /** True for pods this scheduler's profiles are responsible for. */
  responsibleFor(pod: Pod): boolean {
    return this.profiles.has(schedulerNameOf(pod));
  }

  // --- informer event handlers (eventhandlers.go) ------------------------------------------------

  onPodAdd(pod: Pod): void {
    if (isAssigned(pod)) {
      this.cache.addPod(pod);
      this.queue.moveAllToActiveOrBackoffQueue('PodAdd');
    } else if (this.responsibleFor(pod) && !isTerminal(pod)) this.queue.add(pod);
  }

  onPodUpdate(oldPod: Pod, pod: Pod): void {
    if (isAssigned(pod)) {
      if (!isAssigned(oldPod)) {
        // Bound (by us or someone else): it leaves the queue and joins the cache.
        this.queue.delete(oldPod);
        this.cache.addPod(pod);
        this.queue.moveAllToActiveOrBackoffQueue('PodAdd');
        return;
      }
      this.cache.updatePod(oldPod, pod);
      this.queue.moveAllToActiveOrBackoffQueue(isTerminal(pod) && !isTerminal(oldPod) ? 'PodDelete' : 'PodUpdate');
      return;
    }
    if (this.responsibleFor(pod) && !isTerminal(pod)) {
      if (this.responsibleFor(oldPod)) this.queue.update(oldPod, pod);
      else this.queue.add(pod);
    } else if (this.responsibleFor(oldPod)) this.queue.delete(oldPod);
  }

  onPodDelete(pod: Pod): void {
    if (isAssigned(pod)) {
      this.cache.removePod(pod);
      this.queue.moveAllToActiveOrBackoffQueue('PodDelete');
    } else this.queue.delete(pod);
  }

  onNodeAdd(node: Node): void {
    this.cache.addNode(node);
    this.queue.moveAllToActiveOrBackoffQueue('NodeAdd');
  }

  onNodeUpdate(oldNode: Node, node: Node): void {
    this.cache.updateNode(oldNode, node);
    if (nodeSchedulingPropertiesChanged(oldNode, node)) this.queue.moveAllToActiveOrBackoffQueue('NodeUpdate');
  }

  onNodeDelete(node: Node): void {
    this.cache.removeNode(node);
    this.queue.moveAllToActiveOrBackoffQueue('NodeDelete');
  }

  /** Other relevant changes (PVCs, PVs, StorageClasses). */
  onClusterEvent(event: ClusterEvent): void {
    this.queue.moveAllToActiveOrBackoffQueue(event);
  }

  // --- the loop ----------------------------------------------------------------------------------

  /** Schedules pods until `signal` aborts; then waits for bindings in flight. */
  async run(signal: AbortSignal): Promise<void> {
    this.queue.run();
    const onAbort = () => {
      this.queue.close();
      this.stopping.abort();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    try {
      while (await this.scheduleOne()) {
        // Let informer and HTTP I/O in between cycles: pop() resolves without a macrotask turn.
        await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      await this.waitForBindings();
    }
  }

  /** Resolves once every binding cycle started so far has finished. */
  async waitForBindings(): Promise<void> {
    while (this.bindings.size) await Promise.allSettled([...this.bindings]);
  }

  /** One scheduling cycle; false when the queue has closed. */
  async scheduleOne(): Promise<boolean> {
    const info = await this.queue.pop();
    if (!info) return false;
    const pod = info.pod;
    const fwk = this.profiles.get(schedulerNameOf(pod));
    if (!fwk || pod.metadata?.deletionTimestamp || this.cache.isAssumedPod(pod)) {
      this.queue.done(pod);
      return true;
    }
    const cycle = this.queue.schedulingCycle();
    for (const expired of this.cache.cleanupAssumedPods()) this.opts.logger?.warn('assumed pod expired without binding confirmation', { pod: podRef(expired) });
    this.cache.updateSnapshot(this.snapshot);
    const state = new CycleState();
    let host: string;
    try {
      host = this.algorithm.schedulePod(fwk, state, pod, this.snapshot).suggestedHost;
    } catch (e) {
      await this.handleScheduleFailure(fwk, state, info, e as Error, cycle);
      return true;
    }
    const assumed: Pod = { ...pod, spec: { ...pod.spec!, nodeName: host } };
    try {
      this.cache.assumePod(assumed);
    } catch (e) {
      this.recordFailure(fwk, info, Status.error(e as Error), (e as Error).message, cycle);
      return true;
    }
    const reserve = fwk.runReservePluginsReserve(state, assumed, host);
    const permit = reserve.isSuccess() ? fwk.runPermitPlugins(state, assumed, host) : reserve;
    if (!permit.isSuccess()) {
      fwk.runReservePluginsUnreserve(state, assumed, host);
      this.cache.forgetPod(assumed);
      this.queue.moveAllToActiveOrBackoffQueue('PodDelete');
      this.recordFailure(fwk, info, permit, permit.message(), cycle);
      return true;
    }
    this.queue.done(pod);
    this.queue.nominator.delete(pod);
    const binding = this.bindingCycle(fwk, state, info, assumed, host).finally(() => this.bindings.delete(binding));
    this.bindings.add(binding);
    return true;
  }

  private async acquireBindingSlot(): Promise<void> {
    if (this.activeBindings < (this.opts.maxConcurrentBindings ?? 256)) {
      this.activeBindings++;
      return;
    }
    await new Promise<void>((r) => this.bindingSlots.push(r));
  }

  private releaseBindingSlot(): void {
    const next = this.bindingSlots.shift();
    if (next) next();
    else this.activeBindings--;
  }

  private async bindingCycle(fwk: Framework, state: CycleState, info: QueuedPodInfo, assumed: Pod, host: string): Promise<void> {
    await this.acquireBindingSlot();
    let status: Status;
    try {
      status = await fwk.runPreBindPlugins(state, assumed, host);
      if (status.isSuccess()) status = await fwk.runBindPlugins(state, assumed, host);
    } finally {
      this.releaseBindingSlot();
    }
    if (status.isSuccess()) {
      this.cache.finishBinding(assumed);
      this.opts.events.event(assumed, 'Normal', 'Scheduled', 'Binding', `Successfully assigned ${podRef(assumed)} to ${host}`);
      fwk.runPostBindPlugins(state, assumed, host);
      return;
    }
    fwk.runReservePluginsUnreserve(state, assumed, host);
    this.cache.forgetPod(assumed);
    // Forgetting the pod frees room that other pods may use.
    this.queue.moveAllToActiveOrBackoffQueue('PodDelete');
    const err = status.error as { code?: number } | undefined;
    if (err?.code === 404 || err?.code === 409) {
      // Deleted, or bound by someone else meanwhile: the informer will tell the rest.
      this.opts.logger?.debug('binding rejected', { pod: podRef(assumed), node: host, error: status.message() });
      return;
    }
    this.opts.logger?.warn('binding failed', { pod: podRef(assumed), node: host, error: status.message() });
    this.requeueAndRecord(fwk, info, Status.error(status.message()), `Binding rejected: ${status.message()}`, this.queue.schedulingCycle(), info.pod);
  }

  private async handleScheduleFailure(fwk: Framework, state: CycleState, info: QueuedPodInfo, err: Error, cycle: number): Promise<void> {
    if (!(err instanceof FitError)) {
      this.recordFailure(fwk, info, Status.error(err), err.message, cycle);
      return;
    }
    let nominated: string | undefined;
    if (fwk.postFilterPlugins.length) {
      // Preemption sees every node's status, the ones PreFilter ruled out included.
      const statuses = new Map(err.diagnosis.nodeToStatus);
      if (err.diagnosis.absentNodesStatus) for (const n of this.snapshot.list()) if (!statuses.has(n.name)) statuses.set(n.name, err.diagnosis.absentNodesStatus);
      const { result, status } = await fwk.runPostFilterPlugins(state, info.pod, statuses);
      if (status.code === 'Error') this.opts.logger?.warn('PostFilter failed', { pod: podRef(info.pod), error: status.message() });
      else if (status.message()) err.diagnosis.postFilterMsg = status.message();
      nominated = result?.nominatedNodeName;
    }
    info.unschedulablePlugins = err.diagnosis.unschedulablePlugins;
    this.recordFailure(fwk, info, new Status('Unschedulable', [err.message]), err.message, cycle, nominated);
  }

  /** Ends the in-flight period, requeues the pod and reports the failure (handleSchedulingFailure). */
  private recordFailure(fwk: Framework, info: QueuedPodInfo, status: Status, message: string, cycle: number, nominated?: string): void {
    const latest = this.queue.done(info.pod);
    if (!latest) {
      this.opts.logger?.debug('pod deleted while being scheduled', { pod: podRef(info.pod) });
      return;
    }
    this.requeueAndRecord(fwk, info, status, message, cycle, latest, nominated);
  }

  private requeueAndRecord(_fwk: Framework, info: QueuedPodInfo, status: Status, message: string, cycle: number, latest: Pod, nominated?: string): void {
    if (isAssigned(latest)) return;
    info.pod = latest;
    const unschedulable = status.code === 'Unschedulable' || status.code === 'UnschedulableAndUnresolvable';
    if (!unschedulable) info.unschedulablePlugins = new Set();
    if (nominated) this.queue.nominator.add(latest, nominated);
    this.queue.addUnschedulableIfNotPresent(info, cycle, unschedulable);
    this.opts.events.event(latest, 'Warning', 'FailedScheduling', 'Scheduling', message);
    const reason = unschedulable ? 'Unschedulable' : 'SchedulerError';
    const current = latest.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const nominatedChanged = nominated !== undefined && nominated !== latest.status?.nominatedNodeName;
    if (current && current.status === 'False' && current.reason === reason && current.message === message && !nominatedChanged) return;
    const condition: PodCondition = {
      type: 'PodScheduled',
      status: 'False',
      reason,
      message,
      lastProbeTime: null as unknown as string,
      lastTransitionTime: current?.status === 'False' ? current.lastTransitionTime : new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    this.opts.backend.patchPodStatus(latest, condition, nominated).catch((e) => this.opts.logger?.warn('updating pod condition failed', { pod: podRef(latest), error: (e as Error).message }));
  }
}

export { InvalidSchedulerConfigError };
