/**
 * Allocation of a Service's ClusterIPs, NodePorts and health-check NodePort as it is created,
 * updated and deleted (upstream's pkg/registry/core/service/storage alloc.go, single-stack
 * flavour): IP-family fields are defaulted for the cluster, requested values are reserved or
 * refused with 422, missing ones are taken from the ranges, and values an update stops using are
 * released only once the write has succeeded.
 */
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { internal, invalidError } from '../../api/errors.js';
import { type FieldError, invalid } from '../../api/field-errors.js';
import type { ApiObject } from '../../api/object.js';
import { goStringSlice, ipFamilyOf } from '../../api/strategies/cluster/util.js';
import type { AllocationTransaction, WriteAllocations } from '../registry/services.js';
import { AllocationError, type NodePortAllocator, type ServiceIPAllocator } from './allocators.js';
import { RangeFullError } from './stored-range.js';

type Spec = NonNullable<Service['spec']>;

const serviceKind = { group: '', kind: 'Service' };
const needsNodePorts = (s: Spec): boolean => s.type === 'NodePort' || s.type === 'LoadBalancer';
const needsHealthCheck = (s: Spec): boolean => s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local';
const isHeadless = (s: Spec): boolean => (s.clusterIPs ?? [])[0] === 'None' || s.clusterIP === 'None';
/** LoadBalancer services may opt out of node ports; explicit ones are still honoured. */
const allocatesNodePorts = (s: Spec): boolean => s.type === 'NodePort' || (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts !== false);

/** Every node port a service holds (its ports' and the health check's), without repeats. */
export function serviceNodePorts(spec: Spec): number[] {
  const out = new Set<number>();
  for (const p of spec.ports ?? []) if (p.nodePort) out.add(p.nodePort);
  if (spec.healthCheckNodePort) out.add(spec.healthCheckNodePort);
  return [...out];
}

