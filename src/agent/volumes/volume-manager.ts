/**
 * The node agent's volume manager (the kubelet's pkg/kubelet/volumemanager with the in-tree
 * plugins, v1.32), as host-side preparation: each pod volume becomes a host path that a runtime
 * bind-mounts. Volumes that the agent makes live under `<root>/pods/<uid>/volumes/<plugin>/<name>`
 * (plugin directories named as upstream's, `kubernetes.io~configmap` and so on); hostPath and
 * claim volumes are the host's own paths.
 *
 * Contract: `setUp` is idempotent and may be called again for a pod that is already set up;
 * `refresh` rewrites the file-backed volumes (configMap, secret, downwardAPI, projected) whose
 * content changed, atomically; `tearDown` unmounts and removes everything the manager made for a
 * pod and never touches hostPath or claim directories.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ConfigMap, PersistentVolume, PersistentVolumeClaim, Pod, Secret, Volume } from 'kubernetes-types/core/v1.js';
import { writePayload } from './atomic-writer.js';
import { annProvisionedBy, resolveClaim } from './claims.js';
import { type EmptyDirUsage, type Mounter, diskUsageBytes, sizeLimitBytes, systemMounter } from './empty-dir.js';
import { checkHostPathType } from './host-path.js';
import { localPathProvisionerName } from './local-path/names.js';
import { type PayloadResult, configMapPayload, defaultTokenExpirationSeconds, downwardAPIPayload, projectedPayload, secretPayload, tokenKey } from './projections.js';
import type { PreparedVolume } from './subpath.js';

/** What a serviceAccountToken projection asks for (the TokenRequest the kubelet would send). */
export interface TokenRequestSpec {
  namespace: string;
  serviceAccountName: string;
  audiences: string[];
  expirationSeconds: number;
  /** The token is bound to this pod. */
  podName: string;
  podUID: string;
}

/** The objects volumes refer to, read from the agent's caches; `undefined` means not found. */
export interface VolumeLookups {
  configMap(namespace: string, name: string): ConfigMap | undefined;
  secret(namespace: string, name: string): Secret | undefined;
  persistentVolumeClaim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  persistentVolume(name: string): PersistentVolume | undefined;
  /** The node's allocatable resources, the default limits for downward API resourceFieldRef. */
  nodeAllocatable?: Record<string, string>;
  /**
   * Issues a service account token (the API's TokenRequest, `serviceaccounts/<name>/token`).
   * Without it, serviceAccountToken projections fail to set up.
   */
  serviceAccountToken?(req: TokenRequestSpec): Promise<string>;
}

/** One volume that could not be prepared, with the text of the kubelet's `FailedMount` event. */
export interface VolumeError {
  volume: string;
  reason: 'FailedMount';
  message: string;
}

export type SetUpResult =
  | { ok: true; volumes: Map<string, PreparedVolume> }
  | { ok: false; volumes: Map<string, PreparedVolume>; errors: VolumeError[] };

export interface VolumeManagerOptions {
  /** The agent's root directory (the kubelet's --root-dir). */
  root: string;
  /** Mounts tmpfs for memory-backed volumes; used only when `privileged`. */
  mounter?: Mounter;
  /** Whether tmpfs mounts may be made (the agent runs as root). Default: the process is root. */
  privileged?: boolean;
  now?: () => Date;
}

export const pluginDirs = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
} as const;

/** The `FailedMount` text of a plugin's SetUp failure. */
export function setUpFailedMessage(volume: string, err: string): string {
  return `MountVolume.SetUp failed for volume "${volume}" : ${err}`;
}

/**
 * The summary event the kubelet posts when a pod's volumes are not ready in time
 * (`Unable to attach or mount volumes: ...`), from the volumes that failed.
 */
export function unableToMountMessage(errors: readonly VolumeError[], notProcessed: readonly string[] = []): string {
  const unmounted = [...new Set(errors.map((e) => e.volume))].sort();
  const processed = [...notProcessed].sort();
  return `Unable to attach or mount volumes: unmounted volumes=[${unmounted.join(' ')}], unattached volumes=[${processed.join(' ')}], failed to process volumes=[${processed.join(' ')}]: timed out waiting for the condition`;
}

type FileVolumeKind = 'configMap' | 'secret' | 'downwardAPI' | 'projected';

function fileVolumeKind(v: Volume): FileVolumeKind | undefined {
  if (v.configMap) return 'configMap';
  if (v.secret) return 'secret';
  if (v.downwardAPI) return 'downwardAPI';
  if (v.projected) return 'projected';
  return undefined;
}

export class VolumeManager {
  private readonly root: string;
  private readonly mounter: Mounter;
  private readonly privileged: boolean;
  private readonly now: () => Date;
  /** emptyDir size limits per pod, for the eviction check. */
  private readonly emptyDirs = new Map<string, { volume: string; medium: string; sizeLimit?: string }[]>();

