/**
 * Records a stream hands over at once. An async iterable costs a promise and a turn of the microtask queue per item
 * it yields; a connector that already holds a whole list in memory (a pushed snapshot of 240,000 patch states, a
 * page of a vendor's list) can yield `batch(records)` instead and pay that once per batch. The engine reads a batch's
 * records in order and checks each exactly as if it had been yielded alone, so batching never changes a run.
 *
 * The brand is a registered symbol, so a batch made by one copy of the SDK is recognised by another.
 */
export const RECORD_BATCH: unique symbol = Symbol.for('patchgraph.connector-sdk.record-batch') as never;

export interface RecordBatch<T> {
  readonly [RECORD_BATCH]: readonly T[];
}

/** What a stream yields: a record, or a batch of them. */
export type Streamed<T> = T | RecordBatch<T>;

/** Wraps records a stream yields together. The array is read, never copied or changed: do not change it afterwards. */
export function batch<T>(records: readonly T[]): RecordBatch<T> {
  if (!Array.isArray(records)) throw new TypeError('batch() takes an array of records');
  return { [RECORD_BATCH]: records };
}

/** The records of one item a stream yielded: a batch's records, or the record itself. */
export function recordsOf<T>(item: Streamed<T>): readonly T[] {
  const records = typeof item === 'object' && item !== null ? (item as Partial<RecordBatch<T>>)[RECORD_BATCH] : undefined;
  if (records === undefined) return [item as T];
  if (!Array.isArray(records)) throw new TypeError('a stream yielded a record batch that holds no array');
  return records;
}

/** Every record of a stream in order, batches opened: for tests and tools that want the records one by one. */
export async function* eachRecord<T>(stream: AsyncIterable<Streamed<T>>): AsyncGenerator<T> {
  for await (const item of stream) yield* recordsOf(item);
}

/**
 * Records held in memory, or made lazily by a generator, yielded `size` at a time (`yield* inBatches(records)` in a
 * stream): only one batch's array exists at once, so a lazily made list is never held whole.
 */
export function* inBatches<T>(records: Iterable<T>, size = 5_000): Generator<RecordBatch<T>> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError('inBatches() takes a batch size of at least 1');
  let next: T[] = [];
  for (const record of records) {
    next.push(record);
    if (next.length === size) {
      yield batch(next);
      next = [];
    }
  }
  if (next.length > 0) yield batch(next);
}
