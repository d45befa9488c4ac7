/**
 * Services: SetDefaults_Service (core/v1 defaults.go), pkg/registry/core/service/strategy.go
 * (normalizeClusterIPs, patchAllocatedValues, dropTypeDependentFields) and ValidateService /
 * ValidateServiceUpdate (core validation).
 *
 * Allocation hook: clusterIP(s), ipFamilies, ipFamilyPolicy and nodePorts are assigned later by the
 * service allocator (upstream: registry/core/service/storage/alloc.go), between prepareForCreate
 * and storage. Validation here accepts them unset, as upstream's does before allocation.
 */
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { type FieldError, duplicate, forbidden, invalid, notSupported, required } from '../../field-errors.js';
import { jsonEqual } from '../../object.js';
import { validateLabels } from '../../validation/meta.js';
import { isDNS1035Label } from '../../validation/names.js';
import {
  type ClusterStrategy, dnsLabelErrors, dnsSubdomainErrors, goSliceOf, goStringSlice, ipFamilyOf, isValidCIDR, isValidIP, portNumErrors, qualifiedNameErrors, root,
  validateNonSpecialIP, validatePortNumOrName, validateProtocol,
} from './util.js';

const serviceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const affinities = ['ClientIP', 'None'];
const trafficPolicies = ['Cluster', 'Local'];
const ipFamilies = ['IPv4', 'IPv6'];
const ipFamilyPolicies = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const maxAffinitySeconds = 86400;
const defaultAffinitySeconds = 10800;

type Spec = NonNullable<Service['spec']> & Record<string, unknown>;
const specOf = (s: Service): Spec => (s.spec ?? {}) as Spec;
/**
 * Slices in field errors print as Go's %#v does (field.Error falls back to it): upstream validates
 * the internal type, whose clusterIPs are `[]string` and ipFamilies `[]core.IPFamily`.
 */
const goIPFamilies = (fams: readonly string[] | undefined) => goSliceOf('core.IPFamily', fams);

const externallyAccessible = (s: Spec): boolean =>
  s.type === 'LoadBalancer' || s.type === 'NodePort' || (s.type === 'ClusterIP' && (s.externalIPs ?? []).length > 0);
const needsClusterIP = (s: Spec): boolean => s.type !== 'ExternalName';
const needsNodePort = (s: Spec): boolean => s.type === 'NodePort' || s.type === 'LoadBalancer';
const needsHCNodePort = (s: Spec): boolean => s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local';
export const isHeadless = (s: Spec): boolean => (s.clusterIPs ?? []).length === 1 && s.clusterIPs![0] === 'None';

function setDefaults(spec: Spec): void {
  if (!spec.sessionAffinity) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP' && spec.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined)
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: defaultAffinitySeconds } };
  if (!spec.type) spec.type = 'ClusterIP';
  for (const p of (spec.ports ?? []) as ServicePort[]) {
    if (!p.protocol) p.protocol = 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (externallyAccessible(spec) && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
  if (spec.internalTrafficPolicy === undefined && ['NodePort', 'LoadBalancer', 'ClusterIP'].includes(spec.type))
    spec.internalTrafficPolicy = 'Cluster';
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === undefined) spec.allocateLoadBalancerNodePorts = true;
}

const sameClusterIPs = (a: Spec, b: Spec): boolean => jsonEqual(a.clusterIPs ?? [], b.clusterIPs ?? []);

/** normalizeClusterIPs: keep the singular and plural fields in step for old and new clients. */
function normalizeClusterIPs(spec: Spec, old?: Spec): void {
  if (!old) {
    if (spec.clusterIP && !(spec.clusterIPs ?? []).length) spec.clusterIPs = [spec.clusterIP];
    return;
  }
  if ((old.clusterIPs ?? []).length && !(spec.clusterIPs ?? []).length && (old.clusterIP ?? '') === (spec.clusterIP ?? ''))
    spec.clusterIPs = old.clusterIPs;
  if ((old.clusterIP ?? '') !== (spec.clusterIP ?? '')) {
    if (old.clusterIP && !spec.clusterIP) {
      if (sameClusterIPs(old, spec)) delete spec.clusterIPs;
    } else if (sameClusterIPs(old, spec)) {
      spec.clusterIPs = [spec.clusterIP!];
    }
  }
}

