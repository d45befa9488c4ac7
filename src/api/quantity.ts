/**
 * Resource quantities: the fixed-point numbers of `resources.requests`, `capacity`, quotas and the
 * like (k8s.io/apimachinery/pkg/api/resource, quantity.go, suffix.go, amount.go).
 *
 * A quantity is held exactly as `unscaled × 10^exp` with a bigint mantissa, never as a float, and
 * remembers the suffix family it was written in (its format) so that it is re-emitted in the same
 * family, in the canonical form kube-apiserver stores: no fractional digits, the largest suffix that
 * loses no precision ("0.5" → "500m", "1.5Gi" → "1536Mi", "1e3" stays "1e3").
 *
 * Parsing follows upstream ParseQuantity exactly, quirks included: values finer than a nano are
 * rounded away from zero to a whole nano ("0.9n" → "1n"), binary-SI values are capped at 2^63-1,
 * a binary-SI value strictly between 0 and 1 becomes decimal-SI, and lone signs or dots ("-", ".")
 * parse as zero.
 */

/** The suffix family a quantity is written in. */
export type QuantityFormat = 'DecimalExponent' | 'BinarySI' | 'DecimalSI';

/** The pattern upstream names in its parse error; kept verbatim because clients see it. */
export const QUANTITY_REGEXP = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
/** Upstream ErrFormatWrong: the message kube-apiserver returns for a malformed quantity. */
export const QUANTITY_FORMAT_ERROR = `quantities must match the regular expression '${QUANTITY_REGEXP}'`;
/** Upstream ErrNumeric. */
export const QUANTITY_NUMERIC_ERROR = 'unable to parse numeric part of quantity';
/** Upstream ErrSuffix. */
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";

const NANO = -9;
const MAX_INT64 = (1n << 63n) - 1n;
const MIN_INT64 = -(1n << 63n);
const SUFFIX_CHARS = 'eEinumkKMGTP';
const MAX_EXACT_DIGITS = 1000;

const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decimalSuffixByExp = new Map(Object.entries(decimalSuffixes).map(([s, e]) => [e, s]));
const binarySuffixByPower = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

const pow10 = (n: number): bigint => 10n ** BigInt(n);
const abs = (n: bigint): bigint => (n < 0n ? -n : n);
const signOf = (n: bigint): -1 | 0 | 1 => (n > 0n ? 1 : n < 0n ? -1 : 0);

/** Divides by 10^shift (shift > 0), rounding away from zero; cheap for absurd shifts. */
function divPow10AwayFromZero(unscaled: bigint, shift: number): bigint {
  if (unscaled === 0n) return 0n;
  const digits = abs(unscaled).toString().length;
  if (shift > digits) return BigInt(signOf(unscaled)); // |value| < 1 unit: rounds to ±1
  const d = pow10(shift);
  const q = unscaled / d; // truncates toward zero
  return unscaled % d === 0n ? q : q + BigInt(signOf(unscaled));
}

/** An exact, immutable quantity. Construct with `parseQuantity` or the static factories. */
export class Quantity {
  /** Use the factories; the value is `unscaled × 10^exp`. */
  private constructor(
    private readonly unscaled: bigint,
    private readonly exp: number,
    readonly format: QuantityFormat,
  ) {}

