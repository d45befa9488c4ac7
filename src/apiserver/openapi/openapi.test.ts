import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { builtinResources } from '../../api/builtin-resources.js';
import { loadSchema } from '../../api/schema/load-schema.js';
import { openapiDocuments } from './openapi-documents.js';

const resolver = await loadSchema();
const docs = openapiDocuments(builtinResources(), resolver);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const parse = (b: Buffer): Json => JSON.parse(b.toString('utf8')) as Json;

/** kubectl's QueryParamVerifierV3 check (cli-runtime query_param_verifier_v3.go), restated. */
function supportsQueryParamV3(doc: Json, gvk: { group: string; version: string; kind: string }, param: string): boolean {
  for (const item of Object.values(doc.paths as Record<string, Json>)) {
    const op = item.patch as Json | undefined;
    if (!op) continue;
    const g = op['x-kubernetes-group-version-kind'];
    if (!g || g.group !== gvk.group || g.version !== gvk.version || g.kind !== gvk.kind) continue;
    return (op.parameters as Json[]).some((p) => p.name === param);
  }
  return false;
}

/** Every local $ref in a document names something that exists in it. */
function danglingRefs(doc: Json, prefix: string, table: Json): string[] {
  const out: string[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string' && !(x.startsWith(prefix) && x.slice(prefix.length) in table)) out.push(x);
        else visit(x);
      }
    }
  };
  visit(doc);
  return out;
}

describe('OpenAPI v2', () => {
  const v2 = parse(docs.v2().body);

  test('has the paths and operations of every verb', () => {
    const one = v2.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
    assert.equal(one.patch.operationId, 'patchAppsV1NamespacedDeployment');
    assert.equal(one.patch['x-kubernetes-action'], 'patch');
    assert.deepEqual(one.patch['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
    assert.ok(one.patch.parameters.some((p: Json) => p.name === 'fieldValidation' && p.in === 'query'));
    assert.ok(one.patch.consumes.includes('application/apply-patch+yaml'));
    assert.deepEqual(Object.keys(one).filter((k) => k !== 'parameters').sort(), ['delete', 'get', 'patch', 'put']);
    const collection = v2.paths['/apis/apps/v1/namespaces/{namespace}/deployments'];
    assert.equal(collection.get['x-kubernetes-action'], 'list');
    assert.equal(collection.delete['x-kubernetes-action'], 'deletecollection');
    assert.ok(collection.get.parameters.some((p: Json) => p.name === 'labelSelector'));
    assert.equal(v2.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].patch['x-kubernetes-group-version-kind'].kind, 'Scale');
    assert.ok(v2.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status'].put);
    assert.equal(v2.paths['/apis/apps/v1/deployments'].get.operationId, 'listAppsV1DeploymentForAllNamespaces');
    assert.equal(v2.paths['/apis/apps/v1/watch/namespaces/{namespace}/deployments'].get['x-kubernetes-action'], 'watchlist');
    assert.equal(v2.paths['/api/v1/nodes/{name}'].get.operationId, 'readCoreV1Node');
    assert.equal(v2.paths['/api/v1/namespaces/{name}'].get.operationId, 'readCoreV1Namespace');
    assert.equal(v2.paths['/api/v1/namespaces'].delete, undefined, 'namespaces have no deletecollection');
  });

  test('carries the referenced definitions and nothing dangles', () => {
    assert.ok(v2.definitions['io.k8s.api.apps.v1.Deployment']);
    assert.ok(v2.definitions['io.k8s.apimachinery.pkg.apis.meta.v1.Status']);
    assert.deepEqual(danglingRefs(v2, '#/definitions/', v2.definitions), []);
  });
});

describe('OpenAPI v3', () => {
  test('the index lists group versions with hashed URLs', () => {
    const index = parse(docs.v3Index().body);
    assert.ok(index.paths['api/v1']);
    const apps = index.paths['apis/apps/v1'];
    assert.equal(apps.serverRelativeURL, `/openapi/v3/apis/apps/v1?hash=${docs.v3GroupVersion('apis/apps/v1')!.etag}`);
    assert.match(docs.v3GroupVersion('apis/apps/v1')!.etag, /^[0-9A-F]{128}$/);
    assert.equal(docs.v3GroupVersion('apis/nope/v1'), undefined);
  });

  test('a group version document satisfies kubectl fieldValidation detection and explain', () => {
    const doc = parse(docs.v3GroupVersion('apis/apps/v1')!.body);
    assert.equal(doc.openapi, '3.0.0');
    assert.ok(supportsQueryParamV3(doc, { group: 'apps', version: 'v1', kind: 'Deployment' }, 'fieldValidation'));
    assert.ok(!supportsQueryParamV3(doc, { group: 'apps', version: 'v1', kind: 'Nope' }, 'fieldValidation'));
    const deployment = doc.components.schemas['io.k8s.api.apps.v1.Deployment'];
    assert.deepEqual(deployment['x-kubernetes-group-version-kind'], [{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
    const strategy = doc.components.schemas['io.k8s.api.apps.v1.DeploymentSpec'].properties.strategy;
    assert.deepEqual(strategy.allOf, [{ $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy' }]);
    assert.match(strategy.description, /deployment strategy/i);
    assert.deepEqual(danglingRefs(doc, '#/components/schemas/', doc.components.schemas), []);
    const core = parse(docs.v3GroupVersion('api/v1')!.body);
    assert.ok(supportsQueryParamV3(core, { group: '', version: 'v1', kind: 'Namespace' }, 'fieldValidation'));
    assert.ok(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/status']);
  });

  test('documents are built once and cached', () => {
    assert.equal(docs.v3GroupVersion('apis/apps/v1'), docs.v3GroupVersion('apis/apps/v1'));
    assert.equal(docs.v2(), docs.v2());
  });
});
