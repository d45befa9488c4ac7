import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseLabelSelector,
  mustParseLabelSelector,
  labelSelectorAsSelector,
  selectorFromLabelSelector,
  selectorFromSet,
  formatLabelSelector,
  formatLabels,
  labelSelectorAsMap,
  newRequirement,
  everything,
  nothing,
} from './labels.js';

const parseError = (s: string): string => {
  const r = parseLabelSelector(s);
  assert.ok(!r.ok, `expected ${JSON.stringify(s)} to fail`);
  return r.error;
};

describe('parseLabelSelector: valid input and canonical strings', () => {
  const cases: Array<[string, string]> = [
    ['', ''],
    ['   ', ''],
    ['x=a,y=b,z=c', 'x=a,y=b,z=c'],
    ['z=c,x=a', 'x=a,z=c'],
    ['x==a', 'x==a'],
    ['x!=a,y=b', 'x!=a,y=b'],
    ['x=', 'x='],
    ['x= ', 'x='],
    ['x=,z= ', 'x=,z='],
    ['x= ,z= ', 'x=,z='],
    ['!x', '!x'],
    ['x', 'x'],
    ['  x  ,  !y ', 'x,!y'],
    ['x>1', 'x>1'],
    ['x>1,z<5', 'x>1,z<5'],
    ['x in (foo,,baz),y,z notin ()', 'x in (,baz,foo),y,z notin ()'],
    ['x in (c,a,b,a)', 'x in (a,b,c)'],
    ['x in ( a , b )', 'x in (a,b)'],
    ['x\tin\t(a)', 'x in (a)'],
    ['a in (in)', 'a in (in)'],
    ['in in (notin)', 'in in (notin)'],
    ['notin notin (in)', 'notin notin (in)'],
    ['example.com/app=web', 'example.com/app=web'],
    ['x notin (a)', 'x notin (a)'],
  ];
  for (const [input, want] of cases) {
    test(JSON.stringify(input), () => {
      const r = parseLabelSelector(input);
      assert.ok(r.ok, r.ok ? '' : r.error);
      assert.equal(r.selector.toString(), want);
      // the canonical string parses to the same selector
      assert.equal(mustParseLabelSelector(want).toString(), want);
    });
  }
});

