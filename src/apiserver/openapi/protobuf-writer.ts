/**
 * A minimal protocol buffers (proto3) message writer: just the wire types the OpenAPI v2 document
 * needs — varints (bool, int64), 64-bit doubles and length-delimited strings and messages.
 *
 * Contract: singular scalar setters follow proto3 presence rules and write nothing for the zero
 * value (empty string, false, 0, undefined), as Go's `proto.Marshal` does; repeated setters write
 * every element; `message` always writes the field (an empty sub-message is still present). Fields
 * are emitted in the order the caller writes them, so write them in field-number order to match
 * the canonical encoding.
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;

export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  /** Total encoded size in bytes so far. */
  get size(): number {
    return this.length;
  }

  string(field: number, value: string | undefined): this {
    if (value) this.stringAlways(field, value);
    return this;
  }

  strings(field: number, values: readonly string[] | undefined): this {
    for (const v of values ?? []) this.stringAlways(field, v);
    return this;
  }

  bool(field: number, value: boolean | undefined): this {
    if (value) {
      this.tag(field, WIRE_VARINT);
      this.push(Uint8Array.of(1));
    }
    return this;
  }

  /** A bool that is a member of a oneof: present even when false. */
  oneofBool(field: number, value: boolean): this {
    this.tag(field, WIRE_VARINT);
    this.push(Uint8Array.of(value ? 1 : 0));
    return this;
  }

  /** An int64 field; non-integers are truncated toward zero, as a Go conversion would. */
  int64(field: number, value: number | undefined): this {
    if (value === undefined || !Number.isFinite(value)) return this;
    const n = Math.trunc(value);
    if (n === 0) return this;
    this.tag(field, WIRE_VARINT);
    this.push(varint(n));
    return this;
  }

  double(field: number, value: number | undefined): this {
    if (value === undefined || value === 0) return this;
    this.tag(field, WIRE_FIXED64);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, true);
    this.push(b);
    return this;
  }

  /** A length-delimited sub-message; undefined writes nothing. */
  message(field: number, value: ProtoWriter | undefined): this {
    if (!value) return this;
    this.tag(field, WIRE_LEN);
    this.push(varint(value.length));
    if (value.length) this.push(value.finish());
    return this;
  }

  finish(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }

  private stringAlways(field: number, value: string): void {
    const b = Buffer.from(value, 'utf8');
    this.tag(field, WIRE_LEN);
    this.push(varint(b.length));
    this.push(b);
  }

  private tag(field: number, wire: number): void {
    this.push(varint(field * 8 + wire));
  }

  private push(b: Uint8Array): void {
    this.parts.push(b);
    this.length += b.length;
  }
}

/** Base-128 varint; negative numbers take ten bytes (two's complement), as int64 does. */
function varint(n: number): Uint8Array {
  if (n < 0) {
    let v = BigInt.asUintN(64, BigInt(n));
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    return Uint8Array.from(out);
  }
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Uint8Array.from(out);
}