  /** Upstream NewQuantity: an integer value in the given format. */
  static fromInt(value: bigint | number, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(value), 0, format);
  }

  /** Upstream NewMilliQuantity: `milli` thousandths, e.g. millicores. */
  static fromMilli(milli: bigint | number, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(milli), -3, format);
  }

  /** Upstream NewScaledQuantity: `value × 10^scale`, decimal-SI. */
  static fromScaled(value: bigint | number, scale: number): Quantity {
    return new Quantity(BigInt(value), scale, 'DecimalSI');
  }

  static zero(format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(0n, 0, format);
  }

  /** @internal Used by the parser. */
  static fromParts(unscaled: bigint, exp: number, format: QuantityFormat): Quantity {
    return new Quantity(unscaled, exp, format);
  }

  isZero(): boolean {
    return this.unscaled === 0n;
  }

  sign(): -1 | 0 | 1 {
    return signOf(this.unscaled);
  }

  /** Exact comparison of the values (formats are ignored). */
  cmp(other: Quantity): -1 | 0 | 1 {
    const sa = this.sign();
    const sb = other.sign();
    if (sa !== sb) return sa < sb ? -1 : 1;
    if (sa === 0) return 0;
    // Same sign: compare magnitudes by order of magnitude first so that huge exponents never
    // materialise enormous powers of ten.
    const ma = abs(this.unscaled).toString().length + this.exp;
    const mb = abs(other.unscaled).toString().length + other.exp;
    if (ma !== mb) return ((ma > mb ? 1 : -1) * sa) as -1 | 1;
    const e = Math.min(this.exp, other.exp);
    const a = this.unscaled * pow10(this.exp - e);
    const b = other.unscaled * pow10(other.exp - e);
    return a === b ? 0 : a > b ? 1 : -1;
  }

  equals(other: Quantity): boolean {
    return this.cmp(other) === 0;
  }

  /** Upstream Add: the receiver's format wins unless the receiver is zero. Not re-rounded or capped. */
  add(other: Quantity): Quantity {
    const format = this.isZero() ? other.format : this.format;
    const e = Math.min(this.exp, other.exp);
    return new Quantity(this.unscaled * pow10(this.exp - e) + other.unscaled * pow10(other.exp - e), e, format);
  }

  /** Upstream Sub, with the same format rule as `add`. */
  sub(other: Quantity): Quantity {
    return this.add(other.neg());
  }

  neg(): Quantity {
    return new Quantity(-this.unscaled, this.exp, this.format);
  }

  withFormat(format: QuantityFormat): Quantity {
    return format === this.format ? this : new Quantity(this.unscaled, this.exp, format);
  }

  /**
   * Upstream ScaledValue: the value in units of 10^scale, rounded away from zero when that drops
   * digits (so a non-zero value never reads as zero). Exact (bigint, no int64 overflow) up to
   * 10^1000; beyond that it saturates at ±(2^63-1).
   */
  scaledValue(scale: number): bigint {
    const shift = scale - this.exp;
    if (shift <= 0) {
      // Absurd magnitudes (e.g. "1e2147483647") saturate instead of building a gigantic bigint.
      if (this.unscaled !== 0n && abs(this.unscaled).toString().length - shift > MAX_EXACT_DIGITS) return this.unscaled > 0n ? MAX_INT64 : MIN_INT64;
      return this.unscaled * pow10(-shift);
    }
    return divPow10AwayFromZero(this.unscaled, shift);
  }

  /** Upstream MilliValue: thousandths, rounded up (away from zero). */
  milliValue(): bigint {
    return this.scaledValue(-3);
  }

  /** Upstream Value: the value rounded up (away from zero) to an integer, as a JS number. */
  value(): number {
    return Number(this.scaledValue(0));
  }

  /** `value()` as an exact bigint. */
  bigValue(): bigint {
    return this.scaledValue(0);
  }

  /** Upstream AsApproximateFloat64; ±Infinity when out of float range. */
  asApproximateFloat(): number {
    return Number.parseFloat(`${this.unscaled}e${this.exp}`);
  }

  /** Upstream AsInt64: the exact integer value when it is one and fits an int64. */
  asInt64(): bigint | undefined {
    if (this.exp < 0 && this.unscaled % pow10(-this.exp) !== 0n) return undefined;
    const v = this.scaledValue(0);
    return v >= MIN_INT64 && v <= MAX_INT64 ? v : undefined;
  }

  /** The canonical form (upstream CanonicalizeBytes / String). */
  toString(): string {
    if (this.unscaled === 0n) return '0';
    let format = this.format;
    if (format === 'BinarySI') {
      const ok =
        this.cmp(Quantity.fromInt(-1024)) > 0 && this.cmp(Quantity.fromInt(1024)) < 0
          ? false // small binary values are shown in decimal to avoid rounding
          : this.exp >= 0 || this.unscaled % pow10(-this.exp) === 0n; // else only exact integers
      if (ok) return this.binaryString();
      format = 'DecimalSI';
    }
    // Move every factor of ten into the exponent, then lower it to a multiple of three.
    // (Done on the digit string: dividing a huge bigint by ten repeatedly is quadratic.)
    const digits = this.unscaled.toString();
    const trimmed = digits.replace(/0+$/, '');
    let m = BigInt(trimmed);
    let e = this.exp + (digits.length - trimmed.length);
    const r = ((e % 3) + 3) % 3;
    if (r !== 0) {
      m *= pow10(r);
      e -= r;
    }
    if (format === 'DecimalSI') {
      const s = decimalSuffixByExp.get(e);
      if (s !== undefined) return `${m}${s}`;
      // Beyond "E" (or below "n") there is no SI suffix; use an exponent rather than lose it.
    }
    return e === 0 ? `${m}` : `${m}e${e}`;
  }

  private binaryString(): string {
    let m = this.scaledValue(0);
    let p = 0;
    while (p < binarySuffixByPower.length - 1 && m % 1024n === 0n) {
      m /= 1024n;
      p++;
    }
    return `${m}${binarySuffixByPower[p]}`;
  }

  /** Quantities serialise as their canonical string. */
  toJSON(): string {
    return this.toString();
  }
}

