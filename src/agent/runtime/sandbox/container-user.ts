/**
 * The identity a sandbox container's processes run as, resolved against the container's own
 * /etc/passwd and /etc/group as containerd does for the kubelet (the kubelet sends uid 0 for an
 * image without a user, and the sandbox's root filesystem is the host's, so that is the default):
 * uid = runAsUser, else 0; gid = runAsGroup, else the user's primary group in /etc/passwd, else 0;
 * additional groups = the primary gid, the groups /etc/group lists the user as a member of, then
 * the supplemental groups (fsGroup and the pod's supplementalGroups).
 */
import type { LinuxContainerSecurityContext } from '../runtime.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
const id = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);

/** /etc/passwd entries with numeric ids (malformed lines skipped). */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of lines(text)) {
    const f = line.split(':');
    const uid = id(f[2]);
    const gid = id(f[3]);
    if (f[0] && uid !== undefined && gid !== undefined) out.push({ name: f[0], uid, gid });
  }
  return out;
}

/** /etc/group entries with numeric ids (malformed lines skipped). */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of lines(text)) {
    const f = line.split(':');
    const gid = id(f[2]);
    if (f[0] && gid !== undefined) out.push({ name: f[0], gid, members: (f[3] ?? '').split(',').map((m) => m.trim()).filter(Boolean) });
  }
  return out;
}

export interface ProcessUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}

/** The OCI process.user of a container with security context `sc`, given its /etc/passwd and /etc/group texts. */
export function resolveProcessUser(sc: LinuxContainerSecurityContext | undefined, files: { passwd: string; group: string }): ProcessUser {
  const uid = sc?.runAsUser ?? 0;
  const entry = parsePasswd(files.passwd).find((p) => p.uid === uid);
  const gid = sc?.runAsGroup ?? entry?.gid ?? 0;
  const memberOf = entry ? parseGroup(files.group).filter((g) => g.name !== entry.name && g.members.includes(entry.name)).map((g) => g.gid) : [];
  const additionalGids: number[] = [];
  for (const g of [gid, ...memberOf, ...(sc?.supplementalGroups ?? [])]) if (!additionalGids.includes(g)) additionalGids.push(g);
  return { uid, gid, additionalGids };
}
