/**
 * The simulated kubelets' node-level work for every node at once: registration (create, or
 * bring an existing Node in line), Lease renewal every 10 s, and node status posted when it
 * differs from what a healthy kubelet reports or every 5 min (kubelet_node_status.go
 * updateNodeStatus with nodeStatusReportFrequency; the Lease is the frequent heartbeat).
 *
 * One timer scans all nodes a few times a second instead of one timer per node; each node's
 * first renewal is staggered over the renewal interval by its index so that thousands of nodes
 * do not renew in the same instant. All writes go through the shared WriteLimiter.
 *
 * A node goes silent (no Lease, no status, no pod work) while it is named in `failHeartbeat` or
 * carries the stop-heartbeat annotation, as if its kubelet had died; removing the annotation
 * revives it. A Node deleted by someone else is not re-registered (the kubelet registers once).
 */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../api/errors.js';
import { jsonEqual } from '../api/object.js';
import type { ApiClient } from '../client/api-client.js';
import type { Clock, TimerHandle } from '../client/clock.js';
import type { Logger } from '../util/logger.js';
import { nodeLeaseNamespace, renewedNodeLease } from './node-lease.js';
import { type SimNodeIdentity, buildSimNode, conditionsHealthy, reconcileNodePatch, simNodeConditions, simNodeIdentity, simNodeStatus } from './node-object.js';
import { type LeaseObject, type NodeObject, leasesRef, nodesRef } from './resources.js';
import { type SimOptions, simAnnotations } from './sim-options.js';
import type { WriteLimiter } from './write-limiter.js';

const tickMs = 200;
const retryMs = 1000;
const registerRetryMs = 5000;

interface NodeEntry {
  id: SimNodeIdentity;
  uid?: string;
  registered: boolean;
  deleted: boolean;
  silencedByFlag: boolean;
  silencedByAnnotation: boolean;
  lease?: Lease;
  nextRegisterAt: number;
  nextRenewAt: number;
  nextStatusAt: number;
  /** A registration, renewal or status write is under way. */
  busy: { register: boolean; lease: boolean; status: boolean };
}

export interface FleetDeps {
  clock: Clock;
  limiter: WriteLimiter;
  /** The node informer's cache (previous conditions, annotations). */
  nodes: { get(name: string): Node | undefined };
  logger?: Logger;
  /** A silent node came back: its pods need a fresh look. */
  onResume?: (nodeName: string) => void;
}

/** What the pod side needs to know of a node. */
export interface SimNodeHost {
  /** The node when it is one of ours, else undefined. */
  nodeFor(name: string): { index: number; hostIP: string } | undefined;
  /** True while the node's simulated kubelet is alive (registered and not silenced). */
  isActive(name: string): boolean;
}

export class NodeFleet implements SimNodeHost {
  private readonly entries: NodeEntry[];
  private readonly byName = new Map<string, NodeEntry>();
  private timer?: TimerHandle;
  private signal?: AbortSignal;

  constructor(
    private readonly client: ApiClient,
    private readonly opts: SimOptions,
    private readonly deps: FleetDeps,
  ) {
    const silenced = new Set(opts.failHeartbeat);
    this.entries = Array.from({ length: opts.nodes }, (_, i) => {
      const id = simNodeIdentity(opts.firstIndex + i, opts);
      const busy = { register: false, lease: false, status: false };
      return { id, registered: false, deleted: false, silencedByFlag: silenced.has(id.name), silencedByAnnotation: false, nextRegisterAt: 0, nextRenewAt: 0, nextStatusAt: 0, busy };
    });
    for (const e of this.entries) this.byName.set(e.id.name, e);
  }

  names(): string[] {
    return this.entries.map((e) => e.id.name);
  }

  registeredCount(): number {
    return this.entries.filter((e) => e.registered).length;
  }

  nodeFor(name: string): { index: number; hostIP: string } | undefined {
    const e = this.byName.get(name);
    return e ? { index: e.id.index, hostIP: e.id.internalIP } : undefined;
  }

  isActive(name: string): boolean {
    const e = this.byName.get(name);
    return !!e && e.registered && !e.deleted && !silent(e);
  }

