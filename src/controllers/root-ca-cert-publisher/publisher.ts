/**
 * The root CA certificate publisher (`pkg/controller/certificates/rootcacertpublisher/publisher.go`):
 * every namespace that is not terminating has the ConfigMap `kube-root-ca.crt` whose `ca.crt` is the
 * cluster CA bundle, so that pods can verify the API server. Edited copies are put back.
 */
import type { ConfigMap, Namespace } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import type { ResourceRef } from '../../client/resource-path.js';
import { Controller } from '../controller.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { builtinRefs } from '../../client/builtin-refs.js';

export const rootCaConfigMapName = 'kube-root-ca.crt';
export const descriptionAnnotation = 'kubernetes.io/description';
export const rootCaDescription =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. ' +
  'No other usage is guaranteed across distributions of Kubernetes clusters.';

const namespacesResource: ResourceRef = builtinRefs.namespaces;
export const configMapsResource: ResourceRef = builtinRefs.configmaps;

export type PublishAction = { kind: 'none' } | { kind: 'create'; configMap: ConfigMap } | { kind: 'update'; configMap: ConfigMap };

/** What to do in namespace `ns` given its current `kube-root-ca.crt` (pure; `current` is never mutated). */
export function publishAction(ns: Namespace | undefined, current: ConfigMap | undefined, caPem: string): PublishAction {
  if (!ns || ns.metadata?.deletionTimestamp || ns.status?.phase === 'Terminating') return { kind: 'none' };
  const data = { 'ca.crt': caPem };
  if (!current) {
    return {
      kind: 'create',
      configMap: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: rootCaConfigMapName, namespace: ns.metadata!.name, annotations: { [descriptionAnnotation]: rootCaDescription } }, data },
    };
  }
  const upToDate = current.data?.['ca.crt'] === caPem && Object.keys(current.data ?? {}).length === 1 && !current.binaryData && current.metadata?.annotations?.[descriptionAnnotation] === rootCaDescription;
  if (upToDate) return { kind: 'none' };
  const cm: ConfigMap = JSON.parse(JSON.stringify(current)) as ConfigMap;
  cm.data = data;
  delete cm.binaryData;
  cm.metadata = { ...cm.metadata, annotations: { ...cm.metadata?.annotations, [descriptionAnnotation]: rootCaDescription } };
  return { kind: 'update', configMap: cm };
}

export function createRootCaCertPublisher(ctx: ControllerContext): RunnableController {
  const caPem = ctx.client.config.caPem;
  const namespaces = ctx.informers.informerFor<ApiObject>(namespacesResource);
  const configMaps = ctx.informers.informerFor<ApiObject>(configMapsResource);
  const controller = new Controller({
    name: 'root-ca-cert-publisher',
    informers: [namespaces, configMaps],
    workers: 1,
    clock: ctx.clock,
    logger: ctx.logger,
    async reconcile(key, signal) {
      if (!caPem) return;
      const ns = namespaces.get(key) as Namespace | undefined;
      const current = configMaps.get(`${key}/${rootCaConfigMapName}`) as ConfigMap | undefined;
      const action = publishAction(ns, current, caPem);
      try {
        if (action.kind === 'create') await ctx.client.create(configMapsResource, action.configMap as ApiObject, { signal });
        else if (action.kind === 'update') await ctx.client.update(configMapsResource, action.configMap as ApiObject, { signal });
      } catch (e) {
        // Created meanwhile, or the namespace is going away: the next event decides again.
        if (isStatusError(e) && (e.code === 404 || e.code === 403 || (action.kind === 'create' && e.code === 409))) return;
        throw e;
      }
    },
  });
  if (!caPem) ctx.logger.warn('no CA bundle in the client config: kube-root-ca.crt is not published');
  namespaces.addEventHandler({ onAdd: (ns) => controller.enqueue(ns), onUpdate: (_o, ns) => controller.enqueue(ns) });
  const onConfigMap = (cm: ApiObject) => {
    if (cm.metadata.name === rootCaConfigMapName && cm.metadata.namespace) controller.enqueue(cm.metadata.namespace);
  };
  configMaps.addEventHandler({ onUpdate: (_o, cm) => onConfigMap(cm), onDelete: onConfigMap });
  return controller;
}
