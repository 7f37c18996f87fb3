# syntax=docker/dockerfile:1
# patchgraph as a container: `docker build -t patchgraph .`, then see compose.yaml, or README "Container".
# Both stages use the same Node major: better-sqlite3 is compiled in the first and must load in the second.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-slim AS build
WORKDIR /app
# better-sqlite3 downloads a prebuilt binary when it can reach GitHub and compiles itself otherwise.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# Compiles into dist/ and stamps it with a hash of the sources, so the runtime stage never needs the compiler.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:${NODE_VERSION}-slim AS runtime
# The entry point's defaults, here as well so that commands run without it (`docker exec … node bin/patchgraph.js`)
# see the same database.
ENV NODE_ENV=production \
    PATCHGRAPH_DATA_DIR=/var/lib/patchgraph \
    DATABASE_URL=sqlite:/var/lib/patchgraph/patchgraph.db \
    HOST=0.0.0.0 \
    PORT=4000 \
    LOG_FORMAT=json \
    PATCHGRAPH_DEMO=false
WORKDIR /app
# bin/patchgraph.js recompiles when the sources differ from dist/.build-stamp; it hashes the folders of
# tsconfig.build.json's include, its configs and the lock file, so all of them come along, unchanged, with dist/.
# The lock file from the build context, not the build stage: npm prune may rewrite the stage's copy, and the stamp
# hashed the original.
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/scripts ./scripts
COPY --from=build /app/src ./src
COPY --from=build /app/migrations ./migrations
COPY --from=build /app/connectors ./connectors
COPY --from=build /app/test/bench ./test/bench
COPY --from=build /app/intel ./intel
COPY --from=build /app/schema ./schema
COPY docker/entrypoint.sh /usr/local/bin/patchgraph-entrypoint
# The node image's unprivileged user (uid 1000) owns only the data directory; the code stays root's, read-only to it.
RUN mkdir -p /var/lib/patchgraph && chown node:node /var/lib/patchgraph && chmod 0700 /var/lib/patchgraph
USER node
VOLUME ["/var/lib/patchgraph"]
EXPOSE 4000
# Slim images have no curl: node's own fetch asks /readyz, which answers 200 only while the database (and Redis, when
# configured) answer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["patchgraph-entrypoint"]
CMD ["serve"]
