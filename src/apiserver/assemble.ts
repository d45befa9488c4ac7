/**
 * Builds an ApiServer from its parts: the built-in resources, the schema (validation, pruning,
 * patching and OpenAPI all read the same one), printers, selectors, patches, field management and
 * admission. The CLI and tests call this; nothing here starts anything.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { builtinResources } from '../api/builtin-resources.js';
import { apiVersionOf, type ResourceDef } from '../api/resource.js';
import type { ApiObject } from '../api/object.js';
import { loadSchema } from '../api/schema/load-schema.js';
import { conversions } from '../api/strategies/cluster/conversions.js';
import type { Store } from '../storage/store.js';
import type { Logger } from '../util/logger.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import type { IngressClass } from 'kubernetes-types/networking/v1.js';
import { AdmissionChain, NamespaceLifecycle } from './admission/namespace-lifecycle.js';
import { PriorityAdmission } from './admission/priority.js';
import { DefaultTolerationSeconds } from './admission/default-toleration-seconds.js';
import { DefaultIngressClass } from './admission/default-ingress-class.js';
import { TaintNodesByCondition } from './admission/taint-nodes-by-condition.js';
import { decodeStored } from './registry/codec.js';
import { listPrefix, resourcePrefix } from './registry/keys.js';
import { type Authenticator, UnionAuthenticator } from './auth/authn.js';
import type { ServiceAccountKeys } from './auth/service-account-key.js';
import { type BoundObjectGetter, defaultServiceAccountIssuer, type LiveObject, ServiceAccountAuthenticator, ServiceAccountTokenIssuer } from './auth/service-account-token.js';
import { ServiceAccountAdmission } from './admission/service-account.js';
import { LimitRangerAdmission } from './admission/limit-ranger.js';
import { ResourceQuotaAdmission } from './admission/resource-quota.js';
import type { Admission } from './registry/services.js';
import type { LimitRange, ResourceQuota, ServiceAccount } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../api/errors.js';
import type { ClientCertificate, TlsMaterial } from './auth/tls.js';
import { ManagedFieldsManager } from './machinery/field-manager.js';
import { SchemaPatcher } from './machinery/patcher.js';
import { StructuralSchemaChecker } from './machinery/schema-checker.js';
import { apiSelectors } from './machinery/selectors.js';
import { PrinterTableRenderer } from './machinery/table-renderer.js';
import { openapiDocuments } from './openapi/openapi-documents.js';
import type { RegistryServices } from './registry/services.js';
import { NodePortAllocator, ServiceIPAllocator, defaultNodePortRange, serviceCIDRForNetworkMode, storedServiceCIDR } from './services/allocators.js';
import { ServiceRangeRepair } from './services/repair.js';
import { ServiceAllocations } from './services/service-allocations.js';
import type { ResourceEntry } from './registry/resource-registry.js';
import { ApiServer, type VersionInfo } from './server.js';

export interface AssembleOptions {
  store: Store;
  bindAddress: string;
  port: number;
  tls: TlsMaterial;
  authenticator: Authenticator;
  logger: Logger;
  version: VersionInfo;
  clock?: { now(): Date };
  eventTtlMs?: number;
  /** tolerationSeconds of the not-ready/unreachable tolerations added to pods (upstream --default-not-ready/unreachable-toleration-seconds, 300). */
  defaultTolerationSeconds?: number;
  /** Presented to node agents when proxying pods/log. */
  agentClientCert?: ClientCertificate;
  /** Service ClusterIP range given explicitly (upstream --service-cluster-ip-range). */
  serviceClusterIPRange?: string;
  /** The range when none is given and none is stored yet (the network mode's; default 127.10.0.0/16). */
  defaultServiceClusterIPRange?: string;
  /** Service NodePort range (upstream --service-node-port-range), default 30000-32767. */
  serviceNodePortRange?: string;
  /**
   * Service-account tokens: the signing keys, the issuer (upstream `--service-account-issuer`,
   * default https://kubernetes.default.svc.cluster.local) and the API's audiences (default: the
   * issuer). Without it there is no serviceaccounts/token and no service-account authentication.
   */
  serviceAccounts?: { keys: ServiceAccountKeys; issuer?: string; apiAudiences?: string[] };
  /** Admission plugins to leave out, by upstream name (`--disable-admission-plugins`). */
  disabledAdmissionPlugins?: string[];
}

