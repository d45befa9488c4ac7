import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoFloat, renderPrometheusText } from './prometheus-text.js';
import { agentMetricFamilies, resourceMetricFamilies } from './resource-metrics.js';
import type { Summary } from './summary.js';

test("formatGoFloat writes Go's shortest 'g' form", () => {
  assert.equal(formatGoFloat(0), '0');
  assert.equal(formatGoFloat(1), '1');
  assert.equal(formatGoFloat(357.35491), '357.35491');
  assert.equal(formatGoFloat(12926976), '1.2926976e+07');
  assert.equal(formatGoFloat(123456), '123456');
  assert.equal(formatGoFloat(1e6), '1e+06');
  assert.equal(formatGoFloat(0.0001), '0.0001');
  assert.equal(formatGoFloat(0.00001234), '1.234e-05');
  assert.equal(formatGoFloat(1.7e9), '1.7e+09');
  assert.equal(formatGoFloat(NaN), 'NaN');
  assert.equal(formatGoFloat(Infinity), '+Inf');
});

test('renderPrometheusText sorts families and label pairs, escapes values and adds timestamps', () => {
  const text = renderPrometheusText([
    { name: 'zeta', type: 'gauge', help: 'Last.', samples: [{ value: 2 }] },
    { name: 'empty', type: 'gauge', help: 'Left out.', samples: [] },
    { name: 'alpha_total', type: 'counter', help: 'First\\one.', stability: 'STABLE', samples: [{ labels: { pod: 'p"1', container: 'c\n' }, value: 1.5, timestampMs: 1700000000123 }] },
  ]);
  assert.equal(
    text,
    ['# HELP alpha_total [STABLE] First\\\\one.', '# TYPE alpha_total counter', 'alpha_total{container="c\\n",pod="p\\"1"} 1.5 1700000000123', '# HELP zeta Last.', '# TYPE zeta gauge', 'zeta 2', ''].join('\n'),
  );
});

const summary: Summary = {
  node: { nodeName: 'n1', startTime: '2024-01-01T00:00:00Z', cpu: { time: '2024-01-01T12:00:10Z', usageNanoCores: 5e8, usageCoreNanoSeconds: 357354910000 }, memory: { time: '2024-01-01T12:00:10Z', workingSetBytes: 1616273408 } },
  pods: [
    {
      podRef: { name: 'web', namespace: 'default', uid: 'u1' },
      startTime: '2024-01-01T11:00:00Z',
      containers: [{ name: 'app', startTime: '2024-01-01T11:00:01Z', cpu: { time: '2024-01-01T12:00:10Z', usageCoreNanoSeconds: 4710169000 }, memory: { time: '2024-01-01T12:00:10Z', workingSetBytes: 12926976 } }],
      cpu: { time: '2024-01-01T12:00:10Z', usageCoreNanoSeconds: 4710169000 },
      memory: { time: '2024-01-01T12:00:10Z', workingSetBytes: 12926976 },
    },
  ],
};

test('resource metrics: the kubelet /metrics/resource families with timestamps', () => {
  const text = renderPrometheusText(resourceMetricFamilies(summary));
  const ts = Date.parse('2024-01-01T12:00:10Z');
  for (const line of [
    '# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds',
    '# TYPE container_cpu_usage_seconds_total counter',
    `container_cpu_usage_seconds_total{container="app",namespace="default",pod="web"} 4.710169 ${ts}`,
    `container_memory_working_set_bytes{container="app",namespace="default",pod="web"} 1.2926976e+07 ${ts}`,
    `container_start_time_seconds{container="app",namespace="default",pod="web"} 1.704106801e+09`,
    `node_cpu_usage_seconds_total 357.35491 ${ts}`,
    `node_memory_working_set_bytes 1.616273408e+09 ${ts}`,
    `pod_cpu_usage_seconds_total{namespace="default",pod="web"} 4.710169 ${ts}`,
    `pod_memory_working_set_bytes{namespace="default",pod="web"} 1.2926976e+07 ${ts}`,
    'resource_scrape_error 0',
    '# HELP scrape_error [ALPHA] 1 if there was an error while getting container metrics, 0 otherwise',
  ])
    assert.ok(text.split('\n').includes(line), `missing ${line}\n${text}`);
  assert.match(renderPrometheusText(resourceMetricFamilies(undefined)), /^resource_scrape_error 1$/m);
});

test("agent metrics: node name, running pods and containers by state, and the process's figures", () => {
  const text = renderPrometheusText(
    agentMetricFamilies({ nodeName: 'n1', runningPods: 2, containersByState: { running: 3, exited: 1, created: 0, unknown: 0 } }, { cpuSeconds: 1.25, residentBytes: 41586688, startTimeSeconds: 1700000000 }),
  );
  for (const line of [
    'kubelet_node_name{node="n1"} 1',
    'kubelet_running_pods 2',
    'kubelet_running_containers{container_state="exited"} 1',
    'kubelet_running_containers{container_state="running"} 3',
    'process_cpu_seconds_total 1.25',
    'process_resident_memory_bytes 4.1586688e+07',
    'process_start_time_seconds 1.7e+09',
  ])
    assert.ok(text.split('\n').includes(line), `missing ${line}\n${text}`);
  assert.doesNotMatch(text, /process_open_fds/);
});
