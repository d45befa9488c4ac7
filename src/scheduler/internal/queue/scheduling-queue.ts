/**
 * The scheduling queue (pkg/scheduler/backend/queue/scheduling_queue.go, PriorityQueue):
 * - activeQ: pods ready to be tried, ordered by the QueueSort plugin;
 * - backoffQ: pods that failed recently, released when their backoff (initial·2^(attempts-1),
 *   capped, 1 s → 10 s by default) expires;
 * - unschedulablePods: pods no node fits, moved back when a cluster event one of their rejecting
 *   plugins registered for happens, or after 5 minutes at the latest.
 * A failed pod goes to backoffQ instead when a move request arrived while it was being scheduled
 * (so the event that may have made it schedulable is not lost). Time comes from an injected clock.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { type Clock, realClock, type TimerHandle } from '../../../client/clock.js';
import type { ClusterEvent, QueuedPodInfo, Status } from '../../framework/interface.js';
import { KeyedHeap } from './heap.js';
import { Nominator } from './nominator.js';

export interface SchedulingQueueOptions {
  /** The QueueSort plugin's order. */
  less: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean;
  clock?: Clock;
  podInitialBackoffMs?: number;
  podMaxBackoffMs?: number;
  /** Pods stay unschedulable at most this long before being retried anyway (5 min). */
  podMaxInUnschedulablePodsDurationMs?: number;
  /** How often unschedulable pods are checked for that limit (30 s). */
  unschedulableFlushIntervalMs?: number;
  /** PreEnqueue plugins of the pod's profile (SchedulingGates); a non-success keeps the pod out of activeQ. */
  preEnqueue?: (pod: Pod) => Status;
  /** Events each plugin registered (EnqueueExtensions), over all profiles. */
  pluginEvents?: ReadonlyMap<string, readonly ClusterEvent[]>;
}

