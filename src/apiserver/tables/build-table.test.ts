import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiObject } from '../../api/object.js';
import { isStatusError } from '../../api/errors.js';
import { buildTable, parseIncludeObject, tableConverterFor } from './index.js';

const now = new Date('2024-05-01T12:00:00Z');
const cm = (name: string): ApiObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '41', labels: { app: 'x' }, creationTimestamp: '2024-05-01T11:59:00Z' },
  data: { k: 'v' },
});

describe('buildTable', () => {
  const converter = tableConverterFor('', 'configmaps');

  test('a list with the default includeObject=Metadata', () => {
    const table = buildTable(converter, [cm('a'), cm('b')], { now, listMeta: { resourceVersion: '42', continue: 'tok', remainingItemCount: 3 } });
    assert.deepEqual(table, {
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion: '42', continue: 'tok', remainingItemCount: 3 },
      columnDefinitions: converter.columns,
      rows: ['a', 'b'].map((n) => ({
        cells: [n, 1, '60s'],
        object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: cm(n).metadata },
      })),
    });
    // Every column field is present on the wire, empty format included.
    assert.deepEqual(JSON.parse(JSON.stringify(table.columnDefinitions![1])), { name: 'Data', type: 'string', format: '', description: table.columnDefinitions![1]!.description, priority: 0 });
  });

  test('includeObject=Object embeds the object; None leaves null', () => {
    const full = buildTable(converter, [cm('a')], { now, includeObject: 'Object' });
    assert.deepEqual(full.rows[0]!.object, cm('a'));
    assert.deepEqual(full.metadata, {});
    const none = buildTable(converter, [cm('a')], { now, includeObject: 'None' });
    assert.equal(none.rows[0]!.object, null);
    assert.equal(JSON.stringify(none.rows[0]), '{"cells":["a",1,"60s"],"object":null}');
  });

  test('watch events after the first omit the headers; v1beta1 tables type their metadata so', () => {
    const t = buildTable(converter, [cm('a')], { now, noHeaders: true, apiVersion: 'meta.k8s.io/v1beta1' });
    assert.equal(t.columnDefinitions, null);
    assert.equal(t.apiVersion, 'meta.k8s.io/v1beta1');
    assert.equal((t.rows[0]!.object as { apiVersion: string }).apiVersion, 'meta.k8s.io/v1beta1');
  });

  test('an empty list has no rows but keeps its headers', () => {
    const t = buildTable(tableConverterFor('', 'pods'), [], { now, listMeta: { resourceVersion: '7' } });
    assert.deepEqual(t.rows, []);
    assert.equal(t.columnDefinitions!.length, 9);
    assert.deepEqual(t.metadata, { resourceVersion: '7' });
  });

  test('pod row conditions are served', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', creationTimestamp: '2024-05-01T11:00:00Z' }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Succeeded' } };
    const t = buildTable(tableConverterFor('', 'pods'), [pod], { now, includeObject: 'None' });
    assert.equal(t.rows[0]!.conditions?.[0]?.type, 'Completed');
  });
});

describe('parseIncludeObject', () => {
  test('values', () => {
    assert.equal(parseIncludeObject(undefined), 'Metadata');
    assert.equal(parseIncludeObject(''), 'Metadata');
    assert.equal(parseIncludeObject('Metadata'), 'Metadata');
    assert.equal(parseIncludeObject('Object'), 'Object');
    assert.equal(parseIncludeObject('None'), 'None');
  });
  test('anything else is a 400', () => {
    assert.throws(
      () => parseIncludeObject('object'),
      (e: unknown) => isStatusError(e) && e.code === 400 && e.message === 'unrecognized includeObject value: "object"',
    );
  });
});
