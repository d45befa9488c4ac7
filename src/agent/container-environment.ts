/**
 * A container's environment as the kubelet builds it (makeEnvironmentVariables): reads the
 * ConfigMaps and Secrets its env and envFrom name (each once; a missing one is passed on as
 * absent, so that ./pod/env.ts reports it in upstream's words), then composes the variables
 * with the service variables, the node's allocatable and the pod's and host's addresses.
 */
import type { ConfigMap, Container, Pod, Secret, Service } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../api/errors.js';
import type { ApiClient } from '../client/api-client.js';
import { builtinRefs } from '../client/builtin-refs.js';
import type { ResourceRef } from '../client/resource-path.js';
import { makeEnvironment } from './pod/env.js';

export interface EnvironmentSources {
  client: ApiClient;
  services: () => Service[];
  nodeAllocatable: () => Record<string, string>;
  hostIPs: () => string[];
}

export async function containerEnvironment(src: EnvironmentSources, pod: Pod, spec: Container, podIPs: string[], signal: AbortSignal): Promise<ReturnType<typeof makeEnvironment>> {
  const ns = pod.metadata?.namespace ?? '';
  const configMaps = new Map<string, ConfigMap | undefined>();
  const secrets = new Map<string, Secret | undefined>();
  const fetch = async <T>(ref: ResourceRef, name: string, into: Map<string, T | undefined>) => {
    if (into.has(name)) return;
    try {
      into.set(name, await src.client.get<T>(ref, name, { namespace: ns, signal }));
    } catch (e) {
      if (isStatusError(e) && e.code === 404) into.set(name, undefined);
      else throw e;
    }
  };
  for (const e of spec.env ?? []) {
    if (e.valueFrom?.configMapKeyRef?.name) await fetch(builtinRefs.configmaps, e.valueFrom.configMapKeyRef.name, configMaps);
    if (e.valueFrom?.secretKeyRef?.name) await fetch(builtinRefs.secrets, e.valueFrom.secretKeyRef.name, secrets);
  }
  for (const f of spec.envFrom ?? []) {
    if (f.configMapRef?.name) await fetch(builtinRefs.configmaps, f.configMapRef.name, configMaps);
    if (f.secretRef?.name) await fetch(builtinRefs.secrets, f.secretRef.name, secrets);
  }
  return makeEnvironment({
    pod,
    container: spec,
    lookup: { configMap: (_ns, name) => configMaps.get(name), secret: (_ns, name) => secrets.get(name) },
    services: src.services(),
    nodeAllocatable: src.nodeAllocatable(),
    hostIPs: src.hostIPs(),
    podIPs,
  });
}