export const podKey = (pod: Pod): string => `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;

/** Changes other than status and bookkeeping metadata (upstream isPodUpdated). */
function isPodUpdated(oldPod: Pod, newPod: Pod): boolean {
  const strip = (p: Pod) => ({ ...p, status: undefined, metadata: { ...p.metadata, resourceVersion: undefined, generation: undefined, managedFields: undefined } });
  return JSON.stringify(strip(oldPod)) !== JSON.stringify(strip(newPod));
}

export class SchedulingQueue {
  readonly nominator = new Nominator();
  private readonly clock: Clock;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly activeQ: KeyedHeap<QueuedPodInfo>;
  private readonly backoffQ: KeyedHeap<QueuedPodInfo>;
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  /** Pods popped and not yet done, with their latest object if it changed meanwhile. */
  private readonly inFlight = new Map<string, Pod | undefined>();
  private cycle = 0;
  private moveRequestCycle = -1;
  private waiters: ((p: QueuedPodInfo | undefined) => void)[] = [];
  private closed = false;
  private backoffTimer?: TimerHandle;
  private backoffTimerAt = Infinity;
  private flushTimer?: TimerHandle;

  constructor(private readonly opts: SchedulingQueueOptions) {
    this.clock = opts.clock ?? realClock;
    this.initialBackoffMs = opts.podInitialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.podMaxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = opts.podMaxInUnschedulablePodsDurationMs ?? 5 * 60_000;
    this.activeQ = new KeyedHeap((p) => podKey(p.pod), opts.less);
    this.backoffQ = new KeyedHeap(
      (p) => podKey(p.pod),
      (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b),
    );
  }

  /** Starts the periodic flush of long-unschedulable pods; stops on close(). */
  run(): void {
    const interval = this.opts.unschedulableFlushIntervalMs ?? 30_000;
    const tick = () => {
      if (this.closed) return;
      this.flushUnschedulableLeftover();
      this.flushTimer = this.clock.setTimer(tick, interval);
    };
    this.flushTimer = this.clock.setTimer(tick, interval);
  }

  /** Ends pop() waiters with undefined and cancels the timers. */
  close(): void {
    this.closed = true;
    this.flushTimer?.cancel();
    this.backoffTimer?.cancel();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** The number of the current scheduling cycle (incremented by every pop). */
  schedulingCycle(): number {
    return this.cycle;
  }

  // --- adding and removing -----------------------------------------------------------------------

  private newInfo(pod: Pod): QueuedPodInfo {
    return { pod, timestamp: this.clock.now(), attempts: 0, unschedulablePlugins: new Set() };
  }

  /** A new unscheduled pod (informer add). */
  add(pod: Pod): void {
    const key = podKey(pod);
    if (this.inFlight.has(key)) {
      this.inFlight.set(key, pod);
      return;
    }
    this.backoffQ.delete(key);
    this.unschedulable.delete(key);
    this.moveToActiveQ(this.newInfo(pod));
    this.nominator.add(pod);
  }

  /** An unscheduled pod changed (informer update). */
  update(oldPod: Pod, newPod: Pod): void {
    const key = podKey(newPod);
    if (this.inFlight.has(key)) {
      this.inFlight.set(key, newPod);
      return;
    }
    this.nominator.update(oldPod, newPod);
    const inActive = this.activeQ.get(key);
    if (inActive) {
      inActive.pod = newPod;
      this.activeQ.addOrUpdate(inActive);
      return;
    }
    const inBackoff = this.backoffQ.get(key);
    if (inBackoff) {
      inBackoff.pod = newPod;
      this.backoffQ.addOrUpdate(inBackoff);
      return;
    }
    const parked = this.unschedulable.get(key);
    if (parked) {
      parked.pod = newPod;
      if (!isPodUpdated(oldPod, newPod)) return;
      // The pod itself changed (tolerations, gates, affinity...): it may fit now.
      this.unschedulable.delete(key);
      parked.gatingPlugin = undefined;
      if (this.isBackingOff(parked)) this.addToBackoffQ(parked);
      else this.moveToActiveQ(parked);
      return;
    }
    this.add(newPod);
  }

  /** The pod is gone or no longer ours (deleted, bound, other scheduler). */
  delete(pod: Pod): void {
    const key = podKey(pod);
    this.nominator.delete(pod);
    this.activeQ.delete(key);
    this.backoffQ.delete(key);
    this.unschedulable.delete(key);
    if (this.inFlight.has(key)) this.inFlight.set(key, undefined);
  }

  /** Admits to activeQ unless a PreEnqueue plugin gates it (then it waits with the unschedulable pods). */
  private moveToActiveQ(info: QueuedPodInfo): void {
    const key = podKey(info.pod);
    const gate = this.opts.preEnqueue?.(info.pod);
    if (gate && !gate.isSuccess()) {
      info.gatingPlugin = gate.plugin ?? 'PreEnqueue';
      this.unschedulable.set(key, info);
      return;
    }
    info.gatingPlugin = undefined;
    this.activeQ.addOrUpdate(info);
    const w = this.waiters.shift();
    if (w) w(this.popped(this.activeQ.pop()!));
  }

  // --- popping -----------------------------------------------------------------------------------

  private popped(info: QueuedPodInfo): QueuedPodInfo {
    info.attempts++;
    info.initialAttemptTimestamp ??= this.clock.now();
    this.cycle++;
    this.inFlight.set(podKey(info.pod), info.pod);
    return info;
  }

  /** The next pod to schedule; waits while activeQ is empty; undefined once closed. */
  pop(): Promise<QueuedPodInfo | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const next = this.activeQ.pop();
    if (next) return Promise.resolve(this.popped(next));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Ends the pod's in-flight period. Returns the pod's latest object, or undefined when it was
   * deleted (or left this scheduler) meanwhile.
   */
  done(pod: Pod): Pod | undefined {
    const key = podKey(pod);
    const latest = this.inFlight.get(key);
    this.inFlight.delete(key);
    return latest;
  }

  /**
   * Queues a pod that just failed. `unschedulable` is false for errors (always backoff). Call after
   * `done()`; the pod object should be the latest one.
   */
  addUnschedulableIfNotPresent(info: QueuedPodInfo, podSchedulingCycle: number, unschedulable: boolean): void {
    const key = podKey(info.pod);
    if (this.activeQ.has(key) || this.backoffQ.has(key) || this.unschedulable.has(key)) return;
    info.timestamp = this.clock.now();
    this.nominator.add(info.pod);
    if (!unschedulable || this.moveRequestCycle >= podSchedulingCycle) this.addToBackoffQ(info);
    else this.unschedulable.set(key, info);
  }

  private addToBackoffQ(info: QueuedPodInfo): void {
    this.backoffQ.addOrUpdate(info);
    this.scheduleBackoffFlush();
  }

  // --- backoff -----------------------------------------------------------------------------------

  /** initial·2^(attempts−1), capped at the maximum (calculateBackoffDuration). */
  backoffDuration(info: QueuedPodInfo): number {
    if (info.attempts === 0) return 0;
    let d = this.initialBackoffMs;
    for (let i = 1; i < info.attempts; i++) {
      if (d > this.maxBackoffMs - d) return this.maxBackoffMs;
      d += d;
    }
    return d;
  }

  private backoffExpiry(info: QueuedPodInfo): number {
    return info.timestamp + this.backoffDuration(info);
  }

  private isBackingOff(info: QueuedPodInfo): boolean {
    return this.backoffExpiry(info) > this.clock.now();
  }

  /** Arms one timer for the earliest backoff expiry (instead of upstream's 1 s polling). */
  private scheduleBackoffFlush(): void {
    const head = this.backoffQ.peek();
    if (!head || this.closed) return;
    const at = this.backoffExpiry(head);
    if (this.backoffTimer && this.backoffTimerAt <= at) return;
    this.backoffTimer?.cancel();
    this.backoffTimerAt = at;
    this.backoffTimer = this.clock.setTimer(() => {
      this.backoffTimer = undefined;
      this.backoffTimerAt = Infinity;
      this.flushBackoffQCompleted();
    }, at - this.clock.now());
  }

  /** Moves every pod whose backoff expired to activeQ. */
  flushBackoffQCompleted(): void {
    const now = this.clock.now();
    for (;;) {
      const head = this.backoffQ.peek();
      if (!head || this.backoffExpiry(head) > now) break;
      this.backoffQ.pop();
      this.moveToActiveQ(head);
    }
    this.scheduleBackoffFlush();
  }

  /** Retries pods that have been unschedulable longer than the limit. */
  flushUnschedulableLeftover(): void {
    const now = this.clock.now();
    const due = [...this.unschedulable.values()].filter((p) => !p.gatingPlugin && now - p.timestamp > this.maxUnschedulableMs);
    this.movePods(due);
  }

  // --- cluster events ----------------------------------------------------------------------------

  private matches(info: QueuedPodInfo, event: ClusterEvent): boolean {
    if (info.gatingPlugin) return false;
    if (info.unschedulablePlugins.size === 0) return true;
    for (const name of info.unschedulablePlugins) {
      const events = this.opts.pluginEvents?.get(name);
      // A plugin that registered nothing is retried on every event.
      if (!events || events.includes(event)) return true;
    }
    return false;
  }

  /** A cluster change happened: pods it may help go back to activeQ (or backoffQ while backing off). */
  moveAllToActiveOrBackoffQueue(event: ClusterEvent, filter?: (pod: Pod) => boolean): void {
    const moving = [...this.unschedulable.values()].filter((p) => this.matches(p, event) && (!filter || filter(p.pod)));
    this.movePods(moving);
    this.moveRequestCycle = this.cycle;
  }

  private movePods(list: QueuedPodInfo[]): void {
    for (const info of list) {
      this.unschedulable.delete(podKey(info.pod));
      if (this.isBackingOff(info)) this.addToBackoffQ(info);
      else this.moveToActiveQ(info);
    }
  }

  // --- inspection --------------------------------------------------------------------------------

  /** Counts per sub-queue (for tests, logs and metrics). */
  stats(): { active: number; backoff: number; unschedulable: number; gated: number; inFlight: number } {
    let gated = 0;
    for (const p of this.unschedulable.values()) if (p.gatingPlugin) gated++;
    return { active: this.activeQ.length, backoff: this.backoffQ.length, unschedulable: this.unschedulable.size - gated, gated, inFlight: this.inFlight.size };
  }

  /** Where a pod is: 'active', 'backoff', 'unschedulable', 'gated', 'inFlight' or undefined. */
  whereIs(pod: Pod): string | undefined {
    const key = podKey(pod);
    if (this.activeQ.has(key)) return 'active';
    if (this.backoffQ.has(key)) return 'backoff';
    const u = this.unschedulable.get(key);
    if (u) return u.gatingPlugin ? 'gated' : 'unschedulable';
    if (this.inFlight.has(key)) return 'inFlight';
    return undefined;
  }
}
