/**
 * The cluster DNS component of `capstan server`: informers on Services, EndpointSlices and
 * Namespaces feed the cluster index (rebuilt lazily after a change); listeners on the kube-dns
 * ClusterIP at port 53 (when this process may bind it) and on any extra addresses answer from it,
 * forwarding other names to the resolvers of a resolv.conf; request counters are served beside the
 * ClusterIP listener at port 9153, as CoreDNS's. Owned by the signal given to `start`.
 */
import type { ApiObject } from '../../api/object.js';
import type { ApiClient } from '../../client/api-client.js';
import { builtinRefs } from '../../client/builtin-refs.js';
import { SharedInformerFactory } from '../../client/informer-factory.js';
import type { Logger } from '../../util/logger.js';
import { buildClusterIndex, type ClusterIndex } from './cluster-index.js';
import { ResolvConfForwarder } from './forwarder.js';
import { DnsHandler } from './handler.js';
import { DnsListener } from './listener.js';
import { DnsMetrics, serveDnsMetrics } from './metrics.js';
import type { Server } from 'node:http';

export interface ClusterDnsOptions {
  client: ApiClient;
  logger: Logger;
  /** The cluster domain, e.g. cluster.local. */
  clusterDomain: string;
  /** The kube-dns Service's ClusterIP: answered as the zone's name server, and served at port 53 when it can be bound unless `bindServiceIP` is false. */
  serviceIP?: string;
  /** False when service proxies carry the ClusterIP to this server through the Service's endpoints. Default true. */
  bindServiceIP?: boolean;
  /** Where to serve Prometheus metrics besides the ClusterIP (port 0 picks one). */
  metricsListener?: { host: string; port: number };
  /** Port for the ClusterIP listener (53; tests may pick another). */
  servicePort?: number;
  /** Further listeners, always bound (a failure to bind fails the start). */
  extraListeners: { host: string; port: number }[];
  /** The resolv.conf naming the upstream resolvers. */
  resolvConfPath: string;
  /** TTL of the cluster records (seconds). */
  ttl?: number;
  /** Port of the metrics endpoint on the ClusterIP (9153). */
  metricsPort?: number;
  /** How long to wait before binding the ClusterIP again while it is not on any interface yet. */
  bindRetryMs?: number;
}

export interface RunningClusterDns {
  /** The bound extra listeners, in order, with their actual ports. */
  listeners: { host: string; port: number }[];
  /** The metrics listener's actual port, when one was asked for. */
  metricsPort?: number;
  /** Resolves once stopped. */
  done: Promise<void>;
}

/** Starts the DNS server; resolves once the extra listeners are bound and the caches have synced (or the signal aborts). */
export async function startClusterDns(opts: ClusterDnsOptions, signal: AbortSignal): Promise<RunningClusterDns> {
  const log = opts.logger;
  const zone = opts.clusterDomain.toLowerCase().replace(/\.$/, '');
  const informers = new SharedInformerFactory(opts.client, { logger: log.child('informers') });
  const services = informers.informerFor<ApiObject>(builtinRefs.services);
  const slices = informers.informerFor<ApiObject>(builtinRefs.endpointslices);
  const namespaces = informers.informerFor<ApiObject>(builtinRefs.namespaces);
  let index: ClusterIndex | undefined;
  const invalidate = { onAdd: () => (index = undefined), onUpdate: () => (index = undefined), onDelete: () => (index = undefined) };
  for (const inf of [services, slices, namespaces]) inf.addEventHandler(invalidate);
  const current = (): ClusterIndex => (index ??= buildClusterIndex(services.list(), slices.list(), namespaces.hasSynced() ? namespaces.list() : undefined, zone));

  const servicePort = opts.servicePort ?? 53;
  const self = new Set(opts.extraListeners.map((l) => `${l.host}:${l.port}`));
  if (opts.serviceIP) self.add(`${opts.serviceIP}:${servicePort}`);
  const forwarder = new ResolvConfForwarder({ resolvConfPath: opts.resolvConfPath, self });
  const metrics = new DnsMetrics(zone);
  const handler = new DnsHandler({
    onQuery: (q, rcode, how, transport) => metrics.observe(q, rcode, how, transport),
    zone: { zone, ttl: opts.ttl ?? 5, serial: Math.floor(Date.now() / 1000), dnsIPs: opts.serviceIP ? [opts.serviceIP] : [] },
    index: current,
    forwarder,
  });

  const running = informers.start(signal);
  const listeners: DnsListener[] = [];
  try {
    for (const l of opts.extraListeners) {
      const listener = new DnsListener(l.host, l.port, handler);
      await listener.listen();
      listeners.push(listener);
      // The actual port is known now: keep the forwarder from using this listener as an upstream.
      self.add(`${l.host}:${listener.port}`);
      log.info('cluster DNS listening', { address: `${l.host}:${listener.port}` });
    }
  } catch (e) {
    for (const l of listeners) await l.close();
    throw e;
  }

  // The ClusterIP may not be on an interface yet (bridge mode adds it to the loopback device):
  // retry while it is unavailable; give up quietly when the port is not ours to take.
  let retry: NodeJS.Timeout | undefined;
  let metricsServer: Server | undefined;
  const bindService = async (): Promise<void> => {
    if (!opts.serviceIP || opts.bindServiceIP === false || signal.aborted) return;
    const listener = new DnsListener(opts.serviceIP, servicePort, handler);
    try {
      await listener.listen();
      if (signal.aborted) return void (await listener.close());
      listeners.push(listener);
      log.info('cluster DNS listening', { address: `${opts.serviceIP}:${servicePort}` });
      const mport = opts.metricsPort ?? 9153;
      metricsServer = await serveDnsMetrics(metrics, opts.serviceIP, mport).catch((e: NodeJS.ErrnoException) => {
        log.info('cluster DNS metrics not served', { address: `${opts.serviceIP}:${mport}`, reason: e.code ?? e.message });
        return undefined;
      });
      if (signal.aborted) metricsServer?.close();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRNOTAVAIL') retry = setTimeout(() => void bindService(), opts.bindRetryMs ?? 5000);
      else {
        // Not being root is the expected reason; anything else (the port taken) deserves a warning.
        const fields = { address: `${opts.serviceIP}:${servicePort}`, reason: code ?? (e as Error).message };
        if (code === 'EACCES') log.info('cluster DNS not listening on its Service address', fields);
        else log.warn('cluster DNS not listening on its Service address', fields);
      }
    }
  };
  await bindService();
  let extraMetrics: Server | undefined;
  if (opts.metricsListener) {
    extraMetrics = await serveDnsMetrics(metrics, opts.metricsListener.host, opts.metricsListener.port);
    if (signal.aborted) extraMetrics.close();
  }
  await informers.waitForSync(signal);

  const done = (async () => {
    await running;
    clearTimeout(retry);
    for (const l of listeners) await l.close();
    for (const m of [metricsServer, extraMetrics]) {
      if (!m) continue;
      m.closeAllConnections();
      await new Promise<void>((r) => m.close(() => r()));
    }
  })();
  const mp = extraMetrics?.address();
  return { metricsPort: mp && typeof mp === 'object' ? mp.port : undefined, listeners: listeners.filter((l) => l.host !== opts.serviceIP || l.port !== servicePort).map((l) => ({ host: l.host, port: l.port })), done };
}
