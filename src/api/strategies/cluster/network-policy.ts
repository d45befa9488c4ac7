/** NetworkPolicies: networking/v1 defaults (policyTypes, port protocol) and pkg/apis/networking/validation. */
import type { IPBlock, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from 'kubernetes-types/networking/v1.js';
import { type FieldError, FieldPath, forbidden, invalid, notSupported, required } from '../../field-errors.js';
import { validateLabelSelector } from '../../validation/meta.js';
import { isValidPortName, isValidPortNum } from '../../validation/names.js';
import { type ClusterStrategy, cidrContains, isValidCIDR, parseCIDR, root } from './util.js';

function validatePort(port: NetworkPolicyPort, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (port.protocol !== undefined && !['TCP', 'UDP', 'SCTP'].includes(port.protocol)) errs.push(notSupported(path.child('protocol'), port.protocol, ['TCP', 'UDP', 'SCTP']));
  if (port.port !== undefined) {
    if (typeof port.port === 'number') {
      for (const m of isValidPortNum(port.port)) errs.push(invalid(path.child('port'), port.port, m));
      if (port.endPort !== undefined) {
        if (port.endPort < port.port) errs.push(invalid(path.child('endPort'), port.endPort, 'must be greater than or equal to `port`'));
        for (const m of isValidPortNum(port.endPort)) errs.push(invalid(path.child('endPort'), port.endPort, m));
      }
    } else {
      if (port.endPort !== undefined) errs.push(invalid(path.child('endPort'), port.endPort, 'may not be specified when `port` is non-numeric'));
      for (const m of isValidPortName(port.port)) errs.push(invalid(path.child('port'), port.port, m));
    }
  } else if (port.endPort !== undefined) {
    errs.push(invalid(path.child('endPort'), port.endPort, 'may not be specified when `port` is not specified'));
  }
  return errs;
}

function validateIPBlock(ipb: IPBlock, path: FieldPath): FieldError[] {
  if (!ipb.cidr) return [required(path.child('cidr'))];
  const errs = isValidCIDR(path.child('cidr'), ipb.cidr);
  const cidr = parseCIDR(ipb.cidr);
  if (!cidr) return errs;
  (ipb.except ?? []).forEach((ex, i) => {
    const p = path.child('except').index(i);
    const e = isValidCIDR(p, ex);
    errs.push(...e);
    const exc = parseCIDR(ex);
    if (!exc) return;
    if (exc.family !== cidr.family || !cidrContains(cidr, exc.bytes) || cidr.prefix >= exc.prefix) errs.push(invalid(p, ex, 'must be a strict subset of `cidr`'));
  });
  return errs;
}

function validatePeer(peer: NetworkPolicyPeer, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  if (peer.podSelector) {
    n++;
    errs.push(...validateLabelSelector(peer.podSelector, path.child('podSelector')));
  }
  if (peer.namespaceSelector) {
    n++;
    errs.push(...validateLabelSelector(peer.namespaceSelector, path.child('namespaceSelector')));
  }
  if (peer.ipBlock) {
    n++;
    errs.push(...validateIPBlock(peer.ipBlock, path.child('ipBlock')));
  }
  if (n === 0) errs.push(required(path, 'must specify a peer'));
  else if (n > 1 && peer.ipBlock) errs.push(forbidden(path, 'may not specify both ipBlock and another peer'));
  return errs;
}

export const networkPolicyStrategy: ClusterStrategy = {
  default(obj) {
    const np = obj as unknown as NetworkPolicy;
    const spec = (np.spec ?? ((obj as { spec?: unknown }).spec = {})) as NonNullable<NetworkPolicy['spec']>;
    for (const rule of [...(spec.ingress ?? []), ...(spec.egress ?? [])]) for (const p of rule.ports ?? []) if (p.protocol === undefined) p.protocol = 'TCP';
    if (!(spec.policyTypes ?? []).length) spec.policyTypes = (spec.egress ?? []).length ? ['Ingress', 'Egress'] : ['Ingress'];
  },
  validate(obj) {
    const spec = (obj as unknown as NetworkPolicy).spec ?? ({} as NonNullable<NetworkPolicy['spec']>);
    const sp = root('spec');
    const errs = validateLabelSelector(spec.podSelector ?? {}, sp.child('podSelector'));
    (spec.ingress ?? []).forEach((r, i) => {
      const p = sp.child('ingress').index(i);
      (r.ports ?? []).forEach((port, j) => errs.push(...validatePort(port, p.child('ports').index(j))));
      (r.from ?? []).forEach((peer, j) => errs.push(...validatePeer(peer, p.child('from').index(j))));
    });
    (spec.egress ?? []).forEach((r, i) => {
      const p = sp.child('egress').index(i);
      (r.ports ?? []).forEach((port, j) => errs.push(...validatePort(port, p.child('ports').index(j))));
      (r.to ?? []).forEach((peer, j) => errs.push(...validatePeer(peer, p.child('to').index(j))));
    });
    const types = spec.policyTypes ?? [];
    if (types.length > 2) return [...errs, invalid(sp.child('policyTypes'), types, 'may not specify more than two policyTypes')];
    types.forEach((t, i) => {
      if (t !== 'Ingress' && t !== 'Egress') errs.push(notSupported(sp.child('policyTypes').index(i), t, ['Ingress', 'Egress']));
    });
    return errs;
  },
};
