/**
 * Field rules shared by the Gateway API strategies: the OpenAPI patterns, lengths and item limits of
 * the Gateway API v1.2 CRDs, reported with the wording kube-apiserver uses for CRD schema
 * violations (`<path> in body should match '<pattern>'`, `Too long: may not be longer than N`,
 * `Too many: N: must have at most M items`) and CEL rule failures (`Invalid value: "object": <message>`).
 */
import { type FieldError, type FieldPath, invalid, notSupported, required } from '../../field-errors.js';

export const hostnamePattern = '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** PreciseHostname: no wildcard (redirect and rewrite host names). */
export const preciseHostnamePattern = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const sectionNamePattern = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const groupPattern = '^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const kindPattern = '^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$';
export const namespacePattern = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const headerNamePattern = "^[A-Za-z0-9!#$%&'*+\\-.^_\\x60|~]+$";
export const durationPattern = '^([0-9]{1,5}(h|m|s|ms)){1,4}$';
export const controllerNamePattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\/[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$";
export const protocolPattern = '^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\/[A-Za-z0-9]+$';
export const pathCharsPattern = "^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$";

/** JS form of a schema pattern (the `\x60` escape is a backtick in both). */
const compiled = new Map<string, RegExp>();
const re = (pattern: string): RegExp => {
  let r = compiled.get(pattern);
  if (!r) compiled.set(pattern, (r = new RegExp(pattern)));
  return r;
};

/** `<path>: Invalid value: "<v>": <path> in body should match '<pattern>'`. */
export function patternErrors(v: string, pattern: string, path: FieldPath): FieldError[] {
  return re(pattern).test(v) ? [] : [invalid(path, v, `${path.toString()} in body should match '${pattern}'`)];
}

export function lengthErrors(v: string, path: FieldPath, max: number, min = 0): FieldError[] {
  if (v.length > max) return [{ type: 'FieldValueTooLong', field: path.toString(), value: v, detail: `may not be longer than ${max}` }];
  if (v.length < min) return [invalid(path, v, `${path.toString()} in body should be at least ${min} chars long`)];
  return [];
}

/** A string with a pattern and length limits; `required` when absent and `must`. */
export function stringErrors(v: string | undefined, path: FieldPath, opts: { pattern?: string; max: number; min?: number; must?: boolean }): FieldError[] {
  if (v === undefined || v === null) return opts.must ? [required(path)] : [];
  const len = lengthErrors(v, path, opts.max, opts.min ?? 0);
  if (len.length) return len;
  return opts.pattern ? patternErrors(v, opts.pattern, path) : [];
}

export function enumErrors(v: string | number | undefined, path: FieldPath, values: readonly (string | number)[]): FieldError[] {
  if (v === undefined || values.includes(v)) return [];
  return [notSupported(path, v, values.map(String))];
}

export function tooManyItems(items: readonly unknown[] | undefined, path: FieldPath, max: number): FieldError[] {
  const n = items?.length ?? 0;
  return n > max ? [{ type: 'FieldValueTooMany', field: path.toString(), value: n, detail: `must have at most ${max} items` }] : [];
}

export function intRangeErrors(v: number | undefined, path: FieldPath, min: number, max: number): FieldError[] {
  if (v === undefined) return [];
  if (v < min) return [invalid(path, v, `${path.toString()} in body should be greater than or equal to ${min}`)];
  if (v > max) return [invalid(path, v, `${path.toString()} in body should be less than or equal to ${max}`)];
  return [];
}

/** A failed CEL rule on an object (`"object"`) or a list (`"array"`). */
export const rule = (path: FieldPath, what: 'object' | 'array' | 'string', message: string): FieldError => invalid(path, what, message);

/** Duplicate keys of a `listType=map` list: `Duplicate value: {"name":"x"}`. */
export function duplicateKeyErrors<T>(items: readonly T[] | undefined, path: FieldPath, key: (t: T) => string | undefined, keyName = 'name'): FieldError[] {
  const seen = new Set<string>();
  const errs: FieldError[] = [];
  (items ?? []).forEach((item, i) => {
    const k = key(item);
    if (k === undefined) return;
    if (seen.has(k)) errs.push({ type: 'FieldValueDuplicate', field: path.index(i).toString(), value: { [keyName]: k } });
    seen.add(k);
  });
  return errs;
}

/** Gateway API duration (`1h`, `30s`, `500ms`, `1m30s`) in milliseconds; undefined when malformed. */
export function parseGatewayDuration(v: string): number | undefined {
  if (!re(durationPattern).test(v)) return undefined;
  let ms = 0;
  for (const m of v.matchAll(/([0-9]+)(ms|h|m|s)/g)) {
    const n = Number(m[1]);
    ms += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
  }
  return ms;
}
