/**
 * A container's volumeMounts turned into host bind mounts, as the kubelet's makeMounts does
 * (pkg/kubelet/kubelet_pods.go, v1.32): the volume's host path, `subPath` or `subPathExpr`
 * (with `$(VAR)` from the container's environment) appended, created when missing, and refused
 * when it is absolute, has a `..` element, or resolves (through symlinks) outside the volume.
 * Failures read as the kubelet's `CreateContainerConfigError` messages.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Container } from 'kubernetes-types/core/v1.js';
import { expand, type ResolvedEnvVar } from '../pod/env.js';
import type { Mount } from '../runtime/runtime.js';

/** A volume as the volume manager prepared it. */
export interface PreparedVolume {
  hostPath: string;
  /** The plugin's own read-only attribute (configMap, secret, downwardAPI, projected, read-only claims). */
  readOnlyDefault: boolean;
}

export type MountsResult = { mounts: Mount[] } | { error: { reason: 'CreateContainerConfigError'; message: string } };

/** `subPathExpr` expanded with the container's variables; unset or empty ones are errors. */
export function expandSubPathExpr(expr: string, env: readonly ResolvedEnvVar[]): { value: string } | { error: string } {
  const vars = new Map(env.map((e) => [e.name, e.value]));
  const missing = new Set<string>();
  const value = expand(expr, (name) => {
    const v = vars.get(name);
    if (!v) missing.add(name);
    return v ?? '';
  });
  if (missing.size) return { error: `missing value for ${[...missing].sort().join(', ')}` };
  return { value };
}

/** The lexical checks on a subPath: the error text, or undefined when it may be used. */
export function subPathError(subPath: string): string | undefined {
  if (path.isAbsolute(subPath)) return `error SubPath \`${subPath}\` must not be an absolute path`;
  if (subPath.split('/').includes('..')) return `unable to provision SubPath \`${subPath}\`: must not contain '..'`;
  return undefined;
}

/** Whether `child` (both resolved) lies within `parent`. */
export function isWithin(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * The mounts of `container`. `env` is the container's resolved environment (for subPathExpr).
 * SubPath directories that are missing are created with the volume's mode.
 */
export async function containerMounts(container: Container, prepared: ReadonlyMap<string, PreparedVolume>, env: readonly ResolvedEnvVar[] = []): Promise<MountsResult> {
  const fail = (message: string): MountsResult => ({ error: { reason: 'CreateContainerConfigError', message } });
  const mounts: Mount[] = [];
  for (const vm of container.volumeMounts ?? []) {
    const vol = prepared.get(vm.name);
    if (!vol) return fail(`cannot find volume "${vm.name}" to mount into container "${container.name}"`);
    let hostPath = vol.hostPath;
    let subPath = vm.subPath ?? '';
    if (vm.subPathExpr) {
      const r = expandSubPathExpr(vm.subPathExpr, env);
      if ('error' in r) return fail(r.error);
      subPath = r.value;
    }
    if (subPath) {
      const why = subPathError(subPath);
      if (why) return fail(why);
      const joined = path.join(vol.hostPath, subPath);
      try {
        await fs.lstat(joined);
      } catch {
        try {
          const mode = (await fs.stat(vol.hostPath)).mode & 0o7777;
          await fs.mkdir(joined, { recursive: true, mode });
        } catch {
          return fail(`failed to create subPath directory for volumeMount "${vm.name}" of container "${container.name}"`);
        }
      }
      // Bind the resolved target, and only when it stays inside the volume.
      const prepareFailed = `failed to prepare subPath for volumeMount "${vm.name}" of container "${container.name}"`;
      let base: string;
      let resolved: string;
      try {
        base = await fs.realpath(vol.hostPath);
        resolved = await fs.realpath(joined);
      } catch {
        return fail(prepareFailed);
      }
      // Like upstream, the detail (a host path) is not shown to the user.
      if (!isWithin(base, resolved)) return fail(prepareFailed);
      hostPath = resolved;
    }
    const containerPath = path.isAbsolute(vm.mountPath) ? vm.mountPath : `/${vm.mountPath}`;
    mounts.push({ containerPath, hostPath, readonly: !!vm.readOnly || vol.readOnlyDefault });
  }
  return { mounts };
}
