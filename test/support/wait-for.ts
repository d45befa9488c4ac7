/**
 * Waits for one object to reach a state, by watching it (no polling): resolves with the object
 * once `pred` holds for it (undefined: deleted); fails after `timeoutMs` naming what it last saw.
 */
import type { ApiClient } from '../../src/client/api-client.js';
import type { ResourceRef } from '../../src/client/resource-path.js';

export async function waitFor<T>(client: ApiClient, ref: ResourceRef, namespace: string | undefined, name: string, pred: (o: T | undefined) => boolean, timeoutMs = 30_000): Promise<T | undefined> {
  const signal = AbortSignal.timeout(timeoutMs);
  const fieldSelector = `metadata.name=${name}`;
  const list = await client.list<T>(ref, { namespace, fieldSelector });
  let last: T | undefined = list.items[0];
  if (pred(last)) return last;
  try {
    for await (const ev of client.watch<T>(ref, { namespace, fieldSelector, resourceVersion: list.metadata.resourceVersion, signal })) {
      if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') continue;
      last = ev.type === 'DELETED' ? undefined : ev.object;
      if (pred(last)) return last;
    }
  } catch (e) {
    if (!signal.aborted) throw e;
  }
  throw new Error(`timed out waiting for ${ref.plural} ${name}; last seen: ${JSON.stringify(last)}`);
}
