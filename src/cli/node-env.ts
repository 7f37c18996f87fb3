/**
 * The CLI runs the libraries in their production mode unless told otherwise. graphql-js, for one, checks every
 * type test against a second copy of itself while NODE_ENV is not "production": an eighth of a nested portal page's
 * time. patchgraph's own development mode does not depend on this (PATCHGRAPH_DEV=1 or NODE_ENV=development), and a
 * NODE_ENV that is set is left as it is. Imported first, before any library reads it.
 */
process.env.NODE_ENV ??= 'production';
