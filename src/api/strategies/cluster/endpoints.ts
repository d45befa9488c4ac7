/** Endpoints: ValidateEndpoints (core validation) and SetDefaults_EndpointPort (core/v1). */
import type { EndpointAddress, EndpointPort, Endpoints } from 'kubernetes-types/core/v1.js';
import { type FieldError, FieldPath, invalid, required } from '../../field-errors.js';
import { isDNS1123Subdomain } from '../../validation/names.js';
import {
  type ClusterStrategy, dnsLabelErrors, isValidIP, portNumErrors, qualifiedNameErrors, root, validateNonSpecialIP, validateProtocol,
} from './util.js';

function validateAddress(a: EndpointAddress, path: FieldPath): FieldError[] {
  const errs = isValidIP(path.child('ip'), a.ip ?? '');
  if (a.hostname) errs.push(...dnsLabelErrors(a.hostname, path.child('hostname')));
  if (a.nodeName !== undefined) for (const m of isDNS1123Subdomain(a.nodeName)) errs.push(invalid(path.child('nodeName'), a.nodeName, m));
  errs.push(...validateNonSpecialIP(a.ip ?? '', path.child('ip'), { allowLoopback: true }));
  return errs;
}

function validatePort(p: EndpointPort, requireName: boolean, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !p.name) errs.push(required(path.child('name')));
  else if (p.name) errs.push(...dnsLabelErrors(p.name, path.child('name')));
  errs.push(...portNumErrors(p.port, path.child('port')));
  errs.push(...validateProtocol(p.protocol, path.child('protocol')));
  if (p.appProtocol !== undefined) errs.push(...qualifiedNameErrors(p.appProtocol, path.child('appProtocol')));
  return errs;
}

export const endpointsStrategy: ClusterStrategy = {
  default(obj) {
    for (const ss of (obj as unknown as Endpoints).subsets ?? []) for (const p of ss.ports ?? []) if (!p.protocol) p.protocol = 'TCP';
  },
  validate(obj) {
    const errs: FieldError[] = [];
    ((obj as unknown as Endpoints).subsets ?? []).forEach((ss, i) => {
      const p = root('subsets').index(i);
      if (!(ss.addresses ?? []).length && !(ss.notReadyAddresses ?? []).length)
        errs.push(required(p, 'must specify `addresses` or `notReadyAddresses`'));
      (ss.addresses ?? []).forEach((a, j) => errs.push(...validateAddress(a, p.child('addresses').index(j))));
      (ss.notReadyAddresses ?? []).forEach((a, j) => errs.push(...validateAddress(a, p.child('notReadyAddresses').index(j))));
      const ports = ss.ports ?? [];
      ports.forEach((port, j) => errs.push(...validatePort(port, ports.length > 1, p.child('ports').index(j))));
    });
    return errs;
  },
};
