import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseFieldSelector, mustParseFieldSelector, escapeFieldValue, unescapeFieldValue, fieldSelectorFromSet, FieldSelector } from './fields.js';

describe('parseFieldSelector', () => {
  const valid: Array<[string, string]> = [
    ['', ''],
    ['a=b', 'a=b'],
    ['a==b', 'a=b'],
    ['a!=b', 'a!=b'],
    ['b=1,a==2', 'a=2,b=1'],
    ['a=b,,c=d', 'a=b,c=d'],
    [',', ''],
    ['a=', 'a='],
    ['a=b\\,c', 'a=b\\,c'],
    ['a=b\\=c', 'a=b\\=c'],
    ['a=b\\\\c', 'a=b\\\\c'],
    ['metadata.name=web,status.phase!=Running', 'metadata.name=web,status.phase!=Running'],
  ];
  for (const [input, want] of valid) {
    test(JSON.stringify(input), () => {
      const r = parseFieldSelector(input);
      assert.ok(r.ok, r.ok ? '' : r.error);
      assert.equal(r.selector.toString(), want);
      assert.equal(mustParseFieldSelector(want).toString(), want);
    });
  }
  test('terms split at the first operator, nothing trimmed', () => {
    const s = mustParseFieldSelector('a = b');
    assert.deepEqual(s.requirements(), [{ field: 'a ', operator: '=', value: ' b' }]);
    assert.deepEqual(mustParseFieldSelector('a==b').requirements(), [{ field: 'a', operator: '==', value: 'b' }]);
  });
  test('unescaping', () => {
    assert.deepEqual(mustParseFieldSelector('a=x\\,y\\=z\\\\').requirements(), [{ field: 'a', operator: '=', value: 'x,y=z\\' }]);
  });
  const invalid: Array<[string, string]> = [
    ['a', "invalid selector: 'a'; can't understand 'a'"],
    ['a=b,c', "invalid selector: 'a=b,c'; can't understand 'c'"],
    ['a!=b=c', 'invalid field selector: unescaped character in value: ='],
    ['a==b==c', 'invalid field selector: unescaped character in value: ='],
    ['a!==b', 'invalid field selector: unescaped character in value: ='],
    ['a=b\\', 'invalid field selector: invalid escape sequence: \\'],
    ['a=b\\x', 'invalid field selector: invalid escape sequence: \\x'],
  ];
  for (const [input, error] of invalid) {
    test(`error ${JSON.stringify(input)}`, () => assert.deepEqual(parseFieldSelector(input), { ok: false, error }));
  }
});

describe('matching', () => {
  const fields = { 'metadata.name': 'web', 'spec.nodeName': '', 'status.phase': 'Running' };
  const cases: Array<[string, boolean]> = [
    ['', true],
    ['metadata.name=web', true],
    ['metadata.name==web', true],
    ['metadata.name=db', false],
    ['metadata.name!=db', true],
    ['spec.nodeName=', true],
    ['spec.nodeName!=', false],
    ['missing=', true],
    ['missing=x', false],
    ['missing!=x', true],
    ['metadata.name=web,status.phase!=Running', false],
    ['metadata.name=web,status.phase!=Pending', true],
  ];
  for (const [sel, want] of cases) {
    test(`${JSON.stringify(sel)} → ${want}`, () => assert.equal(mustParseFieldSelector(sel).matches(fields), want));
  }
  test('requiresExactMatch', () => {
    const s = mustParseFieldSelector('spec.nodeName=n1,metadata.name!=x');
    assert.equal(s.requiresExactMatch('spec.nodeName'), 'n1');
    assert.equal(s.requiresExactMatch('metadata.name'), undefined);
    assert.equal(FieldSelector.everything().empty(), true);
  });
});

describe('escaping, sets and transform', () => {
  test('escape round trip', () => {
    for (const v of ['plain', 'a,b', 'a=b', 'a\\b', ',=\\']) {
      const e = escapeFieldValue(v);
      assert.deepEqual(unescapeFieldValue(e), { ok: true, value: v });
    }
    assert.equal(escapeFieldValue('a,b=c\\d'), 'a\\,b\\=c\\\\d');
  });
  test('fieldSelectorFromSet', () => {
    const s = fieldSelectorFromSet({ 'spec.nodeName': 'n1', 'metadata.name': 'a,b' });
    assert.equal(s.toString(), 'metadata.name=a\\,b,spec.nodeName=n1');
    assert.equal(s.matches({ 'metadata.name': 'a,b', 'spec.nodeName': 'n1' }), true);
  });
  test('transform renames or fails', () => {
    const s = mustParseFieldSelector('spec.host=n1');
    const t = s.transform((f, v) => (f === 'spec.host' ? { ok: true, field: 'spec.nodeName', value: v } : { ok: false, error: `field label not supported: ${f}` }));
    assert.ok(t.ok);
    assert.equal(t.selector.toString(), 'spec.nodeName=n1');
    assert.deepEqual(mustParseFieldSelector('x=1').transform((f) => ({ ok: false, error: `field label not supported: ${f}` })), {
      ok: false,
      error: 'field label not supported: x',
    });
  });
});
