import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  Quantity,
  parseQuantity,
  parseQuantityResult,
  canonicalQuantity,
  quantityFromJSON,
  mustParseQuantity,
  QUANTITY_FORMAT_ERROR,
  QUANTITY_SUFFIX_ERROR,
  QUANTITY_NUMERIC_ERROR,
} from './quantity.js';

const q = (s: string): Quantity => mustParseQuantity(s);

describe('canonical form', () => {
  // [input, canonical]: upstream's TestQuantityParseEmit / TestQuantityString cases and API examples.
  const cases: Array<[string, string]> = [
    ['0', '0'],
    ['0Ki', '0'],
    ['00', '0'],
    ['0.5', '500m'],
    ['1000m', '1'],
    ['1.5', '1500m'],
    ['0.1', '100m'],
    ['100m', '100m'],
    ['1.5Gi', '1536Mi'],
    ['1Ki', '1Ki'],
    ['1Mi', '1Mi'],
    ['1024Mi', '1Gi'],
    ['307200Ki', '300Mi'],
    ['1025024Mi', '1001Gi'],
    ['1.5Ki', '1536'],
    ['0.5Ki', '512'],
    ['1.1Ki', '1126400m'],
    ['5000m', '5'],
    ['1000M', '1G'],
    ['0.001T', '1G'],
    ['100M', '100M'],
    ['1000u', '1m'],
    ['1.08', '1080m'],
    ['1080000000n', '1080m'],
    ['1e3', '1e3'],
    ['1E3', '1e3'],
    ['12e6', '12e6'],
    ['.001e12', '1e9'],
    ['0.001e0', '1e-3'],
    ['1000e-12', '1e-9'],
    ['1.5e3', '1500'],
    ['1.3E+6', '1300e3'],
    ['1E18', '1e18'],
    ['1E', '1E'],
    ['12E', '12E'],
    ['1000E', '1e21'],
    ['.001Ki', '1024m'],
    ['.000001Ki', '1024u'],
    ['.000000001Ki', '1024n'],
    ['.000000000001Ki', '2n'],
    ['3.001n', '4n'],
    ['0.9n', '1n'],
    ['1.1E-9', '2e-9'],
    ['0.00000012345', '124n'],
    ['1.2345', '1234500u'],
    ['1n', '1n'],
    ['9Ei', '9223372036854775807'],
    ['8Ei', '9223372036854775807'],
    ['7Ei', '7Ei'],
    ['18446744073709551616', '18446744073709551616'],
    ['1.', '1'],
    ['1.G', '1G'],
    ['+5', '5'],
    ['-', '0'],
    ['.', '0'],
    ['Ki', '0'],
    ['1e2147483647', '10e2147483646'],
    ['1e4294967297', '10'], // int32 wrap-around of the exponent, as upstream
    ['1e-1000', '1e-9'],
  ];
  for (const [input, want] of cases) {
    test(`${input} → ${want}`, () => {
      assert.equal(canonicalQuantity(input), want);
      // canonical strings are fixed points
      assert.equal(canonicalQuantity(want), want);
      if (want !== '0') assert.equal(canonicalQuantity(`-${input.replace(/^\+/, '')}`), `-${want}`);
    });
  }
});

