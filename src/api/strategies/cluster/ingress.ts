/** Ingresses and IngressClasses: pkg/apis/networking/validation and networking/v1 defaults. */
import type { HTTPIngressPath, Ingress, IngressBackend, IngressClass } from 'kubernetes-types/networking/v1.js';
import { type FieldError, FieldPath, forbidden, invalid, notSupported, required, tooLong } from '../../field-errors.js';
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isValidPathSegmentName, isValidPortName } from '../../validation/names.js';
import { type ClusterStrategy, dnsSubdomainErrors, immutable, ipFamilyOf, portNumErrors, regexErrorNoExamples, root } from './util.js';

const pathTypes = ['Exact', 'ImplementationSpecific', 'Prefix'];
const invalidPathSequences = ['//', '/./', '/../', '%2f', '%2F'];
const invalidPathSuffixes = ['/..', '/.'];
const wildcardFmt = '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
const wildcardRe = new RegExp(`^${wildcardFmt}$`);

export function isWildcardDNS1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push('must be no more than 253 characters');
  if (!wildcardRe.test(v))
    errs.push(
      `a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '${wildcardFmt}')`,
    );
  return errs;
}

function hostErrors(host: string, path: FieldPath): FieldError[] {
  const msgs = host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
  return msgs.map((m) => invalid(path, host, m));
}

function validateTypedRef(ref: { apiGroup?: string; kind?: string; name?: string }, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (ref.apiGroup !== undefined) errs.push(...dnsSubdomainErrors(ref.apiGroup, path.child('apiGroup')));
  for (const f of ['kind', 'name'] as const) {
    const v = ref[f] ?? '';
    if (!v) errs.push(required(path.child(f)));
    else for (const m of isValidPathSegmentName(v)) errs.push(invalid(path.child(f), v, m));
  }
  return errs;
}

function validateBackend(b: IngressBackend, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (b.resource && b.service) return [invalid(path, '', 'cannot set both resource and service backends')];
  if (b.resource) return validateTypedRef(b.resource, path.child('resource'));
  if (!b.service) return [invalid(path, '', 'resource or service backend is required')];
  const name = b.service.name ?? '';
  if (!name) errs.push(required(path.child('service', 'name')));
  else for (const m of isDNS1035Label(name)) errs.push(invalid(path.child('service', 'name'), name, m));
  const portName = b.service.port?.name ?? '';
  const portNumber = b.service.port?.number ?? 0;
  if (portName && portNumber) errs.push(invalid(path, '', 'cannot set both port name & port number'));
  else if (portName) for (const m of isValidPortName(portName)) errs.push(invalid(path.child('service', 'port', 'name'), portName, m));
  else if (portNumber) errs.push(...portNumErrors(portNumber, path.child('service', 'port', 'number')));
  else errs.push(required(path, 'port name or number is required'));
  return errs;
}

function validatePath(p: HTTPIngressPath, path: FieldPath): FieldError[] {
  if (!p.pathType) return [required(path.child('pathType'), 'pathType must be specified')];
  const errs: FieldError[] = [];
  const value = p.path ?? '';
  if (p.pathType === 'Exact' || p.pathType === 'Prefix') {
    if (!value.startsWith('/')) errs.push(invalid(path.child('path'), value, 'must be an absolute path'));
    if (value) {
      for (const seq of invalidPathSequences) if (value.includes(seq)) errs.push(invalid(path.child('path'), value, `must not contain '${seq}'`));
      for (const suf of invalidPathSuffixes) if (value.endsWith(suf)) errs.push(invalid(path.child('path'), value, `cannot end with '${suf}'`));
    }
  } else if (p.pathType === 'ImplementationSpecific') {
    if (value && !value.startsWith('/')) errs.push(invalid(path.child('path'), value, 'must be an absolute path'));
  } else {
    errs.push(notSupported(path.child('pathType'), p.pathType, pathTypes));
  }
  errs.push(...validateBackend(p.backend ?? {}, path.child('backend')));
  return errs;
}

