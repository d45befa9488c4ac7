/**
 * A minimal reader for the protobuf binary wire format (varint, 64-bit, length-delimited and 32-bit
 * records), enough to walk the proto2 messages that Kubernetes' go-to-protobuf generates. Every
 * read is bounds-checked; malformed input raises `WireFormatError`, never an out-of-range read.
 */

export const WireType = {
  Varint: 0,
  Fixed64: 1,
  LengthDelimited: 2,
  Fixed32: 5,
} as const;

/** The input is not well-formed protobuf; the message says where decoding stopped. */
export class WireFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireFormatError';
  }
}

export interface FieldTag {
  field: number;
  wireType: number;
}

export class WireReader {
  private pos: number;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads a field key; field number 0 is illegal in every message. */
  tag(): FieldTag {
    const key = this.varint();
    const field = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (field <= 0 || field > 0x1fffffff) throw new WireFormatError(`illegal tag ${field} (wire type ${wireType})`);
    return { field, wireType };
  }

  /** An unsigned varint of up to ten bytes (64 bits), as a bigint. */
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) throw new WireFormatError('unexpected EOF');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
    throw new WireFormatError('integer overflow');
  }

  /** The payload of a length-delimited record, as a view into the input (no copy). */
  bytes(): Uint8Array {
    const len = this.varint();
    if (len > BigInt(this.end - this.pos)) throw new WireFormatError('unexpected EOF');
    const start = this.pos;
    this.pos += Number(len);
    return this.buf.subarray(start, this.pos);
  }

  fixed64(): DataView {
    return this.fixed(8);
  }

  fixed32(): DataView {
    return this.fixed(4);
  }

  /** Skips one record of an unknown field. Groups (wire types 3 and 4) are not used by Kubernetes. */
  skip(wireType: number): void {
    switch (wireType) {
      case WireType.Varint:
        this.varint();
        return;
      case WireType.Fixed64:
        this.fixed(8);
        return;
      case WireType.LengthDelimited:
        this.bytes();
        return;
      case WireType.Fixed32:
        this.fixed(4);
        return;
      default:
        throw new WireFormatError(`illegal wireType ${wireType}`);
    }
  }

  private fixed(n: number): DataView {
    if (this.end - this.pos < n) throw new WireFormatError('unexpected EOF');
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, n);
    this.pos += n;
    return view;
  }
}
