import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { controllerRevisionName, fnv32a, goJson, hashRevisionData, newControllerRevision, revisionsToTruncate, safeEncodeString, sortRevisions, templatePatch, type RevisionObject } from './controller-revision.js';

describe('controller revision hashing', () => {
  test('FNV-32a test vectors', () => {
    for (const [input, want] of [['', 0x811c9dc5], ['a', 0xe40c292c], ['foobar', 0xbf9cf968]] as const) assert.equal(fnv32a(Buffer.from(input)), want);
  });
  test('SafeEncodeString maps bytes onto the vowel-free alphabet', () => {
    // '0' is byte 48, 48 % 27 = 21: the 22nd letter.
    assert.equal(safeEncodeString('0123'), '4567');
    assert.match(safeEncodeString(String(123456789)), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  });
  test("Go's JSON: sorted keys, HTML escapes", () => {
    const cases: [unknown, string][] = [
      [{ b: 1, a: [true, null, 'x'] }, '{"a":[true,null,"x"],"b":1}'],
      ['<a&b>', '"\\u003ca\\u0026b\\u003e"'],
      ['line\nnext\u0001', '"line\\nnext\\u0001"'],
      [1e21, '1e+21'],
    ];
    for (const [v, want] of cases) assert.equal(goJson(v), want);
  });
  test('the collision count changes the hash; names are <parent>-<hash>', () => {
    const data = templatePatch({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    assert.notEqual(hashRevisionData(data, 0), hashRevisionData(data, 1));
    assert.notEqual(hashRevisionData(data), hashRevisionData(data, 0));
    assert.equal(controllerRevisionName('x'.repeat(300), 'abc').length, 223 + 4);
    const rev = newControllerRevision({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web', namespace: 'ns', uid: 'u' } }, { app: 'web' }, data, 3, 0);
    assert.equal(rev.metadata.name, `web-${hashRevisionData(data, 0)}`);
    assert.equal(rev.metadata.labels?.['controller-revision-hash'], hashRevisionData(data, 0));
    assert.equal(rev.metadata.labels?.app, 'web');
    assert.equal(rev.revision, 3);
  });
  test('the patch replaces the template as Go serializes it', () => {
    assert.deepEqual(templatePatch({ spec: { containers: [{ name: 'c' }] } }), {
      spec: { template: { metadata: { creationTimestamp: null }, spec: { containers: [{ name: 'c', resources: {} }] }, $patch: 'replace' } },
    });
  });
  test('truncation keeps live revisions and the newest non-live ones', () => {
    const r = (name: string, revision: number) => ({ metadata: { name }, revision }) as RevisionObject;
    const sorted = sortRevisions([r('d', 4), r('a', 1), r('c', 3), r('b', 2)]);
    assert.deepEqual(sorted.map((x) => x.metadata.name), ['a', 'b', 'c', 'd']);
    const cases: [number, string[], string[]][] = [
      [10, ['d'], []],
      [1, ['d'], ['a', 'b']],
      [0, ['a', 'd'], ['b', 'c']],
    ];
    for (const [limit, live, want] of cases) assert.deepEqual(revisionsToTruncate(sorted, new Set(live), limit).map((x) => x.metadata.name), want);
  });
});
