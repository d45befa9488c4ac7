/**
 * Upstream `slowStartBatch` (`pkg/controller/replicaset/replica_set.go`): calls `fn` `count` times
 * in batches of 1, 2, 4, … run concurrently, stopping after the first batch with a failure, so a
 * quota or admission error costs one request rather than hundreds.
 * Returns how many calls succeeded and the first error.
 */
export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<void>): Promise<{ successes: number; error?: Error }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += results.filter((r) => r.status === 'fulfilled').length;
    if (failed) return { successes, error: failed.reason as Error };
    remaining -= batch;
  }
  return { successes };
}