/** The outcome of parsing: a quantity, or upstream's error message. */
export type QuantityParseResult = { ok: true; quantity: Quantity } | { ok: false; error: string };

interface Scanned {
  negative: boolean;
  /** The numeric text as written, sign included ("-1.5" of "-1.5Gi"). */
  value: string;
  num: string;
  denom: string;
  suffix: string;
}

/** Upstream parseQuantityString: splits sign, integer digits, fraction digits and suffix. */
function scan(str: string): Scanned | undefined {
  let pos = 0;
  const end = str.length;
  let negative = false;
  if (str[0] === '-') {
    negative = true;
    pos++;
  } else if (str[0] === '+') {
    pos++;
  }
  while (pos < end && str[pos] === '0') pos++;
  if (pos >= end) return { negative, value: '0', num: '0', denom: '', suffix: '' };

  const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  if (i >= end) return { negative, value: str, num: str.slice(pos), denom: '', suffix: '' };
  const num = str.slice(pos, i) || '0';
  pos = i;

  let denom = '';
  if (str[pos] === '.') {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    denom = str.slice(pos, i);
    if (i >= end) return { negative, value: str, num, denom, suffix: '' };
    pos = i;
  }
  const value = str.slice(0, pos);

  const suffixStart = pos;
  while (pos < end && SUFFIX_CHARS.includes(str[pos]!)) pos++;
  if (pos < end && (str[pos] === '-' || str[pos] === '+')) pos++;
  while (pos < end && isDigit(str[pos])) pos++;
  if (pos < end) return undefined;
  return { negative, value, num, denom, suffix: str.slice(suffixStart) };
}

/** Upstream quantitySuffixer.interpret. */
function interpretSuffix(s: string): { base: 2 | 10; exponent: number; format: QuantityFormat } | undefined {
  const dec = decimalSuffixes[s];
  if (dec !== undefined && Object.hasOwn(decimalSuffixes, s)) return { base: 10, exponent: dec, format: 'DecimalSI' };
  const bin = binarySuffixes[s];
  if (bin !== undefined && Object.hasOwn(binarySuffixes, s)) return { base: 2, exponent: bin, format: 'BinarySI' };
  if (s.length > 1 && (s[0] === 'e' || s[0] === 'E')) {
    const digits = s.slice(1);
    if (!/^[+-]?[0-9]+$/.test(digits)) return undefined;
    const parsed = BigInt(digits);
    if (parsed > MAX_INT64 || parsed < MIN_INT64) return undefined;
    // Upstream parses an int64 and truncates it to int32; reproduce the wrap-around.
    return { base: 10, exponent: Number(BigInt.asIntN(32, parsed)), format: 'DecimalExponent' };
  }
  return undefined;
}