/** The admission plugins in the order they run (upstream's recommended order, the ones Capstan has). */
export const admissionPluginNames = ['NamespaceLifecycle', 'LimitRanger', 'ServiceAccount', 'Priority', 'TaintNodesByCondition', 'DefaultTolerationSeconds', 'DefaultIngressClass', 'ResourceQuota'] as const;

/** generateName's alphabet (no vowels, no confusable characters), as upstream's SimpleNameGenerator. */
const suffixAlphabet = 'bcdfghjklmnpqrstvwxz2456789';
export function randomNameSuffix(): string {
  const bytes = randomBytes(5);
  return [...bytes].map((b) => suffixAlphabet[b % suffixAlphabet.length]).join('');
}

/** The built-in resources with the version conversions wired in. */
export function servedResources(): ResourceDef[] {
  return builtinResources().map((def) => {
    const conv = conversions[`${apiVersionOf(def)}/${def.kind}`];
    return conv ? { ...def, conversion: conv } : def;
  });
}

/**
 * Every object of a cluster-scoped kind (PriorityClasses, IngressClasses), re-read from storage
 * only when the kind's watch cache has moved on (the objects they admit are written far more often
 * than classes change); `fresh` forces a read, for a name not yet seen.
 */
function classLister<T>(store: Store, entry: () => ResourceEntry): (fresh: boolean) => Promise<T[]> {
  let cached: { head: number; classes: T[] } | undefined;
  return async (fresh) => {
    const e = entry();
    const head = e.cache.headRevision();
    if (!fresh && cached && cached.head === head) return cached.classes;
    const { items } = await store.list(resourcePrefix(e.def));
    const classes = items.map((kv) => decodeStored(kv) as unknown as T);
    cached = { head, classes };
    return classes;
  };
}

/**
 * A namespace's ResourceQuotas for quota admission, which asks on every create in a namespace:
 * every quota is read from storage once and kept until the quota watch cache moves on; `fresh`
 * forces a read (admission's retries and refusals).
 */
function quotaLister(store: Store, entry: () => ResourceEntry): (namespace: string, fresh: boolean) => Promise<ResourceQuota[]> {
  let cached: { head: number; byNamespace: Map<string, ResourceQuota[]> } | undefined;
  return async (namespace, fresh) => {
    const e = entry();
    const head = e.cache.headRevision();
    if (fresh || !cached || cached.head !== head) {
      const { items } = await store.list(resourcePrefix(e.def));
      const byNamespace = new Map<string, ResourceQuota[]>();
      for (const kv of items) {
        const rq = decodeStored(kv) as unknown as ResourceQuota;
        const ns = rq.metadata?.namespace ?? '';
        byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), rq]);
      }
      cached = { head, byNamespace };
    }
    return cached.byNamespace.get(namespace) ?? [];
  };
}

