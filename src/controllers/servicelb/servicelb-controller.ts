/**
 * The `service-lb` controller (k3s's ServiceLB, status side): keeps `status.loadBalancer.ingress`
 * of LoadBalancer Services without a `loadBalancerClass` equal to the InternalIPs of the Ready
 * nodes, as nodes come, go and change readiness, and empties it when a Service stops being a
 * LoadBalancer. The traffic itself is taken by the service proxy
 * in every node agent, which listens on the node addresses at the Service port. Keys are Service
 * keys `namespace/name`.
 */
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import { builtinRefs } from '../../client/builtin-refs.js';
import { Controller } from '../controller.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { desiredIngress, managedByServiceLB, needsCleanup, statusUpdate } from './servicelb-decisions.js';

export function createServiceLBController(ctx: ControllerContext): RunnableController {
  const services = ctx.informers.informerFor<ApiObject>(builtinRefs.services);
  const nodes = ctx.informers.informerFor<ApiObject>(builtinRefs.nodes);
  const controller = new Controller({
    name: 'service-lb',
    informers: [services, nodes],
    workers: 1,
    clock: ctx.clock,
    logger: ctx.logger,
    async reconcile(key, signal) {
      const svc = services.get(key) as unknown as Service | undefined;
      if (!svc) return;
      const managed = managedByServiceLB(svc);
      if (!managed && !needsCleanup(svc)) return;
      const updated = statusUpdate(svc, managed ? desiredIngress(svc, nodes.list() as unknown as Node[]) : []);
      if (!updated) return;
      try {
        await ctx.client.updateStatus(builtinRefs.services, updated as unknown as ApiObject, { signal });
      } catch (e) {
        if (isStatusError(e) && e.code === 404) return;
        throw e;
      }
    },
  });
  const onService = (s: ApiObject) => {
    const svc = s as unknown as Service;
    if (managedByServiceLB(svc) || needsCleanup(svc)) controller.enqueue(s);
  };
  services.addEventHandler({ onAdd: onService, onUpdate: (_o, s) => onService(s) });
  const allManaged = () => {
    for (const s of services.list()) if (managedByServiceLB(s as unknown as Service)) controller.enqueue(s);
  };
  const addressesOrReadiness = (n: ApiObject) => {
    const node = n as unknown as Node;
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
    const ips = (node.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address).join(',');
    return `${ready}|${ips}|${!!node.metadata?.deletionTimestamp}`;
  };
  nodes.addEventHandler({
    onAdd: allManaged,
    onUpdate: (o, n) => {
      if (addressesOrReadiness(o) !== addressesOrReadiness(n)) allManaged();
    },
    onDelete: allManaged,
  });
  return controller;
}
