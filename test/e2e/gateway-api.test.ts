/**
 * The Gateway API served natively, against a real server with the real kubectl: discovery,
 * `kubectl explain`, apply of a Gateway and HTTPRoutes, the CRD-style tables, 422s with field
 * causes for invalid objects, and the statuses the Gateway controller writes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kc, kubectl, startServer, type ServerHandle } from './harness.js';

const gateway = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: web
spec:
  gatewayClassName: capstan
  listeners:
  - name: http
    port: 18080
    protocol: HTTP
`;

const headerMatch = `    - headers:
      - name: x-model-version
        value: v2
`;

const route = (name: string, backend: string, hostname = 'models.example.com', match = headerMatch) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
spec:
  parentRefs:
  - name: web
  hostnames: [${hostname}]
  rules:
  - matches:
${match}    backendRefs:
    - name: ${backend}
      port: 8080
`;

const service = (name: string) => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  ports: [{port: 8080}]
`;

async function eventually(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const conditionPath = (prefix: string, type: string) => `{${prefix}.conditions[?(@.type=="${type}")].status}/{${prefix}.conditions[?(@.type=="${type}")].reason}`;

describe('gateway api', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-e2e-gw-'));
  let server: ServerHandle;

  before(async () => {
    server = await startServer({ dataDir });
  });
  after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('discovery lists the Gateway API kinds with their short names', () => {
    const out = kc(server, ['api-resources', '--api-group=gateway.networking.k8s.io']);
    assert.match(out, /gatewayclasses\s+gc\s+gateway\.networking\.k8s\.io\/v1\s+false\s+GatewayClass/);
    assert.match(out, /gateways\s+gtw\s+gateway\.networking\.k8s\.io\/v1\s+true\s+Gateway/);
    assert.match(out, /httproutes\s+gateway\.networking\.k8s\.io\/v1\s+true\s+HTTPRoute/);
    assert.match(out, /referencegrants\s+refgrant\s+gateway\.networking\.k8s\.io\/v1beta1\s+true\s+ReferenceGrant/);
  });

  test('kubectl explain reads the schema', () => {
    const out = kc(server, ['explain', 'httproute.spec.rules.backendRefs']);
    assert.match(out, /KIND:\s+HTTPRoute/);
    assert.match(out, /GROUP:\s+gateway\.networking\.k8s\.io/);
    assert.match(out, /weight\s+<integer>/);
    assert.match(out, /port\s+<integer>/);
  });

  test('the capstan GatewayClass is created and accepted', async () => {
    await eventually('GatewayClass capstan Accepted', () => kubectl(server, ['get', 'gc', 'capstan', '-o', `jsonpath=${conditionPath('.status', 'Accepted')}`]).stdout === 'True/Accepted');
    const table = kc(server, ['get', 'gatewayclass']);
    assert.match(table.split('\n')[0]!, /^NAME\s+CONTROLLER\s+ACCEPTED\s+AGE$/);
    assert.match(table, /capstan\s+capstan\.io\/gateway-controller\s+True\s+/);
  });

  test('a Gateway and HTTPRoutes are applied, programmed and resolved; a missing Service is BackendNotFound', async () => {
    kc(server, ['apply', '-f', '-'], { input: `${service('model-v2')}---\n${gateway}---\n${route('models', 'model-v2')}---\n${route('missing', 'nope')}` });
    await eventually('Gateway programmed', () => kubectl(server, ['get', 'gtw', 'web', '-o', `jsonpath=${conditionPath('.status', 'Programmed')}`]).stdout === 'True/Programmed');
    const gw = JSON.parse(kc(server, ['get', 'gateway', 'web', '-o', 'json'])) as {
      spec: { listeners: { allowedRoutes: unknown }[] };
      status: { addresses: { value: string }[]; conditions: { type: string; status: string }[]; listeners: { name: string; attachedRoutes: number; conditions: { type: string; status: string; reason: string }[] }[] };
    };
    assert.deepEqual(gw.spec.listeners[0]!.allowedRoutes, { namespaces: { from: 'Same' } });
    assert.equal(gw.status.addresses[0]!.value, '127.0.0.1');
    assert.equal(gw.status.conditions.find((c) => c.type === 'Accepted')?.status, 'True');
    const listener = gw.status.listeners[0]!;
    assert.deepEqual(listener.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`), ['Accepted=True/Accepted', 'Programmed=True/Programmed', 'ResolvedRefs=True/ResolvedRefs', 'Conflicted=False/NoConflicts']);
    await eventually('routes attached', () => kubectl(server, ['get', 'gtw', 'web', '-o', 'jsonpath={.status.listeners[0].attachedRoutes}']).stdout === '2');
    const parent = '.status.parents[0]';
    await eventually('route accepted', () => kubectl(server, ['get', 'httproute', 'models', '-o', `jsonpath=${conditionPath(parent, 'Accepted')} ${conditionPath(parent, 'ResolvedRefs')}`]).stdout === 'True/Accepted True/ResolvedRefs');
    await eventually('BackendNotFound', () => kubectl(server, ['get', 'httproute', 'missing', '-o', `jsonpath=${conditionPath(parent, 'ResolvedRefs')}`]).stdout === 'False/BackendNotFound');
    const defaulted = JSON.parse(kc(server, ['get', 'httproute', 'models', '-o', 'json'])) as { spec: { rules: { matches: unknown[]; backendRefs: unknown[] }[] } };
    assert.deepEqual(defaulted.spec.rules[0]!.matches, [{ headers: [{ name: 'x-model-version', type: 'Exact', value: 'v2' }], path: { type: 'PathPrefix', value: '/' } }]);
    assert.deepEqual(defaulted.spec.rules[0]!.backendRefs, [{ group: '', kind: 'Service', name: 'model-v2', port: 8080, weight: 1 }]);

    const tables = kc(server, ['get', 'gateway,httproute']).split('\n');
    assert.match(tables[0]!, /^NAME\s+CLASS\s+ADDRESS\s+PROGRAMMED\s+AGE$/);
    assert.match(tables[1]!, /^gateway\.gateway\.networking\.k8s\.io\/web\s+capstan\s+127\.0\.0\.1\s+True\s+\S+$/);
    const routeHeader = tables.findIndex((l) => /^NAME\s+HOSTNAMES\s+AGE$/.test(l));
    assert.ok(routeHeader > 0, tables.join('\n'));
    assert.match(tables.slice(routeHeader).join('\n'), /httproute\.gateway\.networking\.k8s\.io\/models\s+\["models\.example\.com"\]\s+\S+/);
  });

  test('a route to a Service in another namespace needs a ReferenceGrant there', async () => {
    const cross = `apiVersion: v1
kind: Namespace
metadata:
  name: models
---
apiVersion: v1
kind: Service
metadata:
  name: model-v1
  namespace: models
spec:
  ports: [{port: 8080}]
---
${route('cross', 'model-v1').replace('      port: 8080', '      namespace: models\n      port: 8080')}`;
    kc(server, ['apply', '-f', '-'], { input: cross });
    const parent = '.status.parents[0]';
    const resolved = () => kubectl(server, ['get', 'httproute', 'cross', '-o', `jsonpath=${conditionPath(parent, 'ResolvedRefs')}`]).stdout;
    await eventually('RefNotPermitted', () => resolved() === 'False/RefNotPermitted');
    const grant = `apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata:
  name: routes-from-default
  namespace: models
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default}]
  to: [{group: "", kind: Service}]
`;
    kc(server, ['apply', '-f', '-'], { input: grant });
    await eventually('ResolvedRefs after the grant', () => resolved() === 'True/ResolvedRefs');
    assert.match(kc(server, ['get', 'refgrant', '-n', 'models']).split('\n')[0]!, /^NAME\s+AGE$/);
  });

  test('a route whose match duplicates an older route’s stays Accepted, with a Shadowed condition and a Conflict event', async () => {
    // Named so that the first one wins whether or not they are created in the same second.
    const shadow = (name: string) => route(name, 'model-v2', 'shadow.example.com', '    - path: {type: PathPrefix, value: /api}\n');
    kc(server, ['apply', '-f', '-'], { input: shadow('a-first') });
    kc(server, ['apply', '-f', '-'], { input: shadow('b-second') });
    const parent = '.status.parents[0]';
    const shadowed = () => kubectl(server, ['get', 'httproute', 'b-second', '-o', `jsonpath=${conditionPath(parent, 'Accepted')} ${conditionPath(parent, 'capstan.io/Shadowed')}`]).stdout;
    await eventually('the Shadowed condition', () => shadowed() === 'True/Accepted True/RuleMatchConflict');
    const message = kc(server, ['get', 'httproute', 'b-second', '-o', `jsonpath={${parent}.conditions[?(@.type=="capstan.io/Shadowed")].message}`]);
    assert.match(message, /^rule 0 match 0 \(PathPrefix \/api\) of host shadow\.example\.com is already served by .*HTTPRoute default\/a-first/);
    assert.equal(kc(server, ['get', 'httproute', 'a-first', '-o', `jsonpath=${conditionPath(parent, 'capstan.io/Shadowed')}`]), '/');
    let events = '';
    await eventually('the Conflict event', () => {
      events = kubectl(server, ['get', 'events', '--field-selector', 'involvedObject.kind=HTTPRoute,involvedObject.name=b-second,reason=Conflict', '-o', 'jsonpath={.items[*].type} {.items[*].message}']).stdout;
      return events.startsWith('Warning ');
    });
    assert.equal(events, `Warning ${message}`);
    // Once the winner is gone the condition goes too.
    kc(server, ['delete', 'httproute', 'a-first']);
    await eventually('the Shadowed condition cleared', () => shadowed() === 'True/Accepted /');
  });

  test('server-side apply works on the Gateway API kinds', () => {
    const out = kc(server, ['apply', '--server-side', '-f', '-'], { input: route('ssa', 'model-v2') });
    assert.match(out, /httproute\.gateway\.networking\.k8s\.io\/ssa serverside-applied/);
  });

  test('invalid objects are refused with 422 and field causes', () => {
    const noPort = kubectl(server, ['create', '-f', '-'], { input: route('bad', 'model-v2').replace('      port: 8080\n', '') });
    assert.notEqual(noPort.code, 0);
    assert.match(noPort.stderr, /The HTTPRoute "bad" is invalid: spec\.rules\[0\]\.backendRefs\[0\]: Invalid value: "object": Must have port for Service reference/);
    const dupNames = kubectl(server, ['create', '-f', '-'], { input: `${gateway.replace('name: web', 'name: dup')}  - name: http\n    port: 18081\n    protocol: HTTP\n` });
    assert.match(dupNames.stderr, /The Gateway "dup" is invalid: spec\.listeners: Invalid value: "array": Listener name must be unique within the Gateway/);
    const badHost = kubectl(server, ['create', '-f', '-'], { input: route('host', 'model-v2').replace('models.example.com', 'Models_Example') });
    assert.match(badHost.stderr, /spec\.hostnames\[0\]: Invalid value: "Models_Example": spec\.hostnames\[0\] in body should match/);
    const raw = kubectl(server, ['create', '-f', '-', '-v=6'], { input: route('bad', 'model-v2').replace('      port: 8080\n', '') });
    assert.match(raw.stderr, /422 Unprocessable Entity/);
  });
});
