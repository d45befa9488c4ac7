/**
 * The apimachinery types whose protobuf message differs from their JSON form, each decoded to the
 * JSON its Go `MarshalJSON` writes. Each decoder also maps the empty message to the JSON of the Go
 * zero value, which is what a non-pointer field that is absent on the wire marshals to.
 *
 * Follows k8s.io/apimachinery: pkg/apis/meta/v1/time.go, time_proto.go, micro_time.go,
 * micro_time_proto.go, types.go (FieldsV1), pkg/api/resource/quantity_proto.go,
 * pkg/util/intstr/intstr.go and pkg/runtime/extension.go (RawExtension).
 */
import { canonicalQuantity, parseQuantityResult } from '../quantity.js';
import { WireFormatError, WireReader, WireType } from './wire-reader.js';

/** Decodes an embedded Kubernetes protobuf object (`k8s\0` envelope) to its JSON object. */
export type EmbeddedDecoder = (body: Uint8Array) => Record<string, unknown>;

export type WellKnownDecoder = (body: Uint8Array, embedded: EmbeddedDecoder) => unknown;

const textDecoder = new TextDecoder();

/** Reads the fields of a small message as varints or byte strings, keyed by field number. */
function readFields(body: Uint8Array, what: string): Map<number, bigint | Uint8Array> {
  const out = new Map<number, bigint | Uint8Array>();
  const r = new WireReader(body);
  while (!r.done()) {
    const { field, wireType } = r.tag();
    if (wireType === WireType.Varint) out.set(field, r.varint());
    else if (wireType === WireType.LengthDelimited) out.set(field, r.bytes());
    else if (wireType === WireType.Fixed64 || wireType === WireType.Fixed32) r.skip(wireType);
    else throw new WireFormatError(`${what}: illegal wireType ${wireType}`);
  }
  return out;
}

function varintField(fields: Map<number, bigint | Uint8Array>, n: number, what: string): bigint {
  const v = fields.get(n) ?? 0n;
  if (typeof v !== 'bigint') throw new WireFormatError(`${what}: wrong wireType for field ${n}`);
  return v;
}

function bytesField(fields: Map<number, bigint | Uint8Array>, n: number, what: string): Uint8Array | undefined {
  const v = fields.get(n);
  if (v !== undefined && typeof v === 'bigint') throw new WireFormatError(`${what}: wrong wireType for field ${n}`);
  return v;
}

/**
 * `Timestamp{seconds, nanos}` as UTC RFC 3339; `fractionDigits` 0 for Time, 6 for MicroTime.
 * The empty message is the zero time, which marshals as null.
 */
function timestamp(body: Uint8Array, fractionDigits: 0 | 6, what: string): string | null {
  if (body.length === 0) return null;
  const f = readFields(body, what);
  const seconds = BigInt.asIntN(64, varintField(f, 1, what));
  const nanos = BigInt.asIntN(32, varintField(f, 2, what));
  // time.Unix normalises nanos outside [0, 1e9) into the seconds.
  const total = seconds * 1_000_000_000n + nanos;
  let secs = total / 1_000_000_000n;
  let frac = total % 1_000_000_000n;
  if (frac < 0n) {
    frac += 1_000_000_000n;
    secs -= 1n;
  }
  const ms = Number(secs) * 1000;
  const date = new Date(ms);
  const year = Number.isNaN(date.getTime()) ? -1 : date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new WireFormatError(`${what}: year outside of range [0,9999]`);
  const base = date.toISOString().slice(0, 19); // YYYY-MM-DDTHH:MM:SS
  if (fractionDigits === 0) return `${base}Z`;
  return `${base}.${(frac / 1000n).toString().padStart(6, '0')}Z`;
}

function quantity(body: Uint8Array): string {
  const s = bytesField(readFields(body, 'Quantity'), 1, 'Quantity');
  if (s === undefined) return '0';
  const text = textDecoder.decode(s);
  const parsed = parseQuantityResult(text);
  if (!parsed.ok) throw new WireFormatError(`Quantity: ${parsed.error}`);
  return canonicalQuantity(text) ?? text;
}

function intOrString(body: Uint8Array): number | string {
  const f = readFields(body, 'IntOrString');
  const type = BigInt.asIntN(64, varintField(f, 1, 'IntOrString'));
  if (type === 0n) return Number(BigInt.asIntN(32, varintField(f, 2, 'IntOrString')));
  if (type === 1n) {
    const s = bytesField(f, 3, 'IntOrString');
    return s === undefined ? '' : textDecoder.decode(s);
  }
  throw new WireFormatError('impossible IntOrString.Type');
}

const k8sMagic = [0x6b, 0x38, 0x73, 0x00];

export function hasKubernetesMagic(body: Uint8Array): boolean {
  return body.length >= 4 && k8sMagic.every((b, i) => body[i] === b);
}

/** Raw JSON bytes (RawExtension, FieldsV1): parsed; nil or empty bytes marshal as null. */
function rawJSON(body: Uint8Array, what: string, embedded: EmbeddedDecoder): unknown {
  const raw = bytesField(readFields(body, what), 1, what);
  if (raw === undefined || raw.length === 0) return null;
  // A client that set RawExtension.Object encodes it with the outer codec: protobuf here.
  if (what === 'RawExtension' && hasKubernetesMagic(raw)) return embedded(raw);
  try {
    return JSON.parse(textDecoder.decode(raw)) as unknown;
  } catch {
    throw new WireFormatError(`${what}: raw content is not valid JSON`);
  }
}

/** Decoders keyed by the wire schema's message name. */
export const wellKnownTypes: ReadonlyMap<string, WellKnownDecoder> = new Map<string, WellKnownDecoder>([
  ['meta.v1.Time', (b) => timestamp(b, 0, 'Time')],
  ['meta.v1.MicroTime', (b) => timestamp(b, 6, 'MicroTime')],
  ['api.resource.Quantity', (b) => quantity(b)],
  ['util.intstr.IntOrString', (b) => intOrString(b)],
  ['runtime.RawExtension', (b, embedded) => rawJSON(b, 'RawExtension', embedded)],
  ['meta.v1.FieldsV1', (b, embedded) => rawJSON(b, 'FieldsV1', embedded)],
]);
