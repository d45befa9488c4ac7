/**
 * The garbage collector (`pkg/controller/garbagecollector/`): watches every resource that can be
 * listed, watched and deleted, keeps the ownership graph, and
 * - deletes dependents all of whose owners are gone (owner identity checked by uid, with a live
 *   read when the owner is not in the graph) — background cascading deletion;
 * - for an owner being deleted in the foreground (`foregroundDeletion` finalizer), deletes its
 *   dependents and removes the finalizer once no dependent with blockOwnerDeletion remains;
 * - for an owner being deleted with `orphan`, removes its ownerReference from every dependent, then
 *   the finalizer.
 * Queue keys are `d/<uid>` (attempt to delete / process foreground) and `o/<uid>` (orphan).
 */
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { isStatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import { sleep } from '../../client/clock.js';
import { type DiscoveredResource, flattenResources, serverPreferredResources } from '../../client/discovery.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { Controller } from '../controller.js';
import { dependentAction, type OwnerState } from './decisions.js';
import { foregroundFinalizer, type GraphResource, isDeletingDependents, isOrphaning, orphanFinalizer, OwnershipGraph } from './graph.js';

/** Resources the collector never watches (upstream ignoredResources: events are too many and never owners). */
const ignored = new Set(['/events', 'events.k8s.io/events']);

/** Upstream GetDeletableResources: list, watch and delete are all served. */
export function deletableResources(resources: readonly DiscoveredResource[]): DiscoveredResource[] {
  return resources.filter((r) => ['list', 'watch', 'delete'].every((v) => r.verbs.includes(v)) && !ignored.has(`${r.group}/${r.plural}`));
}

const groupOf = (apiVersion: string | undefined): string => {
  const i = (apiVersion ?? '').indexOf('/');
  return i < 0 ? '' : apiVersion!.slice(0, i);
};
const ignorable = (e: unknown): boolean => isStatusError(e) && (e.code === 404 || e.code === 409);

export interface GarbageCollectorOptions {
  workers?: number;
  /** How often new resources (CRDs) are discovered (upstream 30 s). */
  rediscoveryPeriodMs?: number;
}

export class GarbageCollector implements RunnableController {
  readonly graph = new OwnershipGraph();
  private readonly byKind = new Map<string, GraphResource>();
  private readonly watched = new Set<string>();
  /** Owner uids verified absent (upstream absentOwnerCache), bounded. */
  private readonly absent = new Set<string>();
  private readonly controller: Controller;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: GarbageCollectorOptions = {},
  ) {
    this.controller = new Controller({
      name: 'garbagecollector',
      workers: opts.workers ?? 10,
      // The informers are the factory's, created by discovery before the runner starts: wait for all of them.
      informers: [{ start: (signal) => ctx.informers.start(signal), waitForSync: (signal) => ctx.informers.waitForSync(signal) }],
      clock: ctx.clock,
      logger: ctx.logger,
      reconcile: (key, signal) => (key.startsWith('o/') ? this.orphanDependents(key.slice(2), signal) : this.attemptToDelete(key.slice(2), signal)),
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    // Discover until it works: the collector is useless without its resources.
    while (!signal.aborted && !(await this.discover(signal))) await sleep(this.ctx.clock, 5000, signal);
    if (signal.aborted) return;
    const rediscover = this.rediscoveryLoop(signal);
    await this.controller.start(signal);
    await rediscover;
  }

  private async rediscoveryLoop(signal: AbortSignal): Promise<void> {
    const period = this.opts.rediscoveryPeriodMs ?? 30_000;
    while (!signal.aborted) {
      await sleep(this.ctx.clock, period, signal);
      if (!signal.aborted) await this.discover(signal);
    }
  }

  /** Watches every deletable resource not yet watched; true when discovery answered. */
  private async discover(signal: AbortSignal): Promise<boolean> {
    let found: DiscoveredResource[];
    try {
      const { lists, error } = await serverPreferredResources(this.ctx.client, signal);
      if (error) this.ctx.logger.warn('partial discovery', { error: error.message });
      found = deletableResources(flattenResources(lists));
    } catch (e) {
      if (!signal.aborted) this.ctx.logger.warn('discovery failed', { error: (e as Error).message });
      return false;
    }
    for (const r of found) {
      const res: GraphResource = { group: r.group, version: r.version, plural: r.plural, namespaced: r.namespaced, kind: r.kind };
      const kindKey = `${r.group}/${r.kind}`;
      this.byKind.set(kindKey, res);
      if (this.watched.has(kindKey)) continue;
      this.watched.add(kindKey);
      const inf = this.ctx.informers.informerFor(res);
      inf.addEventHandler({
        onAdd: (obj) => this.observe(undefined, obj, res),
        onUpdate: (old, obj) => this.observe(old, obj, res),
        onDelete: (obj) => this.forget(obj),
      });
    }
    return true;
  }

  // --- graph maintenance (event handlers: update the graph, enqueue) ----------------------------

  private observe(old: ApiObject | undefined, obj: ApiObject, res: GraphResource): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    const oldRefs = this.graph.upsert(obj, res) ?? [];
    this.absent.delete(uid);
    if (isDeletingDependents(obj)) this.controller.enqueue(`d/${uid}`);
    if (isOrphaning(obj)) this.controller.enqueue(`o/${uid}`);
    const refs = obj.metadata.ownerReferences ?? [];
    for (const r of refs) {
      const owner = this.graph.get(r.uid);
      if (!owner || isDeletingDependents(owner.obj)) {
        this.controller.enqueue(`d/${uid}`);
        break;
      }
    }
    // References dropped from a dependent may unblock an owner waiting in the foreground.
    for (const r of oldRefs) {
      if (refs.some((x) => x.uid === r.uid)) continue;
      const owner = this.graph.get(r.uid);
      if (owner && isDeletingDependents(owner.obj)) this.controller.enqueue(`d/${r.uid}`);
    }
    void old;
  }

  private forget(obj: ApiObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    this.graph.remove(uid);
    this.remember(uid);
    for (const d of this.graph.dependentsOf(uid)) this.controller.enqueue(`d/${d.uid}`);
    for (const r of obj.metadata.ownerReferences ?? []) {
      const owner = this.graph.get(r.uid);
      if (owner && isDeletingDependents(owner.obj)) this.controller.enqueue(`d/${r.uid}`);
    }
  }

  private remember(uid: string): void {
    this.absent.add(uid);
    if (this.absent.size > 2048) this.absent.delete(this.absent.values().next().value as string);
  }

  // --- reconcile ---------------------------------------------------------------------------------

  /** The state of the owner `ref` names, for a dependent in `namespace` (upstream isDangling). */
  private async ownerState(ref: OwnerReference, namespace: string | undefined, signal: AbortSignal): Promise<OwnerState> {
    const node = this.graph.get(ref.uid);
    if (node) return isDeletingDependents(node.obj) ? 'deletingDependents' : 'present';
    if (this.absent.has(ref.uid)) return 'absent';
    const res = this.byKind.get(`${groupOf(ref.apiVersion)}/${ref.kind}`);
    if (!res) throw new Error(`unable to resolve the owner kind ${ref.kind} (${ref.apiVersion})`);
    // A cluster-scoped dependent cannot have a namespaced owner: such a reference never resolves.
    if (res.namespaced && !namespace) return 'absent';
    try {
      const live = await this.ctx.client.get<ApiObject>(res, ref.name, { namespace: res.namespaced ? namespace : undefined, signal });
      if (live.metadata.uid !== ref.uid) {
        this.remember(ref.uid);
        return 'absent';
      }
      return isDeletingDependents(live) ? 'deletingDependents' : 'present';
    } catch (e) {
      if (isStatusError(e) && e.code === 404) {
        this.remember(ref.uid);
        return 'absent';
      }
      throw e;
    }
  }

  private async attemptToDelete(uid: string, signal: AbortSignal): Promise<void> {
    const node = this.graph.get(uid);
    if (!node) return;
    const { obj, resource } = node;
    if (isDeletingDependents(obj)) return this.processDeletingDependents(node.uid, signal);
    const refs = obj.metadata.ownerReferences ?? [];
    if (!refs.length || obj.metadata.deletionTimestamp) return;
    const states = new Map<string, OwnerState>();
    for (const r of refs) states.set(r.uid, await this.ownerState(r, obj.metadata.namespace, signal));
    const action = dependentAction(obj, (r) => states.get(r.uid)!, this.graph.dependentsOf(uid).length > 0);
    const target = { namespace: obj.metadata.namespace, signal };
    try {
      switch (action.kind) {
        case 'none':
          return;
        case 'removeRefs':
          await this.patchRefs(resource, obj, action.uids.map((u) => ({ $patch: 'delete', uid: u })), signal);
          return;
        case 'unblockAndDelete':
          if (action.uids.length) await this.patchRefs(resource, obj, action.uids.map((u) => ({ uid: u, blockOwnerDeletion: false })), signal);
          await this.ctx.client.delete(resource, obj.metadata.name ?? '', { ...target, propagationPolicy: 'Foreground', preconditions: { uid } });
          return;
        case 'delete':
          this.ctx.logger.debug('deleting dependent', { kind: resource.kind, namespace: obj.metadata.namespace, name: obj.metadata.name, policy: action.policy });
          await this.ctx.client.delete(resource, obj.metadata.name ?? '', { ...target, propagationPolicy: action.policy, preconditions: { uid } });
          return;
      }
    } catch (e) {
      if (ignorable(e)) return;
      throw e;
    }
  }

  /** An owner in foreground deletion: delete its dependents; release it when none blocks any more. */
  private async processDeletingDependents(uid: string, signal: AbortSignal): Promise<void> {
    const blocking = this.graph.blockingDependentsOf(uid);
    for (const d of this.graph.dependentsOf(uid)) {
      if (!d.obj.metadata.deletionTimestamp || isDeletingDependents(d.obj)) this.controller.enqueue(`d/${d.uid}`);
    }
    if (blocking.length === 0) await this.removeFinalizer(uid, foregroundFinalizer, signal);
  }

  private async orphanDependents(uid: string, signal: AbortSignal): Promise<void> {
    const node = this.graph.get(uid);
    if (!node || !isOrphaning(node.obj)) return;
    for (const d of this.graph.dependentsOf(uid)) {
      try {
        await this.patchRefs(d.resource, d.obj, [{ $patch: 'delete', uid }], signal);
      } catch (e) {
        if (!ignorable(e)) throw e;
      }
    }
    await this.removeFinalizer(uid, orphanFinalizer, signal);
  }

  /** A strategic-merge patch of ownerReferences (merge key uid), preconditioned on the object's uid. */
  private patchRefs(resource: GraphResource, obj: ApiObject, entries: Record<string, unknown>[], signal: AbortSignal): Promise<unknown> {
    const patch = { metadata: { ownerReferences: entries, uid: obj.metadata.uid } };
    return this.ctx.client.patch(resource, obj.metadata.name ?? '', patch, 'strategic', { namespace: obj.metadata.namespace, signal });
  }

  /** Removes `finalizer` from the owner with a fresh read and an update, retried on conflict. */
  private async removeFinalizer(uid: string, finalizer: string, signal: AbortSignal): Promise<void> {
    const node = this.graph.get(uid);
    if (!node) return;
    const { resource } = node;
    for (let attempt = 0; attempt < 5; attempt++) {
      let live: ApiObject;
      try {
        live = await this.ctx.client.get<ApiObject>(resource, node.obj.metadata.name ?? '', { namespace: node.obj.metadata.namespace, signal });
      } catch (e) {
        if (isStatusError(e) && e.code === 404) return;
        throw e;
      }
      if (live.metadata.uid !== uid || !(live.metadata.finalizers ?? []).includes(finalizer)) return;
      live.metadata.finalizers = live.metadata.finalizers!.filter((f) => f !== finalizer);
      try {
        await this.ctx.client.update(resource, live, { signal });
        return;
      } catch (e) {
        if (isStatusError(e) && e.code === 404) return;
        if (!(isStatusError(e) && e.code === 409)) throw e;
      }
    }
    throw new Error(`could not remove the ${finalizer} finalizer: too many conflicts`);
  }
}

export function createGarbageCollectorController(ctx: ControllerContext): RunnableController {
  return new GarbageCollector(ctx);
}
