/**
 * API discovery: the legacy documents (/api, /api/v1, /apis, /apis/<group>[/<version>]) and
 * aggregated discovery (apidiscovery.k8s.io/v2 and v2beta1 APIGroupDiscoveryList), built from the
 * resource registry and cached until the set of resources changes.
 */
import { createHash } from 'node:crypto';
import { notFoundPath } from '../../api/errors.js';
import type { ResourceDef } from '../../api/resource.js';
import type { ResourceRegistry } from '../registry/resource-registry.js';
import type { DiscoveryRequest } from './request-info.js';

/** Version preference within a group, as kube-apiserver orders them (GA before beta before alpha). */
function versionPriority(v: string): number {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
  if (!m) return 0;
  const major = Number(m[1]);
  const stage = m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 1 : 2;
  return stage * 1e6 + major * 1e3 + Number(m[3] ?? 0);
}

/** Group order: kube-apiserver's priority list for built-in groups, then alphabetical. */
const groupOrder = ['', 'apps', 'events.k8s.io', 'authentication.k8s.io', 'authorization.k8s.io', 'autoscaling', 'batch', 'certificates.k8s.io', 'networking.k8s.io', 'policy', 'rbac.authorization.k8s.io', 'storage.k8s.io', 'admissionregistration.k8s.io', 'apiextensions.k8s.io', 'scheduling.k8s.io', 'coordination.k8s.io', 'node.k8s.io', 'discovery.k8s.io', 'flowcontrol.apiserver.k8s.io', 'apiregistration.k8s.io'];

const storageVersionHash = (def: ResourceDef): string =>
  createHash('sha256').update(`${def.group}/${def.version}/${def.kind}`).digest().subarray(0, 8).toString('base64');

/** Subresources served by handlers rather than stores (actions, and pods/log proxied to the node), by kind. */
function actionSubresources(d: ResourceDef): { subresource: string; responseKind: { group: string; version: string; kind: string }; verbs: string[] }[] {
  if (!d.group && d.kind === 'ServiceAccount') return [{ subresource: 'token', responseKind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }, verbs: ['create'] }];
  const proxyVerbs = ['create', 'delete', 'get', 'patch', 'update'];
  if (!d.group && d.kind === 'Service') return [{ subresource: 'proxy', responseKind: { group: '', version: 'v1', kind: 'ServiceProxyOptions' }, verbs: proxyVerbs }];
  if (!d.group && d.kind === 'Node') return [{ subresource: 'proxy', responseKind: { group: '', version: 'v1', kind: 'NodeProxyOptions' }, verbs: proxyVerbs }];
  if (d.group || d.kind !== 'Pod') return [];
  return [
    { subresource: 'binding', responseKind: { group: '', version: 'v1', kind: 'Binding' }, verbs: ['create'] },
    { subresource: 'eviction', responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] },
    { subresource: 'log', responseKind: { group: '', version: 'v1', kind: 'Pod' }, verbs: ['get'] },
    { subresource: 'exec', responseKind: { group: '', version: 'v1', kind: 'PodExecOptions' }, verbs: ['create', 'get'] },
    { subresource: 'attach', responseKind: { group: '', version: 'v1', kind: 'PodAttachOptions' }, verbs: ['create', 'get'] },
    { subresource: 'portforward', responseKind: { group: '', version: 'v1', kind: 'PodPortForwardOptions' }, verbs: ['create', 'get'] },
    { subresource: 'proxy', responseKind: { group: '', version: 'v1', kind: 'PodProxyOptions' }, verbs: proxyVerbs },
  ];
}

interface GroupVersions {
  group: string;
  versions: string[];
}

/** A group served by handlers rather than the registry (metrics.k8s.io), listed after the registry's groups as an aggregated API would be. */
export interface HandlerGroup {
  group: string;
  /** Most preferred first. */
  versions: readonly string[];
  /** The version's resources in its APIResourceList. */
  legacyResources(version: string): Record<string, unknown>[];
  /** The version's resources in aggregated discovery (APIResourceDiscovery). */
  aggregatedResources(version: string): Record<string, unknown>[];
}

export class Discovery {
  private cache = new Map<string, string>();

  constructor(
    private readonly registry: ResourceRegistry,
    private readonly serverAddress: () => string,
    private readonly handlerGroups: readonly HandlerGroup[] = [],
  ) {}

  /** Call when resources are added or removed (CRDs). */
  invalidate(): void {
    this.cache.clear();
  }

  private memo(key: string, build: () => unknown): string {
    let v = this.cache.get(key);
    if (v === undefined) {
      v = JSON.stringify(build());
      this.cache.set(key, v);
    }
    return v;
  }

  private groups(): GroupVersions[] {
    const byGroup = new Map<string, Set<string>>();
    for (const e of this.registry.all()) {
      let s = byGroup.get(e.def.group);
      if (!s) byGroup.set(e.def.group, (s = new Set()));
      s.add(e.def.version);
    }
    const rank = (g: string) => {
      const i = groupOrder.indexOf(g);
      return i < 0 ? groupOrder.length : i;
    };
    return [...byGroup.entries()]
      .map(([group, vs]) => ({ group, versions: [...vs].sort((a, b) => versionPriority(b) - versionPriority(a)) }))
      .sort((a, b) => rank(a.group) - rank(b.group) || a.group.localeCompare(b.group))
      .concat(this.handlerGroups.map((h) => ({ group: h.group, versions: [...h.versions] })));
  }

