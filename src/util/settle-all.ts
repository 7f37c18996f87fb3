/**
 * Runs the given work side by side and waits for all of it, then throws the first failure, if any. Unlike
 * Promise.all, nothing is still running once it throws: work that sends statements of a transaction must not go on
 * sending after the transaction has failed and rolled back.
 */
export async function settleAll(work: ReadonlyArray<Promise<unknown> | undefined>): Promise<void> {
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
