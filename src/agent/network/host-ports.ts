/**
 * `hostPort`s of pods with their own network namespace (bridge mode), which the CNI portmap
 * plugin would map upstream: the agent listens on the node at each declared hostIP:hostPort
 * (default all addresses) and forwards to the pod's IP and containerPort, TCP and UDP, with the
 * service proxy's forwarders. Mappings follow the pods on this node: opened when a pod has its
 * IP, closed when it goes. A port that cannot be bound is logged and tried again at the next sync.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../util/logger.js';
import { ConnectionTracker } from '../../network/service-proxy/connection-tracker.js';
import { TcpProxy } from '../../network/service-proxy/tcp-proxy.js';
import { UdpProxy } from '../../network/service-proxy/udp-proxy.js';

export interface HostPortMapping {
  /** `TCP/0.0.0.0:8080`. */
  key: string;
  protocol: 'TCP' | 'UDP';
  hostIP: string;
  hostPort: number;
  podIP: string;
  containerPort: number;
  pod: string;
}

/** The mappings of a pod (pure): none for hostNetwork pods, pods without an IP, or finished pods. */
export function hostPortMappings(pod: Pod): HostPortMapping[] {
  const podIP = pod.status?.podIP;
  const phase = pod.status?.phase;
  if (pod.spec?.hostNetwork || !podIP || phase === 'Succeeded' || phase === 'Failed' || pod.metadata?.deletionTimestamp) return [];
  const out: HostPortMapping[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      const protocol = p.protocol === 'UDP' ? 'UDP' : p.protocol === 'SCTP' ? undefined : 'TCP';
      if (!protocol) continue;
      const hostIP = p.hostIP || '0.0.0.0';
      out.push({ key: `${protocol}/${hostIP}:${p.hostPort}`, protocol, hostIP, hostPort: p.hostPort, podIP, containerPort: p.containerPort, pod: `${pod.metadata?.namespace}/${pod.metadata?.name}` });
    }
  }
  return out;
}

interface Open {
  mapping: HostPortMapping;
  listener: TcpProxy | UdpProxy;
}

export class HostPortForwarder {
  private readonly open = new Map<string, Open>();
  private readonly tracker = new ConnectionTracker();
  private syncing = Promise.resolve();

  constructor(private readonly logger: Logger) {}

  /** Makes the open listeners those of `pods` (queued behind a running sync). */
  sync(pods: readonly Pod[]): Promise<void> {
    this.syncing = this.syncing.then(() => this.apply(pods.flatMap(hostPortMappings))).catch((e: Error) => this.logger.warn('hostPort sync failed', { error: e.message }));
    return this.syncing;
  }

  private async apply(wanted: HostPortMapping[]): Promise<void> {
    const byKey = new Map(wanted.map((m) => [m.key, m]));
    for (const [key, o] of this.open) {
      const w = byKey.get(key);
      if (w && w.podIP === o.mapping.podIP && w.containerPort === o.mapping.containerPort) continue;
      this.open.delete(key);
      await o.listener.close();
    }
    for (const m of wanted) {
      if (this.open.has(m.key)) continue;
      const endpoint = { ip: m.podIP, port: m.containerPort, ready: true, serving: true, terminating: false };
      const route = (_client: string, exclude: ReadonlySet<string>) => (exclude.size ? undefined : { ruleId: `hostport/${m.key}`, endpoint });
      const listener = m.protocol === 'UDP' ? new UdpProxy({ host: m.hostIP, port: m.hostPort, route, tracker: this.tracker }) : new TcpProxy({ host: m.hostIP, port: m.hostPort, route, tracker: this.tracker });
      try {
        await listener.listen();
        this.open.set(m.key, { mapping: m, listener });
      } catch (e) {
        this.logger.warn('cannot open a hostPort', { hostPort: m.key, pod: m.pod, error: (e as NodeJS.ErrnoException).code ?? (e as Error).message });
      }
    }
  }

  async close(): Promise<void> {
    await this.syncing;
    for (const o of this.open.values()) await o.listener.close();
    this.open.clear();
  }
}
