/** EndpointSlices: discovery/v1 defaults and pkg/apis/discovery/validation. */
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { type FieldError, duplicate, invalid, notSupported, required, tooMany } from '../../field-errors.js';
import { validateLabels } from '../../validation/meta.js';
import { isDNS1123Label, isDNS1123Subdomain } from '../../validation/names.js';
import { type ClusterStrategy, dnsLabelErrors, immutable, parseIPv4, parseIPv6, qualifiedNameErrors, root, supportedPortProtocols, validateNonSpecialIP } from './util.js';

const addressTypes = ['FQDN', 'IPv4', 'IPv6'];
const maxEndpoints = 1000;
const maxAddresses = 100;
const maxPorts = 20000;
const maxTopologyLabels = 16;
const maxZoneHints = 8;

/** IsFullyQualifiedDomainName. */
function fqdnErrors(path: ReturnType<typeof root>, name: string): FieldError[] {
  if (!name) return [required(path)];
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  const e = isDNS1123Subdomain(n);
  if (e.length) return [invalid(path, n, e.join(','))];
  const labels = n.split('.');
  if (labels.length < 2) return [invalid(path, n, 'should be a domain with at least two segments separated by dots')];
  for (const l of labels) {
    const le = isDNS1123Label(l);
    if (le.length) return [invalid(path, l, le.join(','))];
  }
  return [];
}

export const endpointSliceStrategy: ClusterStrategy = {
  default(obj) {
    for (const p of (obj as unknown as EndpointSlice).ports ?? []) {
      if (p.name === undefined) p.name = '';
      if (p.protocol === undefined) p.protocol = 'TCP';
    }
  },
  validate(obj) {
    const es = obj as unknown as EndpointSlice;
    const errs: FieldError[] = [];
    const type = es.addressType ?? '';
    if (!type) errs.push(required(root('addressType')));
    else if (!addressTypes.includes(type)) errs.push(notSupported(root('addressType'), type, addressTypes));
    const eps = es.endpoints ?? [];
    if (eps.length > maxEndpoints) errs.push(tooMany(root('endpoints'), eps.length, maxEndpoints));
    else
      eps.forEach((ep, i) => {
        const p = root('endpoints').index(i);
        const ap = p.child('addresses');
        const addrs = ep.addresses ?? [];
        if (!addrs.length) errs.push(required(ap, 'must contain at least 1 address'));
        else if (addrs.length > maxAddresses) errs.push(tooMany(ap, addrs.length, maxAddresses));
        addrs.forEach((a, j) => {
          const path = ap.index(j);
          if (type === 'IPv4') errs.push(...(parseIPv4(a) ? validateNonSpecialIP(a, path, { allowLoopback: true }) : [invalid(path, a, 'must be a valid IPv4 address')]));
          else if (type === 'IPv6') errs.push(...(parseIPv6(a) ? validateNonSpecialIP(a, path, { allowLoopback: true }) : [invalid(path, a, 'must be a valid IPv6 address')]));
          else if (type === 'FQDN') errs.push(...fqdnErrors(path, a));
        });
        if (ep.nodeName !== undefined) for (const m of isDNS1123Subdomain(ep.nodeName)) errs.push(invalid(p.child('nodeName'), ep.nodeName, m));
        const topo = ep.deprecatedTopology ?? {};
        if (Object.keys(topo).length > maxTopologyLabels) errs.push(tooMany(p.child('deprecatedTopology'), Object.keys(topo).length, maxTopologyLabels));
        errs.push(...validateLabels(topo, p.child('deprecatedTopology')));
        if (ep.hostname !== undefined) errs.push(...dnsLabelErrors(ep.hostname, p.child('hostname')));
        const zones = ep.hints?.forZones ?? [];
        if (zones.length > maxZoneHints) errs.push(tooMany(p.child('hints', 'forZones'), zones.length, maxZoneHints));
        const seenZones = new Set<string>();
        zones.forEach((z, j) => {
          const zp = p.child('hints', 'forZones').index(j).child('name');
          if (seenZones.has(z.name)) errs.push(duplicate(zp, z.name));
          seenZones.add(z.name);
          for (const m of validateLabels({ zone: z.name }, zp)) errs.push({ ...m, field: zp.toString() });
        });
      });
    const ports = es.ports ?? [];
    if (ports.length > maxPorts) errs.push(tooMany(root('ports'), ports.length, maxPorts));
    else {
      const names = new Set<string>();
      ports.forEach((port, i) => {
        const p = root('ports').index(i);
        const name = port.name ?? '';
        if (name) errs.push(...dnsLabelErrors(name, p.child('name')));
        if (names.has(name)) errs.push(duplicate(p.child('name'), name));
        names.add(name);
        if (port.protocol === undefined) errs.push(required(p.child('protocol')));
        else if (!supportedPortProtocols.includes(port.protocol)) errs.push(notSupported(p.child('protocol'), port.protocol, supportedPortProtocols));
        if (port.appProtocol !== undefined) errs.push(...qualifiedNameErrors(port.appProtocol, p.child('appProtocol')));
      });
    }
    return errs;
  },
  validateUpdate(obj, old) {
    return immutable((obj as unknown as EndpointSlice).addressType, (old as unknown as EndpointSlice).addressType, root('addressType'));
  },
};
