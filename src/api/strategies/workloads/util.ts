/**
 * Small validation helpers of the workload strategies, in the wording of
 * k8s.io/apimachinery/pkg/api/validation and pkg/apis/core/validation.
 */
import { type FieldError, FieldPath, invalid } from '../../field-errors.js';
import { jsonEqual } from '../../object.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName } from '../../validation/names.js';

export const root = (name: string): FieldPath => FieldPath.root(name);

export const isNegativeErrorMsg = 'must be greater than or equal to 0';
export const fieldImmutableErrorMsg = 'field is immutable';

/** ValidateNonnegativeField. */
export function nonNegative(v: number | undefined | null, path: FieldPath): FieldError[] {
  return typeof v === 'number' && v < 0 ? [invalid(path, v, isNegativeErrorMsg)] : [];
}

/** ValidateImmutableField: `Invalid value: <new>: field is immutable`. Absent and null are the same. */
export function immutableField(newVal: unknown, oldVal: unknown, path: FieldPath): FieldError[] {
  return jsonEqual(newVal ?? null, oldVal ?? null) ? [] : [invalid(path, newVal ?? null, fieldImmutableErrorMsg)];
}

/** IsDecremented: a pointer-ish counter that went down (or vanished). */
export function isDecremented(update: number | undefined, old: number | undefined): boolean {
  if (update === undefined && old !== undefined) return true;
  if (update === undefined || old === undefined) return false;
  return update < old;
}

export const dns1123LabelErrors = (v: string, path: FieldPath): FieldError[] => isDNS1123Label(v).map((m) => invalid(path, v, m));
export const dns1123SubdomainErrors = (v: string, path: FieldPath): FieldError[] => isDNS1123Subdomain(v).map((m) => invalid(path, v, m));
export const qualifiedNameErrors = (v: string, path: FieldPath): FieldError[] => isQualifiedName(v).map((m) => invalid(path, v, m));

/**
 * validation.RegexError with upstream's exact punctuation: each example is followed by `', `, and
 * examples are joined with ` or ` (so two examples read `'a',  or 'b', regex used ...`).
 */
export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  let s = `${msg} (e.g. `;
  examples.forEach((e, i) => {
    if (i > 0) s += ' or ';
    s += `'${e}', `;
  });
  return `${s}regex used for validation is '${fmt}')`;
}

/** validation.InclusiveRangeError. */
export const inclusiveRangeError = (lo: number, hi: number): string => `must be between ${lo} and ${hi}, inclusive`;

export const maxInt32 = 2147483647;

/** An intstr.IntOrString as it arrives in JSON. */
export type IntOrString = number | string;

const percentRe = /^[0-9]+%$/;

/** validation.IsValidPercent. */
export function isValidPercent(v: string): string[] {
  return percentRe.test(v) ? [] : [regexError("a valid percent string must be a numeric string followed by an ending '%'", '[0-9]+%', '1%', '93%')];
}

/** ValidatePositiveIntOrPercent (pkg/apis/apps/validation). */
export function validatePositiveIntOrPercent(v: IntOrString | undefined, path: FieldPath): FieldError[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return isValidPercent(v).map((m) => invalid(path, v, m));
  if (typeof v === 'number' && Number.isInteger(v)) return nonNegative(v, path);
  return [invalid(path, v, "must be an integer or percentage (e.g '5%')")];
}

function percentValue(v: IntOrString | undefined): number | undefined {
  if (typeof v !== 'string' || isValidPercent(v).length) return undefined;
  return Number.parseInt(v.slice(0, -1), 10);
}

/** getIntOrPercentValue: the percent number for "N%", the integer for ints, else 0 (as IntValue of junk). */
export function intOrPercentValue(v: IntOrString | undefined): number {
  const p = percentValue(v);
  if (p !== undefined) return p;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = Number.parseInt(v, 10);
    return Number.isNaN(n) ? 0 : n;
  }
  return 0;
}

/** IsNotMoreThan100Percent. */
export function notMoreThan100Percent(v: IntOrString | undefined, path: FieldPath): FieldError[] {
  const p = percentValue(v);
  return p === undefined || p <= 100 ? [] : [invalid(path, v, 'must not be greater than 100%')];
}

/** What `isObject` narrows to: the object members of a typed value, or a plain record for `unknown`. */
type ObjectPart<T> = unknown extends T ? Record<string, unknown> : Extract<NonNullable<T>, object>;

/** A JSON object (not null, not an array); keeps the static type of typed values. */
export function isObject<T>(v: T): v is T & ObjectPart<T> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
