#!/bin/sh
# Usage: bounded-heap.sh NODE ARGS… — runs Node (the server: `npm start`, the container's entry point) with a bounded
# JavaScript heap, replacing this shell, so the server keeps this process's id and gets its signals directly.
#
# Why: with Node's default heap limit (a share of the machine's memory) V8 lets garbage build up to several times the
# live heap before it collects, so a large sync's peak was two to three times what it holds (a 20,000-computer WSUS
# ingest: about 1.1 GB resident for a live set under 400 MB). A fixed limit makes the collector keep up. The default
# leaves about 65 MB over the live heap of a 20,000-computer WSUS ingest (docs/benchmarks.md); larger fleets, or
# ingest limits raised past the defaults, need a larger PATCHGRAPH_HEAP_MB.
#
# PATCHGRAPH_HEAP_MB sets the limit (default below). A --max-old-space-size already in NODE_OPTIONS is the operator's
# and is kept; both at once is refused rather than one silently winning. The limit is a command-line option, not added
# to NODE_OPTIONS, so the processes the server starts (tsc, when bin/patchgraph.js compiles first) keep their own.
set -eu

default_mb=256
min_mb=128
max_mb=1048576

refuse() {
  echo "patchgraph: configuration error: $1" >&2
  exit 64
}

case " ${NODE_OPTIONS:-} " in
  *" --max-old-space-size="* | *" --max_old_space_size="*)
    [ -z "${PATCHGRAPH_HEAP_MB+set}" ] ||
      refuse "PATCHGRAPH_HEAP_MB and NODE_OPTIONS' --max-old-space-size are both set; set one of them"
    ;;
  *)
    mb="${PATCHGRAPH_HEAP_MB-$default_mb}"
    case "$mb" in
      '' | *[!0-9]* | 0?*) refuse "PATCHGRAPH_HEAP_MB: must be a whole number of MB between $min_mb and $max_mb, got \"$mb\"" ;;
    esac
    # Compared as text length first: sh arithmetic overflows on a long enough string of digits.
    if [ ${#mb} -gt ${#max_mb} ] || [ "$mb" -gt "$max_mb" ] || [ "$mb" -lt "$min_mb" ]; then
      refuse "PATCHGRAPH_HEAP_MB: must be a whole number of MB between $min_mb and $max_mb, got \"$mb\""
    fi
    node="$1"
    shift
    exec "$node" "--max-old-space-size=$mb" "$@"
    ;;
esac

exec "$@"
