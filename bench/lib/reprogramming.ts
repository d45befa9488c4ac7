/**
 * Reprogramming at scale, shared by the network benchmarks: `services` selector-less Services,
 * each with an EndpointSlice the benchmark writes, all pointing at backend 0; then one Service's
 * EndpointSlice is rewritten `changes` times, alternating between backends 0 and 1. Each change is
 * timed from just before the write until a new connection to the ClusterIP, probed back to back,
 * answers with the new backend's body. Goal (issue 6): p99 ≤ 100 ms.
 */
import { loadavg } from 'node:os';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { Connection } from './client.js';
import { get, until } from './http-load.js';
import type { BenchServer } from './server.js';
import { fmt, passFail, printTable, summarize } from './stats.js';

/** A backend the Services can point at: where it listens and the body it answers with. */
export interface ReprogramBackend {
  ip: string;
  port: number;
  body: string;
}

export interface ReprogramOptions {
  namespace: string;
  services: number;
  changes: number;
  /** Exactly two backends with different bodies. */
  backends: [ReprogramBackend, ReprogramBackend];
}

async function pool<T>(items: T[], workers: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: workers }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

export async function measureReprogramming(server: BenchServer, o: ReprogramOptions): Promise<void> {
  const conns = Array.from({ length: 8 }, () => new Connection(server));
  try {
    const slicesPath = `/apis/discovery.k8s.io/v1/namespaces/${o.namespace}/endpointslices`;
    const sliceFor = (svc: string, backend: number, resourceVersion?: string) => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${svc}-manual`, namespace: o.namespace, labels: { 'kubernetes.io/service-name': svc }, resourceVersion },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: o.backends[backend]!.port, protocol: 'TCP' }],
      endpoints: [{ addresses: [o.backends[backend]!.ip], conditions: { ready: true } }],
    });
    const names = Array.from({ length: o.services }, (_, i) => `scale-${String(i).padStart(4, '0')}`);
    const clusterIPs = new Map<string, string>();
    const t0 = performance.now();
    let w = 0;
    await pool(names, conns.length, async (name) => {
      const conn = conns[w++ % conns.length]!;
      const svc = await conn.json<Service>('POST', `/api/v1/namespaces/${o.namespace}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ name: 'http', port: 80 }] } });
      clusterIPs.set(name, svc.spec!.clusterIP!);
      await conn.json('POST', slicesPath, sliceFor(name, 0));
    });
    const createdS = (performance.now() - t0) / 1000;
    const answers = async (ip: string, body: string) => (await get(ip, 80).catch(() => ({ body: '' }))).body === body;
    // Every Service reachable through the proxy before the timed changes.
    for (const name of [names[0]!, names[names.length - 1]!]) await until(`${name} through the proxy`, () => answers(clusterIPs.get(name)!, o.backends[0].body), 120_000);
    const ready = (performance.now() - t0) / 1000;
    const conn = conns[0]!;
    const target = names[Math.floor(names.length / 2)]!;
    const ip = clusterIPs.get(target)!;
    await until(`${target} through the proxy`, () => answers(ip, o.backends[0].body), 60_000);
    let slice = await conn.json<EndpointSlice>('GET', `${slicesPath}/${target}-manual`);
    const samples: number[] = [];
    for (let i = 1; i <= o.changes; i++) {
      const want = o.backends[i % 2]!.body;
      const start = performance.now();
      slice = await conn.json<EndpointSlice>('PUT', `${slicesPath}/${target}-manual`, sliceFor(target, i % 2, slice.metadata!.resourceVersion));
      await until(`${target} → ${want}`, () => answers(ip, want), 30_000, 0);
      samples.push(performance.now() - start);
    }
    const s = summarize(samples);
    process.stdout.write(
      `\n## Reprogramming with ${o.services} Services: EndpointSlice write → a new connection to the ClusterIP reaches the new backend (${o.changes} changes; ${o.services} Services + EndpointSlices created in ${createdS.toFixed(1)} s, all proxied ${ready.toFixed(1)} s after the first create)\n`,
    );
    printTable(['min ms', 'median ms', 'p99 ms', 'max ms', 'load avg (1 min)', 'goal p99 ≤ 100 ms'], [[fmt(s.min), fmt(s.median), fmt(s.p99), fmt(s.max), loadavg()[0]!.toFixed(2), passFail(s.p99 <= 100)]]);
  } finally {
    for (const c of conns) c.close();
  }
}
