/**
 * Container resource requirements (pkg/apis/core/validation: ValidateResourceRequirements,
 * validateContainerResourceName, ValidateResourceQuantityValue) and the resource-name helpers of
 * pkg/apis/core/helper.
 */
import type { ResourceRequirements } from 'kubernetes-types/core/v1.js';
import { type FieldError, FieldPath, forbidden, invalid, required } from '../../field-errors.js';
import { parseQuantity, QUANTITY_FORMAT_ERROR, type Quantity } from '../../quantity.js';
import { isQualifiedName } from '../../validation/names.js';
import { isNegativeErrorMsg, isObject } from './util.js';

const standardContainerResources = new Set(['cpu', 'memory', 'ephemeral-storage']);

export const isHugePageResourceName = (name: string): boolean => name.startsWith('hugepages-');
/** IsNativeResource: unprefixed, or in the kubernetes.io domain. */
export const isNativeResource = (name: string): boolean => !name.includes('/') || name.includes('kubernetes.io/');
/** IsExtendedResourceName: a domain-prefixed name outside kubernetes.io that is valid with a `requests.` prefix. */
export function isExtendedResourceName(name: string): boolean {
  if (isNativeResource(name) || name.startsWith('requests.')) return false;
  return isQualifiedName(`requests.${name}`).length === 0;
}
/** IsOvercommitAllowed: native, non-hugepage resources may have requests below limits. */
export const isOvercommitAllowed = (name: string): boolean => isNativeResource(name) && !isHugePageResourceName(name);

function validateContainerResourceName(name: string, path: FieldPath): FieldError[] {
  const errs = isQualifiedName(name).map((m) => invalid(path, name, m));
  if (!name.includes('/')) {
    if (!standardContainerResources.has(name) && !isHugePageResourceName(name)) errs.push(invalid(path, name, 'must be a standard resource for containers'));
  } else if (!isNativeResource(name) && !isExtendedResourceName(name)) {
    errs.push(invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/** Parses one quantity of a resource list, reporting upstream's decode error when it does not parse. */
function quantityAt(raw: unknown, path: FieldPath, errs: FieldError[]): Quantity | undefined {
  const q = typeof raw === 'string' || typeof raw === 'number' ? parseQuantity(raw) : undefined;
  if (!q) errs.push(invalid(path, raw ?? null, QUANTITY_FORMAT_ERROR));
  return q;
}

/** ValidateResourceQuantityValue: non-negative; whole numbers for extended resources. */
function validateQuantityValue(name: string, q: Quantity, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (q.sign() < 0) errs.push(invalid(path, q.toString(), isNegativeErrorMsg));
  if (isExtendedResourceName(name) && q.milliValue() % 1000n !== 0n) errs.push(invalid(path, q.toString(), 'must be an integer'));
  return errs;
}

/** ValidateResourceRequirements for a container's `resources`. */
export function validateResourceRequirements(res: ResourceRequirements | undefined, path: FieldPath): FieldError[] {
  if (!isObject(res)) return [];
  const errs: FieldError[] = [];
  const limPath = path.child('limits');
  const reqPath = path.child('requests');
  const limits = new Map<string, Quantity>();
  let limCpuMem = false;
  let reqCpuMem = false;
  let hugePages = false;
  for (const [name, raw] of Object.entries(isObject(res.limits) ? res.limits : {})) {
    const fp = limPath.key(name);
    errs.push(...validateContainerResourceName(name, fp));
    const q = quantityAt(raw, fp, errs);
    if (q) {
      errs.push(...validateQuantityValue(name, q, fp));
      limits.set(name, q);
    }
    if (isHugePageResourceName(name)) hugePages = true;
    if (name === 'cpu' || name === 'memory') limCpuMem = true;
  }
  for (const [name, raw] of Object.entries(isObject(res.requests) ? res.requests : {})) {
    const fp = reqPath.key(name);
    errs.push(...validateContainerResourceName(name, fp));
    const q = quantityAt(raw, fp, errs);
    if (q) {
      errs.push(...validateQuantityValue(name, q, fp));
      const lim = limits.get(name);
      if (lim) {
        if (q.cmp(lim) !== 0 && !isOvercommitAllowed(name))
          errs.push(invalid(reqPath, q.toString(), `must be equal to ${name} limit of ${lim.toString()}`));
        else if (q.cmp(lim) > 0) errs.push(invalid(reqPath, q.toString(), `must be less than or equal to ${name} limit of ${lim.toString()}`));
      } else if (!isOvercommitAllowed(name) && !(isObject(res.limits) && name in res.limits)) {
        errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
      }
    }
    if (isHugePageResourceName(name)) hugePages = true;
    if (name === 'cpu' || name === 'memory') reqCpuMem = true;
  }
  if (hugePages && !limCpuMem && !reqCpuMem) errs.push(forbidden(path, 'HugePages require cpu or memory'));
  return errs;
}
