import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cadvisorMetricFamilies, cgroupName, type ContainerReading } from './cadvisor-metrics.js';
import { formatGoFloat, renderPrometheusText } from './prometheus-text.js';

const T = Date.UTC(2024, 0, 1, 12, 0, 0);

test("cgroupName: the directory's path below the mount", () => {
  assert.equal(cgroupName('/sys/fs/cgroup/capstan/pod-a/c1', '/sys/fs/cgroup'), '/capstan/pod-a/c1');
  assert.equal(cgroupName('/sys/fs/cgroup/memory/capstan/c1', '/sys/fs/cgroup/memory'), '/capstan/c1');
  assert.equal(cgroupName('/sys/fs/cgroup', '/sys/fs/cgroup/'), '/');
  assert.equal(cgroupName('/elsewhere/x', '/sys/fs/cgroup'), undefined);
  assert.equal(cgroupName('/sys/fs/cgroupx/y', '/sys/fs/cgroup'), undefined);
});

test("the machine's root series and each container's, with cAdvisor's labels and read times", () => {
  const point = (cpuNs: number, bytes: number) => ({ timestampMs: T, cpuNs, workingSetBytes: bytes, usageBytes: bytes + 4096, rssBytes: bytes - 4096 });
  const containers: ContainerReading[] = [
    { id: 'abc123', name: 'burn', image: 'busybox', pod: 'burner', namespace: 'default', startedAtMs: T - 30_000, point: point(2.5e9, 1 << 20) },
    { id: 'def456', name: 'side', image: 'busybox', pod: 'holder', namespace: 'default', cgroupName: '/capstan/def456', startedAtMs: 0, point: point(1e9, 2 << 20) },
  ];
  const text = renderPrometheusText(cadvisorMetricFamilies(containers, point(100e9, 4 << 30)));
  const lines = text.split("\n");
  assert.ok(lines.includes('# HELP container_cpu_usage_seconds_total Cumulative cpu time consumed in seconds.'));
  assert.ok(lines.includes('# TYPE container_cpu_usage_seconds_total counter'));
  assert.ok(lines.includes(`container_cpu_usage_seconds_total{container="",cpu="total",id="/",image="",name="",namespace="",pod=""} 100 ${T}`));
  assert.ok(lines.includes(`container_cpu_usage_seconds_total{container="burn",cpu="total",id="",image="busybox",name="abc123",namespace="default",pod="burner"} 2.5 ${T}`));
  assert.ok(lines.includes(`container_memory_working_set_bytes{container="side",id="/capstan/def456",image="busybox",name="def456",namespace="default",pod="holder"} 2.097152e+06 ${T}`));
  assert.ok(lines.includes(`container_memory_usage_bytes{container="burn",id="",image="busybox",name="abc123",namespace="default",pod="burner"} 1.052672e+06 ${T}`));
  assert.ok(lines.includes(`container_memory_rss{container="burn",id="",image="busybox",name="abc123",namespace="default",pod="burner"} 1.04448e+06 ${T}`));
  // A start time only when known; the root has none.
  assert.ok(lines.includes(`container_start_time_seconds{container="burn",id="",image="busybox",name="abc123",namespace="default",pod="burner"} ${formatGoFloat((T - 30_000) / 1000)} ${T}`));
  assert.equal(lines.filter((l) => l.startsWith('container_start_time_seconds{')).length, 1);
  assert.ok(lines.includes('container_scrape_error 0'));
  // No stability prefix: these are cAdvisor's own families.
  assert.equal(lines.some((l) => l.includes('[STABLE]') || l.includes('[ALPHA]')), false);
});

test('a failed read is a scrape error; nothing read yet leaves only that gauge', () => {
  assert.equal(renderPrometheusText(cadvisorMetricFamilies([], undefined, true)), '# HELP container_scrape_error 1 if there was an error while getting container metrics, 0 otherwise\n# TYPE container_scrape_error gauge\ncontainer_scrape_error 1\n');
});
