/**
 * Termination messages under `terminationMessagePolicy: FallbackToLogsOnError`: an exited
 * container that failed without a message reports the tail of its log instead (decided by
 * ./pod/termination-message.ts). Each container's log tail is read once and kept while the
 * runtime still lists the container.
 */
import { readContainerLogs } from './logs/cri-log-reader.js';
import { fallsBackToLogs, lastBytes, logReadErrorMessage, maxTerminationMessageLogLines, withTerminationMessage } from './pod/termination-message.js';
import type { ContainerStatus } from './runtime/runtime.js';

export class TerminationMessages {
  private readonly tails = new Map<string, string>();

  /** The containers, each exited one that falls back to its log carrying the log's tail as its message. */
  async apply(containers: ContainerStatus[]): Promise<ContainerStatus[]> {
    const out: ContainerStatus[] = [];
    for (const c of containers) {
      if (!fallsBackToLogs(c)) {
        out.push(c);
        continue;
      }
      let tail = this.tails.get(c.id);
      if (tail === undefined) {
        tail = await readLogTail(c.logPath);
        this.tails.set(c.id, tail);
      }
      out.push({ ...c, message: withTerminationMessage(c.message, tail) });
    }
    if (this.tails.size > containers.length) {
      const present = new Set(containers.map((c) => c.id));
      for (const id of this.tails.keys()) if (!present.has(id)) this.tails.delete(id);
    }
    return out;
  }
}

/** The last lines of a container's log, as much of them as a termination message holds. */
async function readLogTail(logPath: string): Promise<string> {
  if (!logPath) return '';
  const chunks: Buffer[] = [];
  try {
    await readContainerLogs(logPath, { tailLines: maxTerminationMessageLogLines }, (chunk) => {
      chunks.push(chunk);
    });
  } catch (e) {
    return logReadErrorMessage(e);
  }
  return lastBytes(chunks);
}
