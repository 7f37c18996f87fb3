/** Graph writes timestamps in UTC with a Z and, for Intune's whole-second values, without milliseconds. */
export const graphDate = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