  private defs(group: string, version: string): ResourceDef[] {
    return this.registry
      .all()
      .map((e) => e.def)
      .filter((d) => d.group === group && d.version === version)
      .sort((a, b) => a.plural.localeCompare(b.plural));
  }

  /** Returns the JSON document for a legacy discovery path, or throws 404. */
  /** Resources served by handlers rather than stores (core/v1 `bindings`). */
  private extraResources(group: string, version: string): Record<string, unknown>[] {
    return !group && version === 'v1' ? [{ name: 'bindings', singularName: 'binding', namespaced: true, kind: 'Binding', verbs: ['create'] }] : [];
  }

  legacy(req: DiscoveryRequest): string {
    const key = `${req.prefix}/${req.group ?? ''}/${req.version ?? ''}`;
    return this.memo(key, () => {
      if (req.prefix === 'api' && !req.version) {
        return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: this.serverAddress() }] };
      }
      if (req.prefix === 'apis' && !req.group) {
        return { kind: 'APIGroupList', apiVersion: 'v1', groups: this.groups().filter((g) => g.group).map((g) => this.groupDoc(g)) };
      }
      if (req.prefix === 'apis' && req.group && !req.version) {
        const g = this.groups().find((x) => x.group === req.group);
        if (!g) throw notFoundPath();
        return { kind: 'APIGroup', apiVersion: 'v1', ...this.groupDoc(g) };
      }
      const group = req.prefix === 'api' ? '' : req.group!;
      const handled = this.handlerGroups.find((h) => h.group === group && h.versions.includes(req.version!));
      if (handled) return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${group}/${req.version}`, resources: handled.legacyResources(req.version!) };
      const defs = this.defs(group, req.version!);
      if (!defs.length) throw notFoundPath();
      return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${req.version}` : req.version, resources: [...defs.flatMap((d) => this.resourceEntries(d)), ...this.extraResources(group, req.version!)].sort((a, b) => String(a.name).localeCompare(String(b.name))) };
    });
  }

  private groupDoc(g: GroupVersions) {
    const versions = g.versions.map((v) => ({ groupVersion: `${g.group}/${v}`, version: v }));
    return { name: g.group, versions, preferredVersion: versions[0] };
  }

  private resourceEntries(d: ResourceDef) {
    const main: Record<string, unknown> = { name: d.plural, singularName: d.singular, namespaced: d.namespaced, kind: d.kind, verbs: [...d.verbs] };
    if (d.shortNames?.length) main.shortNames = d.shortNames;
    if (d.categories?.length) main.categories = d.categories;
    main.storageVersionHash = storageVersionHash(d);
    const out = [main];
    if (d.subresources.status) out.push({ name: `${d.plural}/status`, singularName: '', namespaced: d.namespaced, kind: d.kind, verbs: ['get', 'patch', 'update'] });
    if (d.subresources.scale) out.push({ name: `${d.plural}/scale`, singularName: '', namespaced: d.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
    for (const a of actionSubresources(d)) out.push({ name: `${d.plural}/${a.subresource}`, singularName: '', namespaced: d.namespaced, ...(a.responseKind.group ? { group: a.responseKind.group, version: a.responseKind.version } : {}), kind: a.responseKind.kind, verbs: a.verbs });
    return out;
  }

  /** The aggregated discovery document for /api (core) or /apis. */
  aggregated(prefix: 'api' | 'apis', version: 'v2' | 'v2beta1'): string {
    return this.memo(`agg/${prefix}/${version}`, () => {
      const groups = this.groups().filter((g) => (prefix === 'api' ? g.group === '' : g.group !== ''));
      return {
        kind: 'APIGroupDiscoveryList',
        apiVersion: `apidiscovery.k8s.io/${version}`,
        metadata: {},
        items: groups.map((g) => ({
          metadata: g.group ? { name: g.group, creationTimestamp: null } : { creationTimestamp: null },
          versions: g.versions.map((v) => ({
            version: v,
            resources: [
              ...this.defs(g.group, v).map((d) => {
              const r: Record<string, unknown> = {
                resource: d.plural,
                responseKind: { group: d.group, version: d.version, kind: d.kind },
                scope: d.namespaced ? 'Namespaced' : 'Cluster',
                singularResource: d.singular,
                verbs: [...d.verbs],
              };
              if (d.shortNames?.length) r.shortNames = d.shortNames;
              if (d.categories?.length) r.categories = d.categories;
              const subs: Record<string, unknown>[] = [];
              if (d.subresources.status) subs.push({ subresource: 'status', responseKind: { group: d.group, version: d.version, kind: d.kind }, verbs: ['get', 'patch', 'update'] });
              if (d.subresources.scale) subs.push({ subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] });
              subs.push(...actionSubresources(d));
              if (subs.length) r.subresources = subs;
              return r;
              }),
              ...(!g.group && v === 'v1' ? [{ resource: 'bindings', responseKind: { group: '', version: 'v1', kind: 'Binding' }, scope: 'Namespaced', singularResource: 'binding', verbs: ['create'] }] : []),
              ...(this.handlerGroups.find((h) => h.group === g.group)?.aggregatedResources(v) ?? []),
            ].sort((a, b) => String(a.resource).localeCompare(String(b.resource))),
            freshness: 'Current',
          })),
        })),
      };
    });
  }
}
