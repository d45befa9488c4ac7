/**
 * Backends → endpoint addresses: a Service port (by number) resolves to the EndpointSlice
 * endpoints of that Service whose slice port has the Service port's name. Ready endpoints are
 * used; when none is ready, serving-and-terminating ones are (as kube-proxy falls back during a
 * rollout's last pod). `resolveEndpoints` is the pure decision; `InformerEndpointSource` caches
 * its answers over shared informers and forgets them on every Service or slice change.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { ApiObject } from '../../api/object.js';
import type { Informer } from '../../client/informer.js';
import type { Backend } from './route-table.js';

export const serviceNameLabel = 'kubernetes.io/service-name';

export interface EndpointAddress {
  ip: string;
  port: number;
}

export type Resolution =
  | { kind: 'ok'; addresses: EndpointAddress[] }
  /** No such Service, or it lacks the port: the engine answers 503 as ingress-nginx does. */
  | { kind: 'no-service' | 'no-port' | 'no-endpoints' };

/** The endpoints serving `port` of `service`, from the slices labelled with its name. */
export function resolveEndpoints(service: Service | undefined, slices: readonly EndpointSlice[], port: number): Resolution {
  if (!service) return { kind: 'no-service' };
  const sp = service.spec?.ports?.find((p) => p.port === port && (p.protocol ?? 'TCP') === 'TCP');
  if (!sp) return { kind: 'no-port' };
  const name = sp.name ?? '';
  const ready: EndpointAddress[] = [];
  const terminating: EndpointAddress[] = [];
  for (const s of slices) {
    if (s.addressType === 'FQDN') continue;
    const slicePort = s.ports?.find((p) => (p.name ?? '') === name && (p.protocol ?? 'TCP') === 'TCP');
    if (!slicePort?.port) continue;
    for (const e of s.endpoints ?? []) {
      const c = e.conditions ?? {};
      const isReady = c.ready ?? true; // nil means ready (discovery/v1)
      const target = isReady ? ready : c.serving && c.terminating ? terminating : undefined;
      if (!target) continue;
      for (const ip of e.addresses ?? []) target.push({ ip, port: slicePort.port });
    }
  }
  const addresses = ready.length ? ready : terminating;
  return addresses.length ? { kind: 'ok', addresses } : { kind: 'no-endpoints' };
}

/** Where the engine asks for a backend's endpoints. Answers may be cached; they must be current. */
export interface EndpointSource {
  resolve(backend: Backend): Resolution;
}

/** Endpoint resolution over Service and EndpointSlice informers, cached until either changes. */
export class InformerEndpointSource implements EndpointSource {
  private cache = new Map<string, Resolution>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly services: Informer<ApiObject>,
    private readonly slices: Informer<ApiObject>,
  ) {
    const clear = () => this.cache.clear();
    for (const inf of [services, slices]) this.unsubscribe.push(inf.addEventHandler({ onAdd: clear, onUpdate: clear, onDelete: clear }));
  }

  resolve(b: Backend): Resolution {
    const key = `${b.namespace}/${b.service}:${b.port}`;
    let r = this.cache.get(key);
    if (!r) {
      const svc = this.services.get(`${b.namespace}/${b.service}`) as unknown as Service | undefined;
      const slices = (this.slices.byIndex('namespace', b.namespace) as unknown as EndpointSlice[]).filter((s) => s.metadata?.labels?.[serviceNameLabel] === b.service);
      r = resolveEndpoints(svc, slices, b.port);
      this.cache.set(key, r);
    }
    return r;
  }

  close(): void {
    for (const u of this.unsubscribe) u();
  }
}
