import { ColumnOptions, PrimaryColumnOptions } from 'typeorm';

/** UTC timestamps with millisecond precision on both engines (DATETIME(3) on MySQL; ISO text on SQLite). */
export const timestamp = (options: ColumnOptions = {}): ColumnOptions => ({ type: 'datetime', precision: 3, ...options });

/** Application-generated UUID keys and references to them. */
export const uuid = (options: ColumnOptions = {}): ColumnOptions => ({ type: 'varchar', length: 36, ...options });

/** Free text that may exceed 255 characters; JSON documents are stored this way too, to stay portable. */
export const longText = (options: ColumnOptions = {}): ColumnOptions => ({ type: 'text', ...options });

/** Primary key holding an application-generated UUID. */
export const primaryUuid = (): PrimaryColumnOptions => ({ type: 'varchar', length: 36 });