/** dropTypeDependentFields: on a type change, wipe values that no longer apply and the user did not touch. */
function dropTypeDependentFields(spec: Spec, old: Spec): void {
  if (needsClusterIP(old) && !needsClusterIP(spec)) {
    if (sameClusterIPs(old, spec) && (old.clusterIP ?? '') === (spec.clusterIP ?? '')) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (jsonEqual(old.ipFamilies ?? [], spec.ipFamilies ?? [])) delete spec.ipFamilies;
    if (old.ipFamilyPolicy === spec.ipFamilyPolicy) delete spec.ipFamilyPolicy;
  }
  const nodePorts = (s: Spec) => (s.ports ?? []).map((p) => p.nodePort ?? 0);
  if (needsNodePort(old) && !needsNodePort(spec) && jsonEqual(nodePorts(old), nodePorts(spec))) for (const p of spec.ports ?? []) delete p.nodePort;
  if (needsHCNodePort(old) && !needsHCNodePort(spec) && old.healthCheckNodePort === spec.healthCheckNodePort) delete spec.healthCheckNodePort;
  if (old.type === 'LoadBalancer' && spec.type !== 'LoadBalancer') {
    if (spec.allocateLoadBalancerNodePorts !== undefined && spec.allocateLoadBalancerNodePorts === old.allocateLoadBalancerNodePorts)
      delete spec.allocateLoadBalancerNodePorts;
    if (spec.loadBalancerClass === old.loadBalancerClass) delete spec.loadBalancerClass;
  }
  if (externallyAccessible(old) && !externallyAccessible(spec) && spec.externalTrafficPolicy === old.externalTrafficPolicy)
    delete spec.externalTrafficPolicy;
}

/** patchAllocatedValues: an update that omits allocated values keeps the old ones. */
function patchAllocatedValues(spec: Spec, old: Spec): void {
  if (needsClusterIP(old) && needsClusterIP(spec)) {
    if (!spec.clusterIP && old.clusterIP) spec.clusterIP = old.clusterIP;
    if (!(spec.clusterIPs ?? []).length && (old.clusterIPs ?? []).length) spec.clusterIPs = old.clusterIPs;
  }
  if (needsNodePort(old) && needsNodePort(spec)) {
    const used = new Set((old.ports ?? []).map((p) => p.nodePort ?? 0).filter((n) => (spec.ports ?? []).some((q) => q.nodePort === n)));
    const byName = new Map((old.ports ?? []).map((p) => [p.name ?? '', p.nodePort ?? 0]));
    for (const p of spec.ports ?? []) {
      if (!p.nodePort) {
        const prev = byName.get(p.name ?? '') ?? 0;
        if (prev && !used.has(prev)) p.nodePort = prev;
      }
    }
  }
  if (needsHCNodePort(old) && needsHCNodePort(spec) && !spec.healthCheckNodePort && old.healthCheckNodePort)
    spec.healthCheckNodePort = old.healthCheckNodePort;
}

function validatePort(sp: ServicePort, requireName: boolean, names: Set<string>, path: ReturnType<typeof root>): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !sp.name) errs.push(required(path.child('name')));
  else if (sp.name) {
    errs.push(...dnsLabelErrors(sp.name, path.child('name')));
    if (names.has(sp.name)) errs.push(duplicate(path.child('name'), sp.name));
    else names.add(sp.name);
  }
  errs.push(...portNumErrors(sp.port, path.child('port')));
  errs.push(...validateProtocol(sp.protocol, path.child('protocol')));
  errs.push(...validatePortNumOrName(sp.targetPort, path.child('targetPort')));
  if (sp.appProtocol !== undefined) errs.push(...qualifiedNameErrors(sp.appProtocol, path.child('appProtocol')));
  return errs;
}

