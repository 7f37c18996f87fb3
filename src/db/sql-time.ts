/** A time as both engines store and compare DATETIME(3) values: UTC, to the millisecond, without the ISO T and Z. */
export const sqlTime = (d: Date): string => d.toISOString().replace('T', ' ').replace('Z', '');
