/**
 * What the sandbox runtime reads from the machine to apply a container's security context: the
 * container's /etc/passwd and /etc/group (through its mounted root filesystem), the capabilities
 * the agent itself holds, and, for a privileged container, the host's devices.
 */
import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Device, LinuxContainerSecurityContext } from '../runtime.js';
import { heldCapabilities } from './capabilities.js';
import { resolveProcessUser, type ProcessUser } from './container-user.js';
import { hostDevices, splitDeviceNumber } from './host-devices.js';
import type { OciDevice, SecurityInput } from './oci-security.js';

let agentCapabilities: Promise<string[]> | undefined;

/** The capabilities the agent holds (read once). */
export function ownCapabilities(): Promise<string[]> {
  agentCapabilities ??= readFile('/proc/self/status', 'utf8').then(heldCapabilities, () => []);
  return agentCapabilities;
}

/** The security part of a container's OCI config input, for a container whose root filesystem is mounted at `rootfs`. */
export async function securityInput(rootfs: string, sc: LinuxContainerSecurityContext | undefined, requested: readonly Device[] = []): Promise<SecurityInput & { user: ProcessUser }> {
  const read = (f: string) => readFile(path.join(rootfs, f), 'utf8').catch(() => '');
  const [passwd, group, allCapabilities, devices, extra] = await Promise.all([read('etc/passwd'), read('etc/group'), ownCapabilities(), sc?.privileged ? hostDevices() : undefined, requestedDevices(requested)]);
  return { securityContext: sc, user: resolveProcessUser(sc, { passwd, group }), allCapabilities, ...(devices ? { hostDevices: devices } : {}), ...(extra.length ? { extraDevices: extra } : {}) };
}

/** The requested device nodes the host has (a missing one is left out), with their cgroup access. */
async function requestedDevices(requested: readonly Device[]): Promise<{ device: OciDevice; access: string }[]> {
  const out: { device: OciDevice; access: string }[] = [];
  for (const d of requested) {
    const st = await lstat(d.hostPath, { bigint: true }).catch(() => undefined);
    if (!st || !(st.isCharacterDevice() || st.isBlockDevice())) continue;
    const device: OciDevice = { path: d.containerPath, type: st.isCharacterDevice() ? 'c' : 'b', ...splitDeviceNumber(st.rdev), fileMode: Number(st.mode & 0o777n), uid: Number(st.uid), gid: Number(st.gid) };
    out.push({ device, access: [...new Set([...(d.permissions || 'rwm')].filter((c) => 'rwm'.includes(c)))].join('') || 'rwm' });
  }
  return out;
}
