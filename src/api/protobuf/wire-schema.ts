/**
 * The protobuf wire schema of the built-in kinds, read from `wire-schema.json`: for each message,
 * its fields' numbers, JSON names, value kinds and the Go JSON tag facts (omitempty, pointer) that
 * decide which zero values the Go types would marshal. The table is generated from the
 * `generated.proto` and `types.go` files of k8s.io/api and k8s.io/apimachinery v0.32.
 *
 * Table format:
 * - `kinds`: `"<apiVersion>/<Kind>"` → message name, for the kinds a request body may carry.
 * - `types`: message name → rows `[fieldNumber, jsonName, kind, repeated, omitEmpty, pointer]`;
 *   `jsonName` "" marks an embedded Go struct whose fields JSON inlines into the parent;
 *   `kind` is a scalar (`string`, `int32`, `int64`, `bool`, `double`, `bytes`, ...),
 *   `message:<Type>`, or `map:<keyKind>:<valueKind>`.
 * - `arrays`: message name → item kind, for Go named slices (`type ExtraValue []string`) that
 *   protobuf wraps in a message with one repeated field 1 and JSON writes as a plain array.
 * Message names drop the `k8s.io.api.` / `k8s.io.apimachinery.pkg.(apis.)` prefix of the proto package.
 */
import table from './wire-schema.json' with { type: 'json' };

export type ScalarKind = 'string' | 'bytes' | 'bool' | 'int32' | 'int64' | 'uint32' | 'uint64' | 'double' | 'float';

export type ValueKind = { scalar: ScalarKind } | { message: string };

export interface FieldSpec {
  number: number;
  /** The JSON name; "" when the field is an embedded struct inlined into its parent. */
  jsonName: string;
  value: ValueKind;
  /** Set for map fields: the key kind (always a scalar). */
  mapKey?: ScalarKind;
  repeated: boolean;
  omitEmpty: boolean;
  pointer: boolean;
}

export interface MessageSpec {
  name: string;
  fields: readonly FieldSpec[];
  byNumber: ReadonlyMap<number, FieldSpec>;
}

type Row = [number, string, string, number, number, number];
interface Table {
  kinds: Record<string, string>;
  arrays: Record<string, string>;
  types: Record<string, Row[]>;
}

const raw = table as unknown as Table;
const scalarKinds = new Set<string>(['string', 'bytes', 'bool', 'int32', 'int64', 'uint32', 'uint64', 'double', 'float']);

function parseValueKind(kind: string): ValueKind {
  if (kind.startsWith('message:')) return { message: kind.slice('message:'.length) };
  if (!scalarKinds.has(kind)) throw new Error(`wire schema: unknown kind ${kind}`);
  return { scalar: kind as ScalarKind };
}

function parseRow([number, jsonName, kind, repeated, omitEmpty, pointer]: Row): FieldSpec {
  const base = { number, jsonName, repeated: repeated === 1, omitEmpty: omitEmpty === 1, pointer: pointer === 1 };
  if (kind.startsWith('map:')) {
    const [, key, ...rest] = kind.split(':');
    const mapKey = parseValueKind(key!);
    if (!('scalar' in mapKey)) throw new Error(`wire schema: map key ${kind}`);
    return { ...base, mapKey: mapKey.scalar, value: parseValueKind(rest.join(':')) };
  }
  return { ...base, value: parseValueKind(kind) };
}

const messages = new Map<string, MessageSpec>();

/** The schema of a message type, or undefined when the table does not hold it. */
export function messageSpec(name: string): MessageSpec | undefined {
  let spec = messages.get(name);
  if (spec) return spec;
  const rows = Object.hasOwn(raw.types, name) ? raw.types[name] : undefined;
  if (!rows) return undefined;
  const fields = rows.map(parseRow);
  spec = { name, fields, byNumber: new Map(fields.map((f) => [f.number, f])) };
  messages.set(name, spec);
  return spec;
}

/** For a Go named-slice wrapper message, the kind of its items. */
export function arrayItemKind(name: string): ValueKind | undefined {
  return Object.hasOwn(raw.arrays, name) ? parseValueKind(raw.arrays[name]!) : undefined;
}

/** Kinds every group version carries (registered by metav1.AddToGroupVersion). */
const metaKinds = new Set(['DeleteOptions', 'Status']);

/** The message type of a request body of this apiVersion and kind, if it is one we decode. */
export function messageForKind(apiVersion: string, kind: string): string | undefined {
  const key = `${apiVersion}/${kind}`;
  if (Object.hasOwn(raw.kinds, key)) return raw.kinds[key];
  if (metaKinds.has(kind)) return raw.kinds[`meta.k8s.io/v1/${kind}`];
  return undefined;
}
