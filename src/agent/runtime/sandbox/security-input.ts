/**
 * What the sandbox runtime reads from the machine to apply a container's security context: the
 * container's /etc/passwd and /etc/group (through its mounted root filesystem), the capabilities
 * the agent itself holds, and, for a privileged container, the host's devices.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { LinuxContainerSecurityContext } from '../runtime.js';
import { heldCapabilities } from './capabilities.js';
import { resolveProcessUser, type ProcessUser } from './container-user.js';
import { hostDevices } from './host-devices.js';
import type { SecurityInput } from './oci-security.js';

let agentCapabilities: Promise<string[]> | undefined;

/** The capabilities the agent holds (read once). */
export function ownCapabilities(): Promise<string[]> {
  agentCapabilities ??= readFile('/proc/self/status', 'utf8').then(heldCapabilities, () => []);
  return agentCapabilities;
}

/** The security part of a container's OCI config input, for a container whose root filesystem is mounted at `rootfs`. */
export async function securityInput(rootfs: string, sc: LinuxContainerSecurityContext | undefined): Promise<SecurityInput & { user: ProcessUser }> {
  const read = (f: string) => readFile(path.join(rootfs, f), 'utf8').catch(() => '');
  const [passwd, group, allCapabilities, devices] = await Promise.all([read('etc/passwd'), read('etc/group'), ownCapabilities(), sc?.privileged ? hostDevices() : undefined]);
  return { securityContext: sc, user: resolveProcessUser(sc, { passwd, group }), allCapabilities, ...(devices ? { hostDevices: devices } : {}) };
}
