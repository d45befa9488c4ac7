/**
 * The node agent (the kubelet's job, DESIGN.md §2.6): registers its Node, renews its Lease,
 * reports node status, and runs every pod bound to it through a PodWorker against a container
 * runtime. Pods keep running when the agent stops: a restarted agent re-adopts them. It serves
 * container logs to the API server over HTTPS.
 */
import { limitsNotEnforcedReason, nodeLimitsNotEnforcedMessage } from './pod/resource-enforcement.js';
import { join } from 'node:path';
import { mkdir, readFile } from 'node:fs/promises';
import { setMaxListeners } from 'node:events';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import { StatusError, isStatusError } from '../api/errors.js';
import type { ApiObject } from '../api/object.js';
import { ensureAgentServing } from '../apiserver/auth/tls.js';
import type { ApiClient } from '../client/api-client.js';
import { builtinRefs } from '../client/builtin-refs.js';
import { type Clock, realClock, sleep } from '../client/clock.js';
import { Informer } from '../client/informer.js';
import { listWatcherFor } from '../client/list-watch.js';
import { ApiEventRecorder } from '../controllers/events.js';
import { nftablesProblem } from '../network/service-proxy/nft-proxier.js';
import { type ProxyMode, ServiceProxy } from '../network/service-proxy/service-proxy.js';
import { type NodeDns, podDnsConfig } from './pod/pod-dns.js';
import { LoopbackAddresses } from './network/loopback-addresses.js';
import { HostPortForwarder } from './network/host-ports.js';
import { renewedNodeLease } from '../sim/node-lease.js';
import type { Logger } from '../util/logger.js';
import { AgentServer, type LogTarget } from './agent-server.js';
import { StreamingServer } from './streaming/streaming-server.js';
import { StatsCollector } from './stats/stats-collector.js';
import { kubeletConfigz } from './node/node-endpoints.js';
import { defaultMaxPods } from './node/node-status.js';
import { DEFAULT_LOG_MAX_BYTES, DEFAULT_LOG_MAX_FILES } from './logs/cri-log-writer.js';
import { statsEndpoints } from './stats/stats-routes.js';
import { NodeStatusReporter, type NodeSetup } from './node-reporter.js';
import { CrashLoopBackoff } from './pod/backoff.js';
import { PodProbes } from './pod-probes.js';
import { PodStatusWriter } from './pod-status-writer.js';
import { PodWorker } from './pod-worker.js';
import { AgentVolumes } from './pod-volumes.js';
import { GpuAllocator } from './node/gpus.js';
import { assignmentsFromContainers } from './pod/gpu-assignment.js';
import { podLabels } from './runtime-config.js';
import { type RuntimeWanted, detectRuntime } from './runtime/detect.js';
import type { ContainerRuntime } from './runtime/runtime.js';
import { type NetworkChoice, type NetworkWanted, chooseNetworkMode, findCniPlugins, haveIproute } from './network/mode.js';
import { CniPodNetwork } from './network/pod-network.js';
import { BRIDGE_NAME, DEFAULT_SERVICE_CIDR } from './network/cni-config.js';