describe('parseLabelSelector: upstream error messages', () => {
  const cases: Array<[string, string]> = [
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['x=a,', "found '', expected: identifier after ','"],
    ['a,,b', "found ',', expected: identifier after ','"],
    ['x==a==b', "found '==', expected: ',' or 'end of string'"],
    ['!x=a', "found '=', expected: ',' or 'end of string'"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['(a)', "found '(', expected: !, identifier, or 'end of string'"],
    [',a', "found ',', expected: !, identifier, or 'end of string'"],
    ['x in (', "unable to parse requirement: found '', expected: ',', ')' or identifier"],
    ['x in (a', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['x in (a b)', "unable to parse requirement: found 'b', expected: ',' or ')'"],
    ['x in a', "unable to parse requirement: found 'a' expected: '('"],
    ['a in in (in)', "unable to parse requirement: found 'in' expected: '('"],
    ['x notin', "unable to parse requirement: found '' expected: '('"],
    ['x in (a,=)', "unable to parse requirement: found '=', expected: ',', or identifier"],
    ['x=(', "unable to parse requirement: found '(', expected: identifier"],
    ['!', "unable to parse requirement: found '', expected: identifier"],
    ['!=a', "found '!=', expected: !, identifier, or 'end of string'"],
    ['x<a', `unable to parse requirement: values[0]: Invalid value: "a": for 'Gt', 'Lt' operators, the value must be an integer`],
    ['x>1.5', `unable to parse requirement: values[0]: Invalid value: "1.5": for 'Gt', 'Lt' operators, the value must be an integer`],
  ];
  for (const [input, want] of cases) {
    test(JSON.stringify(input), () => assert.equal(parseError(input), want));
  }
  test('invalid keys are reported against a nil path', () => {
    assert.match(parseError('-a'), /^unable to parse requirement: <nil>: Invalid value: "-a": name part must consist of alphanumeric characters/);
    assert.match(parseError('a/b/c=d'), /^unable to parse requirement: <nil>: Invalid value: "a\/b\/c": a qualified name must consist of/);
    assert.match(parseError(`${'k'.repeat(64)}=v`), /<nil>: Invalid value: "k+": name part must be no more than 63 characters/);
  });
  test('invalid values are reported under values[i][key]', () => {
    assert.match(parseError('x=a||y=b'), /^unable to parse requirement: values\[0\]\[x\]: Invalid value: "a\|\|y": a valid label must be an empty string/);
    // indexes refer to the sorted value set, as upstream's sets.String.List()
    assert.match(parseError('x in (ok,b@d)'), /^unable to parse requirement: values\[0\]\[x\]: Invalid value: "b@d": /);
  });
});

describe('matching', () => {
  const labels = { app: 'web', tier: 'front', n: '10', empty: '' };
  const cases: Array<[string, boolean]> = [
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['app!=web', false],
    ['missing!=x', true],
    ['app in (web,db)', true],
    ['app in (db)', false],
    ['missing in (x)', false],
    ['app notin (db)', true],
    ['app notin (web)', false],
    ['missing notin (x)', true],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['empty=', true],
    ['empty', true],
    ['missing=', false],
    ['x in ()', false],
    ['empty in ()', true],
    ['n>9', true],
    ['n>10', false],
    ['n<11', true],
    ['app>1', false],
    ['missing<1', false],
    ['app=web,tier=front', true],
    ['app=web,tier=back', false],
  ];
  for (const [sel, want] of cases) {
    test(`${JSON.stringify(sel)} → ${want}`, () => assert.equal(mustParseLabelSelector(sel).matches(labels), want));
  }
  test('undefined labels behave as an empty set', () => {
    assert.equal(mustParseLabelSelector('!a').matches(undefined), true);
    assert.equal(mustParseLabelSelector('a').matches(undefined), false);
    assert.equal(mustParseLabelSelector('a!=b').matches(undefined), true);
  });
  test('inherited object properties are not labels', () => {
    assert.equal(mustParseLabelSelector('constructor').matches({}), false);
    assert.equal(mustParseLabelSelector('!toString').matches({}), true);
  });
});

describe('LabelSelector (metav1) → selector', () => {
  test('nil matches nothing; empty matches everything', () => {
    const nil = selectorFromLabelSelector(undefined);
    assert.equal(nil.matches({ a: 'b' }), false);
    assert.equal(nil.matches({}), false);
    assert.equal(nil.empty(), false);
    assert.equal(nil.matchesNothing(), true);
    assert.equal(nil.toString(), '');
    assert.equal(selectorFromLabelSelector(null).matchesNothing(), true);

    const all = selectorFromLabelSelector({});
    assert.equal(all.matches({ a: 'b' }), true);
    assert.equal(all.matches(undefined), true);
    assert.equal(all.empty(), true);
    assert.equal(all.matchesNothing(), false);
    assert.equal(selectorFromLabelSelector({ matchLabels: {}, matchExpressions: [] }).empty(), true);
  });
  test('matchLabels and matchExpressions are ANDed and sorted by key', () => {
    const sel = selectorFromLabelSelector({
      matchLabels: { tier: 'front', app: 'web' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['prod', 'canary'] },
        { key: 'legacy', operator: 'DoesNotExist' },
        { key: 'zone', operator: 'Exists' },
        { key: 'track', operator: 'NotIn', values: ['beta'] },
      ],
    });
    assert.equal(sel.toString(), 'app=web,env in (canary,prod),!legacy,tier=front,track notin (beta),zone');
    assert.equal(sel.matches({ app: 'web', tier: 'front', env: 'prod', zone: 'a' }), true);
    assert.equal(sel.matches({ app: 'web', tier: 'front', env: 'prod', zone: 'a', legacy: '1' }), false);
    assert.equal(sel.matches({ app: 'web', tier: 'front', env: 'dev', zone: 'a' }), false);
    assert.equal(sel.matches({ app: 'web', tier: 'front', env: 'prod', zone: 'a', track: 'beta' }), false);
    assert.equal(sel.requiresExactMatch('app'), 'web');
    assert.equal(sel.requiresExactMatch('env'), undefined);
  });
  test('errors are upstream messages; the lenient form matches nothing', () => {
    assert.deepEqual(labelSelectorAsSelector({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }), {
      ok: false,
      error: '"Gt" is not a valid label selector operator',
    });
    assert.deepEqual(labelSelectorAsSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }), {
      ok: false,
      error: "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty",
    });
    assert.deepEqual(labelSelectorAsSelector({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x', 'y'] }] }), {
      ok: false,
      error: 'values: Invalid value: []string{"x", "y"}: values set must be empty for exists and does not exist',
    });
    const bad = labelSelectorAsSelector({ matchLabels: { '-bad': 'x' } });
    assert.ok(!bad.ok && bad.error.startsWith('key: Invalid value: "-bad": name part must consist'));
    assert.equal(selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }).matchesNothing(), true);
  });
  test('formatLabelSelector', () => {
    assert.equal(formatLabelSelector({ matchLabels: { app: 'web' } }), 'app=web');
    assert.equal(formatLabelSelector({}), '<none>');
    assert.equal(formatLabelSelector(undefined), '<none>');
    assert.equal(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Nope' }] }), '<error>');
  });
  test('labelSelectorAsMap', () => {
    assert.deepEqual(labelSelectorAsMap({ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'c', operator: 'In', values: ['d'] }, { key: 'e', operator: 'Exists' }] }), {
      ok: true,
      map: { a: 'b', c: 'd', e: '' },
    });
    assert.equal(labelSelectorAsMap({ matchExpressions: [{ key: 'c', operator: 'NotIn', values: ['d'] }] }).ok, false);
  });
});

describe('sets and requirements', () => {
  test('selectorFromSet', () => {
    const s = selectorFromSet({ b: '2', a: '1' });
    assert.equal(s.toString(), 'a=1,b=2');
    assert.equal(s.matches({ a: '1', b: '2', c: '3' }), true);
    assert.equal(s.matches({ a: '1' }), false);
    assert.equal(selectorFromSet({}).empty(), true);
    assert.equal(selectorFromSet(undefined).matches({ x: 'y' }), true);
    assert.equal(formatLabels({ b: '2', a: '1' }), 'a=1,b=2');
  });
  test('everything / nothing / add', () => {
    assert.equal(everything().matches({}), true);
    assert.equal(nothing().matches({}), false);
    const r = newRequirement('b', '=', ['x']);
    assert.ok(r.ok);
    const s = mustParseLabelSelector('c,a=1').add(r.requirement);
    assert.equal(s.toString(), 'a=1,b=x,c');
    assert.equal(nothing().add(r.requirement).matchesNothing(), true);
  });
  test('newRequirement validation', () => {
    assert.deepEqual(newRequirement('a', '=', ['x', 'y']), {
      ok: false,
      error: 'values: Invalid value: []string{"x", "y"}: exact-match compatibility requires one single value',
    });
    const two = newRequirement('-a', 'in', undefined);
    assert.ok(!two.ok && two.error.startsWith('[key: Invalid value: "-a": ') && two.error.endsWith("values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty]"));
  });
});
