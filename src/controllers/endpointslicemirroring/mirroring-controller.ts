/**
 * The EndpointSlice mirroring controller (kube-controller-manager's `endpointslicemirroring`):
 * keeps the slices it manages for each selector-less Service equal to the Service's Endpoints
 * (./mirroring.ts), and removes them when the Service gains a selector, loses its Endpoints or
 * goes away. Keys are Service keys `namespace/name`.
 */
import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { isStatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import { builtinRefs } from '../../client/builtin-refs.js';
import { Controller } from '../controller.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { SliceTracker } from '../endpointslice/endpointslice-controller.js';
import { managedByLabel, planSlices, serviceNameLabel, maxEndpointsPerSlice } from '../endpointslice/slice-decisions.js';
import { mirroredGroups, mirroredLabels, mirroringControllerName, shouldMirror } from './mirroring.js';

export function createEndpointSliceMirroringController(ctx: ControllerContext): RunnableController {
  const services = ctx.informers.informerFor<ApiObject>(builtinRefs.services);
  const endpoints = ctx.informers.informerFor<ApiObject>(builtinRefs.endpoints);
  const slices = ctx.informers.informerFor<ApiObject>(builtinRefs.endpointslices);
  const ref = builtinRefs.endpointslices;
  const tracker = new SliceTracker();
  const controller = new Controller({
    name: 'endpointslicemirroring',
    informers: [services, endpoints, slices],
    workers: 1,
    clock: ctx.clock,
    logger: ctx.logger,
    async reconcile(key, signal) {
      const [namespace, name] = key.split('/');
      if (!tracker.caughtUp(key, (n) => slices.get(`${namespace}/${n}`))) return { requeueAfterMs: 50 };
      const svc = services.get(key) as unknown as Service | undefined;
      const eps = endpoints.get(key) as unknown as Endpoints | undefined;
      const mine = (slices.byIndex('namespace', namespace) as unknown as EndpointSlice[]).filter(
        (s) => s.metadata?.labels?.[serviceNameLabel] === name && s.metadata?.labels?.[managedByLabel] === mirroringControllerName,
      );
      let plan: ReturnType<typeof planSlices>;
      if (!shouldMirror(svc, eps)) plan = { create: [], update: [], delete: mine };
      else {
        const family = svc!.spec?.ipFamilies?.[0] === 'IPv6' ? 'IPv6' : 'IPv4';
        plan = planSlices(svc!, family, mirroredGroups(eps!, family), mine, maxEndpointsPerSlice, { manager: mirroringControllerName, baseLabels: mirroredLabels(eps!), placeholder: false });
      }
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
  const enqueue = (o: ApiObject) => controller.enqueue(o);
  services.addEventHandler({ onAdd: enqueue, onUpdate: (_o, s) => enqueue(s), onDelete: enqueue });
  endpoints.addEventHandler({ onAdd: enqueue, onUpdate: (_o, e) => enqueue(e), onDelete: enqueue });
  slices.addEventHandler({
    onUpdate: (_o, s) => {
      const svc = s.metadata.labels?.[serviceNameLabel];
      if (svc && s.metadata.labels?.[managedByLabel] === mirroringControllerName) controller.enqueue(`${s.metadata.namespace}/${svc}`);
    },
    onDelete: (s) => {
      const svc = s.metadata.labels?.[serviceNameLabel];
      if (svc && s.metadata.labels?.[managedByLabel] === mirroringControllerName) controller.enqueue(`${s.metadata.namespace}/${svc}`);
    },
  });
  return controller;
}
