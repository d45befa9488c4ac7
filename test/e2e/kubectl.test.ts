/**
 * The real kubectl against a real `capstan server`: the everyday commands a Kubernetes user runs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kc, kubectl, kubectlPath, startServer, type ServerHandle } from './harness.js';

const haveKubectl = kubectlPath() !== undefined;

const manifests = `
apiVersion: v1
kind: Namespace
metadata:
  name: ml
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: model-config
  namespace: ml
  labels: {app: model, tier: serving}
data:
  version: "1"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ml-model
  namespace: ml
  labels: {app: model}
spec:
  replicas: 2
  selector:
    matchLabels: {app: model}
  template:
    metadata:
      labels: {app: model}
    spec:
      containers:
      - name: server
        image: model-server:v1
        command: ["node", "server.js"]
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: ml-model
  namespace: ml
spec:
  selector: {app: model}
  ports:
  - port: 80
    targetPort: 8080
`;

describe('kubectl against capstan server', { skip: !haveKubectl && 'kubectl is not installed' }, () => {
  let srv: ServerHandle;
  before(async () => {
    srv = await startServer();
  });
  after(async () => {
    await srv?.stop();
  });

  test('get ns works with no other step and lists the system namespaces', () => {
    const out = kc(srv, ['get', 'ns']);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.match(out, new RegExp(`^${ns}\\s+Active`, 'm'));
  });

  test('apply -f of a multi-document YAML creates every object', () => {
    const out = kc(srv, ['apply', '-f', '-'], { input: manifests });
    assert.match(out, /namespace\/ml created/);
    assert.match(out, /configmap\/model-config created/);
    assert.match(out, /deployment.apps\/ml-model created/);
    assert.match(out, /service\/ml-model created/);
    const again = kc(srv, ['apply', '-f', '-'], { input: manifests });
    assert.match(again, /deployment.apps\/ml-model unchanged/);
  });

  test('get with -o yaml, json, wide, jsonpath, custom-columns and -l', () => {
    const y = kc(srv, ['get', 'deploy', 'ml-model', '-n', 'ml', '-o', 'yaml']);
    assert.match(y, /kind: Deployment/);
    assert.match(y, /maxSurge: 25%/);
    assert.match(y, /revisionHistoryLimit: 10/);
    const j = JSON.parse(kc(srv, ['get', 'cm', 'model-config', '-n', 'ml', '-o', 'json'])) as { data: Record<string, string>; metadata: { uid: string } };
    assert.equal(j.data.version, '1');
    assert.ok(j.metadata.uid);
    const wide = kc(srv, ['get', 'deploy', '-n', 'ml', '-o', 'wide']);
    assert.match(wide, /NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR/);
    assert.match(wide, /ml-model\s+0\/2/);
    assert.equal(kc(srv, ['get', 'deploy', 'ml-model', '-n', 'ml', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), 'model-server:v1');
    const cc = kc(srv, ['get', 'cm', '-n', 'ml', '-o', 'custom-columns=NAME:.metadata.name,VER:.data.version']);
    assert.match(cc, /model-config\s+1/);
    const byLabel = kc(srv, ['get', 'cm', '-n', 'ml', '-l', 'tier=serving', '-o', 'name']);
    assert.equal(byLabel.trim(), 'configmap/model-config');
    assert.equal(kc(srv, ['get', 'cm', '-n', 'ml', '-l', 'tier in (batch)', '-o', 'name']).trim(), '');
    const svc = kc(srv, ['get', 'svc', '-n', 'ml']);
    assert.match(svc, /NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE/);
  });

  test('describe shows the object', () => {
    const out = kc(srv, ['describe', 'deployment', 'ml-model', '-n', 'ml']);
    assert.match(out, /Name:\s+ml-model/);
    assert.match(out, /Replicas:\s+2 desired/);
    assert.match(out, /StrategyType:\s+RollingUpdate/);
  });

  test('label and annotate', () => {
    kc(srv, ['label', 'cm', 'model-config', '-n', 'ml', 'stage=prod']);
    kc(srv, ['annotate', 'cm', 'model-config', '-n', 'ml', 'owner=ml-team']);
    const j = JSON.parse(kc(srv, ['get', 'cm', 'model-config', '-n', 'ml', '-o', 'json'])) as { metadata: { labels: Record<string, string>; annotations: Record<string, string> } };
    assert.equal(j.metadata.labels.stage, 'prod');
    assert.equal(j.metadata.annotations.owner, 'ml-team');
    const bad = kubectl(srv, ['label', 'cm', 'model-config', '-n', 'ml', 'bad key=x']);
    assert.notEqual(bad.code, 0);
  });

  test('patch with strategic, merge and json types', () => {
    kc(srv, ['patch', 'deploy', 'ml-model', '-n', 'ml', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"server","image":"model-server:v2"}]}}}}']);
    let d = JSON.parse(kc(srv, ['get', 'deploy', 'ml-model', '-n', 'ml', '-o', 'json'])) as { spec: { replicas: number; template: { spec: { containers: { name: string; image: string; ports?: unknown[] }[] } } } };
    assert.equal(d.spec.template.spec.containers.length, 1);
    assert.equal(d.spec.template.spec.containers[0].image, 'model-server:v2');
    assert.ok(d.spec.template.spec.containers[0].ports, 'strategic merge kept the container ports');
    kc(srv, ['patch', 'deploy', 'ml-model', '-n', 'ml', '--type', 'merge', '-p', '{"spec":{"replicas":3}}']);
    kc(srv, ['patch', 'deploy', 'ml-model', '-n', 'ml', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"model-server:v3"}]']);
    d = JSON.parse(kc(srv, ['get', 'deploy', 'ml-model', '-n', 'ml', '-o', 'json']));
    assert.equal(d.spec.replicas, 3);
    assert.equal(d.spec.template.spec.containers[0].image, 'model-server:v3');
    const bad = kubectl(srv, ['patch', 'deploy', 'ml-model', '-n', 'ml', '--type', 'json', '-p', '[{"op":"test","path":"/spec/replicas","value":99}]']);
    assert.notEqual(bad.code, 0);
  });

  test('replace with a stale resourceVersion conflicts; a fresh one succeeds', () => {
    const cm = JSON.parse(kc(srv, ['get', 'cm', 'model-config', '-n', 'ml', '-o', 'json'])) as { data: Record<string, string>; metadata: { resourceVersion: string } };
    cm.data.version = '2';
    kc(srv, ['replace', '-f', '-'], { input: JSON.stringify(cm) });
    cm.data.version = '3';
    const stale = kubectl(srv, ['replace', '-f', '-'], { input: JSON.stringify(cm) });
    assert.notEqual(stale.code, 0);
    assert.match(stale.stderr, /the object has been modified/);
  });

  test('scale takes effect immediately', () => {
    kc(srv, ['scale', 'deployment', 'ml-model', '-n', 'ml', '--replicas=5']);
    assert.equal(kc(srv, ['get', 'deploy', 'ml-model', '-n', 'ml', '-o', 'jsonpath={.spec.replicas}']), '5');
  });

  test('apply --server-side, and a conflict between two field managers', () => {
    const cm = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: ml\ndata:\n  a: "1"\n  b: "2"\n`;
    assert.match(kc(srv, ['apply', '--server-side', '--field-manager', 'team-a', '-f', '-'], { input: cm }), /serverside-applied/);
    const other = cm.replace('a: "1"', 'a: "9"');
    const conflict = kubectl(srv, ['apply', '--server-side', '--field-manager', 'team-b', '-f', '-'], { input: other });
    assert.notEqual(conflict.code, 0);
    assert.match(conflict.stderr, /conflict with "team-a"/);
    kc(srv, ['apply', '--server-side', '--field-manager', 'team-b', '--force-conflicts', '-f', '-'], { input: other });
    assert.equal(kc(srv, ['get', 'cm', 'ssa', '-n', 'ml', '-o', 'jsonpath={.data.a}']), '9');
    const managers = JSON.parse(kc(srv, ['get', 'cm', 'ssa', '-n', 'ml', '-o', 'json', '--show-managed-fields'])) as { metadata: { managedFields: { manager: string; operation: string }[] } };
    assert.deepEqual(managers.metadata.managedFields.map((m) => `${m.manager}/${m.operation}`).sort(), ['team-a/Apply', 'team-b/Apply']);
  });

  test('diff reports a change and no change', () => {
    const same = kubectl(srv, ['diff', '-f', '-'], { input: manifests.split('---')[2] });
    assert.equal(same.code, 1, 'the earlier scale/patch differ from the manifest');
    const cm = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: diffme\n  namespace: ml\ndata:\n  k: v\n`;
    kc(srv, ['apply', '-f', '-'], { input: cm });
    const none = kubectl(srv, ['diff', '-f', '-'], { input: cm });
    assert.equal(none.code, 0, none.stderr + none.stdout);
  });

  test('create configmap and secret from literals, and --dry-run=server stores nothing', () => {
    kc(srv, ['create', 'configmap', 'lit', '-n', 'ml', '--from-literal=k1=v1', '--from-literal=k2=v2']);
    assert.equal(kc(srv, ['get', 'cm', 'lit', '-n', 'ml', '-o', 'jsonpath={.data.k2}']), 'v2');
    kc(srv, ['create', 'secret', 'generic', 'creds', '-n', 'ml', '--from-literal=password=s3cret']);
    assert.equal(Buffer.from(kc(srv, ['get', 'secret', 'creds', '-n', 'ml', '-o', 'jsonpath={.data.password}']), 'base64').toString(), 's3cret');
    assert.match(kc(srv, ['create', 'configmap', 'dry', '-n', 'ml', '--from-literal=a=b', '--dry-run=server']), /created \(server dry run\)/);
    assert.notEqual(kubectl(srv, ['get', 'cm', 'dry', '-n', 'ml']).code, 0);
  });

  test('invalid objects are refused with the field named', () => {
    const bad = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bad\n  namespace: ml\nspec:\n  selector:\n    matchLabels: {app: x}\n  template:\n    metadata:\n      labels: {app: x}\n    spec:\n      containers:\n      - name: c\n`;
    const r = kubectl(srv, ['apply', '-f', '-'], { input: bad });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec.template.spec.containers\[0\].image: Required value/);
    const unknown = kubectl(srv, ['apply', '-f', '-'], { input: bad.replace('containers:', 'containerz: []\n      containers:').replace('- name: c', '- name: c\n        image: x') });
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /unknown field "spec.template.spec.containerz"/);
  });

  test('delete waits on a finalizer until it is removed', () => {
    kc(srv, ['apply', '-f', '-'], { input: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  namespace: ml\n  finalizers: [example.com/hold]\n` });
    kc(srv, ['delete', 'cm', 'held', '-n', 'ml', '--wait=false']);
    const held = JSON.parse(kc(srv, ['get', 'cm', 'held', '-n', 'ml', '-o', 'json'])) as { metadata: { deletionTimestamp?: string } };
    assert.ok(held.metadata.deletionTimestamp, 'deletionTimestamp set while the finalizer holds it');
    kc(srv, ['patch', 'cm', 'held', '-n', 'ml', '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']);
    assert.notEqual(kubectl(srv, ['get', 'cm', 'held', '-n', 'ml']).code, 0);
  });

  test('apply -k builds a kustomization and applies it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'capstan-kustomize-'));
    try {
      writeFileSync(join(dir, 'kustomization.yaml'), 'namespace: ml\ncommonLabels:\n  team: ml\nconfigMapGenerator:\n- name: generated\n  literals:\n  - mode=serve\n');
      assert.match(kc(srv, ['apply', '-k', dir]), /configmap\/generated-\w+ created/);
      const names = kc(srv, ['get', 'cm', '-n', 'ml', '-l', 'team=ml', '-o', 'jsonpath={.items[*].data.mode}']);
      assert.equal(names, 'serve');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('wait --for=jsonpath', () => {
    const out = kc(srv, ['wait', 'cm/model-config', '-n', 'ml', '--for=jsonpath={.metadata.labels.stage}=prod', '--timeout=20s']);
    assert.match(out, /condition met/);
  });

  test('get -w streams changes', async () => {
    const bin = kubectlPath()!;
    const child = spawn(bin, ['--kubeconfig', srv.kubeconfig, 'get', 'cm', '-n', 'ml', '-w', '-o', 'name'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: srv.dataDir } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await new Promise<void>((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`initial list not seen: ${out}`)), 20_000);
        child.stdout.on('data', () => {
          if (out.includes('configmap/model-config')) {
            clearTimeout(timer);
            res();
          }
        });
      });
      kc(srv, ['create', 'configmap', 'watched', '-n', 'ml', '--from-literal=x=y']);
      await new Promise<void>((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`watch event not seen: ${out}`)), 20_000);
        const check = () => {
          if (out.includes('configmap/watched')) {
            clearTimeout(timer);
            res();
          }
        };
        check();
        child.stdout.on('data', check);
      });
    } finally {
      child.kill('SIGTERM');
    }
  });

  test('explain, api-resources and api-versions', () => {
    const ex = kc(srv, ['explain', 'deployment.spec.strategy']);
    assert.match(ex, /rollingUpdate/);
    assert.match(ex, /type/);
    const res = kc(srv, ['api-resources']);
    assert.match(res, /deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/);
    assert.match(res, /namespaces\s+ns\s+v1\s+false\s+Namespace/);
    const versions = kc(srv, ['api-versions']);
    for (const gv of ['v1', 'apps/v1', 'batch/v1', 'autoscaling/v2', 'networking.k8s.io/v1', 'rbac.authorization.k8s.io/v1']) assert.match(versions, new RegExp(`^${gv.replace('.', '\\.')}$`, 'm'));
  });

  test('deleting a namespace removes its content, then the namespace', () => {
    kc(srv, ['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: scratch\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: scratch\n' });
    kc(srv, ['delete', 'namespace', 'scratch', '--timeout=60s']);
    assert.notEqual(kubectl(srv, ['get', 'namespace', 'scratch']).code, 0);
    const refused = kubectl(srv, ['get', 'namespace', 'kube-system']);
    assert.equal(refused.code, 0);
    const del = kubectl(srv, ['delete', 'namespace', 'kube-system']);
    assert.notEqual(del.code, 0);
    assert.match(del.stderr, /this namespace may not be deleted/);
  });

  test('objects in a missing namespace are refused', () => {
    const r = kubectl(srv, ['create', 'configmap', 'x', '-n', 'does-not-exist', '--from-literal=a=b']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /namespaces "does-not-exist" not found/);
  });
});
