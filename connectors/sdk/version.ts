/**
 * The connector SDK's version. Semantic versioning from 1.0: a change a connector written against the guide would
 * notice (a record field removed or given another meaning, a helper's signature changed) bumps the major version;
 * deprecated fields stay accepted for at least one minor version and are marked @deprecated.
 */
export const SDK_VERSION = '1.2.0';