  /** The node informer saw `node` (added or changed). */
  observe(node: Node): void {
    const e = this.byName.get(node.metadata?.name ?? '');
    if (!e) return;
    const wasSilent = silent(e);
    e.silencedByAnnotation = node.metadata?.annotations?.[simAnnotations.stopHeartbeat] === 'true';
    if (!e.registered) return;
    const now = this.deps.clock.now();
    if (wasSilent && !silent(e)) {
      this.deps.logger?.info('simulated node resumes heartbeating', { node: e.id.name });
      e.nextRenewAt = now;
      e.nextStatusAt = now;
      this.deps.onResume?.(e.id.name);
    } else if (!silent(e) && !conditionsHealthy(node.status?.conditions)) {
      // Someone (the node lifecycle controller) changed what the kubelet reports: correct it now.
      e.nextStatusAt = now;
    }
  }

  /** The node informer saw `node` deleted. */
  forget(node: Node): void {
    const e = this.byName.get(node.metadata?.name ?? '');
    if (!e || !e.registered) return;
    this.deps.logger?.warn('simulated node was deleted; it stops heartbeating', { node: e.id.name });
    e.deleted = true;
  }

  /** Registers every node (a failed one is retried by the ticker); resolves when each was tried once. */
  async registerAll(signal: AbortSignal): Promise<void> {
    this.signal = signal;
    await this.loadLeases(signal);
    await Promise.all(this.entries.map((e) => this.spawn(e, 'register', 'normal', () => this.register(e))));
  }

  /** Renews Leases and posts status until `signal` aborts. */
  startTicking(signal: AbortSignal): void {
    this.signal = signal;
    const tick = () => {
      if (signal.aborted) return;
      this.tick();
      this.timer = this.deps.clock.setTimer(tick, tickMs);
    };
    signal.addEventListener('abort', () => this.timer?.cancel(), { once: true });
    this.timer = this.deps.clock.setTimer(tick, tickMs);
  }

  /** One scan: start whatever is due. Exposed for tests driving a fake clock. */
  tick(): void {
    const now = this.deps.clock.now();
    for (const e of this.entries) {
      if (e.deleted) continue;
      if (!e.registered) {
        if (now >= e.nextRegisterAt) void this.spawn(e, 'register', 'normal', () => this.register(e));
        continue;
      }
      if (silent(e)) continue;
      if (now >= e.nextRenewAt) void this.spawn(e, 'lease', 'high', () => this.renewLease(e));
      if (now >= e.nextStatusAt) void this.spawn(e, 'status', 'high', () => this.postStatus(e));
    }
  }

  /** Runs one kind of write for a node through the limiter, at most one of each kind at a time; never rejects. */
  private async spawn(e: NodeEntry, kind: keyof NodeEntry['busy'], priority: 'high' | 'normal', fn: () => Promise<void>): Promise<void> {
    if (e.busy[kind] || this.signal?.aborted) return;
    e.busy[kind] = true;
    try {
      await this.deps.limiter.run(async () => {
        if (!this.signal?.aborted) await fn();
      }, priority);
    } catch (err) {
      if (this.signal?.aborted) return;
      const now = this.deps.clock.now();
      if (kind === 'register') e.nextRegisterAt = now + registerRetryMs;
      else if (kind === 'lease') {
        e.lease = undefined;
        e.nextRenewAt = now + retryMs;
      } else e.nextStatusAt = now + retryMs;
      this.deps.logger?.warn(`simulated node ${kind} failed`, { node: e.id.name, error: (err as Error).message });
    } finally {
      e.busy[kind] = false;
    }
  }

  private async register(e: NodeEntry): Promise<void> {
    const { clock } = this.deps;
    const signal = this.signal;
    const name = e.id.name;
    let existing = this.deps.nodes.get(name);
    let node: Node | undefined;
    const created = !existing;
    if (!existing) {
      try {
        node = await this.client.create<NodeObject>(nodesRef, buildSimNode(e.id, this.opts, clock.now()), { signal });
      } catch (err) {
        if (!(isStatusError(err) && err.code === 409)) throw err;
        existing = await this.client.get<Node>(nodesRef, name, { signal });
      }
    }
    if (existing) {
      e.silencedByAnnotation = existing.metadata?.annotations?.[simAnnotations.stopHeartbeat] === 'true';
      const patch = reconcileNodePatch(existing, e.id, this.opts);
      node = patch ? await this.client.patch<Node>(nodesRef, name, patch, 'merge', { signal }) : existing;
      const status = this.statusPatch(e, existing);
      if (!silent(e) && status) node = await this.client.patch<Node>(nodesRef, name, { status }, 'merge', { subresource: 'status', signal });
    }
    e.uid = node?.metadata?.uid;
    const now = clock.now();
    if (!silent(e)) await this.renewLease(e, created && !!node);
    e.registered = true;
    // Stagger the nodes' first renewals (and 5-minute status posts) evenly over the interval.
    const share = (e.id.index + 1) / Math.max(1, this.entries.length);
    e.nextRenewAt = now + this.opts.leaseRenewIntervalMs * share;
    e.nextStatusAt = now + this.opts.nodeStatusReportIntervalMs * share;
  }

