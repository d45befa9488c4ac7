/**
 * Field errors in the shape and wording of k8s.io/apimachinery/pkg/util/validation/field.
 * Validation functions return lists of these; they never throw and never mutate.
 * The apiserver turns a non-empty list into a 422 `Invalid` Status with one cause per error.
 */

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueDuplicate'
  | 'FieldValueNotFound'
  | 'InternalError';

export interface FieldError {
  type: FieldErrorType;
  /** Field path in Kubernetes notation, e.g. `spec.containers[0].image`, `metadata.labels[app]`. */
  field: string;
  /** The offending value, when the error type prints one. */
  value?: unknown;
  detail?: string;
}

/** Builds field paths the way field.Path does: `spec`, `.child`, `[3]`, `[key]`. */
export class FieldPath {
  private constructor(private readonly parts: string) {}
  static root(name: string): FieldPath {
    return new FieldPath(name);
  }
  child(...names: string[]): FieldPath {
    let p = this.parts;
    for (const n of names) p = p ? `${p}.${n}` : n;
    return new FieldPath(p);
  }
  index(i: number): FieldPath {
    return new FieldPath(`${this.parts}[${i}]`);
  }
  key(k: string): FieldPath {
    return new FieldPath(`${this.parts}[${k}]`);
  }
  toString(): string {
    return this.parts;
  }
}

type PathLike = FieldPath | string;
const p = (path: PathLike): string => (typeof path === 'string' ? path : path.toString());

export const required = (path: PathLike, detail?: string): FieldError => ({ type: 'FieldValueRequired', field: p(path), detail });
export const invalid = (path: PathLike, value: unknown, detail?: string): FieldError => ({ type: 'FieldValueInvalid', field: p(path), value, detail });
export const notSupported = (path: PathLike, value: unknown, supported: readonly string[]): FieldError => ({
  type: 'FieldValueNotSupported',
  field: p(path),
  value,
  detail: supported.length ? `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` : undefined,
});
export const forbidden = (path: PathLike, detail: string): FieldError => ({ type: 'FieldValueForbidden', field: p(path), detail });
export const tooLong = (path: PathLike, value: unknown, max: number): FieldError => ({
  type: 'FieldValueTooLong',
  field: p(path),
  value,
  detail: `may not be more than ${max} bytes`,
});
export const tooMany = (path: PathLike, actual: number, max: number): FieldError => ({
  type: 'FieldValueTooMany',
  field: p(path),
  value: actual,
  detail: `must have at most ${max} items`,
});
export const duplicate = (path: PathLike, value: unknown): FieldError => ({ type: 'FieldValueDuplicate', field: p(path), value });
export const notFound = (path: PathLike, value: unknown): FieldError => ({ type: 'FieldValueNotFound', field: p(path), value });
export const internalError = (path: PathLike, detail: string): FieldError => ({ type: 'InternalError', field: p(path), detail });

const typeText: Record<FieldErrorType, string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueNotFound: 'Not found',
  InternalError: 'Internal error',
};

/** Types whose message omits the value, as in field.Error.ErrorBody. */
const omitsValue = new Set<FieldErrorType>(['FieldValueRequired', 'FieldValueForbidden', 'FieldValueTooLong', 'InternalError']);

/** Formats a value the way field.Error does (%q for strings, %d for numbers, Go-ish for the rest). */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  // Values that know their Go rendering (Stringers, %#v structs) print as they say.
  if (typeof value === 'object' && Object.getPrototypeOf(value) !== Object.prototype && !Array.isArray(value) && typeof (value as { toString?: unknown }).toString === 'function')
    return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** The message body without the field name, e.g. `Invalid value: "x": must be ...`. */
export function errorBody(e: FieldError): string {
  let s = typeText[e.type];
  if (!omitsValue.has(e.type) && e.value !== undefined) s += `: ${formatValue(e.value)}`;
  if (e.detail) s += `: ${e.detail}`;
  return s;
}

/** The full message, e.g. `spec.containers[0].image: Required value`. */
export function errorMessage(e: FieldError): string {
  return e.field ? `${e.field}: ${errorBody(e)}` : errorBody(e);
}
