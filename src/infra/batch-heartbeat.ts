/**
 * kafkajs sends a group heartbeat only when asked: between batches, or when the batch handler calls
 * `heartbeat()`. A batch that takes longer than the session timeout (a slow store, a loaded
 * machine) would cost the consumer its membership: the commit of a batch already applied fails, and
 * whoever takes the partition applies it again. While `work` runs, the heartbeat is asked for every
 * `intervalMs`; kafkajs sends one only when its own heartbeat interval has passed, so this is cheap.
 */
export async function withHeartbeats<T>(heartbeat: () => Promise<void>, work: () => Promise<T>, intervalMs = 1000): Promise<T> {
  const timer = setInterval(() => {
    // A failed heartbeat (a rebalance under way) surfaces at the batch's commit; nothing to do here.
    heartbeat().catch(() => undefined);
  }, intervalMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
