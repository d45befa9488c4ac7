/**
 * Legacy API discovery from a client (client-go `discovery.ServerPreferredResources`): the
 * APIResourceList of `/api/v1` and of each group's preferred version under `/apis`. Groups whose
 * list cannot be fetched are reported, not fatal, as upstream's ErrGroupDiscoveryFailed.
 */
import type { APIGroupList, APIResource, APIResourceList, APIVersions } from 'kubernetes-types/meta/v1.js';
import type { ApiClient } from './api-client.js';

/** Some group versions could not be discovered; the rest were. */
export class GroupDiscoveryFailedError extends Error {
  constructor(readonly groups: Map<string, Error>) {
    const parts = [...groups.entries()].map(([gv, e]) => `${gv}: ${e.message}`).sort();
    super(`unable to retrieve the complete list of server APIs: ${parts.join(', ')}`);
    this.name = 'GroupDiscoveryFailedError';
  }
}

export interface DiscoveryResult {
  lists: APIResourceList[];
  /** Set when some group versions failed; `lists` holds the ones that succeeded. */
  error?: GroupDiscoveryFailedError;
}

/** Fetches the preferred-version resource lists. Throws only when the root documents cannot be read. */
export async function serverPreferredResources(client: ApiClient, signal?: AbortSignal): Promise<DiscoveryResult> {
  const [core, groups] = await Promise.all([
    client.request<APIVersions>('GET', '/api', { signal }),
    client.request<APIGroupList>('GET', '/apis', { signal }),
  ]);
  const targets: { gv: string; path: string }[] = [];
  const coreVersion = core.versions?.includes('v1') ? 'v1' : core.versions?.[0];
  if (coreVersion) targets.push({ gv: coreVersion, path: `/api/${coreVersion}` });
  for (const g of groups.groups ?? []) {
    const gv = g.preferredVersion?.groupVersion ?? g.versions?.[0]?.groupVersion;
    if (gv) targets.push({ gv, path: `/apis/${gv}` });
  }
  const failed = new Map<string, Error>();
  const results = await Promise.all(
    targets.map(async (t) => {
      try {
        const list = await client.request<APIResourceList>('GET', t.path, { signal });
        return { ...list, groupVersion: list.groupVersion || t.gv };
      } catch (e) {
        failed.set(t.gv, e as Error);
        return undefined;
      }
    }),
  );
  const lists = results.filter((l): l is APIResourceList => l !== undefined).map((l) => ({ ...l, resources: l.resources.filter((r) => !r.name.includes('/')) }));
  return failed.size ? { lists, error: new GroupDiscoveryFailedError(failed) } : { lists };
}

/** A discovered resource with its group and version parsed out of the list's groupVersion. */
export interface DiscoveredResource {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
  verbs: string[];
  kind: string;
}

/** Flattens resource lists, keeping the resources `keep` accepts. */
export function flattenResources(lists: readonly APIResourceList[], keep: (r: APIResource) => boolean = () => true): DiscoveredResource[] {
  const out: DiscoveredResource[] = [];
  for (const l of lists) {
    const slash = l.groupVersion.indexOf('/');
    const group = slash < 0 ? '' : l.groupVersion.slice(0, slash);
    const version = slash < 0 ? l.groupVersion : l.groupVersion.slice(slash + 1);
    for (const r of l.resources) {
      if (r.name.includes('/') || !keep(r)) continue;
      out.push({ group, version, plural: r.name, namespaced: r.namespaced, verbs: [...r.verbs], kind: r.kind });
    }
  }
  return out;
}