export async function assembleApiServer(o: AssembleOptions): Promise<ApiServer> {
  const resolver = await loadSchema();
  const resources = servedResources();
  const serviceIPs = new ServiceIPAllocator(o.store, o.serviceClusterIPRange ?? (await storedServiceCIDR(o.store)) ?? o.defaultServiceClusterIPRange ?? serviceCIDRForNetworkMode('host'));
  const nodePorts = new NodePortAllocator(o.store, o.serviceNodePortRange ?? defaultNodePortRange);
  const servicesDef = resources.find((d) => d.group === '' && d.kind === 'Service')!;
  let server: ApiServer | undefined;
  const namespaces = () => server!.registry.lookup('', 'v1', 'namespaces')!.store;
  /** A live read of a core/v1 object; undefined when it does not exist. */
  const read = async (plural: string, ns: string | undefined, name: string): Promise<ApiObject | undefined> => {
    try {
      return await server!.registry.lookup('', 'v1', plural)!.store.get(ns, name);
    } catch (e) {
      if (isStatusError(e) && e.code === 404) return undefined;
      throw e;
    }
  };
  const clock = o.clock ?? { now: () => new Date() };
  /** A namespace's objects of a core/v1 kind, read from storage. */
  const listIn = async (plural: string, ns: string): Promise<ApiObject[]> => {
    const { items } = await o.store.list(listPrefix(server!.registry.lookup('', 'v1', plural)!.def, ns));
    return items.map((kv) => decodeStored(kv));
  };
  const plugins: Record<(typeof admissionPluginNames)[number], () => Admission> = {
    NamespaceLifecycle: () =>
      new NamespaceLifecycle(async (name) => {
        try {
          return await namespaces().get(undefined, name);
        } catch {
          return undefined;
        }
      }),
    ServiceAccount: () => new ServiceAccountAdmission({ getServiceAccount: async (ns, name) => (await read('serviceaccounts', ns, name)) as ServiceAccount | undefined, nameSuffix: randomNameSuffix }),
    LimitRanger: () => new LimitRangerAdmission(async (ns) => (await listIn('limitranges', ns)) as unknown as LimitRange[]),
    ResourceQuota: () =>
      new ResourceQuotaAdmission({
        list: quotaLister(o.store, () => server!.registry.lookup('', 'v1', 'resourcequotas')!),
        writeStatus: async (rq) => {
          const rv = rq.metadata?.resourceVersion;
          await server!.registry.lookup('', 'v1', 'resourcequotas')!.store.update(
            rq.metadata?.namespace,
            rq.metadata?.name ?? '',
            (cur) => ({ ...cur!, metadata: { ...cur!.metadata, resourceVersion: rv }, status: rq.status as ApiObject['status'] }),
            { dryRun: false, fieldManager: 'kube-apiserver', subresource: 'status' },
          );
        },
        now: () => clock.now().getTime(),
      }),
    Priority: () => new PriorityAdmission(classLister<PriorityClass>(o.store, () => server!.registry.lookup('scheduling.k8s.io', 'v1', 'priorityclasses')!)),
    TaintNodesByCondition: () => new TaintNodesByCondition(),
    DefaultTolerationSeconds: () => new DefaultTolerationSeconds(o.defaultTolerationSeconds, o.defaultTolerationSeconds),
    DefaultIngressClass: () => {
      const list = classLister<IngressClass>(o.store, () => server!.registry.lookup('networking.k8s.io', 'v1', 'ingressclasses')!);
      return new DefaultIngressClass(() => list(false));
    },
  };
  let authenticator = o.authenticator;
  let tokens: ConstructorParameters<typeof ApiServer>[0]['tokens'];
  if (o.serviceAccounts) {
    const issuerName = o.serviceAccounts.issuer ?? defaultServiceAccountIssuer;
    const apiAudiences = o.serviceAccounts.apiAudiences?.length ? o.serviceAccounts.apiAudiences : [issuerName];
    const issuer = new ServiceAccountTokenIssuer(issuerName, apiAudiences, o.serviceAccounts.keys.privateKey);
    tokens = { issuer, clock };
    const live = async (plural: string, ns: string | undefined, name: string): Promise<LiveObject | undefined> => {
      const obj = await read(plural, ns, name);
      return obj && { uid: obj.metadata.uid ?? '', deletionTimestamp: obj.metadata.deletionTimestamp ?? undefined };
    };
    const get: BoundObjectGetter = {
      serviceAccount: (ns, name) => live('serviceaccounts', ns, name),
      pod: (ns, name) => live('pods', ns, name),
      secret: (ns, name) => live('secrets', ns, name),
      node: (name) => live('nodes', undefined, name),
    };
    const log = o.logger.child('authentication');
    authenticator = new UnionAuthenticator([
      o.authenticator,
      new ServiceAccountAuthenticator({ issuers: [issuerName], apiAudiences, keys: o.serviceAccounts.keys, get, clock, log: (reason) => log.debug('service account token refused', { reason }) }),
    ]);
  }
  const services: RegistryServices = {
    store: o.store,
    clock,
    newUid: () => randomUUID(),
    nameSuffix: randomNameSuffix,
    admission: new AdmissionChain(admissionPluginNames.filter((n) => !o.disabledAdmissionPlugins?.includes(n)).map((n) => plugins[n]())),
    fieldManager: new ManagedFieldsManager(resolver),
    patcher: new SchemaPatcher(resolver),
    selectors: apiSelectors,
    allocations: new Map([['/Service', new ServiceAllocations(serviceIPs, nodePorts)]]),
  };
  server = new ApiServer({
    bindAddress: o.bindAddress,
    port: o.port,
    tls: o.tls,
    authenticator,
    services,
    resources,
    schema: new StructuralSchemaChecker(resolver),
    tables: new PrinterTableRenderer(resolver),
    openapi: (rs) => openapiDocuments(rs, resolver),
    version: o.version,
    logger: o.logger,
    eventTtlMs: o.eventTtlMs,
    agentClientCert: o.agentClientCert,
    background: [new ServiceRangeRepair({ store: o.store, servicesPrefix: resourcePrefix(servicesDef), ips: serviceIPs, ports: nodePorts, logger: o.logger })],
    tokens,
  });
  return server;
}
