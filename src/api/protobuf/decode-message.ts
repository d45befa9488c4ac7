/**
 * Schema-driven decoding of one protobuf message into the JSON value that the Go type marshals to.
 *
 * go-to-protobuf writes proto2 messages in which every non-pointer Go field is always on the wire,
 * empty or not; pointers are present exactly when non-nil; a nil and an empty slice or map look the
 * same (absent). So the JSON is rebuilt from the Go JSON tags recorded in the schema:
 * - a scalar, slice or map with `omitempty` is dropped when empty; without it, an absent slice or
 *   map is `null` and an absent scalar is its zero value;
 * - a pointer is written whenever it is present (even when it points at a zero value), and when
 *   absent is dropped with `omitempty`, else `null`;
 * - a non-pointer struct is always written (encoding/json ignores `omitempty` on structs), as the
 *   zero struct when absent; an embedded struct with no JSON name is inlined into its parent.
 * Unknown field numbers are skipped, as protobuf does, so newer clients still decode.
 */
import { arrayItemKind, messageSpec, type FieldSpec, type ScalarKind, type ValueKind } from './wire-schema.js';
import { wellKnownTypes, type EmbeddedDecoder } from './well-known.js';
import { WireFormatError, WireReader, WireType } from './wire-reader.js';

/** Deeper nesting than any built-in type has: guards against hostile input and schema cycles. */
const maxDepth = 100;

const textDecoder = new TextDecoder();
const emptyBytes = new Uint8Array(0);

interface DecodeState {
  embedded: EmbeddedDecoder;
  depth: number;
}

/** Decodes `body` as message `typeName` into its JSON value (usually an object). */
export function decodeMessage(typeName: string, body: Uint8Array, embedded: EmbeddedDecoder): unknown {
  return decodeValue(typeName, body, { embedded, depth: 0 });
}

function decodeValue(typeName: string, body: Uint8Array, state: DecodeState): unknown {
  if (state.depth >= maxDepth) throw new WireFormatError('max depth exceeded');
  const inner = { embedded: state.embedded, depth: state.depth + 1 };
  const wellKnown = wellKnownTypes.get(typeName);
  if (wellKnown) return wellKnown(body, state.embedded);
  const itemKind = arrayItemKind(typeName);
  if (itemKind) return decodeArrayWrapper(typeName, itemKind, body, inner);
  return decodeStruct(typeName, body, inner);
}

const wireTypeOf: Record<ScalarKind, number> = {
  string: WireType.LengthDelimited,
  bytes: WireType.LengthDelimited,
  bool: WireType.Varint,
  int32: WireType.Varint,
  int64: WireType.Varint,
  uint32: WireType.Varint,
  uint64: WireType.Varint,
  double: WireType.Fixed64,
  float: WireType.Fixed32,
};

function readScalar(kind: ScalarKind, r: WireReader): unknown {
  switch (kind) {
    case 'string':
      return textDecoder.decode(r.bytes());
    case 'bytes':
      return Buffer.from(r.bytes()).toString('base64');
    case 'bool':
      return r.varint() !== 0n;
    case 'int32':
      return Number(BigInt.asIntN(32, r.varint()));
    case 'int64':
      return Number(BigInt.asIntN(64, r.varint()));
    case 'uint32':
      return Number(BigInt.asUintN(32, r.varint()));
    case 'uint64':
      return Number(r.varint());
    case 'double':
    case 'float': {
      const v = kind === 'double' ? r.fixed64().getFloat64(0, true) : r.fixed32().getFloat32(0, true);
      if (!Number.isFinite(v)) throw new WireFormatError(`unsupported value: ${v}`);
      return v;
    }
  }
}

function zeroScalar(kind: ScalarKind): unknown {
  switch (kind) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'bytes':
      return null; // a nil []byte marshals as null
    default:
      return 0;
  }
}

const isZeroScalar = (v: unknown): boolean => v === '' || v === 0 || v === false || v === null;

/** Reads one value of `kind` from a record of `wireType`. */
function readValue(kind: ValueKind, wireType: number, r: WireReader, state: DecodeState, where: string): unknown {
  const expected = 'scalar' in kind ? wireTypeOf[kind.scalar] : WireType.LengthDelimited;
  if (wireType !== expected) throw new WireFormatError(`wrong wireType = ${wireType} for field ${where}`);
  return 'scalar' in kind ? readScalar(kind.scalar, r) : decodeValue(kind.message, r.bytes(), state);
}

function zeroValue(kind: ValueKind, state: DecodeState): unknown {
  return 'scalar' in kind ? zeroScalar(kind.scalar) : decodeValue(kind.message, emptyBytes, state);
}