function validateClusterIPsRelated(spec: Spec): FieldError[] {
  if (spec.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const ipsPath = root('spec').child('clusterIPs');
  const famPath = root('spec').child('ipFamilies');
  const ips = spec.clusterIPs ?? [];
  if (spec.clusterIP) {
    if (!ips.length) errs.push(required(ipsPath));
    else if (ips[0] !== spec.clusterIP) errs.push(invalid(ipsPath, goStringSlice(spec.clusterIPs), 'first value must match `clusterIP`'));
  } else if (ips.length) {
    errs.push(invalid(ipsPath, goStringSlice(spec.clusterIPs), 'must be empty when `clusterIP` is not specified'));
  }
  const seen = new Set<string>();
  (spec.ipFamilies ?? []).forEach((f, i) => {
    if (!ipFamilies.includes(f)) errs.push(notSupported(famPath.index(i), f, ipFamilies));
    if (seen.has(f)) errs.push(duplicate(famPath.index(i), f));
    seen.add(f);
  });
  if (spec.ipFamilyPolicy !== undefined && !ipFamilyPolicies.includes(spec.ipFamilyPolicy))
    errs.push(notSupported(root('spec').child('ipFamilyPolicy'), spec.ipFamilyPolicy, ipFamilyPolicies));
  let badIPs = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) {
        badIPs = true;
        errs.push(invalid(ipsPath, goStringSlice(spec.clusterIPs), "'None' must be the first and only value"));
      }
      return;
    }
    const e = isValidIP(ipsPath.index(i), ip);
    if (e.length) badIPs = true;
    errs.push(...e);
  });
  if (ips.length > 2) errs.push(invalid(ipsPath, goStringSlice(spec.clusterIPs), 'may only hold up to 2 values'));
  if (badIPs) return errs;
  if (ips.length > 1 && ipFamilyOf(ips[0]) === ipFamilyOf(ips[1])) errs.push(invalid(ipsPath, goStringSlice(spec.clusterIPs), 'may specify no more than one IP for each IP family'));
  if (!isHeadless(spec) && ips.length && (spec.ipFamilies ?? []).length) {
    ips.forEach((ip, i) => {
      const fam = spec.ipFamilies![i];
      if (fam === undefined) return;
      const isV6 = ipFamilyOf(ip) === 'IPv6';
      if (fam === 'IPv4' && isV6) errs.push(invalid(ipsPath.index(i), ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (fam === 'IPv6' && !isV6) errs.push(invalid(ipsPath.index(i), ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  }
  return errs;
}

export function validateService(svc: Service): FieldError[] {
  const spec = specOf(svc);
  const sp = root('spec');
  const errs: FieldError[] = [];
  const headless = isHeadless(spec);
  const ports = spec.ports ?? [];
  if (!ports.length && !headless && spec.type !== 'ExternalName') errs.push(required(sp.child('ports')));
  if (spec.type === 'LoadBalancer' && headless) errs.push(invalid(sp.child('clusterIPs').index(0), 'None', "may not be set to 'None' for LoadBalancer services"));
  if (spec.type === 'NodePort' && headless) errs.push(invalid(sp.child('clusterIPs').index(0), 'None', "may not be set to 'None' for NodePort services"));
  if (spec.type === 'ExternalName') {
    if ((spec.clusterIPs ?? []).length) errs.push(forbidden(sp.child('clusterIPs'), 'may not be set for ExternalName services'));
    if ((spec.ipFamilies ?? []).length) errs.push(forbidden(sp.child('ipFamilies'), 'may not be set for ExternalName services'));
    if (spec.ipFamilyPolicy !== undefined) errs.push(forbidden(sp.child('ipFamilyPolicy'), 'may not be set for ExternalName services'));
    const cname = (spec.externalName ?? '').replace(/\.$/, '');
    if (cname) errs.push(...dnsSubdomainErrors(cname, sp.child('externalName')));
    else errs.push(required(sp.child('externalName')));
  }
  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validatePort(p, ports.length > 1, names, sp.child('ports').index(i))));
  if (spec.selector) errs.push(...validateLabels(spec.selector, sp.child('selector')));
  if (!spec.sessionAffinity) errs.push(required(sp.child('sessionAffinity')));
  else if (!affinities.includes(spec.sessionAffinity)) errs.push(notSupported(sp.child('sessionAffinity'), spec.sessionAffinity, affinities));
  const acPath = sp.child('sessionAffinityConfig');
  if (spec.sessionAffinity === 'ClientIP') {
    const when = 'when session affinity type is ClientIP';
    const cfg = spec.sessionAffinityConfig;
    if (!cfg) errs.push(required(acPath, when));
    else if (!cfg.clientIP) errs.push(required(acPath.child('clientIP'), when));
    else if (cfg.clientIP.timeoutSeconds === undefined) errs.push(required(acPath.child('clientIP', 'timeoutSeconds'), when));
    else if (cfg.clientIP.timeoutSeconds <= 0 || cfg.clientIP.timeoutSeconds > maxAffinitySeconds)
      errs.push(invalid(acPath.child('clientIP', 'timeoutSeconds'), cfg.clientIP.timeoutSeconds, `must be greater than 0 and less than ${maxAffinitySeconds}`));
  } else if (spec.sessionAffinity === 'None' && spec.sessionAffinityConfig) {
    errs.push(forbidden(acPath, 'must not be set when session affinity is None'));
  }
  errs.push(...validateClusterIPsRelated(spec));
  (spec.externalIPs ?? []).forEach((ip, i) => {
    const p = sp.child('externalIPs').index(i);
    const e = isValidIP(p, ip);
    errs.push(...(e.length ? e : validateNonSpecialIP(ip, p)));
  });
  if (!spec.type) errs.push(required(sp.child('type')));
  else if (!serviceTypes.includes(spec.type)) errs.push(notSupported(sp.child('type'), spec.type, serviceTypes));
  if (spec.type === 'ClusterIP')
    ports.forEach((p, i) => p.nodePort && errs.push(forbidden(sp.child('ports').index(i).child('nodePort'), "may not be used when `type` is 'ClusterIP'")));
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    if (!p.nodePort) return;
    const key = `${p.protocol}/${p.nodePort}`;
    if (nodePorts.has(key)) errs.push(duplicate(sp.child('ports').index(i).child('nodePort'), p.nodePort));
    nodePorts.add(key);
  });
  const portKeys = new Set<string>();
  ports.forEach((p, i) => {
    const key = `${p.protocol}/${p.port}`;
    if (portKeys.has(key)) errs.push(duplicate(sp.child('ports').index(i), { port: p.port, protocol: p.protocol }));
    portKeys.add(key);
  });
  if ((spec.loadBalancerSourceRanges ?? []).length) {
    const p = sp.child('LoadBalancerSourceRanges');
    if (spec.type !== 'LoadBalancer') errs.push(forbidden(p, "may only be used when `type` is 'LoadBalancer'"));
    spec.loadBalancerSourceRanges!.forEach((r, i) => errs.push(...isValidCIDR(p.index(i), r.trim())));
  }
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.type !== 'LoadBalancer')
    errs.push(forbidden(sp.child('allocateLoadBalancerNodePorts'), "may only be used when `type` is 'LoadBalancer'"));
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === undefined) errs.push(required(root('allocateLoadBalancerNodePorts')));
  if (spec.loadBalancerClass !== undefined) {
    if (spec.type === 'LoadBalancer') errs.push(...qualifiedNameErrors(spec.loadBalancerClass, sp.child('loadBalancerClass')));
    else errs.push(forbidden(sp.child('loadBalancerClass'), "may only be used when `type` is 'LoadBalancer'"));
  }
  if (!externallyAccessible(spec)) {
    if (spec.externalTrafficPolicy)
      errs.push(invalid(sp.child('externalTrafficPolicy'), spec.externalTrafficPolicy, 'may only be set for externally-accessible services'));
  } else if (!spec.externalTrafficPolicy) errs.push(required(sp.child('externalTrafficPolicy')));
  else if (!trafficPolicies.includes(spec.externalTrafficPolicy))
    errs.push(notSupported(sp.child('externalTrafficPolicy'), spec.externalTrafficPolicy, trafficPolicies));
  if (!needsHCNodePort(spec)) {
    if (spec.healthCheckNodePort)
      errs.push(invalid(sp.child('healthCheckNodePort'), spec.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  } else if (spec.healthCheckNodePort) {
    errs.push(...portNumErrors(spec.healthCheckNodePort, sp.child('healthCheckNodePort')));
  }
  // healthCheckNodePort absent on a Local LoadBalancer is allocated later, not an error here.
  if (spec.internalTrafficPolicy === undefined) {
    if (['NodePort', 'LoadBalancer', 'ClusterIP'].includes(spec.type ?? '')) errs.push(required(sp.child('internalTrafficPolicy')));
  } else if (!trafficPolicies.includes(spec.internalTrafficPolicy)) {
    errs.push(notSupported(sp.child('internalTrafficPolicy'), spec.internalTrafficPolicy, trafficPolicies));
  }
  if (spec.trafficDistribution !== undefined && spec.trafficDistribution !== 'PreferClose')
    errs.push(notSupported(sp.child('trafficDistribution'), spec.trafficDistribution, ['PreferClose']));
  return errs;
}

/** validateUpgradeDowngradeClusterIPs / IPFamilies and the loadBalancerClass / healthCheckNodePort rules. */
export function validateServiceUpdate(svc: Service, oldSvc: Service): FieldError[] {
  const spec = specOf(svc);
  const old = specOf(oldSvc);
  const errs: FieldError[] = [];
  const ipsPath = root('spec').child('clusterIPs');
  const famPath = root('spec').child('ipFamilies');
  const policyPath = root('spec').child('ipFamilyPolicy');
  if (spec.type !== 'ExternalName' && old.type !== 'ExternalName') {
    const ips = spec.clusterIPs ?? [];
    const oldIPs = old.clusterIPs ?? [];
    if (!(isHeadless(old) && isHeadless(spec))) {
      if (oldIPs.length === ips.length) {
        oldIPs.forEach((ip, i) => ip !== ips[i] && errs.push(invalid(ipsPath.index(i), goStringSlice(spec.clusterIPs), 'may not change once set')));
      } else if (oldIPs.length > ips.length) {
        if (!ips.length) errs.push(invalid(ipsPath.index(0), goStringSlice(spec.clusterIPs), 'primary clusterIP can not be unset'));
        if (oldIPs.length && ips.length && ips[0] !== oldIPs[0]) errs.push(invalid(ipsPath.index(0), goStringSlice(spec.clusterIPs), 'may not change once set'));
        if (ips.length === 1 && spec.ipFamilyPolicy !== 'SingleStack')
          errs.push(invalid(policyPath, spec.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary clusterIP"));
      } else if (oldIPs.length && ips[0] !== oldIPs[0]) {
        errs.push(invalid(ipsPath.index(0), goStringSlice(spec.clusterIPs), 'may not change once set'));
      }
    }
    const fams = spec.ipFamilies ?? [];
    const oldFams = old.ipFamilies ?? [];
    if (isHeadless(old) === isHeadless(spec) && !isHeadless(spec)) {
      if (oldFams.length === fams.length) {
        oldFams.forEach((f, i) => f !== fams[i] && errs.push(invalid(famPath.index(0), goIPFamilies(spec.ipFamilies), 'may not change once set')));
      } else if (oldFams.length > fams.length) {
        if (!ips.length) errs.push(invalid(famPath.index(0), goIPFamilies(spec.ipFamilies), 'primary ipFamily can not be unset'));
        if (fams.length && fams[0] !== oldFams[0]) errs.push(invalid(famPath.index(0), goStringSlice(spec.clusterIPs), 'may not change once set'));
        if (fams.length === 1 && spec.ipFamilyPolicy !== 'SingleStack')
          errs.push(invalid(policyPath, spec.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary ipFamily"));
      } else if (oldFams.length && fams.length && fams[0] !== oldFams[0]) {
        errs.push(invalid(famPath.index(0), goStringSlice(spec.clusterIPs), 'may not change once set'));
      }
    }
  }
  if (old.type === 'LoadBalancer' && spec.type === 'LoadBalancer' && (old.loadBalancerClass ?? null) !== (spec.loadBalancerClass ?? null))
    errs.push(invalid(root('spec').child('loadBalancerClass'), spec.loadBalancerClass ?? null, 'may not change once set'));
  if (needsHCNodePort(old) && needsHCNodePort(spec) && old.healthCheckNodePort !== spec.healthCheckNodePort)
    errs.push(forbidden(root('spec').child('healthCheckNodePort'), 'field is immutable'));
  return errs;
}

export const serviceStrategy: ClusterStrategy = {
  nameValidator: isDNS1035Label,
  default(obj) {
    const svc = obj as unknown as Service;
    if (!svc.spec) (obj as { spec?: unknown }).spec = {};
    setDefaults(specOf(svc));
  },
  prepareForCreate(obj) {
    const svc = obj as unknown as Service & { status?: unknown };
    svc.status = {};
    normalizeClusterIPs(specOf(svc));
  },
  prepareForUpdate(obj, old) {
    const spec = specOf(obj as unknown as Service);
    const oldSpec = specOf(old as unknown as Service);
    normalizeClusterIPs(spec, oldSpec);
    dropTypeDependentFields(spec, oldSpec);
    patchAllocatedValues(spec, oldSpec);
  },
  validate(obj) {
    return validateService(obj as unknown as Service);
  },
  validateUpdate(obj, old) {
    return validateServiceUpdate(obj as unknown as Service, old as unknown as Service);
  },
};