/** The allocated cluster IPs of a service (not `None`). */
export function serviceClusterIPs(spec: Spec): string[] {
  if (spec.type === 'ExternalName' || isHeadless(spec)) return [];
  return (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter((ip) => ip && ip !== 'None');
}

/**
 * Defaults ipFamilyPolicy and ipFamilies for a single-stack IPv4 cluster and refuses what it
 * cannot serve (upstream's initIPFamilyFields). Returns field errors.
 */
export function initIPFamilyFields(spec: Spec, old: Spec | undefined): FieldError[] {
  if (spec.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const selectorless = Object.keys(spec.selector ?? {}).length === 0;
  if (spec.ipFamilyPolicy === undefined) {
    if (old?.ipFamilyPolicy) spec.ipFamilyPolicy = old.ipFamilyPolicy;
    else spec.ipFamilyPolicy = spec.clusterIP === 'None' && selectorless ? 'RequireDualStack' : 'SingleStack';
  }
  const ips = spec.clusterIPs ?? [];
  if (spec.ipFamilyPolicy === 'SingleStack') {
    if (ips.length === 2) errs.push(invalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"));
    if ((spec.ipFamilies ?? []).length === 2) errs.push(invalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"));
  }
  const families = [...(spec.ipFamilies ?? [])];
  for (let i = 0; i < ips.length && ips[i] !== 'None'; i++) {
    const fam = ipFamilyOf(ips[i]);
    if (i < families.length || !fam) continue;
    if (fam !== 'IPv4') errs.push(invalid(`spec.clusterIPs[${i}]`, goStringSlice(ips), `${fam} is not configured on this cluster`));
    else families.push(fam);
  }
  if (errs.length) return errs;
  if (spec.clusterIP === 'None' && selectorless) {
    // Headless and selectorless: any families are allowed; a dual-stack policy lists both.
    if (!families.length) families.push('IPv4');
    if (families.length < 2 && spec.ipFamilyPolicy !== 'SingleStack') families.push(families[0] === 'IPv4' ? 'IPv6' : 'IPv4');
    spec.ipFamilies = families;
    return [];
  }
  if (spec.ipFamilyPolicy === 'RequireDualStack') errs.push(invalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy, 'this cluster is not configured for dual-stack services'));
  families.forEach((f, i) => {
    if (f !== 'IPv4') errs.push(invalid(`spec.ipFamilies[${i}]`, f, 'not configured on this cluster'));
  });
  if (errs.length) return errs;
  spec.ipFamilies = families.length ? families : ['IPv4'];
  return [];
}

/** A bundle of undo and deferred-release steps. */
class Transaction implements AllocationTransaction {
  readonly undo: (() => Promise<void>)[] = [];
  readonly onCommit: (() => Promise<void>)[] = [];

  async commit(): Promise<void> {
    for (const f of this.onCommit) await f();
  }

  async revert(): Promise<void> {
    for (const f of this.undo.reverse()) await f();
    this.undo.length = 0;
  }
}

export class ServiceAllocations implements WriteAllocations {
  constructor(
    private readonly ips: ServiceIPAllocator,
    private readonly ports: NodePortAllocator,
  ) {}

  async beginCreate(obj: ApiObject, opts: { dryRun: boolean }): Promise<AllocationTransaction> {
    const svc = obj as unknown as Service;
    const spec = (svc.spec ??= {});
    const name = svc.metadata?.name ?? '';
    const errs = initIPFamilyFields(spec, undefined);
    if (errs.length) throw invalidError(serviceKind, name, errs);
    const txn = new Transaction();
    try {
      if (spec.type !== 'ExternalName' && !isHeadless(spec)) await this.allocClusterIP(spec, name, txn, opts.dryRun);
      if (needsNodePorts(spec)) await this.initNodePorts(spec, name, txn, opts.dryRun);
      if (needsHealthCheck(spec)) await this.allocHealthCheck(spec, txn, opts.dryRun);
    } catch (e) {
      await txn.revert();
      throw e;
    }
    return txn;
  }

  async beginUpdate(obj: ApiObject, oldObj: ApiObject, opts: { dryRun: boolean }): Promise<AllocationTransaction> {
    const svc = obj as unknown as Service;
    const spec = (svc.spec ??= {});
    const old = (oldObj as unknown as Service).spec ?? {};
    const name = svc.metadata?.name ?? '';
    const errs = initIPFamilyFields(spec, old);
    if (errs.length) throw invalidError(serviceKind, name, errs);
    const txn = new Transaction();
    try {
      // Cluster IPs: ExternalName → other types allocates; the reverse releases on success.
      if (old.type === 'ExternalName' && spec.type !== 'ExternalName' && !isHeadless(spec)) await this.allocClusterIP(spec, name, txn, opts.dryRun);
      else if (old.type !== 'ExternalName' && spec.type === 'ExternalName') {
        for (const ip of serviceClusterIPs(old)) txn.onCommit.push(() => this.ips.release(ip));
      }
      await this.updateNodePorts(spec, old, name, txn, opts.dryRun);
    } catch (e) {
      await txn.revert();
      throw e;
    }
    if (opts.dryRun) txn.onCommit.length = 0;
    return txn;
  }

  async afterDelete(obj: ApiObject): Promise<void> {
    const spec = (obj as unknown as Service).spec ?? {};
    for (const ip of serviceClusterIPs(spec)) await this.ips.release(ip);
    for (const port of serviceNodePorts(spec)) await this.ports.release(port);
  }

  private async allocClusterIP(spec: Spec, name: string, txn: Transaction, dryRun: boolean): Promise<void> {
    const wanted = spec.clusterIPs?.[0] ?? spec.clusterIP ?? '';
    let ip: string;
    if (wanted) {
      try {
        await this.ips.allocate(wanted, dryRun);
      } catch (e) {
        if (!(e instanceof AllocationError)) throw e;
        throw invalidError(serviceKind, name, [invalid('spec.clusterIPs', goStringSlice(spec.clusterIPs ?? [wanted]), `failed to allocate IP ${wanted}: ${e.message}`)]);
      }
      ip = wanted;
    } else {
      try {
        ip = await this.ips.allocateNext(dryRun);
      } catch (e) {
        if (e instanceof RangeFullError) throw internal(`failed to allocate a serviceIP: ${e.message}`);
        throw e;
      }
    }
    if (!dryRun) txn.undo.push(() => this.ips.release(ip));
    spec.clusterIP = ip;
    spec.clusterIPs = [ip, ...(spec.clusterIPs ?? []).slice(1)];
  }

  private async allocPort(port: number, path: string, name: string, txn: Transaction, dryRun: boolean): Promise<void> {
    try {
      await this.ports.allocate(port, dryRun);
    } catch (e) {
      if (!(e instanceof AllocationError)) throw e;
      throw invalidError(serviceKind, name, [invalid(path, port, e.message)]);
    }
    if (!dryRun) txn.undo.push(() => this.ports.release(port));
  }

  private async nextPort(txn: Transaction, dryRun: boolean, what = 'a nodePort'): Promise<number> {
    let port: number;
    try {
      port = await this.ports.allocateNext(dryRun);
    } catch (e) {
      if (e instanceof RangeFullError) throw internal(`failed to allocate ${what}: ${e.message}`);
      throw e;
    }
    if (!dryRun) txn.undo.push(() => this.ports.release(port));
    return port;
  }

  /**
   * Node ports of a new service: requested ports are reserved first (so that an allocation for an
   * earlier port cannot take a later port's request), then service ports with the same port number
   * (TCP and UDP of one port) share one node port and the rest are allocated.
   */
  private async initNodePorts(spec: Spec, name: string, txn: Transaction, dryRun: boolean): Promise<void> {
    const ports = spec.ports ?? [];
    const reserved = new Set<number>();
    for (let i = 0; i < ports.length; i++) {
      const np = ports[i].nodePort;
      if (!np || reserved.has(np)) continue;
      await this.allocPort(np, `spec.ports[${i}].nodePort`, name, txn, dryRun);
      reserved.add(np);
    }
    const byServicePort = new Map<number, number>();
    for (const sp of ports) if (sp.nodePort && !byServicePort.has(sp.port)) byServicePort.set(sp.port, sp.nodePort);
    for (const sp of ports) {
      if (sp.nodePort || !allocatesNodePorts(spec)) continue;
      let np = byServicePort.get(sp.port);
      if (np === undefined) {
        np = await this.nextPort(txn, dryRun);
        byServicePort.set(sp.port, np);
      }
      sp.nodePort = np;
    }
  }

  private async allocHealthCheck(spec: Spec, txn: Transaction, dryRun: boolean): Promise<void> {
    if (spec.healthCheckNodePort) {
      try {
        await this.ports.allocate(spec.healthCheckNodePort, dryRun);
      } catch (e) {
        if (!(e instanceof AllocationError)) throw e;
        throw internal(`failed to allocate requested HealthCheck NodePort ${spec.healthCheckNodePort}: ${e.message}`);
      }
      const port = spec.healthCheckNodePort;
      if (!dryRun) txn.undo.push(() => this.ports.release(port));
    } else {
      spec.healthCheckNodePort = await this.nextPort(txn, dryRun, 'a HealthCheck NodePort');
    }
  }

  /** Node ports on update: new ones reserved or allocated; ones no longer used released on success. */
  private async updateNodePorts(spec: Spec, old: Spec, name: string, txn: Transaction, dryRun: boolean): Promise<void> {
    const oldPorts = new Set(needsNodePorts(old) ? (old.ports ?? []).map((p) => p.nodePort ?? 0).filter(Boolean) : []);
    if (needsNodePorts(spec)) {
      const taken = new Set<number>();
      const ports: ServicePort[] = spec.ports ?? [];
      for (let i = 0; i < ports.length; i++) {
        const np = ports[i].nodePort;
        if (!np || oldPorts.has(np) || taken.has(np)) continue;
        await this.allocPort(np, `spec.ports[${i}].nodePort`, name, txn, dryRun);
        taken.add(np);
      }
      for (const sp of ports) if (!sp.nodePort && allocatesNodePorts(spec)) sp.nodePort = await this.nextPort(txn, dryRun);
    }
    const kept = new Set(needsNodePorts(spec) ? (spec.ports ?? []).map((p) => p.nodePort ?? 0) : []);
    for (const p of oldPorts) if (!kept.has(p)) txn.onCommit.push(() => this.ports.release(p));

    // The health check node port follows LoadBalancer + externalTrafficPolicy Local.
    const needed = needsHealthCheck(old);
    const needs = needsHealthCheck(spec);
    if (!needed && needs) await this.allocHealthCheck(spec, txn, dryRun);
    else if (needed && !needs) {
      const port = old.healthCheckNodePort;
      if (port && !kept.has(port)) txn.onCommit.push(() => this.ports.release(port));
    } else if (needed && needs && spec.healthCheckNodePort !== old.healthCheckNodePort) {
      throw invalidError(serviceKind, name, [
        invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, 'cannot change healthCheckNodePort on loadBalancer service with externalTraffic=Local during update'),
      ]);
    }
  }
}