export interface AgentOptions extends NodeSetup {
  /** State: runtime state, pod logs. */
  dataDir: string;
  /** Address and port of the agent's HTTPS endpoint (port 0 picks a free one). */
  bindAddress: string;
  port: number;
  /** The cluster CA (verifies the API server's client certificate). */
  clusterCaPem: string;
  logger: Logger;
  clock?: Clock;
  runtime?: ContainerRuntime;
  /** `auto` (default): `sandbox` when root and runc are present, else `process`. */
  containerRuntime?: RuntimeWanted;
  /** Pod network mode (DESIGN.md §2.7); `auto` (default): `bridge` when root with the CNI plugins, else `host`. */
  network?: NetworkWanted;
  /** Looked in first for the CNI plugins. */
  cniBinDir?: string;
  /** The cluster's pod range (routed from pods) and Service range; defaults 10.42.0.0/16 and 10.43.0.0/16. */
  clusterCidr?: string;
  serviceCidr?: string;
  /** Lease renewal period (the kubelet renews every 10 s) and duration (40 s). */
  leaseRenewMs?: number;
  leaseDurationSeconds?: number;
  /** How often node status is computed (nodeStatusUpdateFrequency, 10 s). */
  statusUpdateMs?: number;
  /** How often container and node resource usage is read (default 10 s). */
  statsPeriodMs?: number;
  containerLogMaxBytes?: number;
  containerLogMaxFiles?: number;
  /**
   * The cluster DNS addresses written into sandbox pods' resolv.conf (the kubelet's --cluster-dns);
   * default: the ClusterIP of the `kube-dns` Service, looked up at start. Empty: no cluster DNS.
   */
  clusterDNS?: string[];
  /** The cluster domain (the kubelet's --cluster-domain, default cluster.local). */
  clusterDomain?: string;
  /** The node's resolv.conf (the kubelet's --resolv-conf, default /etc/resolv.conf). */
  resolvConfPath?: string;
  /** Do not run the service proxy (`--disable-service-proxy`). */
  disableServiceProxy?: boolean;
  /** The service proxy's data plane (`--proxy-mode`, default userspace). */
  proxyMode?: ProxyMode;
  /** Makes a ClusterIP local before the service proxy listens on it (bridge mode); none in host mode. */
  ensureLocalAddress?: (ip: string) => void | Promise<void>;
  /** Called once the Node is registered and pods are being handled. */
  onReady?: (info: { nodeName: string; port: number }) => void;
  /** Called once the Node no longer carries the `not-ready` taint that new Nodes get (pods can land). */
  onSchedulable?: () => void;
}

const isNotFound = (e: unknown) => isStatusError(e) && e.code === 404;

export class NodeAgent {
  private readonly workers = new Map<string, PodWorker>();
  private readonly clock: Clock;
  private runtime!: ContainerRuntime;
  private readonly pods: Informer<ApiObject>;
  private readonly services: Informer<ApiObject>;
  /** This node's own object (labels and allocatable for admission), as the kubelet's node lister. */
  private readonly self: Informer<ApiObject>;
  private readonly backoff = new CrashLoopBackoff();
  private gpus = new GpuAllocator([]);
  private reporter!: NodeStatusReporter;

  constructor(
    private readonly client: ApiClient,
    private readonly opts: AgentOptions,
  ) {
    this.clock = opts.clock ?? realClock;
    this.pods = new Informer(listWatcherFor(client, builtinRefs.pods, { fieldSelector: `spec.nodeName=${opts.nodeName}` }), { name: 'agent-pods', clock: this.clock, logger: opts.logger });
    this.services = new Informer(listWatcherFor(client, builtinRefs.services), { name: 'agent-services', clock: this.clock, logger: opts.logger });
    this.self = new Informer(listWatcherFor(client, builtinRefs.nodes, { fieldSelector: `metadata.name=${opts.nodeName}` }), { name: 'agent-node', clock: this.clock, logger: opts.logger });
  }

