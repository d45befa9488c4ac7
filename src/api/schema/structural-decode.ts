/**
 * Structural decoding of a request body against the API schema: the checks that kube-apiserver's
 * JSON decoder makes while it unmarshals into the Go types (k8s.io/apimachinery's strict
 * serializer over sigs.k8s.io/json), done here over the parsed JSON value.
 *
 * - Unknown fields: reported as `unknown field "spec.template.spec.containers[0].imagePullPolicyy"`
 *   (full JSON path, list indices in brackets). fieldValidation=Strict turns them into a 400,
 *   Warn into warnings, Ignore drops them; `prune` removes them in the latter two cases.
 * - Duplicate fields: JSON.parse keeps the last value silently, so `findDuplicateFields` scans the
 *   raw text; reported as `duplicate field "metadata.name"`.
 * - Type mismatches: encoding/json's UnmarshalTypeError wording, e.g.
 *   `json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`.
 *   kube-apiserver answers 400 with `<Kind> in version "<v>" cannot be handled as a <Kind>: <that>`
 *   (see `cannotBeHandledMessage`); only the first type error is reported, like the Go decoder.
 */
import type { SchemaNode, SchemaResolver } from './schema-types.js';
import { refName } from './schema-types.js';

export interface DecodeTypeError {
  /** JSON path with list indices (`spec.template.spec.containers[0].ports[0].containerPort`). */
  path: string;
  /** encoding/json's message for this mismatch. */
  message: string;
}

export interface FieldCheck {
  /** Paths of fields the schema does not declare, in document order. */
  unknown: string[];
  typeErrors: DecodeTypeError[];
}

/** Where the walk is, in both of the path styles the messages need. */
interface Cursor {
  /** Path with indices, for unknown/duplicate field messages. */
  path: string;
  /** encoding/json's field stack: struct field names only (no indices, no map keys). */
  goField: string;
  /** The Go struct whose field we are in. */
  goStruct: string;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);
const shortName = (definition: string): string => definition.slice(definition.lastIndexOf('.') + 1);
const pkgAlias = (definition: string): string => {
  const parts = definition.split('.');
  return parts[parts.length - 2] ?? '';
};

/** The Go type name encoding/json prints for a schema node (`int32`, `[]v1.Container`, `v1.PodSpec`). */
export function goTypeName(node: SchemaNode): string {
  if (node.$ref) {
    const name = refName(node.$ref);
    return `${pkgAlias(name)}.${shortName(name)}`;
  }
  switch (node.type) {
    case 'integer':
      return node.format === 'int64' ? 'int64' : 'int32';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'string':
      return node.format === 'byte' ? '[]uint8' : 'string';
    case 'array':
      return `[]${node.items ? goTypeName(node.items) : 'interface {}'}`;
    case 'object':
      if (node.additionalProperties && typeof node.additionalProperties === 'object') return `map[string]${goTypeName(node.additionalProperties)}`;
      return 'map[string]interface {}';
    default:
      return 'interface {}';
  }
}

/** encoding/json's name for the kind of a JSON value (`string`, `number 1.5`, `object`). */
function jsonKind(v: unknown, withNumber = false): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return withNumber ? `number ${String(v)}` : 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

const intRange = { int32: [-2147483648, 2147483647], int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] } as const;

type Visitor = {
  unknown(path: string): void;
  typeError(e: DecodeTypeError): void;
};

function walk(value: unknown, raw: SchemaNode, resolver: SchemaResolver, at: Cursor, visit: Visitor): void {
  if (value === null || value === undefined) return; // null leaves the Go zero value: never an error
  const refDef = raw.$ref ? refName(raw.$ref) : undefined;
  const node = resolver.resolve(raw);
  const mismatch = (got: string): void => {
    const message = at.goField
      ? `json: cannot unmarshal ${got} into Go struct field ${at.goStruct}.${at.goField} of type ${goTypeName(raw)}`
      : `json: cannot unmarshal ${got} into Go value of type ${goTypeName(raw)}`;
    visit.typeError({ path: at.path, message });
  };

  if (refDef?.endsWith('.resource.Quantity')) {
    // Quantity.UnmarshalJSON takes a quoted or a bare number.
    if (typeof value !== 'string' && typeof value !== 'number') {
      visit.typeError({ path: at.path, message: `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'` });
    }
    return;
  }
  if (node.format === 'int-or-string' || node['x-kubernetes-int-or-string']) {
    // IntOrString.UnmarshalJSON: a string, else an int32 through json.Unmarshal (no field context).
    if (typeof value === 'string') return;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < intRange.int32[0] || value > intRange.int32[1]) {
      visit.typeError({ path: at.path, message: `json: cannot unmarshal ${jsonKind(value, true)} into Go value of type int32` });
    }
    return;
  }
  if (node['x-kubernetes-preserve-unknown-fields'] && !node.properties) return;

  switch (node.type) {
    case undefined:
      return;
    case 'string':
      if (typeof value !== 'string') mismatch(jsonKind(value));
      return;
    case 'boolean':
      if (typeof value !== 'boolean') mismatch(jsonKind(value));
      return;
    case 'number':
      if (typeof value !== 'number') mismatch(jsonKind(value));
      return;
    case 'integer': {
      if (typeof value !== 'number') return mismatch(jsonKind(value));
      const [lo, hi] = intRange[node.format === 'int64' ? 'int64' : 'int32'];
      if (!Number.isInteger(value) || value < lo || value > hi) mismatch(jsonKind(value, true));
      return;
    }
    case 'array': {
      if (!Array.isArray(value)) return mismatch(jsonKind(value));
      const items = node.items;
      if (!items) return;
      value.forEach((item, i) => walk(item, items, resolver, { ...at, path: `${at.path}[${i}]` }, visit));
      return;
    }
    case 'object': {
      if (!isPlainObject(value)) return mismatch(jsonKind(value));
      const props = node.properties;
      const extra = node.additionalProperties;
      if (!props && extra === undefined) return; // an opaque object (FieldsV1, Patch)
      const struct = refDef ? shortName(refDef) : at.goStruct;
      for (const [key, v] of Object.entries(value)) {
        const path = join(at.path, key);
        const prop = props?.[key];
        if (prop) {
          walk(v, prop, resolver, { path, goField: join(at.goField, key), goStruct: struct }, visit);
        } else if (extra && typeof extra === 'object') {
          walk(v, extra, resolver, { path, goField: at.goField, goStruct: at.goStruct }, visit);
        } else if (extra !== true) {
          visit.unknown(path);
        }
      }
      return;
    }
  }
}