  /**
   * The full status for an existing Node, with resources we no longer report removed; undefined
   * when the Node already reports it, healthy (the Lease is the heartbeat; the 5-minute post follows).
   */
  private statusPatch(e: NodeEntry, existing: Node): Record<string, unknown> | undefined {
    const want = simNodeStatus(e.id, this.opts, this.deps.clock.now(), existing.status);
    const have = existing.status ?? {};
    const same = (['capacity', 'allocatable', 'addresses', 'nodeInfo', 'daemonEndpoints'] as const).every((f) => jsonEqual(want[f], have[f]));
    if (same && conditionsHealthy(have.conditions)) return undefined;
    const status = want as Record<string, unknown>;
    for (const field of ['capacity', 'allocatable'] as const) {
      const w = status[field] as Record<string, string | null>;
      for (const k of Object.keys(have[field] ?? {})) if (!(k in w)) w[k] = null;
    }
    return status;
  }

  /** One list of the node Leases that exist (a re-run would otherwise read them one by one). */
  private async loadLeases(signal: AbortSignal): Promise<void> {
    try {
      const list = await this.client.list<LeaseObject>(leasesRef, { namespace: nodeLeaseNamespace, signal });
      for (const l of list.items) {
        const e = this.byName.get(l.metadata.name ?? '');
        if (e) e.lease = { ...l, apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' };
      }
    } catch (err) {
      // Not fatal: each renewal reads its Lease instead.
      this.deps.logger?.warn('listing node leases failed', { error: (err as Error).message });
    }
  }

  /** Renews (or creates) the node's Lease; `fresh` says the Node was just created, so its Lease likely does not exist. */
  private async renewLease(e: NodeEntry, fresh = false): Promise<void> {
    const now = this.deps.clock.now();
    const name = e.id.name;
    const signal = this.signal;
    const duration = this.opts.leaseDurationSeconds;
    const ns = { namespace: nodeLeaseNamespace, signal };
    let current = e.lease;
    if (!current && fresh) {
      try {
        e.lease = await this.client.create<LeaseObject>(leasesRef, renewedNodeLease(name, e.uid, duration, now), { signal });
        e.nextRenewAt = now + this.opts.leaseRenewIntervalMs;
        return;
      } catch (err) {
        if (!(isStatusError(err) && err.code === 409)) throw err;
      }
    }
    if (!current) {
      try {
        current = await this.client.get<Lease>(leasesRef, name, ns);
      } catch (err) {
        if (!(isStatusError(err) && err.code === 404)) throw err;
        e.lease = await this.client.create<LeaseObject>(leasesRef, renewedNodeLease(name, e.uid, duration, now), { signal });
        e.nextRenewAt = now + this.opts.leaseRenewIntervalMs;
        return;
      }
    }
    e.lease = await this.client.update<LeaseObject>(leasesRef, renewedNodeLease(name, e.uid, duration, now, current), { signal });
    e.nextRenewAt = now + this.opts.leaseRenewIntervalMs;
  }

  private async postStatus(e: NodeEntry): Promise<void> {
    const now = this.deps.clock.now();
    const previous = this.deps.nodes.get(e.id.name)?.status?.conditions;
    await this.client.patch(nodesRef, e.id.name, { status: { conditions: simNodeConditions(now, previous) } }, 'merge', { subresource: 'status', signal: this.signal });
    e.nextStatusAt = now + this.opts.nodeStatusReportIntervalMs;
  }
}

const silent = (e: NodeEntry): boolean => e.silencedByFlag || e.silencedByAnnotation;