export function validateIngress(ing: Ingress): FieldError[] {
  const spec = ing.spec ?? {};
  const sp = root('spec');
  const errs: FieldError[] = [];
  if (!(spec.rules ?? []).length && !spec.defaultBackend) errs.push(invalid(sp, spec.rules ?? null, 'either `defaultBackend` or `rules` must be specified'));
  if (spec.defaultBackend) errs.push(...validateBackend(spec.defaultBackend, sp.child('defaultBackend')));
  (spec.rules ?? []).forEach((rule, i) => {
    const rp = sp.child('rules').index(i);
    if (rule.host) {
      if (ipFamilyOf(rule.host)) errs.push(invalid(rp.child('host'), rule.host, 'must be a DNS name, not an IP address'));
      errs.push(...hostErrors(rule.host, rp.child('host')));
    }
    if (rule.http) {
      const hp = rp.child('http');
      if (!(rule.http.paths ?? []).length) errs.push(required(hp.child('paths')));
      (rule.http.paths ?? []).forEach((p, j) => errs.push(...validatePath(p, hp.child('paths').index(j))));
    }
  });
  (spec.tls ?? []).forEach((tls, i) => {
    const tp = sp.child('tls').index(i);
    (tls.hosts ?? []).forEach((h, j) => errs.push(...hostErrors(h, tp.child('hosts').index(j))));
    if (tls.secretName) errs.push(...dnsSubdomainErrors(tls.secretName, tp.child('secretName')));
  });
  if (spec.ingressClassName !== undefined) errs.push(...dnsSubdomainErrors(spec.ingressClassName, sp.child('ingressClassName')));
  return errs;
}

export const ingressStrategy: ClusterStrategy = {
  prepareForCreate(obj) {
    (obj as { status?: unknown }).status = {};
  },
  validate(obj) {
    return validateIngress(obj as unknown as Ingress);
  },
  statusValidateUpdate(obj) {
    const errs: FieldError[] = [];
    ((obj as unknown as Ingress).status?.loadBalancer?.ingress ?? []).forEach((lb, i) => {
      const p = root('status').child('loadBalancer', 'ingress').index(i);
      if (lb.ip && !ipFamilyOf(lb.ip)) errs.push(invalid(p.child('ip'), lb.ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
      if (lb.hostname) {
        errs.push(...dnsSubdomainErrors(lb.hostname, p.child('hostname')));
        if (ipFamilyOf(lb.hostname)) errs.push(invalid(p.child('hostname'), lb.hostname, 'must be a DNS name, not an IP address'));
      }
    });
    return errs;
  },
};

/** Creating an Ingress with both the legacy class annotation and ingressClassName requires them to agree. */
export function validateIngressCreate(ing: Ingress): FieldError[] {
  const ann = ing.metadata?.annotations?.['kubernetes.io/ingress.class'];
  if (ann !== undefined && ing.spec?.ingressClassName !== undefined && ann !== ing.spec.ingressClassName)
    return [invalid(root('annotations').child('kubernetes.io/ingress.class'), ann, 'must match `ingressClassName` when both are specified')];
  return [];
}

const httpPathFmt = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";
const httpPathRe = new RegExp(`^${httpPathFmt}$`);

/** IsDomainPrefixedPath. */
function domainPrefixedPath(path: FieldPath, v: string): FieldError[] {
  if (!v) return [required(path)];
  const slash = v.indexOf('/');
  if (slash <= 0 || slash === v.length - 1) return [invalid(path, v, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const host = v.slice(0, slash);
  const rest = v.slice(slash + 1);
  const errs = isDNS1123Subdomain(host).map((m) => invalid(path, host, m));
  if (!httpPathRe.test(rest)) return [...errs, invalid(path, rest, regexErrorNoExamples('Invalid path', httpPathFmt))];
  return errs;
}

export const ingressClassStrategy: ClusterStrategy = {
  default(obj) {
    const params = (obj as unknown as IngressClass).spec?.parameters;
    if (params && params.scope === undefined) params.scope = 'Cluster';
  },
  validate(obj) {
    const spec = (obj as unknown as IngressClass).spec ?? {};
    const sp = root('spec');
    const errs: FieldError[] = [];
    const controller = spec.controller ?? '';
    if (!controller) errs.push(required(sp.child('controller')));
    else {
      if (controller.length > 250) errs.push(tooLong(sp.child('controller'), '', 250));
      errs.push(...domainPrefixedPath(sp.child('controller'), controller));
    }
    const params = spec.parameters;
    if (params) {
      const pp = sp.child('parameters');
      errs.push(...validateTypedRef(params, pp));
      if (params.scope === undefined) errs.push(required(pp.child('scope')));
      else if (params.scope !== 'Cluster' && params.scope !== 'Namespace') errs.push(notSupported(pp.child('scope'), params.scope, ['Cluster', 'Namespace']));
      else if (params.scope === 'Namespace') {
        if (params.namespace === undefined) errs.push(required(pp.child('namespace'), "`parameters.scope` is set to 'Namespace'"));
        else for (const m of isDNS1123Label(params.namespace)) errs.push(invalid(pp.child('namespace'), params.namespace, m));
      } else if (params.namespace !== undefined) errs.push(forbidden(pp.child('namespace'), "`parameters.scope` is set to 'Cluster'"));
    }
    return errs;
  },
  validateUpdate(obj, old) {
    return immutable((obj as unknown as IngressClass).spec?.controller, (old as unknown as IngressClass).spec?.controller, root('spec').child('controller'));
  },
};
