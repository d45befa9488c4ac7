/**
 * The machine-wide turn for bridge-mode (and nftables-mode) servers: they share the machine's one
 * bridge, its fixed pod and Service ranges and the proxy's one nftables table, so test files and
 * benchmarks that start them take turns through a lock directory in the temp dir. A lock whose
 * holder died is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const bridgeLockDir = join(tmpdir(), 'capstan-e2e-bridge.lock');

/** Waits (up to `timeoutMs`) for the turn and takes it; resolves with the function that gives it back. */
export async function takeBridgeLock(timeoutMs = 20 * 60_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(bridgeLockDir);
      writeFileSync(join(bridgeLockDir, 'owner'), String(process.pid));
      return () => rmSync(bridgeLockDir, { recursive: true, force: true });
    } catch {
      let owner = 0;
      try {
        owner = Number(readFileSync(join(bridgeLockDir, 'owner'), 'utf8'));
      } catch {
        // being created or removed right now
      }
      if (owner && !processAlive(owner)) rmSync(bridgeLockDir, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`waited ${Math.round(timeoutMs / 60_000)} minutes for another user of bridge networking to finish`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
