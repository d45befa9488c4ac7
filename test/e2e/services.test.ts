/**
 * Service allocation against a real server with the real kubectl: ClusterIPs and NodePorts are
 * handed out once, requested values are honoured or refused with 422, deleting a Service frees
 * its values, allocations survive a restart, and the `kubernetes` Service exists.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kc, kubectl, startServer, type ServerHandle } from './harness.js';

const manifest = (name: string, spec: string) => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
${spec}`;

describe('services', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-e2e-svc-'));
  let server: ServerHandle;

  before(async () => {
    server = await startServer({ dataDir, extraArgs: ['--service-cluster-ip-range', '10.99.0.0/24', '--service-node-port-range', '30000-30099'] });
  });
  after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the kubernetes Service takes the first address and points at the API port', () => {
    const svc = JSON.parse(kc(server, ['get', 'svc', 'kubernetes', '-o', 'json'])) as { spec: { clusterIP: string; ports: { name: string; port: number; targetPort: number }[] } };
    assert.equal(svc.spec.clusterIP, '10.99.0.1');
    assert.deepEqual(svc.spec.ports.map((p) => [p.name, p.port, p.targetPort]), [['https', 443, Number(new URL(server.url).port)]]);
    // The server advertises its loopback bind address; the Endpoints hold it (pods reach it through
    // their node's service proxy), where upstream's validation would refuse it.
    assert.equal(kc(server, ['get', 'endpoints', 'kubernetes', '-o', 'jsonpath={.subsets[0].addresses[0].ip}:{.subsets[0].ports[0].port}']), `127.0.0.1:${new URL(server.url).port}`);
  });

  test('ClusterIP and NodePort services get distinct values; kubectl shows them', () => {
    kc(server, ['apply', '-f', '-'], { input: manifest('web', '  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080}]') });
    kc(server, ['apply', '-f', '-'], { input: manifest('np', '  type: NodePort\n  selector: {app: web}\n  ports: [{port: 80}]') });
    const web = kc(server, ['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP} {.spec.ipFamilies[0]} {.spec.ipFamilyPolicy}']);
    const np = kc(server, ['get', 'svc', 'np', '-o', 'jsonpath={.spec.clusterIP} {.spec.ports[0].nodePort}']);
    const [webIP, fam, policy] = web.split(' ');
    const [npIP, nodePort] = np.split(' ');
    assert.match(webIP, /^10\.99\.0\.\d+$/);
    assert.notEqual(webIP, npIP);
    assert.equal(fam, 'IPv4');
    assert.equal(policy, 'SingleStack');
    assert.ok(Number(nodePort) >= 30000 && Number(nodePort) <= 30099, nodePort);
    const table = kc(server, ['get', 'svc', 'np']);
    assert.match(table, new RegExp(`np\\s+NodePort\\s+${npIP.replace(/\./g, '\\.')}\\s+<none>\\s+80:${nodePort}/TCP`));
  });

  test('a taken or out-of-range ClusterIP or NodePort is refused with 422 and nothing changes', () => {
    const taken = kc(server, ['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}']);
    const dup = kubectl(server, ['create', '-f', '-'], { input: manifest('dup', `  clusterIP: ${taken}\n  ports: [{port: 80}]`) });
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, new RegExp(`The Service "dup" is invalid: spec.clusterIPs: Invalid value: \\[\\]string\\{"${taken.replace(/\./g, '\\.')}"\\}: failed to allocate IP ${taken.replace(/\./g, '\\.')}: provided IP is already allocated`));
    const out = kubectl(server, ['create', '-f', '-'], { input: manifest('out', '  clusterIP: 10.98.0.5\n  ports: [{port: 80}]') });
    assert.match(out.stderr, /the provided IP \(10\.98\.0\.5\) is not in the valid range\. The range of valid IPs is 10\.99\.0\.0\/24/);
    const port = kc(server, ['get', 'svc', 'np', '-o', 'jsonpath={.spec.ports[0].nodePort}']);
    const np = kubectl(server, ['create', '-f', '-'], { input: manifest('np2', `  type: NodePort\n  ports: [{port: 80, nodePort: ${port}}]`) });
    assert.match(np.stderr, new RegExp(`spec.ports\\[0\\].nodePort: Invalid value: ${port}: provided port is already allocated`));
    const range = kubectl(server, ['create', '-f', '-'], { input: manifest('np3', '  type: NodePort\n  ports: [{port: 80, nodePort: 31000}]') });
    assert.match(range.stderr, /provided port is not in the valid range\. The range of valid ports is 30000-30099/);
    assert.equal(kubectl(server, ['get', 'svc', 'dup']).code, 1);
    // A dry run reports the address it would take and takes nothing. Explicit addresses in these tests
    // come from the range's static band (10.99.0.0–15), which random allocation leaves alone.
    const dry = kc(server, ['create', '-f', '-', '--dry-run=server', '-o', 'jsonpath={.spec.clusterIP}'], { input: manifest('dry', '  clusterIP: 10.99.0.7\n  ports: [{port: 80}]') });
    assert.equal(dry, '10.99.0.7');
    kc(server, ['create', '-f', '-'], { input: manifest('real7', '  clusterIP: 10.99.0.7\n  ports: [{port: 80}]') });
  });

  test('deleting a Service frees its address; headless and ExternalName services hold none', () => {
    kc(server, ['create', '-f', '-'], { input: manifest('free', '  clusterIP: 10.99.0.5\n  ports: [{port: 80}]') });
    kc(server, ['delete', 'svc', 'free']);
    kc(server, ['create', '-f', '-'], { input: manifest('again', '  clusterIP: 10.99.0.5\n  ports: [{port: 80}]') });
    kc(server, ['create', '-f', '-'], { input: manifest('headless', '  clusterIP: None\n  selector: {app: db}\n  ports: [{port: 5432}]') });
    kc(server, ['create', 'service', 'externalname', 'ext', '--external-name', 'example.com']);
    assert.equal(kc(server, ['get', 'svc', 'headless', '-o', 'jsonpath={.spec.clusterIP}']), 'None');
    assert.equal(kc(server, ['get', 'svc', 'ext', '-o', 'jsonpath={.spec.clusterIP}']), '');
    // Changing a NodePort service to ClusterIP gives its node port back.
    const port = kc(server, ['get', 'svc', 'np', '-o', 'jsonpath={.spec.ports[0].nodePort}']);
    kc(server, ['patch', 'svc', 'np', '--type=json', '-p', '[{"op":"replace","path":"/spec/type","value":"ClusterIP"},{"op":"remove","path":"/spec/ports/0/nodePort"},{"op":"remove","path":"/spec/externalTrafficPolicy"}]']);
    kc(server, ['create', '-f', '-'], { input: manifest('np4', `  type: NodePort\n  ports: [{port: 80, nodePort: ${port}}]`) });
  });

  test('allocations survive a restart', async () => {
    await server.stop();
    server = await startServer({ dataDir, extraArgs: ['--service-node-port-range', '30000-30099'] });
    // The range was kept from the first start although the flag is gone now.
    const dup = kubectl(server, ['create', '-f', '-'], { input: manifest('dup2', '  clusterIP: 10.99.0.5\n  ports: [{port: 80}]') });
    assert.match(dup.stderr, /provided IP is already allocated/);
    const fresh = kc(server, ['create', '-f', '-', '-o', 'jsonpath={.spec.clusterIP}'], { input: manifest('fresh', '  ports: [{port: 80}]') });
    const all = kc(server, ['get', 'svc', '-A', '-o', 'jsonpath={.items[*].spec.clusterIP}']).split(' ');
    assert.equal(all.filter((ip) => ip === fresh).length, 1);
  });
});
