/**
 * /openapi/v2 in its protobuf form, proven by the kubectl versions that read it: client-go's
 * discovery asks only for `application/com.github.proto-openapi.spec.v2@v1.0+protobuf`, and
 * kubectl builds client-side validation, `explain` (before v3 explain) and apply's strategic-merge
 * metadata from it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiHttp, type ApiHttp } from '../support/api-http.js';
import { kc, kubectl, kubectlPath, startServer, type ServerHandle } from './harness.js';

const protobuf = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
const kubectl127 = kubectlPath('1.27');
const skip = kubectlPath() === undefined ? 'kubectl is not installed' : false;

const deployment = (name: string, image: string) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: default
spec:
  replicas: 1
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: main
        image: ${image}
        command: ["sleep", "3600"]
`;

describe('openapi v2 protobuf', { skip }, () => {
  let srv: ServerHandle;
  let api: ApiHttp;
  before(async () => {
    srv = await startServer();
    api = apiHttp(srv);
  });
  after(async () => {
    api?.close();
    await srv?.stop();
  });

  test('GET /openapi/v2 negotiates JSON, protobuf or 406', async () => {
    const json = await api.send('GET', '/openapi/v2', undefined, { accept: 'application/json' });
    assert.equal(json.code, 200);
    assert.match(String(json.headers['content-type']), /^application\/json/);
    const pb = await api.send('GET', '/openapi/v2', undefined, { accept: protobuf });
    assert.equal(pb.code, 200);
    assert.equal(pb.headers['content-type'], 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    assert.equal(pb.headers.etag, json.headers.etag, 'both forms share the etag (the response varies by Accept)');
    assert.match(String(pb.headers.vary), /Accept/);
    const cached = await api.send('GET', '/openapi/v2', undefined, { accept: protobuf, headers: { 'If-None-Match': String(pb.headers.etag) } });
    assert.equal(cached.code, 304);
    assert.equal((await api.send('GET', '/openapi/v2', undefined, { accept: 'application/yaml' })).code, 406);
  });

  test('kubectl 1.27 applies, validates client-side and explains from the protobuf', { skip: kubectl127 ? false : 'kubectl 1.27 is not installed' }, () => {
    const bin = kubectl127!;
    assert.match(kc(srv, ['apply', '-f', '-'], { bin, input: deployment('web127', 'nginx') }), /deployment.apps\/web127 created/);
    // A strategic merge keyed by container name: the image changes, the list keeps one entry.
    assert.match(kc(srv, ['apply', '-f', '-'], { bin, input: deployment('web127', 'nginx:2') }), /configured/);
    assert.equal(kc(srv, ['get', 'deploy', 'web127', '-o', 'jsonpath={.spec.template.spec.containers[*].image}']), 'nginx:2');
    // A List's kind is no served resource, so kubectl validates its items itself.
    const badList = 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: bad}\n  bogus: 1\n';
    const r = kubectl(srv, ['apply', '-f', '-'], { bin, input: badList });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /ValidationError\(ConfigMap\): unknown field "bogus" in io\.k8s\.api\.core\.v1\.ConfigMap/);
    const explain = kc(srv, ['explain', 'deployment.spec.strategy'], { bin });
    assert.match(explain, /DeploymentStrategy describes how to replace existing pods with new ones/);
    assert.match(explain, /rollingUpdate\s+<RollingUpdateDeployment>/);
  });

  test('kubectl applies a kind: List document', () => {
    kc(srv, ['create', 'configmap', 'list-a', '--from-literal=k=a']);
    kc(srv, ['create', 'configmap', 'list-b', '--from-literal=k=b']);
    const list = kc(srv, ['get', 'configmap', 'list-a', 'list-b', '-o', 'yaml']);
    assert.match(list, /kind: List/);
    const out = kc(srv, ['apply', '-f', '-'], { input: list });
    assert.match(out, /configmap\/list-a configured/);
    assert.match(out, /configmap\/list-b configured/);
  });

  for (const v of ['1.28', '1.29', '1.30', '1.31']) {
    const bin = kubectlPath(v);
    test(`kubectl ${v} apply`, { skip: bin ? false : `kubectl ${v} is not installed` }, () => {
      const name = `web${v.replace('.', '')}`;
      assert.match(kc(srv, ['apply', '-f', '-'], { bin, input: deployment(name, 'nginx') }), new RegExp(`deployment.apps/${name} created`));
      assert.match(kc(srv, ['apply', '-f', '-'], { bin, input: deployment(name, 'nginx') }), /unchanged/);
    });
  }
});