  /** Runs until `signal` aborts; containers keep running afterwards. */
  async run(signal: AbortSignal): Promise<void> {
    const { opts, client } = this;
    const log = opts.logger;
    const inner = new AbortController();
    setMaxListeners(0, inner.signal);
    const onAbort = () => inner.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const logRoot = join(opts.dataDir, 'pods');
    await mkdir(logRoot, { recursive: true });
    const proxyMode = opts.disableServiceProxy ? 'userspace' : (opts.proxyMode ?? 'userspace');
    const nftProblem = proxyMode === 'nftables' ? await nftablesProblem() : undefined;
    if (nftProblem) throw new Error(`--proxy-mode nftables cannot run here: ${nftProblem}`);
    const networkChoice: NetworkChoice = chooseNetworkMode(opts.network ?? 'auto', { uid: process.getuid?.(), plugins: await findCniPlugins(opts.cniBinDir), iproute: await haveIproute() });
    log.info('pod network mode', { mode: networkChoice.mode, why: networkChoice.why });
    const network =
      networkChoice.mode === 'bridge'
        ? new CniPodNetwork({
            cniPath: networkChoice.cniPath,
            ipamDataDir: join(opts.dataDir, 'cni', 'networks'),
            podCidr: () => (this.self.get(opts.nodeName) as unknown as Node | undefined)?.spec?.podCIDR,
            clusterCidr: opts.clusterCidr ?? '10.42.0.0/16',
            serviceCidr: opts.serviceCidr ?? DEFAULT_SERVICE_CIDR,
            nodeIPs: () => this.reporter.hostIPs(),
            logger: log,
          })
        : undefined;
    if (opts.runtime) this.runtime = opts.runtime;
    else {
      const { runtime, choice } = await detectRuntime({
        want: opts.containerRuntime,
        processRoot: join(opts.dataDir, 'runtime'),
        sandboxRoot: join(opts.dataDir, 'sandbox-runtime'),
        logMaxBytes: opts.containerLogMaxBytes,
        logMaxFiles: opts.containerLogMaxFiles,
        events: { onContainerExit: (s) => this.workers.get(s.labels[podLabels.uid] ?? '')?.kick() },
        logger: log,
        network,
      });
      this.runtime = runtime;
      log.info('container runtime', { runtime: runtime.name, ...(choice.name === 'process' ? { why: choice.why } : {}) });
    }
    const recorder = new ApiEventRecorder(client, { component: 'kubelet', host: opts.nodeName, clock: this.clock, logger: log });
    const tls = await ensureAgentServing(join(opts.dataDir, 'tls'), [opts.nodeName, ...(opts.nodeIP ? [opts.nodeIP] : [])]);
    const stats = new StatsCollector({ runtime: this.runtime, nodeName: opts.nodeName, clock: this.clock, periodMs: opts.statsPeriodMs, logger: log });
    const streaming = new StreamingServer({ runtime: this.runtime, pod: (ns, name) => this.pods.get(`${ns}/${name}`) as unknown as Pod | undefined, logger: log });
    // The cluster DNS is known once the kube-dns Service was looked up (below); /configz shows it from then on.
    let clusterDNS: string[] | undefined = opts.clusterDNS;
    let port = 0;
    const configz = () =>
      kubeletConfigz({
        address: opts.bindAddress,
        port,
        clusterDomain: opts.clusterDomain ?? 'cluster.local',
        clusterDNS,
        nodeStatusUpdateFrequencyMs: opts.statusUpdateMs ?? 10_000,
        nodeLeaseDurationSeconds: opts.leaseDurationSeconds ?? 40,
        maxPods: opts.maxPods ?? defaultMaxPods,
        resolvConf: opts.resolvConfPath ?? '/etc/resolv.conf',
        containerLogMaxBytes: opts.containerLogMaxBytes ?? DEFAULT_LOG_MAX_BYTES,
        containerLogMaxFiles: opts.containerLogMaxFiles ?? DEFAULT_LOG_MAX_FILES,
      });
    const server = new AgentServer({
      bindAddress: opts.bindAddress,
      port: opts.port,
      tls,
      clientCaPem: opts.clusterCaPem,
      logTarget: (ns, pod, c, prev) => this.logTarget(ns, pod, c, prev),
      stats: statsEndpoints(stats, this.runtime, opts.nodeName),
      pods: () => this.pods.list() as unknown as Pod[],
      configz,
      streaming,
      logger: log,
    });
    port = await server.start();
    this.reporter = new NodeStatusReporter(client, { ...opts, port, runtimeVersion: `${this.runtime.name}://${this.runtime.version().runtimeVersion}`, networkMode: networkChoice.mode }, this.clock, log);
    const statusWriter = new PodStatusWriter(client);
    // Pod volumes live under <data dir>/kubelet/pods/<uid>/volumes (the kubelet's root dir layout).
    const volumes = new AgentVolumes({ client, root: join(opts.dataDir, 'kubelet'), clock: this.clock, logger: log, signal: inner.signal, honoursMounts: this.runtime.honoursMounts !== false, nodeAllocatable: () => this.reporter.allocatable() });
    const running: Promise<unknown>[] = [];
    const loopback = new LoopbackAddresses(log);
    const hostPorts = new HostPortForwarder(log.child('host-ports'));
    try {
      const node = await this.reporter.register(inner.signal);
      if (this.runtime.enforcesResources === false) recorder.event(node as unknown as ApiObject, 'Warning', limitsNotEnforcedReason, nodeLimitsNotEnforcedMessage(this.runtime.name));
      running.push(this.leaseLoop(node, inner.signal), this.reporter.run(inner.signal, opts.statusUpdateMs ?? 10_000));
      await this.restoreGpus();
      running.push(stats.run(inner.signal));
      if (!opts.disableServiceProxy) {
        // In bridge mode ClusterIPs live on the host's loopback interface (127/8 ones are local already).
        const ensureLocalAddress = opts.ensureLocalAddress ?? (networkChoice.mode === 'bridge' ? (ip: string) => loopback.ensure(ip) : undefined);
        // nftables mode: pods' DNATed connections back onto the bridge are masqueraded (only hairpin ones where br_netfilter is on; nft-ruleset.ts).
        const bridge = networkChoice.mode === 'bridge' ? { name: BRIDGE_NAME, podCidr: opts.clusterCidr ?? '10.42.0.0/16' } : undefined;
        const proxy = new ServiceProxy(client, { nodeName: opts.nodeName, logger: log.child('service-proxy'), clock: this.clock, recorder: recorder.forComponent('kube-proxy'), ensureLocalAddress, mode: proxyMode, bridge });
        running.push(proxy.run(inner.signal).catch((e: Error) => log.error('service proxy failed', { error: e.message })));
      }
      clusterDNS ??= await kubeDnsAddress(client, inner.signal);
      const nodeDns: NodeDns = {
        clusterDNS,
        clusterDomain: opts.clusterDomain ?? 'cluster.local',
        hostResolvConf: await readFile(opts.resolvConfPath ?? '/etc/resolv.conf', 'utf8').catch(() => undefined),
        nodeIPs: this.reporter.hostIPs(),
      };
      const newWorker = (pod: Pod) =>
        new PodWorker(
          {
            runtime: this.runtime,
            podDns: (pod) => podDnsConfig(pod, nodeDns),
            clusterDomain: nodeDns.clusterDomain,
            client,
            statusWriter,
            recorder,
            backoff: this.backoff,
            logger: log,
            clock: this.clock,
            logRoot,
            hostIPs: () => this.reporter.hostIPs(),
            services: () => this.services.list() as unknown as Service[],
            nodeAllocatable: () => this.reporter.allocatable(),
            getNode: async (signal) => (this.self.get(opts.nodeName) as unknown as Node | undefined) ?? client.get<Node>(builtinRefs.nodes, opts.nodeName, { signal }),
            activePods: () => [...this.workers.values()].filter((w) => w.isActive()).map((w) => w.pod),
            gpus: this.gpus,
            newProbes: (w) => new PodProbes({ runtime: this.runtime, recorder, clock: this.clock, kick: w.kick, pod: w.pod, hostIP: () => w.podIPs()[0] ?? '127.0.0.1' }),
            onFinished: (uid) => this.workers.delete(uid),
            volumes,
          },
          pod,
        );
      const onPod = (o: ApiObject) => {
        const pod = o as unknown as Pod;
        const uid = pod.metadata?.uid ?? '';
        let w = this.workers.get(uid);
        if (!w) {
          w = newWorker(pod);
          this.workers.set(uid, w);
        }
        w.update(pod);
      };
      if (network) await this.waitForPodCidr(inner.signal, running);
      this.pods.addEventHandler({ onAdd: onPod, onUpdate: (_o, n) => onPod(n), onDelete: (o) => this.workers.get(o.metadata.uid ?? '')?.update(undefined) });
      if (network) {
        // Bridge pods' hostPorts: forwarded from the node to the pod (the portmap plugin's job upstream).
        let pending = false;
        const syncHostPorts = () => {
          if (pending) return;
          pending = true;
          setImmediate(() => {
            pending = false;
            void hostPorts.sync(this.pods.list() as unknown as Pod[]);
          });
        };
        this.pods.addEventHandler({ onAdd: syncHostPorts, onUpdate: syncHostPorts, onDelete: syncHostPorts });
      }
      running.push(this.pods.start(inner.signal), this.services.start(inner.signal), this.self.start(inner.signal));
      await Promise.all([this.pods.waitForSync(inner.signal), this.services.waitForSync(inner.signal), this.self.waitForSync(inner.signal)]);
      await this.cleanupOrphans();
      await volumes.cleanupOrphans((uid) => this.workers.has(uid) || !!this.pods.list().some((p) => p.metadata.uid === uid));
      running.push(volumes.run(inner.signal));
      log.info('node agent ready', { node: opts.nodeName, port, runtime: this.runtime.name });
      opts.onReady?.({ nodeName: opts.nodeName, port });
      if (opts.onSchedulable) void this.whenSchedulable(opts.onSchedulable, inner.signal);
      await new Promise<void>((resolve) => (inner.signal.aborted ? resolve() : inner.signal.addEventListener('abort', () => resolve(), { once: true })));
    } finally {
      inner.abort();
      signal.removeEventListener('abort', onAbort);
      for (const w of this.workers.values()) w.stop();
      await Promise.allSettled(running);
      await loopback.removeAll();
      await hostPorts.close();
      streaming.close();
      await server.stop();
      await recorder.close();
      await this.runtime.close();
    }
  }

