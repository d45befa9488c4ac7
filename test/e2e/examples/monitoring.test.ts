/**
 * Scenario 11 of examples/ (monitoring), run as its README tells a user to: `kubectl apply -k
 * examples/11-monitoring`, `kubectl top nodes|pods`, the three Prometheus endpoints (the API
 * server's /metrics, the node agent's through the node proxy, the model server's through the
 * Service proxy) checked for the text format and the metric names the README shows, Warning events
 * from the common mistake (a readiness probe on the wrong path), and the scrape configuration's
 * jobs. Prometheus itself is not run. Bridge networking where the machine has it, host otherwise.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { bridgeSkip, e2eSkip, kc, kubectl } from '../harness.js';
import { suiteServer } from '../suite-server.js';
import { eventually } from '../../support/eventually.js';
import { applyExample, examplesDir, kjson } from './support.js';

const network = bridgeSkip() ? 'host' : 'bridge';
const node = 'capstan-e2e';

/**
 * Checks `text` is in the Prometheus text exposition format: comments are HELP or TYPE lines, the
 * rest `name{labels} value [timestamp]`; returns the metric families TYPE declares.
 */
function promText(text: string): Set<string> {
  const families = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (t) families.add(t[1]!);
    else if (line.startsWith('#')) assert.match(line, /^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* /);
    else assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? [-+]?(\d+(\.\d+)?([eE][-+]?\d+)?|NaN|[-+]?Inf)( -?\d+)?$/, `not a sample line: ${line}`);
  }
  return families;
}

