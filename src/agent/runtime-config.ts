/**
 * From a Pod to what the runtime is asked for (kuberuntime_sandbox.go generatePodSandboxConfig and
 * kuberuntime_container.go generateContainerConfig): the sandbox config, each container's config,
 * and the kubelet's log layout `<pod logs root>/<namespace>_<name>_<uid>/<container>/<restart>.log`.
 */
import { join } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerConfig, LinuxContainerResources, Mount, PodSandboxConfig } from './runtime/runtime.js';
import { parseQuantity } from '../api/quantity.js';
import { linuxSecurityContext } from './pod/security-context.js';

/** Labels the runtime keeps on sandboxes and containers, as the kubelet's (kubelettypes). */
export const podLabels = {
  uid: 'io.kubernetes.pod.uid',
  name: 'io.kubernetes.pod.name',
  namespace: 'io.kubernetes.pod.namespace',
  container: 'io.kubernetes.container.name',
} as const;

export function podLogDirectory(root: string, pod: Pod): string {
  return join(root, `${pod.metadata?.namespace}_${pod.metadata?.name}_${pod.metadata?.uid}`);
}

/** The pod's hostname: spec.hostname, else its name truncated to 63 characters (as the kubelet's GeneratePodHostNameAndDomain). */
export function podHostname(pod: Pod): string {
  const h = pod.spec?.hostname || pod.metadata?.name || '';
  return h.length > 63 ? h.slice(0, 63).replace(/[-.]+$/, '') : h;
}

/**
 * The pod's DNS domain, `<subdomain>.<namespace>.svc.<cluster domain>`, when it has spec.subdomain
 * (the domain half of the kubelet's GeneratePodHostNameAndDomain); undefined otherwise.
 */
export function podHostDomain(pod: Pod, clusterDomain: string): string | undefined {
  const sub = pod.spec?.subdomain;
  return sub ? `${sub}.${pod.metadata?.namespace ?? 'default'}.svc.${clusterDomain}` : undefined;
}

/** `clusterDomain` (the kubelet's --cluster-domain) names the pod's FQDN in its /etc/hosts when it has spec.subdomain. */
export function sandboxConfig(pod: Pod, logRoot: string, attempt: number, dns?: PodSandboxConfig['dns'], clusterDomain?: string): PodSandboxConfig {
  const meta = pod.metadata ?? {};
  const hostDomain = clusterDomain === undefined ? undefined : podHostDomain(pod, clusterDomain);
  const hostAliases = (pod.spec?.hostAliases ?? []).map((a) => ({ ip: a.ip ?? '', hostnames: [...(a.hostnames ?? [])] }));
  return {
    metadata: { name: meta.name ?? '', namespace: meta.namespace ?? '', uid: meta.uid ?? '', attempt },
    hostname: podHostname(pod),
    logDirectory: podLogDirectory(logRoot, pod),
    labels: { ...(meta.labels ?? {}), [podLabels.uid]: meta.uid ?? '', [podLabels.name]: meta.name ?? '', [podLabels.namespace]: meta.namespace ?? '' },
    annotations: { ...(meta.annotations ?? {}) },
    hostNetwork: !!pod.spec?.hostNetwork,
    ...(dns ? { dns } : {}),
    ...(hostDomain ? { hostDomain } : {}),
    ...(hostAliases.length ? { hostAliases } : {}),
  };
}

/**
 * `resolved.mounts` are the container's volume mounts as the agent prepared them (pod-volumes.ts);
 * without them every volumeMount is an unprepared mount that no runtime accepts.
 */
export function containerConfig(pod: Pod, container: Container, attempt: number, resolved: { command: string[]; args: string[]; env: { name: string; value: string }[]; mounts?: Mount[] }): ContainerConfig {
  const meta = pod.metadata ?? {};
  return {
    metadata: { name: container.name, attempt },
    image: container.image ?? '',
    command: resolved.command,
    args: resolved.args,
    workingDir: container.workingDir || undefined,
    env: resolved.env,
    mounts: resolved.mounts ?? (container.volumeMounts ?? []).map((m) => ({ containerPath: m.mountPath, hostPath: '', readonly: !!m.readOnly })),
    logPath: join(container.name, `${attempt}.log`),
    labels: { [podLabels.uid]: meta.uid ?? '', [podLabels.name]: meta.name ?? '', [podLabels.namespace]: meta.namespace ?? '', [podLabels.container]: container.name },
    annotations: {
      'io.kubernetes.container.restartCount': String(attempt),
      'io.kubernetes.container.terminationMessagePath': container.terminationMessagePath ?? '/dev/termination-log',
      'io.kubernetes.container.terminationMessagePolicy': container.terminationMessagePolicy ?? 'File',
    },
    stdin: !!container.stdin,
    stdinOnce: !!container.stdinOnce,
    tty: !!container.tty,
    resources: linuxResources(container),
    securityContext: linuxSecurityContext(pod, container),
  };
}

/**
 * The container's cgroup settings from its requests and limits, as the kubelet computes them
 * (kuberuntime_container_linux.go): cpu shares from the request (minimum 2), CFS quota from the
 * limit over a 100 ms period, and the memory limit in bytes.
 */
export function linuxResources(container: Container): LinuxContainerResources {
  const milli = (v: string | undefined) => (v === undefined ? undefined : (parseQuantity(v)?.milliValue() ?? undefined));
  const out: LinuxContainerResources = {};
  const reqCpu = milli(container.resources?.requests?.cpu as string | undefined);
  const limCpu = milli(container.resources?.limits?.cpu as string | undefined);
  const cpuForShares = reqCpu ?? limCpu;
  out.cpuShares = cpuForShares === undefined ? 2 : Math.max(2, Number((cpuForShares * 1024n) / 1000n));
  if (limCpu !== undefined) {
    out.cpuPeriod = 100_000;
    out.cpuQuota = Math.max(1000, Number((limCpu * 100_000n) / 1000n));
  }
  const mem = container.resources?.limits?.memory as string | undefined;
  if (mem !== undefined) {
    const q = parseQuantity(mem);
    if (q) out.memoryLimitBytes = q.value();
  }
  return out;
}
