/**
 * Writes a volume's files so that a running container sees every update at once (after
 * pkg/volume/util/atomic_writer.go, v1.32). The files live in a hidden timestamped directory
 * (`..2026_11_28_10_00_00.123456`); the symlink `..data` names the current one and is replaced by
 * a rename, which is atomic; each user-visible top-level entry is a symlink through `..data`
 * (`key -> ..data/key`). An update writes a new timestamped directory, swaps `..data`, removes
 * the entries that are gone, then the old directory.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';

/** One file of a volume: its bytes and permission bits. */
export interface FileProjection {
  data: Buffer;
  mode: number;
}

/** Relative path → file. */
export type Payload = Map<string, FileProjection>;

const dataDirName = '..data';
const newDataDirName = '..data_tmp';
const maxPathLength = 4096;
const maxFileNameLength = 255;

/**
 * Why a payload path is refused, or undefined when it is acceptable (the writer's validatePath):
 * relative, not starting with `..`, no `..` element, within length limits.
 */
export function validatePayloadPath(p: string): string | undefined {
  if (p.length > maxPathLength) return `validatePath: path must be less than or equal to ${maxPathLength} characters`;
  if (path.isAbsolute(p)) return 'validatePath: path must be relative';
  if (p.startsWith('..')) return "validatePath: path must not start with '..'";
  for (const part of p.split('/')) {
    if (part === '..') return "validatePath: path must not contain '..'";
    if (part.length > maxFileNameLength) return `validatePath: path element must be less than or equal to ${maxFileNameLength} characters`;
  }
  if (p === '' || p.split('/').some((part) => part === '')) return 'validatePath: path must not be empty or contain empty elements';
  return undefined;
}

/** The name of a timestamped data directory's prefix, `..YYYY_MM_DD_HH_MM_SS.` in UTC. */
export function timestampPrefix(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

/** The top-level names a payload makes visible (`a/b/c` shows as `a`). */
export function userVisibleNames(paths: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const p of paths) out.add(p.split('/')[0]);
  return out;
}

export interface WriteResult {
  /** False when the payload equalled what was on disk and nothing was written. */
  written: boolean;
}

/**
 * Makes `targetDir` hold exactly `payload`. `now` names the timestamped directory. Throws on a
 * bad path or an I/O failure; a failure before the `..data` swap leaves the old files visible.
 */
export async function writePayload(targetDir: string, payload: Payload, now: Date = new Date()): Promise<WriteResult> {
  for (const p of payload.keys()) {
    const why = validatePayloadPath(p);
    if (why) throw new Error(`${why}: ${p}`);
  }
  await fs.mkdir(targetDir, { recursive: true });

  const oldTsName = await readLinkOrUndefined(path.join(targetDir, dataDirName));
  const oldTsDir = oldTsName === undefined ? undefined : path.join(targetDir, oldTsName);
  const oldFiles = oldTsDir === undefined ? new Map<string, FileProjection>() : await readTree(oldTsDir);
  const newVisible = userVisibleNames(payload.keys());

  const changed = oldTsDir === undefined || !samePayload(oldFiles, payload);
  if (changed) {
    const tsDir = await fs.mkdtemp(path.join(targetDir, timestampPrefix(now)));
    await fs.chmod(tsDir, 0o755);
    for (const [rel, file] of [...payload].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const full = path.join(tsDir, rel);
      await fs.mkdir(path.dirname(full), { recursive: true, mode: 0o755 });
      await fs.writeFile(full, file.data, { mode: file.mode });
      await fs.chmod(full, file.mode); // the umask may have narrowed the mode
    }
    const tmpLink = path.join(targetDir, newDataDirName);
    await fs.rm(tmpLink, { force: true });
    await fs.symlink(path.basename(tsDir), tmpLink);
    await fs.rename(tmpLink, path.join(targetDir, dataDirName));
  }

  // Every visible name is a symlink through ..data; create the missing ones.
  for (const name of newVisible) {
    const link = path.join(targetDir, name);
    const existing = await readLinkOrUndefined(link);
    if (existing === undefined) await fs.symlink(path.join(dataDirName, name), link);
  }
  // Names the new payload no longer has go away.
  for (const name of userVisibleNames(oldFiles.keys())) {
    if (!newVisible.has(name)) await fs.rm(path.join(targetDir, name), { force: true, recursive: true });
  }
  if (changed && oldTsDir !== undefined) await fs.rm(oldTsDir, { recursive: true, force: true });
  return { written: changed };
}

/** The current payload behind `..data`, for tests and for comparing. */
export async function readPayload(targetDir: string): Promise<Payload> {
  const ts = await readLinkOrUndefined(path.join(targetDir, dataDirName));
  return ts === undefined ? new Map() : readTree(path.join(targetDir, ts));
}

function samePayload(a: Payload, b: Payload): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of b) {
    const old = a.get(k);
    if (!old || old.mode !== v.mode || !old.data.equals(v.data)) return false;
  }
  return true;
}

async function readLinkOrUndefined(p: string): Promise<string | undefined> {
  try {
    return await fs.readlink(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function readTree(root: string): Promise<Payload> {
  const out: Payload = new Map();
  const walk = async (dir: string, rel: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const e of entries) {
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full, childRel);
      else if (e.isFile()) {
        const st = await fs.stat(full);
        out.set(childRel, { data: await fs.readFile(full), mode: st.mode & 0o7777 });
      }
    }
  };
  await walk(root, '');
  return out;
}

/** Whether `p` exists without following a final symlink. */
export async function lexists(p: string): Promise<boolean> {
  try {
    await fs.access(p, fsConstants.F_OK);
    return true;
  } catch {
    try {
      await fs.lstat(p);
      return true;
    } catch {
      return false;
    }
  }
}
