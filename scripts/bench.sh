#!/usr/bin/env bash
# Benchmarks against the release server (the binary we ship):
#   pipeline  upload rates as ratios to raw PutObject (SeaweedFS) in interleaved rounds, batch signing,
#             listing on SQLite and PostgreSQL, peak memory (PIPELINE_* in benches/pipeline.rs)
#   faces     face analysis per snapshot, and uploads/s with FACE_DETECTION on against off
#   export    the server's memory while it streams evidence zips of 200 and 2,000 images
#   capacity  simulated candidates against one instance until p99 passes 1 s (CAPACITY_* in benches/capacity.rs;
#             CAPACITY_INSTANCES=2: two instances on PostgreSQL and SeaweedFS)
# Usage: scripts/bench.sh [pipeline] [faces] [export] [capacity]   (all but capacity when none is named)
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/services.sh"
"$ROOT/scripts/setup.sh" --test
"$ROOT/scripts/build.sh"
source "$ROOT/scripts/site-env.sh"
RUN_DIR=$(mktemp -d /tmp/interview-monitor-bench.XXXXXX)
chmod 755 "$RUN_DIR" # PostgreSQL runs as its own user
trap 'stop_services; rm -rf "$RUN_DIR"' EXIT
start_seaweedfs
cd "$ROOT"
benches="${*:-pipeline faces export}"
# PostgreSQL for the pipeline's listing figure and the two-instance capacity bench.
case " $benches " in
  *" pipeline "*) start_postgres ;;
  *" capacity "*) [ "${CAPACITY_INSTANCES:-1}" = 1 ] || start_postgres ;;
esac
# The benches build in a target directory of their own: built in the shared one,
# cargo would replace the release server cargo-leptos made (other features),
# and the site would stop working until the next build.
export BENCH_TARGET_DIR="$CACHE_DIR/bench-target"
for bench in $benches; do
  log "bench: $bench"
  SERVER_BIN="$SERVER_BIN" BENCH_S3_ENDPOINT="$TEST_S3_ENDPOINT" BENCH_POSTGRES_URL="${TEST_POSTGRES_URL:-}" TEST_PHOTOS="$TOOLS_DIR/photos" \
    BENCH_S3_ACCESS_KEY=interview-monitor-test BENCH_S3_SECRET_KEY=interview-monitor-test-secret \
    CARGO_TARGET_DIR="$BENCH_TARGET_DIR" cargo bench -p server --bench "$bench"
done
