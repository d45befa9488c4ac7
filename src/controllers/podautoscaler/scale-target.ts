/**
 * Resolves an HPA's `scaleTargetRef` (apiVersion + kind) to the resource whose `/scale`
 * subresource the controller reads and writes (upstream uses a RESTMapper and the scale client).
 * Built-in kinds come from a table; any other kind is looked up in its group-version's discovery
 * document, which must list `<plural>/scale`.
 */
import type { APIResourceList } from 'kubernetes-types/meta/v1.js';
import type { ApiClient } from '../../client/api-client.js';
import { groupVersionPath, type ResourceRef } from '../../client/resource-path.js';

const builtins: Record<string, string> = {
  'apps/Deployment': 'deployments',
  'apps/ReplicaSet': 'replicasets',
  'apps/StatefulSet': 'statefulsets',
  '/ReplicationController': 'replicationcontrollers',
  'extensions/Deployment': 'deployments',
  'extensions/ReplicaSet': 'replicasets',
};

export function parseApiVersion(apiVersion: string | undefined): { group: string; version: string } {
  const av = apiVersion ?? '';
  const i = av.indexOf('/');
  if (av === '' || av.indexOf('/', i + 1) >= 0) throw new Error(`unexpected GroupVersion string: ${av}`);
  return i < 0 ? { group: '', version: av } : { group: av.slice(0, i), version: av.slice(i + 1) };
}

export class ScaleTargetResolver {
  private readonly cache = new Map<string, ResourceRef>();

  constructor(private readonly client: ApiClient) {}

  async resolve(apiVersion: string | undefined, kind: string, signal?: AbortSignal): Promise<ResourceRef> {
    const gv = parseApiVersion(apiVersion);
    const builtin = builtins[`${gv.group}/${kind}`];
    if (builtin) return { ...gv, plural: builtin, namespaced: true };
    const key = `${apiVersion}/${kind}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const list = await this.client.request<APIResourceList>('GET', groupVersionPath(gv), { signal });
    const main = list.resources.find((r) => r.kind === kind && !r.name.includes('/'));
    if (!main || !list.resources.some((r) => r.name === `${main.name}/scale`)) throw new Error(`no matches for kind "${kind}" in group "${gv.group}" with a scale subresource`);
    const ref = { ...gv, plural: main.name, namespaced: main.namespaced };
    this.cache.set(key, ref);
    return ref;
  }
}