  /** Bridge mode: pods start only once the node IPAM controller gave this Node its pod CIDR. */
  private async waitForPodCidr(signal: AbortSignal, running: Promise<unknown>[]): Promise<void> {
    running.push(this.self.start(signal));
    await this.self.waitForSync(signal);
    const cidr = () => (this.self.get(this.opts.nodeName) as unknown as Node | undefined)?.spec?.podCIDR;
    if (cidr()) return;
    this.opts.logger.info('waiting for the node to get a pod CIDR (spec.podCIDR) before starting pods', { node: this.opts.nodeName });
    await new Promise<void>((resolve) => {
      const check = () => {
        if (!cidr() && !signal.aborted) return;
        remove();
        signal.removeEventListener('abort', check);
        resolve();
      };
      const remove = this.self.addEventHandler({ onAdd: check, onUpdate: check });
      signal.addEventListener('abort', check, { once: true });
      check();
    });
    if (cidr()) this.opts.logger.info('node pod CIDR', { podCIDR: cidr() });
  }

  private whenSchedulable(cb: () => void, signal: AbortSignal): Promise<void> {
    const schedulable = () => {
      const n = this.self.get(this.opts.nodeName) as unknown as Node | undefined;
      return !!n && !(n.spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/not-ready');
    };
    return new Promise<void>((resolve) => {
      let remove: (() => void) | undefined;
      let done = false;
      const check = () => {
        if (done || (!schedulable() && !signal.aborted)) return;
        done = true;
        remove?.();
        signal.removeEventListener('abort', check);
        if (!signal.aborted) cb();
        resolve();
      };
      // Adding a handler replays the cached Node to it at once.
      remove = this.self.addEventHandler({ onAdd: check, onUpdate: check });
      if (done) remove();
      signal.addEventListener('abort', check, { once: true });
      check();
    });
  }

  /** Sandboxes whose pod is no longer bound here are stopped and removed (HandlePodCleanups). */
  private async cleanupOrphans(): Promise<void> {
    const known = new Set(this.pods.list().map((p) => p.metadata.uid));
    for (const s of await this.runtime.listPodSandboxes()) {
      if (known.has(s.metadata.uid)) continue;
      this.opts.logger.info('removing the sandbox of a pod no longer bound here', { pod: `${s.metadata.namespace}/${s.metadata.name}` });
      await this.runtime.stopPodSandbox(s.id);
      await this.runtime.removePodSandbox(s.id);
      this.gpus.release(s.metadata.uid);
    }
  }

  /** The node's GPUs, with the devices its containers hold taken back (the device manager's checkpoint). */
  private async restoreGpus(): Promise<void> {
    this.gpus = new GpuAllocator(this.reporter.gpuDevices());
    const troubled = this.gpus.restore(assignmentsFromContainers(await this.runtime.listContainers()));
    if (troubled.length) this.opts.logger.warn('pods hold GPUs that are unknown or shared', { pods: troubled });
  }

  private async leaseLoop(node: Node, signal: AbortSignal): Promise<void> {
    const name = this.opts.nodeName;
    const duration = this.opts.leaseDurationSeconds ?? 40;
    const every = this.opts.leaseRenewMs ?? 10_000;
    let current: Lease | undefined;
    while (!signal.aborted) {
      try {
        const next = renewedNodeLease(name, node.metadata?.uid, duration, this.clock.now(), current);
        if (!current) {
          try {
            current = await this.client.get<Lease>(builtinRefs.leases, name, { namespace: 'kube-node-lease', signal });
            continue;
          } catch (e) {
            if (!isNotFound(e)) throw e;
            current = await this.client.create(builtinRefs.leases, next as unknown as ApiObject, { signal }) as unknown as Lease;
          }
        } else {
          current = (await this.client.update(builtinRefs.leases, next as unknown as ApiObject, { signal })) as unknown as Lease;
        }
      } catch (e) {
        if (signal.aborted) return;
        current = undefined;
        this.opts.logger.warn('lease renewal failed', { node: name, error: (e as Error).message });
        await sleep(this.clock, 1000, signal);
        continue;
      }
      await sleep(this.clock, every, signal);
    }
  }

  /** The log file for `kubectl logs`, or the kubelet's error. */
  private async logTarget(ns: string, podName: string, container: string, previous: boolean): Promise<LogTarget> {
    const pod = this.pods.get(`${ns}/${podName}`) as unknown as Pod | undefined;
    if (!pod) throw new StatusError(404, 'NotFound', `pod "${podName}" not found`);
    const uid = pod.metadata?.uid ?? '';
    const sandboxIds = new Set((await this.runtime.listPodSandboxes()).filter((s) => s.metadata.uid === uid).map((s) => s.id));
    const attempts = (await this.runtime.listContainers()).filter((c) => sandboxIds.has(c.sandboxId) && c.metadata.name === container).sort((a, b) => b.createdAt - a.createdAt || b.metadata.attempt - a.metadata.attempt);
    const chosen = previous ? attempts[1] : attempts[0];
    if (!chosen) {
      if (previous) throw new StatusError(400, 'BadRequest', `previous terminated container "${container}" in pod "${podName}" not found`);
      const waiting = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find((s) => s.name === container)?.state?.waiting?.reason ?? 'ContainerCreating';
      throw new StatusError(400, 'BadRequest', `container "${container}" in pod "${podName}" is waiting to start: ${waiting}`);
    }
    const id = chosen.id;
    let done = chosen.state !== 'CONTAINER_RUNNING';
    return {
      path: chosen.logPath,
      isDone: () => {
        if (!done) void this.runtime.containerStatus(id).then((s) => (done = !s || s.state !== 'CONTAINER_RUNNING'));
        return done;
      },
    };
  }
}

/** The ClusterIP of the `kube-dns` Service in `kube-system`, if there is one (the cluster DNS). */
async function kubeDnsAddress(client: ApiClient, signal: AbortSignal): Promise<string[]> {
  try {
    const svc = await client.get<Service>(builtinRefs.services, 'kube-dns', { namespace: 'kube-system', signal });
    const ip = svc.spec?.clusterIP;
    return ip && ip !== 'None' ? [ip] : [];
  } catch {
    return [];
  }
}