/** Sets an own enumerable property even for keys such as `__proto__` (map keys come from the client). */
function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function decodeMapEntry(field: FieldSpec, body: Uint8Array, state: DecodeState, where: string): [string, unknown] {
  const r = new WireReader(body);
  let key: unknown;
  let value: unknown;
  let hasValue = false;
  while (!r.done()) {
    const { field: n, wireType } = r.tag();
    if (n === 1) key = readValue({ scalar: field.mapKey! }, wireType, r, state, `${where} key`);
    else if (n === 2) {
      value = readValue(field.value, wireType, r, state, `${where} value`);
      hasValue = true;
    } else r.skip(wireType);
  }
  // generated Unmarshal starts a []byte map value as []byte{} (marshals as ""), not nil
  const missing = 'scalar' in field.value && field.value.scalar === 'bytes' ? '' : zeroValue(field.value, state);
  return [String(key ?? zeroScalar(field.mapKey!)), hasValue ? value : missing];
}

/** Packed encoding of a repeated scalar: one length-delimited record holding the values back to back. */
function readPacked(kind: ScalarKind, r: WireReader, out: unknown[]): void {
  const payload = r.bytes();
  const inner = new WireReader(payload);
  while (!inner.done()) out.push(readScalar(kind, inner));
}

function decodeArrayWrapper(typeName: string, item: ValueKind, body: Uint8Array, state: DecodeState): unknown[] | null {
  const items: unknown[] = [];
  const r = new WireReader(body);
  while (!r.done()) {
    const { field, wireType } = r.tag();
    if (field !== 1) r.skip(wireType);
    else if ('scalar' in item && wireType === WireType.LengthDelimited && wireTypeOf[item.scalar] !== WireType.LengthDelimited) readPacked(item.scalar, r, items);
    else items.push(readValue(item, wireType, r, state, `${typeName}.items`));
  }
  return items.length > 0 ? items : null; // a nil slice marshals as null
}

function decodeStruct(typeName: string, body: Uint8Array, state: DecodeState): Record<string, unknown> {
  const spec = messageSpec(typeName);
  if (!spec) throw new WireFormatError(`no schema for message ${typeName}`);
  const values = new Map<number, unknown>();
  const r = new WireReader(body);
  while (!r.done()) {
    const { field: n, wireType } = r.tag();
    const field = spec.byNumber.get(n);
    if (!field) {
      r.skip(wireType);
      continue;
    }
    const where = `${typeName}.${field.jsonName || n}`;
    if (field.mapKey) {
      if (wireType !== WireType.LengthDelimited) throw new WireFormatError(`wrong wireType = ${wireType} for field ${where}`);
      let entries = values.get(n) as Record<string, unknown> | undefined;
      if (!entries) values.set(n, (entries = {}));
      const [k, v] = decodeMapEntry(field, r.bytes(), state, where);
      setOwn(entries, k, v);
    } else if (field.repeated) {
      let items = values.get(n) as unknown[] | undefined;
      if (!items) values.set(n, (items = []));
      const kind = field.value;
      if ('scalar' in kind && wireType === WireType.LengthDelimited && wireTypeOf[kind.scalar] !== WireType.LengthDelimited) readPacked(kind.scalar, r, items);
      else items.push(readValue(kind, wireType, r, state, where));
    } else {
      values.set(n, readValue(field.value, wireType, r, state, where));
    }
  }

  const out: Record<string, unknown> = {};
  for (const field of spec.fields) {
    const present = values.has(field.number);
    const value = values.get(field.number);
    if (field.mapKey || field.repeated) {
      if (present) out[field.jsonName] = sortedIfMap(field, value);
      else if (!field.omitEmpty) out[field.jsonName] = null;
      continue;
    }
    if (!present) {
      if (field.pointer) {
        if (!field.omitEmpty) out[field.jsonName] = null;
        continue;
      }
      if ('scalar' in field.value) {
        if (!field.omitEmpty) out[field.jsonName] = zeroScalar(field.value.scalar);
        continue;
      }
      emitStruct(out, field, zeroValue(field.value, state));
      continue;
    }
    if ('scalar' in field.value) {
      if (field.pointer || !field.omitEmpty || !isZeroScalar(value)) out[field.jsonName] = value;
      continue;
    }
    emitStruct(out, field, value);
  }
  return out;
}

/** Writes a struct-valued field, inlining an embedded struct's properties into the parent. */
function emitStruct(out: Record<string, unknown>, field: FieldSpec, value: unknown): void {
  if (field.jsonName !== '') {
    out[field.jsonName] = value;
    return;
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) Object.assign(out, value);
}

/** encoding/json writes map keys sorted; keep the same order so output is deterministic. */
function sortedIfMap(field: FieldSpec, value: unknown): unknown {
  if (!field.mapKey) return value;
  const entries = value as Record<string, unknown>;
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(entries).sort()) setOwn(sorted, k, entries[k]);
  return sorted;
}
