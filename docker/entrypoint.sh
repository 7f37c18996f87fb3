#!/bin/sh
# The container's entry point: applies the container's defaults to the environment, refuses to start without the key
# that encrypts connector secrets, applies pending migrations, then replaces itself with `patchgraph serve` (so the
# server is PID 1's successor and gets docker's SIGTERM directly). Any other command runs as `patchgraph <command>`,
# with the same defaults: `docker run … patchgraph worker`, `… migrate --dry-run`, `… keys create …`.
#
# Runs outside a container too (test/e2e/container-entrypoint.test.ts does): the application is the directory above
# this script, or PATCHGRAPH_APP_DIR.
set -eu

refuse() {
  echo "patchgraph-entrypoint: $1" >&2
  exit 64
}

# Defaults of a container, where the code is read-only to the server's user and only the volume is written: data in
# the volume, listening on every interface of the container's own network, JSON logs, the safe mode, no demo data.
: "${PATCHGRAPH_DATA_DIR:=/var/lib/patchgraph}"
: "${DATABASE_URL:=sqlite:${PATCHGRAPH_DATA_DIR}/patchgraph.db}"
: "${HOST:=0.0.0.0}"
: "${PORT:=4000}"
: "${NODE_ENV:=production}"
: "${LOG_FORMAT:=json}"
: "${PATCHGRAPH_DEMO:=false}"
export PATCHGRAPH_DATA_DIR DATABASE_URL HOST PORT NODE_ENV LOG_FORMAT PATCHGRAPH_DEMO

# Docker and Kubernetes secrets arrive as files: PATCHGRAPH_ADMIN_KEY_FILE names one holding the admin key.
if [ -n "${PATCHGRAPH_ADMIN_KEY_FILE:-}" ]; then
  [ -r "$PATCHGRAPH_ADMIN_KEY_FILE" ] || refuse "PATCHGRAPH_ADMIN_KEY_FILE: cannot read $PATCHGRAPH_ADMIN_KEY_FILE"
  PATCHGRAPH_ADMIN_KEY=$(cat "$PATCHGRAPH_ADMIN_KEY_FILE")
  export PATCHGRAPH_ADMIN_KEY
fi

app_dir="${PATCHGRAPH_APP_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"
[ -f "$app_dir/bin/patchgraph.js" ] || app_dir=/app
cd "$app_dir"

command="${1:-serve}"
[ $# -gt 0 ] && shift

case "$command" in
  serve | worker)
    # Outside a container the server creates the key file on first start. Here that file would sit in the data
    # volume beside nothing else that could recover it (with MariaDB the data is elsewhere), so losing or recreating
    # the volume would leave every stored connector secret undecryptable: the key must be given, not made.
    key_file="${PATCHGRAPH_SECRET_KEY_FILE:-${PATCHGRAPH_DATA_DIR}/secret.key}"
    if [ -z "${PATCHGRAPH_SECRET_KEY:-}" ] && [ ! -f "$key_file" ]; then
      refuse "PATCHGRAPH_SECRET_KEY is not set and there is no key file at $key_file (PATCHGRAPH_SECRET_KEY_FILE). Set PATCHGRAPH_SECRET_KEY to a key made with \`openssl rand -base64 32\`, or mount a file holding one and name it in PATCHGRAPH_SECRET_KEY_FILE; keep a copy outside the container."
    fi
    [ -z "${PATCHGRAPH_SECRET_KEY:-}" ] && [ ! -r "$key_file" ] && refuse "PATCHGRAPH_SECRET_KEY_FILE: $key_file exists but this user ($(id -u)) cannot read it"
    # A bad PATCHGRAPH_HEAP_MB is refused here, before the migration writes anything ("true" stands in for node).
    sh scripts/bounded-heap.sh true
    case "$DATABASE_URL" in
      sqlite:*) mkdir -p "$PATCHGRAPH_DATA_DIR" 2>/dev/null || true
                [ -w "$PATCHGRAPH_DATA_DIR" ] || refuse "PATCHGRAPH_DATA_DIR: $PATCHGRAPH_DATA_DIR is not writable by this user ($(id -u)); the volume must belong to it" ;;
    esac
    ;;
esac

if [ "$command" = serve ]; then
  # Its own step before serving, so that a failed migration stops the container with the migration's message and an
  # orchestrator does not restart a half-started server against a half-migrated database.
  node bin/patchgraph.js migrate
fi
case "$command" in
  # The long-running processes, which run syncs: with a bounded heap (scripts/bounded-heap.sh, PATCHGRAPH_HEAP_MB).
  serve | worker) exec sh scripts/bounded-heap.sh node bin/patchgraph.js "$command" "$@" ;;
esac
exec node bin/patchgraph.js "$command" "$@"