/** A kind's root node as a `$ref`, so that the walk knows the Go struct name of top-level fields. */
function rootRef(root: SchemaNode, resolver: SchemaResolver): SchemaNode {
  const gvk = root['x-kubernetes-group-version-kind']?.[0];
  const name = gvk && resolver.definitionNameForKind(gvk.group, gvk.version, gvk.kind);
  return name && resolver.definition(name) === root ? { $ref: `#/definitions/${name}` } : root;
}

/** Unknown fields and type mismatches of `obj` against `root` (a kind's root node). */
export function checkFields(obj: unknown, root: SchemaNode, resolver: SchemaResolver): FieldCheck {
  const out: FieldCheck = { unknown: [], typeErrors: [] };
  walk(obj, rootRef(root, resolver), resolver, { path: '', goField: '', goStruct: '' }, {
    unknown: (p) => out.unknown.push(p),
    typeError: (e) => out.typeErrors.push(e),
  });
  return out;
}

/**
 * A copy of `obj` without the fields the schema does not declare (fieldValidation=Ignore/Warn
 * behaviour: the Go decoder simply drops them). Values of the wrong type are kept as they are.
 */
export function prune<T>(obj: T, root: SchemaNode, resolver: SchemaResolver): { pruned: T; removed: string[] } {
  const removed: string[] = [];
  const copy = (value: unknown, raw: SchemaNode, path: string): unknown => {
    if (Array.isArray(value)) {
      const node = resolver.resolve(raw);
      return node.type === 'array' && node.items ? value.map((v, i) => copy(v, node.items!, `${path}[${i}]`)) : structuredClone(value);
    }
    if (!isPlainObject(value)) return value;
    const node = resolver.resolve(raw);
    const props = node.properties;
    const extra = node.additionalProperties;
    if (node.type !== 'object' || (!props && extra === undefined) || node['x-kubernetes-preserve-unknown-fields']) return structuredClone(value);
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const p = join(path, key);
      const child = props?.[key] ?? (typeof extra === 'object' ? extra : undefined);
      if (child) out[key] = copy(v, child, p);
      else if (extra === true) out[key] = structuredClone(v);
      else removed.push(p);
    }
    return out;
  };
  return { pruned: copy(obj, rootRef(root, resolver), '') as T, removed };
}

export const unknownFieldMessage = (path: string): string => `unknown field "${path}"`;
export const duplicateFieldMessage = (path: string): string => `duplicate field "${path}"`;

/** runtime.NewStrictDecodingError's text: `strict decoding error: <e1>, <e2>`. */
export function strictDecodingMessage(problems: readonly string[]): string {
  return `strict decoding error: ${problems.join(', ')}`;
}

/** The 400 message kube-apiserver builds around a decode error (handlers/rest.go transformDecodeError). */
export function cannotBeHandledMessage(kind: string, version: string, detail: string): string {
  return `${kind} in version "${version}" cannot be handled as a ${kind}: ${detail}`;
}

/**
 * Paths of repeated object keys in a JSON text, in the unknown-field path style. Tolerates malformed
 * input (it only reports what it could scan); JSON.parse is the judge of syntax.
 */
export function findDuplicateFields(text: string): string[] {
  const dups: string[] = [];
  type Frame = { kind: 'object'; path: string; keys: Set<string>; pendingKey?: string } | { kind: 'array'; path: string; index: number };
  const stack: Frame[] = [];
  /** Path of the value that starts now, inside the top frame. */
  const valuePath = (): string => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    if (top.kind === 'array') return `${top.path}[${top.index}]`;
    return join(top.path, top.pendingKey ?? '');
  };
  let expectKey = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      let s = '';
      let simple = true;
      while (j < n && text[j] !== '"') {
        if (text[j] === '\\') {
          simple = false;
          j += 2;
        } else j++;
      }
      const rawStr = text.slice(i, j + 1);
      if (simple) s = rawStr.slice(1, -1);
      else {
        try {
          s = JSON.parse(rawStr) as string;
        } catch {
          s = rawStr.slice(1, -1);
        }
      }
      i = j + 1;
      const top = stack[stack.length - 1];
      if (expectKey && top?.kind === 'object') {
        if (top.keys.has(s)) dups.push(join(top.path, s));
        top.keys.add(s);
        top.pendingKey = s;
        expectKey = false;
      }
      continue;
    }
    if (c === '{') {
      stack.push({ kind: 'object', path: valuePath(), keys: new Set() });
      expectKey = true;
    } else if (c === '[') {
      stack.push({ kind: 'array', path: valuePath(), index: 0 });
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectKey = false;
    } else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top?.kind === 'array') top.index++;
      else if (top?.kind === 'object') expectKey = true;
    }
    i++;
  }
  return dups;
}
