// Retention deletes (old webhook deliveries and announcement keys, old daily usage) remove a backlog in
// bounded statements, never one long one holding the write lock: a run makes a few, and what is left
// goes at the next run.

/** Rows one retention statement deletes at most. */
export const DELETE_BATCH = 1000
/** Statements of one kind a retention run makes at most. */
export const DELETE_STATEMENTS = 5

/** Runs `deleteBatch(DELETE_BATCH)` until a batch comes back less than full, at most DELETE_STATEMENTS times; the rows deleted in all. */
export async function deleteInBatches(deleteBatch: (limit: number) => Promise<number>): Promise<number> {
  let total = 0
  for (let i = 0; i < DELETE_STATEMENTS; i++) {
    const n = await deleteBatch(DELETE_BATCH)
    total += n
    if (n < DELETE_BATCH) break
  }
  return total
}