describe('examples/11-monitoring', { skip: e2eSkip(), timeout: 300_000 }, () => {
  const server = suiteServer({
    agent: true,
    runtime: 'process',
    network,
    cleanUp: (s) => {
      kubectl(s, ['delete', '-f', join(examplesDir, '11-monitoring', 'mistakes', 'wrong-probe.yaml'), '--ignore-not-found', '--wait=true', '--timeout=60s']);
      kubectl(s, ['delete', '-k', join(examplesDir, '11-monitoring'), '--wait=true', '--timeout=60s']);
    },
  });

  test('the model server runs, annotated for Prometheus', () => {
    applyExample(server, '11-monitoring');
    kc(server, ['rollout', 'status', 'deployment/ml-model', '--timeout=120s']);
    const pod = kjson(server, ['get', 'pods', '-l', 'app=ml-model']).items[0];
    assert.deepEqual(pod.metadata.annotations, { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080', 'prometheus.io/path': '/metrics' });
    assert.equal(kjson(server, ['get', 'svc', 'ml-model']).metadata.annotations['prometheus.io/scrape'], 'true');
  });

  test('kubectl top nodes and kubectl top pods show numbers once sampled', async () => {
    const nodes = await eventually('kubectl top nodes', () => {
      const r = kubectl(server, ['top', 'nodes', '--no-headers']);
      return r.code === 0 && r.stdout.trim() ? r.stdout.trim().split(/\s+/) : undefined;
    }, 60_000, 1000);
    assert.equal(nodes[0], node);
    assert.match(nodes[1]!, /^\d+m$/);
    assert.match(nodes[2]!, /^\d+%$/);
    assert.match(nodes[3]!, /^\d+Mi$/);
    const pods = await eventually('kubectl top pods', () => {
      const r = kubectl(server, ['top', 'pods', '-l', 'app=ml-model', '--no-headers']);
      return r.code === 0 && r.stdout.trim() ? r.stdout.trim().split(/\s+/) : undefined;
    }, 60_000, 1000);
    assert.match(pods[0]!, /^ml-model-[a-z0-9]+-[a-z0-9]+$/);
    assert.match(pods[1]!, /^\d+m$/);
    assert.match(pods[2]!, /^\d+Mi$/);
  });

  test("the API server's /metrics", () => {
    const text = kc(server, ['get', '--raw', '/metrics']);
    const families = promText(text);
    for (const f of ['apiserver_request_total', 'apiserver_request_duration_seconds', 'apiserver_current_inflight_requests', 'process_cpu_seconds_total']) assert.ok(families.has(f), f);
    assert.match(text, /^apiserver_request_total\{code="200",component="apiserver",dry_run="",group="apps",resource="deployments",scope="resource",subresource="",verb="GET",version="v1"\} \d+$/m);
  });

  test("the node agent's /metrics through the node proxy", () => {
    const text = kc(server, ['get', '--raw', `/api/v1/nodes/${node}/proxy/metrics`]);
    const families = promText(text);
    for (const f of ['kubelet_running_pods', 'kubelet_running_containers', 'kubelet_node_name']) assert.ok(families.has(f), f);
    assert.match(text, /^kubelet_running_pods [1-9]\d*$/m);
    assert.match(text, new RegExp(`^kubelet_node_name\\{node="${node}"\\} 1$`, 'm'));
    const resource = kc(server, ['get', '--raw', `/api/v1/nodes/${node}/proxy/metrics/resource`]);
    assert.ok(promText(resource).has('container_cpu_usage_seconds_total'));
  });

  test("the model server's /metrics through the Service proxy count its predictions", () => {
    const base = '/api/v1/namespaces/default/services/ml-model:http/proxy';
    for (let i = 0; i < 3; i++) assert.match(kc(server, ['get', '--raw', `${base}/predict?features=1,0.5,2,0.1`]), /"version":"v1"/);
    const text = kc(server, ['get', '--raw', `${base}/metrics`]);
    const families = promText(text);
    for (const f of ['model_requests_total', 'model_request_duration_seconds', 'model_info', 'model_ready']) assert.ok(families.has(f), f);
    assert.match(text, /^model_requests_total\{path="\/predict",code="200"\} 3$/m);
    assert.match(text, /^model_info\{name="churn-classifier",version="v1"\} 1$/m);
    assert.match(text, /^model_ready 1$/m);
  });

  test('common mistake: a readiness probe on the wrong path shows as Warning events', async () => {
    kc(server, ['apply', '-f', join(examplesDir, '11-monitoring', 'mistakes', 'wrong-probe.yaml')]);
    const line = await eventually('a Warning event for the failing probe', () => {
      const r = kubectl(server, ['get', 'events', '--field-selector', 'type=Warning', '--no-headers']);
      // (The first probes may find the server not listening yet: `connect: connection refused`.)
      return r.stdout.split('\n').find((l) => /ml-model-canary/.test(l) && /statuscode: 404/.test(l));
    }, 60_000, 1000);
    assert.match(line, /Warning\s+Unhealthy\s+pod\/ml-model-canary-[a-z0-9]+-[a-z0-9]+\s+Readiness probe failed: HTTP probe failed with statuscode: 404$/);
    assert.match(kc(server, ['events', '--types=Warning']), /Warning\s+Unhealthy\s+Pod\/ml-model-canary-\S+\s+Readiness probe failed: HTTP probe failed with statuscode: 404/);
    const ready = kc(server, ['get', 'pods', '-l', 'app=ml-model-canary', '-o', 'jsonpath={.items[0].status.conditions[?(@.type=="Ready")].status}']);
    assert.equal(ready, 'False');
  });

  test('prometheus.yml has the three scrape jobs', () => {
    const cfg = parse(readFileSync(join(examplesDir, '11-monitoring', 'prometheus.yml'), 'utf8')) as { scrape_configs: { job_name: string; kubernetes_sd_configs: { role: string }[]; relabel_configs: { replacement?: string; regex?: string }[] }[] };
    const jobs = Object.fromEntries(cfg.scrape_configs.map((j) => [j.job_name, j]));
    assert.deepEqual(Object.keys(jobs), ['kubernetes-apiservers', 'kubernetes-nodes', 'kubernetes-pods']);
    assert.equal(jobs['kubernetes-apiservers']!.kubernetes_sd_configs[0]!.role, 'endpoints');
    assert.equal(jobs['kubernetes-nodes']!.kubernetes_sd_configs[0]!.role, 'node');
    assert.ok(jobs['kubernetes-nodes']!.relabel_configs.some((r) => r.replacement === '/api/v1/nodes/${1}/proxy/metrics'));
    assert.equal(jobs['kubernetes-pods']!.kubernetes_sd_configs[0]!.role, 'pod');
  });
});
