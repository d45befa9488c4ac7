/**
 * The Endpoints controller (kube-controller-manager's `endpoint`): keeps one Endpoints object per
 * Service with a selector, named as the Service, listing the selected pods' addresses and ports
 * (./endpoints-decisions.ts), and deletes it with the Service. Services without a selector keep
 * whatever Endpoints their users write. Keys are Service keys `namespace/name`.
 */
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import { builtinRefs } from '../../client/builtin-refs.js';
import type { Informer } from '../../client/informer.js';
import { Controller } from '../controller.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { desiredEndpoints, endpointsEqual, overCapacityAnnotation } from './endpoints-decisions.js';
import { selectorFromSet } from '../../api/labels.js';

/**
 * Enqueues the services in a pod's namespace whose selector matches the pod's labels before or
 * after a change (upstream getPodServiceMemberships). Shared with the EndpointSlice controller.
 */
export function watchServicePods(pods: Informer<ApiObject>, services: Informer<ApiObject>, enqueue: (key: string) => void): void {
  const forPod = (...versions: ApiObject[]) => {
    const ns = versions[0].metadata.namespace ?? '';
    for (const s of services.byIndex('namespace', ns) as unknown as Service[]) {
      const sel = s.spec?.selector;
      if (!sel || !Object.keys(sel).length) continue;
      const selector = selectorFromSet(sel);
      if (versions.some((p) => selector.matches(p.metadata.labels ?? {}))) enqueue(`${ns}/${s.metadata?.name}`);
    }
  };
  pods.addEventHandler({
    onAdd: (p) => forPod(p),
    onUpdate: (o, p) => {
      if (o.metadata.resourceVersion !== p.metadata.resourceVersion) forPod(o, p);
    },
    onDelete: (p) => forPod(p),
  });
}

export function createEndpointsController(ctx: ControllerContext): RunnableController {
  const services = ctx.informers.informerFor<ApiObject>(builtinRefs.services);
  const pods = ctx.informers.informerFor<ApiObject>(builtinRefs.pods);
  const endpoints = ctx.informers.informerFor<ApiObject>(builtinRefs.endpoints);
  const controller = new Controller({
    name: 'endpoint',
    informers: [services, pods, endpoints],
    workers: 2,
    clock: ctx.clock,
    logger: ctx.logger,
    async reconcile(key, signal) {
      const [namespace, name] = key.split('/');
      const svc = services.get(key) as unknown as Service | undefined;
      const have = endpoints.get(key) as unknown as Endpoints | undefined;
      if (!svc) {
        if (!have) return;
        try {
          await ctx.client.delete(builtinRefs.endpoints, name, { namespace, signal });
        } catch (e) {
          if (!(isStatusError(e) && e.code === 404)) throw e;
        }
        return;
      }
      if (!svc.spec?.selector || !Object.keys(svc.spec.selector).length || svc.metadata?.deletionTimestamp) return;
      const want = desiredEndpoints(svc, pods.byIndex('namespace', namespace) as unknown as Pod[]);
      if (have && endpointsEqual(have, want)) return;
      try {
        if (!have) {
          await ctx.client.create(builtinRefs.endpoints, want as unknown as ApiObject, { namespace, signal });
          return;
        }
        const annotations = { ...(have.metadata?.annotations ?? {}) };
        delete annotations[overCapacityAnnotation];
        Object.assign(annotations, want.metadata?.annotations ?? {});
        const next: Endpoints = { ...have, metadata: { ...have.metadata, labels: want.metadata?.labels, annotations }, subsets: want.subsets };
        if (!Object.keys(annotations).length) delete next.metadata!.annotations;
        await ctx.client.update(builtinRefs.endpoints, next as unknown as ApiObject, { signal });
      } catch (e) {
        // A namespace being deleted refuses new objects; its Service goes soon too.
        if (isStatusError(e) && e.code === 403) return;
        throw e;
      }
    },
  });
  services.addEventHandler({ onAdd: (s) => controller.enqueue(s), onUpdate: (_o, s) => controller.enqueue(s), onDelete: (s) => controller.enqueue(s) });
  endpoints.addEventHandler({ onUpdate: (_o, e) => controller.enqueue(e), onDelete: (e) => controller.enqueue(e) });
  watchServicePods(pods, services, (k) => controller.enqueue(k));
  return controller;
}
