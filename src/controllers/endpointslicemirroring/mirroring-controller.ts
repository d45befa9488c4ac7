/**
 * The EndpointSlice mirroring controller (kube-controller-manager's `endpointslicemirroring`):
 * keeps the slices it manages for each selector-less Service equal to the Service's Endpoints
 * (./mirroring.ts), and removes them when the Service gains a selector, loses its Endpoints or
 * goes away. Keys are Service keys `namespace/name`.
 */
import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import type { ApiObject } from '../../api/object.js';
import { builtinRefs } from '../../client/builtin-refs.js';
import { Controller } from '../controller.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { SliceTracker, applySlicePlan, managedSlices, staleSliceRetryMs, watchManagedSlices } from '../endpointslice/slice-writer.js';
import { maxEndpointsPerSlice, planSlices } from '../endpointslice/slice-decisions.js';
import { mirroredGroups, mirroredLabels, mirroringControllerName, shouldMirror } from './mirroring.js';

export function createEndpointSliceMirroringController(ctx: ControllerContext): RunnableController {
  const services = ctx.informers.informerFor<ApiObject>(builtinRefs.services);
  const endpoints = ctx.informers.informerFor<ApiObject>(builtinRefs.endpoints);
  const slices = ctx.informers.informerFor<ApiObject>(builtinRefs.endpointslices);
  const tracker = new SliceTracker();
  const controller = new Controller({
    name: 'endpointslicemirroring',
    informers: [services, endpoints, slices],
    workers: 1,
    clock: ctx.clock,
    logger: ctx.logger,
    async reconcile(key, signal) {
      const [namespace, name] = key.split('/');
      if (!tracker.caughtUp(key, (n) => slices.get(`${namespace}/${n}`))) return { requeueAfterMs: staleSliceRetryMs };
      const svc = services.get(key) as unknown as Service | undefined;
      const eps = endpoints.get(key) as unknown as Endpoints | undefined;
      const mine = managedSlices(slices, namespace, name, mirroringControllerName);
      let plan: ReturnType<typeof planSlices>;
      if (!shouldMirror(svc, eps)) plan = { create: [], update: [], delete: mine };
      else {
        const family = svc!.spec?.ipFamilies?.[0] === 'IPv6' ? 'IPv6' : 'IPv4';
        plan = planSlices(svc!, family, mirroredGroups(eps!, family), mine, maxEndpointsPerSlice, { manager: mirroringControllerName, baseLabels: mirroredLabels(eps!), placeholder: false });
      }
      await applySlicePlan(ctx.client, tracker, key, namespace, plan, signal);
    },
  });
  const enqueue = (o: ApiObject) => controller.enqueue(o);
  services.addEventHandler({ onAdd: enqueue, onUpdate: (_o, s) => enqueue(s), onDelete: enqueue });
  endpoints.addEventHandler({ onAdd: enqueue, onUpdate: (_o, e) => enqueue(e), onDelete: enqueue });
  watchManagedSlices(slices, mirroringControllerName, (k) => controller.enqueue(k));
  return controller;
}
