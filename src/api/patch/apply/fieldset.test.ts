import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet, fieldToken as f, keyToken, pathString, valueToken } from './fieldset.js';

const deploymentFields = {
  'f:metadata': { 'f:finalizers': { '.': {}, 'v:"a"': {} }, 'f:labels': { '.': {}, 'f:app': {} } },
  'f:spec': {
    'f:replicas': {},
    'f:selector': {},
    'f:template': {
      'f:spec': {
        'f:containers': {
          'k:{"name":"nginx"}': {
            '.': {},
            'f:image': {},
            'f:name': {},
            'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
          },
        },
      },
    },
  },
};

describe('FieldSet', () => {
  test('fieldsV1 round trip keeps the wire form', () => {
    const s = FieldSet.fromFieldsV1(deploymentFields);
    assert.deepEqual(s.toFieldsV1(), deploymentFields);
    assert.equal(JSON.stringify(s.toFieldsV1()), JSON.stringify(deploymentFields));
    assert.ok(s.has([f('spec'), f('template'), f('spec'), f('containers'), keyToken({ name: 'nginx' })]));
    assert.ok(s.has([f('metadata'), f('labels')]));
    assert.ok(!s.has([f('spec')]));
  });

  test('serialisation orders fields, then keys, then values, with "." first', () => {
    const s = FieldSet.of([f('b')], [f('a')], [f('a'), f('x')], [keyToken({ port: 8 })], [keyToken({ port: 10 })], [valueToken('z')], [valueToken(1)]);
    assert.deepEqual(Object.keys(s.toFieldsV1()), ['f:a', 'f:b', 'k:{"port":8}', 'k:{"port":10}', 'v:1', 'v:"z"']);
    assert.deepEqual(Object.keys(s.toFieldsV1()['f:a'] as object), ['.', 'f:x']);
  });

  test('key tokens are canonical whatever order the client wrote', () => {
    const s = FieldSet.fromFieldsV1({ 'f:ports': { 'k:{"protocol":"TCP","containerPort":80}': {} } });
    assert.ok(s.has([f('ports'), keyToken({ containerPort: 80, protocol: 'TCP' })]));
    assert.throws(() => FieldSet.fromFieldsV1({ 'x:bad': {} }), /unrecognized path element/);
  });

  test('set algebra', () => {
    const a = FieldSet.of([f('spec'), f('replicas')], [f('spec'), f('paused')]);
    const b = FieldSet.of([f('spec'), f('replicas')]);
    assert.deepEqual(a.difference(b).paths(), [[f('spec'), f('paused')]]);
    assert.deepEqual(a.intersection(b).paths(), [[f('spec'), f('replicas')]]);
    assert.ok(a.union(b).equals(a));
    assert.ok(a.recursiveDifference(FieldSet.of([f('spec')])).isEmpty());
  });

  test('path strings as conflicts print them', () => {
    assert.equal(pathString([f('spec'), f('replicas')]), '.spec.replicas');
    assert.equal(pathString([f('spec'), f('containers'), keyToken({ name: 'nginx' }), f('image')]), '.spec.containers[name="nginx"].image');
    assert.equal(pathString([f('ports'), keyToken({ protocol: 'TCP', containerPort: 80 })]), '.ports[containerPort=80,protocol="TCP"]');
    assert.equal(pathString([f('finalizers'), valueToken('x')]), '.finalizers[="x"]');
  });
});
