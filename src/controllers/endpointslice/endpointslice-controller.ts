/**
 * The EndpointSlice controller (kube-controller-manager's `endpointslice`): for every Service with
 * a selector, keeps the EndpointSlices it manages (label `endpointslice.kubernetes.io/managed-by`)
 * equal to the plan of ./slice-decisions.ts. Slices are owned by their Service, so the garbage
 * collector removes them with it. Keys are Service keys `namespace/name`.
 */
import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { isStatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import { builtinRefs } from '../../client/builtin-refs.js';
import { Controller } from '../controller.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { watchServicePods } from '../endpoint/endpoints-controller.js';
import { controllerName, desiredGroups, managedByLabel, planSlices, serviceNameLabel } from './slice-decisions.js';

const zoneLabel = 'topology.kubernetes.io/zone';
/** How soon to look again while the informer has not yet seen this controller's own writes. */
const staleRetryMs = 50;

/**
 * The slices this controller last wrote per Service, so that a sync does not act on a cache that
 * has not caught up with them yet (upstream's endpointSliceTracker): a resourceVersion that must
 * have arrived, or `deleted`.
 */
export class SliceTracker {
  private readonly expected = new Map<string, Map<string, string>>();

  wrote(key: string, slice: ApiObject | EndpointSlice, deleted = false): void {
    const name = slice.metadata?.name ?? '';
    let m = this.expected.get(key);
    if (!m) this.expected.set(key, (m = new Map()));
    m.set(name, deleted ? 'deleted' : (slice.metadata?.resourceVersion ?? '0'));
  }

  /** Whether the cache shows every write made for `key`; met expectations are forgotten. */
  caughtUp(key: string, cached: (name: string) => ApiObject | undefined): boolean {
    const m = this.expected.get(key);
    if (!m) return true;
    for (const [name, rv] of m) {
      const have = cached(name);
      const seen = rv === 'deleted' ? !have : !!have && Number(have.metadata.resourceVersion ?? 0) >= Number(rv);
      if (seen) m.delete(name);
    }
    if (!m.size) this.expected.delete(key);
    return !m.size;
  }

  forget(key: string): void {
    this.expected.delete(key);
  }
}

export function createEndpointSliceController(ctx: ControllerContext): RunnableController {
  const services = ctx.informers.informerFor<ApiObject>(builtinRefs.services);
  const pods = ctx.informers.informerFor<ApiObject>(builtinRefs.pods);
  const nodes = ctx.informers.informerFor<ApiObject>(builtinRefs.nodes);
  const slices = ctx.informers.informerFor<ApiObject>(builtinRefs.endpointslices);
  const ref = builtinRefs.endpointslices;
  const tracker = new SliceTracker();
  const controller = new Controller({
    name: 'endpointslice',
    informers: [services, pods, nodes, slices],
    workers: 2,
    clock: ctx.clock,
    logger: ctx.logger,
    async reconcile(key, signal) {
      const [namespace, name] = key.split('/');
      const svc = services.get(key) as unknown as Service | undefined;
      if (!svc || svc.metadata?.deletionTimestamp) {
        tracker.forget(key);
        return; // the garbage collector removes owned slices
      }
      if (!tracker.caughtUp(key, (n) => slices.get(`${namespace}/${n}`))) return { requeueAfterMs: staleRetryMs };
      if (!svc.spec?.selector || !Object.keys(svc.spec.selector).length) return;
      const existing = (slices.byIndex('namespace', namespace) as unknown as EndpointSlice[]).filter(
        (s) => s.metadata?.labels?.[serviceNameLabel] === name && s.metadata?.labels?.[managedByLabel] === controllerName,
      );
      const family = svc.spec.ipFamilies?.[0] === 'IPv6' ? 'IPv6' : 'IPv4';
      const nodeOf = (n: string) => nodes.get(n) as unknown as Node | undefined;
      const desired = desiredGroups(svc, pods.byIndex('namespace', namespace) as unknown as Pod[], family, nodeOf);
      const plan = planSlices(svc, family, desired, existing);
      try {
        for (const s of plan.delete) {
          await ctx.client.delete(ref, s.metadata?.name ?? '', { namespace, signal }).catch((e: unknown) => {
            if (!(isStatusError(e) && e.code === 404)) throw e;
          });
          tracker.wrote(key, s, true);
        }
        for (const s of plan.update) tracker.wrote(key, await ctx.client.update(ref, s as unknown as ApiObject, { signal }));
        for (const s of plan.create) tracker.wrote(key, await ctx.client.create(ref, s as unknown as ApiObject, { namespace, signal }));
      } catch (e) {
        if (isStatusError(e) && e.code === 403) return; // the namespace is going away
        throw e;
      }
    },
  });
  services.addEventHandler({ onAdd: (s) => controller.enqueue(s), onUpdate: (_o, s) => controller.enqueue(s) });
  const forSlice = (s: ApiObject) => {
    const svc = s.metadata.labels?.[serviceNameLabel];
    if (svc && s.metadata.labels?.[managedByLabel] === controllerName) controller.enqueue(`${s.metadata.namespace}/${svc}`);
  };
  slices.addEventHandler({ onUpdate: (_o, s) => forSlice(s), onDelete: forSlice });
  nodes.addEventHandler({
    onUpdate: (o, n) => {
      if (o.metadata.labels?.[zoneLabel] === n.metadata.labels?.[zoneLabel]) return;
      for (const s of services.list()) controller.enqueue(s);
    },
  });
  watchServicePods(pods, services, (k) => controller.enqueue(k));
  return controller;
}
