/**
 * Nodes: pkg/registry/core/node/strategy.go, SetDefaults_NodeStatus and the v1 podCIDR/podCIDRs
 * conversion (core/v1), ValidateNode / ValidateNodeUpdate (core validation).
 *
 * Unlike most kinds a Node keeps the status it is created with: the agent registers its Node
 * with addresses and capacity in one request (the generic store must not drop it).
 */
import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import { type FieldError, FieldPath, duplicate, forbidden, invalid, notSupported, required } from '../../field-errors.js';
import { jsonEqual } from '../../object.js';
import { isQualifiedName, isValidLabelValue } from '../../validation/names.js';
import { type ClusterStrategy, asRecord, parseCIDR, resourceList, root, validateResourceQuantityValue, isValidCIDR } from './util.js';

const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** validateNodeTaints; upstream reports them under `metadata.taints`, a path kept for fidelity. */
export function validateTaints(taints: Taint[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Map<string, Set<string>>();
  taints.forEach((t, i) => {
    const p = path.index(i);
    for (const m of isQualifiedName(t.key ?? '')) errs.push(invalid(p.child('key'), t.key ?? '', m));
    const vErrs = isValidLabelValue(t.value ?? '');
    if (vErrs.length) errs.push(invalid(p.child('value'), t.value ?? '', vErrs.join(';')));
    if (!t.effect) errs.push(required(p.child('effect')));
    else if (!taintEffects.includes(t.effect)) errs.push(notSupported(p.child('effect'), t.effect, taintEffects));
    const keys = seen.get(t.effect ?? '') ?? new Set<string>();
    if (keys.has(t.key ?? '')) {
      errs.push({ ...duplicate(p, t), detail: 'taints must be unique by key and effect pair' });
      return;
    }
    keys.add(t.key ?? '');
    seen.set(t.effect ?? '', keys);
  });
  return errs;
}

function validateNodeResources(node: Node): FieldError[] {
  const errs: FieldError[] = [];
  for (const field of ['capacity', 'allocatable'] as const) {
    const path = root('status').child(field);
    for (const [k, q] of resourceList(node.status?.[field] as Record<string, unknown>, path, errs)) {
      errs.push(...validateResourceQuantityValue(k, q, root('status').child(field, k)));
    }
  }
  return errs;
}

export const nodeStrategy: ClusterStrategy = {
  keepsStatusOnCreate: true,
  default(obj) {
    const node = obj as unknown as { spec?: { podCIDR?: string; podCIDRs?: string[] }; status?: Record<string, unknown> };
    const spec = node.spec;
    if (spec) {
      if (spec.podCIDR && !(spec.podCIDRs ?? []).length) spec.podCIDRs = [spec.podCIDR];
      if ((spec.podCIDRs ?? []).length) spec.podCIDR = spec.podCIDRs![0];
    }
    const status = node.status;
    if (status && status.allocatable === undefined && status.capacity !== undefined) status.allocatable = { ...asRecord(status.capacity) };
  },
  validate(obj) {
    const node = obj as unknown as Node;
    const errs: FieldError[] = [];
    if (node.spec?.taints?.length) errs.push(...validateTaints(node.spec.taints, root('metadata').child('taints')));
    errs.push(...validateNodeResources(node));
    const cidrs = node.spec?.podCIDRs ?? [];
    const path = root('spec').child('podCIDRs');
    cidrs.forEach((c, i) => errs.push(...isValidCIDR(path.index(i), c)));
    if (cidrs.length > 1) {
      const fams = cidrs.map((c) => parseCIDR(c)?.family);
      if (cidrs.length > 2 || fams[0] === fams[1]) errs.push(invalid(path, cidrs, 'may specify no more than one CIDR for each IP family'));
      const seen = new Set<string>();
      cidrs.forEach((c, i) => {
        if (seen.has(c)) errs.push(duplicate(path.index(i), c));
        seen.add(c);
      });
    }
    return errs;
  },
  validateUpdate(obj, old) {
    const node = obj as unknown as Node;
    const prev = old as unknown as Node;
    const errs: FieldError[] = [];
    const addrs = node.status?.addresses ?? [];
    addrs.forEach((a, i) => {
      if (addrs.slice(0, i).some((b) => jsonEqual(a, b))) errs.push(duplicate(root('status').child('addresses').index(i), a));
    });
    const oldCIDRs = prev.spec?.podCIDRs ?? [];
    const newCIDRs = node.spec?.podCIDRs ?? [];
    if (oldCIDRs.length > 0) {
      const msg = 'node updates may not change podCIDR except from "" to valid';
      if (oldCIDRs.length !== newCIDRs.length) errs.push(forbidden(root('spec').child('podCIDRs'), msg));
      else oldCIDRs.forEach((c, i) => c !== newCIDRs[i] && errs.push(forbidden(root('spec').child('podCIDRs'), msg)));
    }
    if (prev.spec?.providerID && prev.spec.providerID !== node.spec?.providerID)
      errs.push(forbidden(root('spec').child('providerID'), 'node updates may not change providerID except from "" to valid'));
    if ((prev.spec?.externalID ?? '') !== (node.spec?.externalID ?? '')) errs.push(forbidden(root('spec').child('externalID'), 'may not be updated'));
    return errs;
  },
  statusValidateUpdate(obj, old) {
    // Upstream validates a status write with the full ValidateNodeUpdate.
    return [...nodeStrategy.validate(obj), ...(nodeStrategy.validateUpdate?.(obj, old) ?? [])];
  },
};