describe('parse errors', () => {
  const cases: Array<[string, string]> = [
    ['', QUANTITY_FORMAT_ERROR],
    ['1.1.M', QUANTITY_FORMAT_ERROR],
    ['1+1.0M', QUANTITY_FORMAT_ERROR],
    ['aoeu', QUANTITY_FORMAT_ERROR],
    [' 1', QUANTITY_FORMAT_ERROR],
    ['1 ', QUANTITY_FORMAT_ERROR],
    ['-3.01e-', QUANTITY_SUFFIX_ERROR],
    ['0.1mi', QUANTITY_SUFFIX_ERROR],
    ['0.1am', QUANTITY_FORMAT_ERROR],
    ['.5i', QUANTITY_SUFFIX_ERROR],
    ['1i', QUANTITY_SUFFIX_ERROR],
    ['1ki', QUANTITY_SUFFIX_ERROR],
    ['1K', QUANTITY_SUFFIX_ERROR],
    ['1Ki5', QUANTITY_SUFFIX_ERROR],
    ['1e', QUANTITY_SUFFIX_ERROR],
    ['1e2147483648', QUANTITY_SUFFIX_ERROR.length ? QUANTITY_SUFFIX_ERROR : ''],
    ['Pi', QUANTITY_NUMERIC_ERROR],
    ['.e-10', QUANTITY_NUMERIC_ERROR],
  ];
  for (const [input, error] of cases) {
    test(JSON.stringify(input), () => {
      const r = parseQuantityResult(input);
      if (input === '1e2147483648') {
        // int32 wrap-around, as upstream: parses as 1e-2147483648, which rounds to 1n
        assert.equal(r.ok && r.quantity.toString(), '1e-9');
        return;
      }
      assert.deepEqual(r, { ok: false, error });
      assert.equal(parseQuantity(input), undefined);
    });
  }
  test('error text is upstream ErrFormatWrong', () => {
    assert.equal(QUANTITY_FORMAT_ERROR, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    assert.throws(() => mustParseQuantity('x'), /cannot parse 'x': quantities must match/);
  });
});

describe('formats', () => {
  test('parse remembers the suffix family', () => {
    assert.equal(q('1Gi').format, 'BinarySI');
    assert.equal(q('1G').format, 'DecimalSI');
    assert.equal(q('1e9').format, 'DecimalExponent');
    assert.equal(q('0.5Ki').format, 'BinarySI');
    assert.equal(q('0.000000000001Ki').format, 'DecimalSI');
  });
});

describe('numbers as the JSON decoder takes them', () => {
  test('numbers', () => {
    assert.equal(canonicalQuantity(0.5), '500m');
    assert.equal(canonicalQuantity(2), '2');
    assert.equal(canonicalQuantity(-1), '-1');
    assert.equal(canonicalQuantity(1e21), '1e21');
    assert.equal(canonicalQuantity(5e-7), '500e-9');
    assert.equal(canonicalQuantity(Number.NaN), undefined);
    assert.equal(canonicalQuantity(Number.POSITIVE_INFINITY), undefined);
  });
  test('quantityFromJSON trims strings and maps null to zero', () => {
    const r = quantityFromJSON(' 1 ');
    assert.ok(r.ok);
    assert.equal(r.quantity.toString(), '1');
    const z = quantityFromJSON(null);
    assert.ok(z.ok && z.quantity.isZero());
    assert.deepEqual(quantityFromJSON(true), { ok: false, error: QUANTITY_FORMAT_ERROR });
    assert.deepEqual(quantityFromJSON('abc'), { ok: false, error: QUANTITY_FORMAT_ERROR });
  });
});

describe('accessors', () => {
  test('milliValue and value round up', () => {
    assert.equal(q('100m').milliValue(), 100n);
    assert.equal(q('1').milliValue(), 1000n);
    assert.equal(q('1.5').value(), 2);
    assert.equal(q('1n').milliValue(), 1n);
    assert.equal(q('1n').value(), 1);
    assert.equal(q('-1.5').value(), -2);
    assert.equal(q('1Gi').value(), 1073741824);
    assert.equal(q('0').value(), 0);
    assert.equal(q('1E18').bigValue(), 10n ** 18n);
    assert.equal(q('1E').milliValue(), 10n ** 21n);
    assert.equal(q('7Ei').bigValue(), 7n << 60n);
    assert.equal(q('1e2147483647').bigValue(), (1n << 63n) - 1n);
    assert.equal(q('-1e2147483647').milliValue(), -(1n << 63n));
  });
  test('scaledValue', () => {
    assert.equal(Quantity.fromScaled(1, -9).scaledValue(-3), 1n);
    assert.equal(Quantity.fromScaled(1, 0).scaledValue(-9), 1_000_000_000n);
    assert.equal(Quantity.fromScaled(1, 2).scaledValue(-2), 10_000n);
    assert.equal(q('9.01').scaledValue(-1), 91n);
    assert.equal(q('-9.01').scaledValue(0), -10n);
  });
  test('asApproximateFloat', () => {
    assert.equal(q('1.5').asApproximateFloat(), 1.5);
    assert.equal(q('100m').asApproximateFloat(), 0.1);
    assert.equal(q('1Ki').asApproximateFloat(), 1024);
    assert.equal(q('1e400').asApproximateFloat(), Number.POSITIVE_INFINITY);
  });
  test('asInt64', () => {
    assert.equal(q('1k').asInt64(), 1000n);
    assert.equal(q('1.5').asInt64(), undefined);
    assert.equal(q('1e19').asInt64(), undefined);
  });
  test('sign', () => {
    assert.equal(q('-1m').sign(), -1);
    assert.equal(q('0Gi').sign(), 0);
    assert.equal(q('1n').sign(), 1);
  });
});

describe('arithmetic and comparison', () => {
  test('cmp', () => {
    assert.equal(q('0').cmp(q('0')), 0);
    assert.equal(q('100m').cmp(q('50m')), 1);
    assert.equal(q('50m').cmp(q('100m')), -1);
    assert.equal(q('10000T').cmp(q('100Gi')), 1);
    assert.equal(q('1Ki').cmp(q('1024')), 0);
    assert.equal(q('1k').cmp(q('1e3')), 0);
    assert.equal(q('-1').cmp(q('1n')), -1);
    assert.equal(q('-2').cmp(q('-1')), -1);
    assert.equal(q('1e2147483647').cmp(q('1')), 1);
    assert.equal(q('-1e2147483647').cmp(q('-1')), -1);
    assert.equal(q('800m').cmp(q('790m')), 1);
  });
  test('add and sub are exact and keep the receiver format', () => {
    assert.equal(q('100m').add(q('900m')).toString(), '1');
    assert.equal(q('1Gi').add(q('512Mi')).toString(), '1536Mi');
    assert.equal(q('1').add(q('1n')).toString(), '1000000001n');
    assert.equal(q('1Gi').add(q('1G')).toString(), '2073741824');
    assert.equal(q('1G').add(q('1Gi')).toString(), '2073741824');
    assert.equal(q('10').sub(q('1e1')).toString(), '0');
    assert.equal(q('1').sub(q('1500m')).toString(), '-500m');
    assert.equal(q('2Gi').sub(q('1Gi')).format, 'BinarySI');
    assert.equal(q('2Gi').sub(q('1Gi')).toString(), '1Gi');
  });
  test('zero takes the other operand format (suffix preserved)', () => {
    for (const v of ['100m', '1Gi']) {
      assert.equal(q('0').add(q(v)).toString(), v);
      assert.equal(q(v).add(q('0')).toString(), v);
      assert.equal(q(v).sub(q('0')).toString(), v);
      assert.equal(q('0').sub(q(v)).toString(), `-${v}`);
    }
  });
  test('operations do not mutate', () => {
    const a = q('1');
    a.add(q('1'));
    a.neg();
    assert.equal(a.toString(), '1');
  });
  test('factories', () => {
    assert.equal(Quantity.fromInt(1000).toString(), '1k');
    assert.equal(Quantity.fromInt(1024, 'BinarySI').toString(), '1Ki');
    assert.equal(Quantity.fromInt(1024 * 1024, 'BinarySI').toString(), '1Mi');
    assert.equal(Quantity.fromInt(1_000_000, 'DecimalExponent').toString(), '1e6');
    assert.equal(Quantity.fromMilli(1).toString(), '1m');
    assert.equal(Quantity.fromMilli(1234000).toString(), '1234');
    assert.equal(Quantity.fromMilli(1024, 'BinarySI').toString(), '1024m');
    assert.equal(Quantity.fromMilli(1_000_000, 'DecimalExponent').toString(), '1e3');
    assert.equal(Quantity.fromScaled(1000, -9).toString(), '1u');
    assert.equal(Quantity.zero('BinarySI').toString(), '0');
    assert.equal(JSON.stringify({ cpu: q('0.5') }), '{"cpu":"500m"}');
  });
});
