/**
 * Which way dependencies may run (`npx depcruise src connectors --config .dependency-cruiser.cjs`; the suite runs
 * it in test/unit/dependency-direction.test.ts). The core depends on the connector SDK, never the reverse; a connector
 * depends on the SDK and on shared connector code, never on the core or on another connector.
 */
module.exports = {
  forbidden: [
    {
      name: 'sdk-stands-alone',
      comment: 'The connector SDK builds and can be published on its own: it imports nothing outside connectors/sdk but packages.',
      severity: 'error',
      from: { path: '^connectors/sdk/' },
      to: { pathNot: ['^connectors/sdk/', 'node_modules'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'connectors-not-core',
      comment: 'A connector (its code, simulator and harness) uses the SDK and shared connector code, not the core. Its tests may use the core test harness.',
      severity: 'error',
      from: { path: '^connectors/', pathNot: ['^connectors/[^/]+/test/', '^connectors/registry\\.ts$'] },
      to: { path: '^(src|test|migrations)/' },
    },
    {
      name: 'connectors-independent',
      comment: 'One folder per connector: no connector reaches into another (its tests may run it beside another vendor\'s simulator).',
      severity: 'error',
      from: { path: '^connectors/([^/]+)/', pathNot: ['^connectors/[^/]+/test/'] },
      to: { path: '^connectors/', pathNot: ['^connectors/$1/', '^connectors/sdk/', '^connectors/shared/'] },
    },
    {
      name: 'core-through-sdk-and-registry',
      comment:
        'The core reaches connectors through the SDK, shared connector code and the registry (demo mode too: each ' +
        "connector's demo hook builds its part). One known exception, a process-wide setting: file-import's outbound " +
        'address policy, also applied to change webhooks.',
      severity: 'error',
      from: { path: '^src/' },
      to: {
        path: '^connectors/',
        pathNot: ['^connectors/sdk/', '^connectors/shared/', '^connectors/registry\\.ts$', '^connectors/file-import/(policy|address-guard)\\.ts$'],
      },
    },
    {
      name: 'entities-below-graphql',
      comment: 'Entities are the data model; the GraphQL layer (src/graphql) builds on them, never the reverse.',
      severity: 'error',
      from: { path: '^src/entities/' },
      to: { path: '^src/graphql/' },
    },
    {
      name: 'graphql-through-access',
      comment:
        'Resolvers reach data only through the tenant-scoped services of src/access, which the request context holds: ' +
        'never the database handle, the secret box, the sync engine or its queue. Replica routing is the one db module ' +
        'the GraphQL layer uses (it marks a request as allowed to read from a replica).',
      severity: 'error',
      from: { path: '^src/graphql/' },
      to: {
        path: ['^src/db/', '^src/secrets/', '^src/sync/(sync-engine|sync-queue|sync-worker|scheduler|apply/)', 'node_modules/(typeorm|mysql2|better-sqlite3)/'],
        pathNot: ['^src/db/read-routing\\.ts$'],
      },
    },
    {
      name: 'no-circular-sdk',
      comment: 'The SDK has no import cycles at run time (a type naming the other module is none).',
      severity: 'error',
      from: { path: '^connectors/sdk/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '(^dist/|\\.d\\.ts$)' },
  },
};