  constructor(opts: VolumeManagerOptions) {
    this.root = opts.root;
    this.mounter = opts.mounter ?? systemMounter;
    this.privileged = opts.privileged ?? process.getuid?.() === 0;
    this.now = opts.now ?? (() => new Date());
  }

  /** `<root>/pods/<uid>/volumes`. */
  podVolumesDir(podUID: string): string {
    return path.join(this.root, 'pods', podUID, 'volumes');
  }

  volumeDir(podUID: string, plugin: string, volume: string): string {
    return path.join(this.podVolumesDir(podUID), plugin, volume);
  }

  /** Prepares every volume of the pod; the ones that fail are reported, the others kept. */
  async setUp(pod: Pod, lookups: VolumeLookups): Promise<SetUpResult> {
    const uid = pod.metadata?.uid ?? '';
    if (!uid) throw new Error('pod has no uid');
    const volumes = new Map<string, PreparedVolume>();
    const errors: VolumeError[] = [];
    const emptyDirs: { volume: string; medium: string; sizeLimit?: string }[] = [];
    for (const v of pod.spec?.volumes ?? []) {
      try {
        const r = await this.setUpVolume(pod, v, lookups);
        if ('error' in r) errors.push({ volume: v.name, reason: 'FailedMount', message: r.error });
        else volumes.set(v.name, r);
      } catch (e) {
        errors.push({ volume: v.name, reason: 'FailedMount', message: setUpFailedMessage(v.name, (e as Error).message) });
      }
      if (v.emptyDir) emptyDirs.push({ volume: v.name, medium: v.emptyDir.medium ?? '', sizeLimit: v.emptyDir.sizeLimit });
    }
    this.emptyDirs.set(uid, emptyDirs);
    return errors.length ? { ok: false, volumes, errors } : { ok: true, volumes };
  }

  /**
   * Rewrites the pod's configMap, secret, downwardAPI and projected volumes whose content changed
   * (the kubelet's periodic remount); returns the names rewritten and the failures.
   */
  async refresh(pod: Pod, lookups: VolumeLookups): Promise<{ updated: string[]; errors: VolumeError[] }> {
    const updated: string[] = [];
    const errors: VolumeError[] = [];
    for (const v of pod.spec?.volumes ?? []) {
      const kind = fileVolumeKind(v);
      if (!kind) continue;
      try {
        const r = await this.writeFileVolume(pod, v, kind, lookups);
        if ('error' in r) errors.push({ volume: v.name, reason: 'FailedMount', message: setUpFailedMessage(v.name, r.error) });
        else if (r.written) updated.push(v.name);
      } catch (e) {
        errors.push({ volume: v.name, reason: 'FailedMount', message: setUpFailedMessage(v.name, (e as Error).message) });
      }
    }
    return { updated, errors };
  }

  /** Unmounts and removes the pod's volume directories; the pod directory goes too when left empty. */
  async tearDown(podUID: string): Promise<void> {
    const dir = this.podVolumesDir(podUID);
    const failures: string[] = [];
    for (const plugin of await readdirOrEmpty(dir)) {
      for (const name of await readdirOrEmpty(path.join(dir, plugin))) {
        const volDir = path.join(dir, plugin, name);
        try {
          if (await this.mounter.isMountPoint(volDir)) await this.mounter.unmount(volDir);
        } catch (e) {
          failures.push(`${volDir}: ${(e as Error).message}`);
          continue;
        }
        await fs.rm(volDir, { recursive: true, force: true });
      }
    }
    if (failures.length) throw new Error(`UnmountVolume.TearDown failed: ${failures.join('; ')}`);
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rmdir(path.dirname(dir)).catch(() => undefined);
    this.emptyDirs.delete(podUID);
  }

  /** The usage and limits of the pod's emptyDir volumes (for `emptyDirLimitEviction`). */
  async emptyDirUsageBytes(podUID: string): Promise<EmptyDirUsage[]> {
    const out: EmptyDirUsage[] = [];
    for (const e of this.emptyDirs.get(podUID) ?? []) {
      const usedBytes = await diskUsageBytes(this.volumeDir(podUID, pluginDirs.emptyDir, e.volume));
      out.push({ volume: e.volume, medium: e.medium, usedBytes, sizeLimit: e.sizeLimit, sizeLimitBytes: sizeLimitBytes(e.sizeLimit) });
    }
    return out;
  }

