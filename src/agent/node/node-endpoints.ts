/**
 * What the agent answers at /configz and /pods, as the kubelet does (pkg/kubelet/server/server.go):
 * /configz is the kubelet's configuration as `{"kubeletconfig": {...}}` in the field names of
 * KubeletConfiguration (kubelet.config.k8s.io/v1beta1), holding only the settings the agent
 * really has (no static pod path, no --pod-cidr: fields the kubelet leaves empty are omitted, as
 * its JSON does); /pods is a v1 PodList of the pods bound to the node as the agent last saw them.
 */
import type { Pod, PodList } from 'kubernetes-types/core/v1.js';

export interface ConfigzInput {
  /** The agent's serving address and port. */
  address: string;
  port: number;
  clusterDomain: string;
  /** Unknown until the agent looked the kube-dns Service up (then left out). */
  clusterDNS?: string[];
  /** The node's status update period and Lease duration. */
  nodeStatusUpdateFrequencyMs: number;
  nodeLeaseDurationSeconds: number;
  maxPods: number;
  resolvConf: string;
  containerLogMaxBytes: number;
  containerLogMaxFiles: number;
}

/** A duration as Go's time.Duration.String() writes it (metav1.Duration's JSON): `10s`, `1m30s`, `500ms`. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}

/** A byte count as a binary-suffixed quantity when it is a whole number of one (`10Mi`), else plain. */
export function byteQuantity(bytes: number): string {
  for (const [suffix, unit] of [['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${suffix}`;
  return String(bytes);
}

export function kubeletConfigz(c: ConfigzInput): { kubeletconfig: Record<string, unknown> } {
  return {
    kubeletconfig: {
      enableServer: true,
      address: c.address,
      port: c.port,
      clusterDomain: c.clusterDomain,
      ...(c.clusterDNS?.length ? { clusterDNS: c.clusterDNS } : {}),
      nodeStatusUpdateFrequency: goDuration(c.nodeStatusUpdateFrequencyMs),
      nodeLeaseDurationSeconds: c.nodeLeaseDurationSeconds,
      maxPods: c.maxPods,
      resolvConf: c.resolvConf,
      containerLogMaxSize: byteQuantity(c.containerLogMaxBytes),
      containerLogMaxFiles: c.containerLogMaxFiles,
      registerNode: true,
    },
  };
}

/** The /pods answer: the pods in namespace/name order, items without their own kind and apiVersion (as a typed Go list encodes). */
export function nodePodList(pods: readonly Pod[]): PodList {
  const items = [...pods]
    .sort((a, b) => (a.metadata?.namespace ?? '').localeCompare(b.metadata?.namespace ?? '') || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
    .map((p) => {
      const { apiVersion: _v, kind: _k, ...rest } = p;
      return rest as Pod;
    });
  return { kind: 'PodList', apiVersion: 'v1', metadata: {}, items };
}
