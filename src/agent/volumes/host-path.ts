/**
 * hostPath volume type checks (after pkg/volume/hostpath/host_path.go checkType, v1.32): the
 * path must be of the declared type; the `...OrCreate` types create what is missing (a directory
 * 0755 with its parents, an empty file 0644 whose parent must exist); `""` checks nothing.
 */
import { promises as fs } from 'node:fs';

export type HostPathType = '' | 'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File' | 'Socket' | 'CharDevice' | 'BlockDevice';

/** What a type check sees of a path (os.Stat follows symlinks, as here). */
export type PathKind = 'missing' | 'directory' | 'file' | 'socket' | 'char-device' | 'block-device' | 'other';

/** The decision for a path of `kind` and a declared type: fine, create it, or the error text. */
export function hostPathTypeDecision(hostPath: string, type: string, kind: PathKind): { ok: true } | { create: 'directory' | 'file' } | { error: string } {
  const fail = (what: string) => ({ error: `hostPath type check failed: ${hostPath} is not ${what}` });
  switch (type) {
    case '':
      return { ok: true };
    case 'DirectoryOrCreate':
      if (kind === 'missing') return { create: 'directory' };
      return kind === 'directory' ? { ok: true } : fail('a directory');
    case 'Directory':
      return kind === 'directory' ? { ok: true } : fail('a directory');
    case 'FileOrCreate':
      if (kind === 'missing') return { create: 'file' };
      return kind === 'file' ? { ok: true } : fail('a file');
    case 'File':
      return kind === 'file' ? { ok: true } : fail('a file');
    case 'Socket':
      return kind === 'socket' ? { ok: true } : fail('a socket file');
    case 'CharDevice':
      return kind === 'char-device' ? { ok: true } : fail('a character device');
    case 'BlockDevice':
      return kind === 'block-device' ? { ok: true } : fail('a block device');
    default:
      return { error: `${type} is an invalid volume type` };
  }
}

export async function pathKind(p: string): Promise<PathKind> {
  let st;
  try {
    st = await fs.stat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return 'missing';
    throw e;
  }
  if (st.isDirectory()) return 'directory';
  if (st.isFile()) return 'file';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'char-device';
  if (st.isBlockDevice()) return 'block-device';
  return 'other';
}

/** Checks (and where the type says so creates) `hostPath`; resolves to an error text or undefined. */
export async function checkHostPathType(hostPath: string, type: string | undefined): Promise<string | undefined> {
  const decision = hostPathTypeDecision(hostPath, type ?? '', type ? await pathKind(hostPath) : 'other');
  if ('error' in decision) return decision.error;
  if ('create' in decision) {
    try {
      if (decision.create === 'directory') await fs.mkdir(hostPath, { recursive: true, mode: 0o755 });
      else await (await fs.open(hostPath, 'a', 0o644)).close();
    } catch (e) {
      return (e as Error).message;
    }
  }
  return undefined;
}