/** Parses a quantity string exactly as upstream ParseQuantity does, with its error messages. */
export function parseQuantityResult(str: string): QuantityParseResult {
  const fail = (error: string): QuantityParseResult => ({ ok: false, error });
  if (str.length === 0) return fail(QUANTITY_FORMAT_ERROR);
  const s = scan(str);
  if (!s) return fail(QUANTITY_FORMAT_ERROR);
  const suffix = interpretSuffix(s.suffix);
  if (!suffix) return fail(QUANTITY_SUFFIX_ERROR);
  let format = suffix.format;

  // Upstream has an int64 fast path and an arbitrary-precision slow path; they agree on every
  // value, except that the slow path rejects a numeric part without digits ("Pi", ".e-10").
  const digitCount = s.num.length + s.denom.length;
  let precision: number;
  if (suffix.base === 10) precision = 18 - digitCount;
  else if (s.denom.length === 0) precision = 15 - s.num.length - Math.trunc((suffix.exponent * 3) / 10) - 1;
  else precision = -1;
  const scale = (suffix.base === 10 ? suffix.exponent : 0) - s.denom.length;
  const mantissa = BigInt(s.num + s.denom) * (suffix.base === 2 ? 1n << BigInt(suffix.exponent) : 1n);
  const fastPath = precision >= 0 && scale >= NANO && mantissa <= MAX_INT64;
  if (!fastPath && !/[0-9]/.test(s.value)) return fail(QUANTITY_NUMERIC_ERROR);

  let unscaled = mantissa;
  let exp = scale;
  if (exp < NANO) {
    // Finer than a nano: round away from zero, so that asking for a little gets something.
    unscaled = divPow10AwayFromZero(unscaled, NANO - exp);
    exp = NANO;
  }
  if (format === 'BinarySI') {
    const q = Quantity.fromParts(unscaled, exp, format);
    if (q.cmp(Quantity.fromInt(MAX_INT64)) > 0) {
      unscaled = MAX_INT64;
      exp = 0;
    } else if (unscaled !== 0n && q.cmp(Quantity.fromInt(1)) < 0) {
      format = 'DecimalSI';
    }
  }
  if (s.negative) unscaled = -unscaled;
  return { ok: true, quantity: Quantity.fromParts(unscaled, exp, format) };
}

/**
 * Parses a quantity; `undefined` when invalid. Numbers are accepted as the JSON decoder accepts
 * them (their decimal text is parsed), so `0.5` and `"0.5"` are the same quantity.
 */
export function parseQuantity(s: string | number): Quantity | undefined {
  const text = typeof s === 'number' ? numberText(s) : s;
  if (text === undefined) return undefined;
  const r = parseQuantityResult(text);
  return r.ok ? r.quantity : undefined;
}

/** Like `parseQuantity` but throws an Error with upstream's message; for constants and tests. */
export function mustParseQuantity(s: string | number): Quantity {
  const text = typeof s === 'number' ? numberText(s) : s;
  const r = text === undefined ? { ok: false as const, error: QUANTITY_FORMAT_ERROR } : parseQuantityResult(text);
  if (!r.ok) throw new Error(`cannot parse '${String(s)}': ${r.error}`);
  return r.quantity;
}

/**
 * Decodes a quantity field of a JSON object as upstream UnmarshalJSON does: strings are trimmed of
 * surrounding whitespace, numbers are taken by their text, `null` is the zero quantity.
 */
export function quantityFromJSON(v: unknown): QuantityParseResult {
  if (v === null) return { ok: true, quantity: Quantity.zero() };
  if (typeof v === 'number') {
    const text = numberText(v);
    return text === undefined ? { ok: false, error: QUANTITY_FORMAT_ERROR } : parseQuantityResult(text);
  }
  if (typeof v === 'string') return parseQuantityResult(v.trim());
  return { ok: false, error: QUANTITY_FORMAT_ERROR };
}

/** The canonical string of a quantity, or `undefined` when it does not parse. */
export function canonicalQuantity(s: string | number): string | undefined {
  return parseQuantity(s)?.toString();
}

/** A JS number's decimal text as a JSON encoder writes it ("1e+21", "5e-7"); none for NaN/∞. */
function numberText(n: number): string | undefined {
  if (!Number.isFinite(n)) return undefined;
  return Object.is(n, -0) ? '0' : String(n);
}
