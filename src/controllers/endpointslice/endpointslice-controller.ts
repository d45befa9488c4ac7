/**
 * The EndpointSlice controller (kube-controller-manager's `endpointslice`): for every Service with
 * a selector, keeps the EndpointSlices it manages (label `endpointslice.kubernetes.io/managed-by`)
 * equal to the plan of ./slice-decisions.ts. Slices are owned by their Service, so the garbage
 * collector removes them with it. Keys are Service keys `namespace/name`.
 */
import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { ApiObject } from '../../api/object.js';
import { builtinRefs } from '../../client/builtin-refs.js';
import { Controller } from '../controller.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { watchServicePods } from '../endpoint/endpoints-controller.js';
import { controllerName, desiredGroups, planSlices } from './slice-decisions.js';
import { SliceTracker, applySlicePlan, managedSlices, staleSliceRetryMs, watchManagedSlices } from './slice-writer.js';

const zoneLabel = 'topology.kubernetes.io/zone';

export function createEndpointSliceController(ctx: ControllerContext): RunnableController {
  const services = ctx.informers.informerFor<ApiObject>(builtinRefs.services);
  const pods = ctx.informers.informerFor<ApiObject>(builtinRefs.pods);
  const nodes = ctx.informers.informerFor<ApiObject>(builtinRefs.nodes);
  const slices = ctx.informers.informerFor<ApiObject>(builtinRefs.endpointslices);
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
      if (!tracker.caughtUp(key, (n) => slices.get(`${namespace}/${n}`))) return { requeueAfterMs: staleSliceRetryMs };
      if (!svc.spec?.selector || !Object.keys(svc.spec.selector).length) return;
      const existing = managedSlices(slices, namespace, name, controllerName);
      const family = svc.spec.ipFamilies?.[0] === 'IPv6' ? 'IPv6' : 'IPv4';
      const nodeOf = (n: string) => nodes.get(n) as unknown as Node | undefined;
      const desired = desiredGroups(svc, pods.byIndex('namespace', namespace) as unknown as Pod[], family, nodeOf);
      const plan = planSlices(svc, family, desired, existing);
      await applySlicePlan(ctx.client, tracker, key, namespace, plan, signal);
    },
  });
  services.addEventHandler({ onAdd: (s) => controller.enqueue(s), onUpdate: (_o, s) => controller.enqueue(s) });
  watchManagedSlices(slices, controllerName, (k) => controller.enqueue(k));
  nodes.addEventHandler({
    onUpdate: (o, n) => {
      if (o.metadata.labels?.[zoneLabel] === n.metadata.labels?.[zoneLabel]) return;
      for (const s of services.list()) controller.enqueue(s);
    },
  });
  watchServicePods(pods, services, (k) => controller.enqueue(k));
  return controller;
}
