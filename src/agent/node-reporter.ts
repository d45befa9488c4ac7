/**
 * The agent's Node: registration (create, or reconcile an existing Node), and the status loop
 * (nodeStatusUpdateFrequency 10 s; posted when something changed or once a minute), with the
 * node condition events the kubelet records. Host readings are taken fresh on every pass.
 */
import type { Node, NodeStatus } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../api/errors.js';
import type { ApiObject } from '../api/object.js';
import type { ApiClient } from '../client/api-client.js';
import { builtinRefs } from '../client/builtin-refs.js';
import { type Clock, sleep } from '../client/clock.js';
import type { EventRecorder } from '../controllers/events.js';
import type { Logger } from '../util/logger.js';
import { type GpuDevice, discoverGpus } from './node/gpus.js';
import type { NodeFlags } from './node/node-flags.js';
import { readHostReadings, type HostReadings } from './node/node-readings.js';
import { type NetworkMode, type NodeInput, buildNode, nodeConditionEvents, nodeStatus, nodeStatusPatch, reconcileExistingNode } from './node/node-status.js';

export interface NodeSetup {
  nodeName: string;
  /** The node's InternalIP (default: the host's first external IPv4). */
  nodeIP?: string;
  flags: NodeFlags;
  maxPods?: number;
  /** Simulated GPUs instead of discovery (undefined: discover with nvidia-smi). */
  fakeGpus?: number;
  kubeletVersion: string;
}

export interface ReporterOptions extends NodeSetup {
  dataDir: string;
  port: number;
  runtimeVersion: string;
  networkMode?: NetworkMode;
  recorder?: EventRecorder;
}

const isNotFound = (e: unknown) => isStatusError(e) && e.code === 404;

export class NodeStatusReporter {
  private readings?: HostReadings;
  private gpus: GpuDevice[] = [];
  private lastStatus?: NodeStatus;
  private lastReportedAt?: number;
  private node?: Node;

  constructor(
    private readonly client: ApiClient,
    private readonly opts: ReporterOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  private input(readings: HostReadings): NodeInput {
    const [type, version] = this.opts.runtimeVersion.split('://');
    return {
      name: this.opts.nodeName,
      readings,
      gpus: this.gpus,
      flags: this.opts.flags,
      networkMode: this.opts.networkMode ?? 'host',
      kubeletVersion: this.opts.kubeletVersion,
      containerRuntime: { type: type ?? 'process', version: version ?? '' },
      kubeletPort: this.opts.port,
      maxPods: this.opts.maxPods,
    };
  }

  private async read(): Promise<HostReadings> {
    this.readings = await readHostReadings(this.opts.dataDir, { nodeIP: this.opts.nodeIP, hostname: this.opts.nodeName });
    return this.readings;
  }

  hostIPs(): string[] {
    const a = this.readings?.addresses ?? [];
    return a.filter((x) => x.type === 'InternalIP').map((x) => x.address);
  }

  /** The GPUs found at registration. */
  gpuDevices(): GpuDevice[] {
    return [...this.gpus];
  }

  allocatable(): Record<string, string> {
    return { ...(this.lastStatus?.allocatable ?? {}) };
  }

  /** Creates the Node, or brings an existing one (a restarted agent) up to date; returns it. */
  async register(signal: AbortSignal): Promise<Node> {
    this.gpus = await discoverGpus({ fakeGpus: this.opts.fakeGpus });
    for (let attempt = 0; ; attempt++) {
      try {
        const readings = await this.read();
        const now = this.clock.now();
        let node: Node;
        try {
          node = await this.client.create<ApiObject>(builtinRefs.nodes, buildNode(this.input(readings), now) as unknown as ApiObject, { signal }) as unknown as Node;
          this.logger.info('node registered', { node: this.opts.nodeName });
          this.opts.recorder?.event(node as unknown as ApiObject, 'Normal', 'RegisteredNode', `Node ${this.opts.nodeName} event: Registered Node ${this.opts.nodeName} in Controller`);
        } catch (e) {
          if (!(isStatusError(e) && e.code === 409)) throw e;
          node = await this.client.get<Node>(builtinRefs.nodes, this.opts.nodeName, { signal });
          const patch = reconcileExistingNode(node, this.input(readings));
          if (patch) node = await this.client.patch<Node>(builtinRefs.nodes, this.opts.nodeName, patch, 'merge', { signal });
        }
        this.node = node;
        this.lastStatus = node.status;
        await this.report(signal);
        return this.node;
      } catch (e) {
        if (signal.aborted) throw e;
        this.logger.warn('node registration failed; retrying', { node: this.opts.nodeName, error: (e as Error).message });
        await sleep(this.clock, Math.min(7000, 500 * 2 ** attempt), signal);
      }
    }
  }

  /** One status pass: read the host, post when changed or due. */
  async report(signal: AbortSignal): Promise<void> {
    const readings = await this.read();
    const now = this.clock.now();
    const next = nodeStatus(this.input(readings), now, { ok: true }, this.lastStatus);
    const decision = nodeStatusPatch(this.lastStatus, next, this.lastReportedAt, now);
    if (!decision.post || !decision.patch) return;
    try {
      const node = await this.client.patch<Node>(builtinRefs.nodes, this.opts.nodeName, decision.patch, 'strategic', { subresource: 'status', signal });
      if (this.opts.recorder && this.node) for (const ev of nodeConditionEvents(this.opts.nodeName, this.lastStatus?.conditions, node.status?.conditions ?? [])) this.opts.recorder.event(node as unknown as ApiObject, ev.type, ev.reason, ev.message);
      this.node = node;
      this.lastStatus = node.status;
      this.lastReportedAt = now;
    } catch (e) {
      if (isNotFound(e)) {
        // The Node was deleted: register again (as the kubelet does after a restart).
        this.logger.warn('node object is gone; registering again', { node: this.opts.nodeName });
        await this.register(signal);
        return;
      }
      throw e;
    }
  }

  async run(signal: AbortSignal, periodMs: number): Promise<void> {
    while (!signal.aborted) {
      await sleep(this.clock, periodMs, signal);
      if (signal.aborted) return;
      try {
        await this.report(signal);
      } catch (e) {
        if (!signal.aborted) this.logger.warn('node status update failed', { node: this.opts.nodeName, error: (e as Error).message });
      }
    }
  }
}