  private async setUpVolume(pod: Pod, v: Volume, lookups: VolumeLookups): Promise<PreparedVolume | { error: string }> {
    const uid = pod.metadata!.uid!;
    const ns = pod.metadata?.namespace ?? '';
    if (v.emptyDir) {
      const dir = this.volumeDir(uid, pluginDirs.emptyDir, v.name);
      await this.makeVolumeDir(dir, v.emptyDir.medium === 'Memory', sizeLimitBytes(v.emptyDir.sizeLimit));
      return { hostPath: dir, readOnlyDefault: false };
    }
    const kind = fileVolumeKind(v);
    if (kind) {
      const r = await this.writeFileVolume(pod, v, kind, lookups);
      if ('error' in r) return { error: setUpFailedMessage(v.name, r.error) };
      return { hostPath: r.dir, readOnlyDefault: true };
    }
    if (v.hostPath) {
      const err = await checkHostPathType(v.hostPath.path, v.hostPath.type);
      if (err) return { error: setUpFailedMessage(v.name, err) };
      return { hostPath: v.hostPath.path, readOnlyDefault: false };
    }
    if (v.persistentVolumeClaim) {
      const r = resolveClaim(ns, v.persistentVolumeClaim.claimName, v.persistentVolumeClaim.readOnly, lookups);
      if ('error' in r) return r;
      if (r.pv.metadata?.annotations?.[annProvisionedBy] === localPathProvisionerName) {
        // Our own provisioner's directories are made on first use, on the node that uses them.
        await fs.mkdir(r.hostPath, { recursive: true, mode: 0o777 });
        await fs.chmod(r.hostPath, 0o777);
      }
      if (r.hostPathType !== undefined) {
        const err = await checkHostPathType(r.hostPath, r.hostPathType);
        if (err) return { error: setUpFailedMessage(v.name, err) };
      } else {
        try {
          if (!(await fs.stat(r.hostPath)).isDirectory()) return { error: setUpFailedMessage(v.name, `path "${r.hostPath}" is not a directory`) };
        } catch {
          return { error: setUpFailedMessage(v.name, `path "${r.hostPath}" does not exist`) };
        }
      }
      return { hostPath: r.hostPath, readOnlyDefault: r.readOnly };
    }
    const type = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
    return { error: `no volume plugin matched volume "${v.name}" (type ${type} is not supported by this node)` };
  }

  private async writeFileVolume(pod: Pod, v: Volume, kind: FileVolumeKind, lookups: VolumeLookups): Promise<{ dir: string; written: boolean } | { error: string }> {
    const uid = pod.metadata!.uid!;
    const ns = pod.metadata?.namespace ?? '';
    const allocatable = lookups.nodeAllocatable ?? {};
    let r: PayloadResult;
    switch (kind) {
      case 'configMap': {
        const s = v.configMap!;
        r = configMapPayload(lookups.configMap(ns, s.name ?? ''), s.name ?? '', s.items, s.defaultMode, s.optional);
        break;
      }
      case 'secret': {
        const s = v.secret!;
        r = secretPayload(lookups.secret(ns, s.secretName ?? ''), s.secretName ?? '', s.items, s.defaultMode, s.optional);
        break;
      }
      case 'downwardAPI':
        r = downwardAPIPayload(pod, v.downwardAPI!.items, v.downwardAPI!.defaultMode, allocatable);
        break;
      case 'projected': {
        const tokens = await this.fetchTokens(pod, v, lookups);
        if ('error' in tokens) return tokens;
        r = projectedPayload(pod, v.projected!, { configMap: (n, name) => lookups.configMap(n, name), secret: (n, name) => lookups.secret(n, name), nodeAllocatable: allocatable, tokens: tokens.tokens });
        break;
      }
    }
    if ('error' in r) return r;
    const dir = this.volumeDir(uid, pluginDirs[kind], v.name);
    // Secrets and projected volumes (which carry tokens) stay off the disk where tmpfs is possible.
    await this.makeVolumeDir(dir, kind === 'secret' || kind === 'projected', undefined);
    const { written } = await writePayload(dir, r.payload, this.now());
    return { dir, written };
  }

  private async fetchTokens(pod: Pod, v: Volume, lookups: VolumeLookups): Promise<{ tokens: Map<string, string> } | { error: string }> {
    const tokens = new Map<string, string>();
    for (const s of v.projected?.sources ?? []) {
      const t = s.serviceAccountToken;
      if (!t) continue;
      const serviceAccountName = pod.spec?.serviceAccountName || 'default';
      if (!lookups.serviceAccountToken) return { error: `failed to fetch token: no token source for service account "${serviceAccountName}"` };
      try {
        const token = await lookups.serviceAccountToken({
          namespace: pod.metadata?.namespace ?? '',
          serviceAccountName,
          audiences: t.audience ? [t.audience] : [],
          expirationSeconds: t.expirationSeconds ?? defaultTokenExpirationSeconds,
          podName: pod.metadata?.name ?? '',
          podUID: pod.metadata?.uid ?? '',
        });
        tokens.set(tokenKey(t), token);
      } catch (e) {
        return { error: `failed to fetch token: ${(e as Error).message}` };
      }
    }
    return { tokens };
  }

  /** Creates a volume directory (mode 0777 as emptyDir's), as a tmpfs mount when asked and permitted. */
  private async makeVolumeDir(dir: string, memory: boolean, sizeBytes: bigint | undefined): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
    if (memory && this.privileged && !(await this.mounter.isMountPoint(dir))) await this.mounter.mountTmpfs(dir, sizeBytes);
    await fs.chmod(dir, 0o777);
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}
