#!/usr/bin/env bash
# Benchmarks of the image pipeline against the release server and SeaweedFS:
# upload rates as ratios to raw PutObject, batch signing, listing, peak memory.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/services.sh"
"$ROOT/scripts/setup.sh" --test
"$ROOT/scripts/build.sh"
source "$ROOT/scripts/site-env.sh"
RUN_DIR=$(mktemp -d /tmp/interview-monitor-bench.XXXXXX)
trap 'stop_services; rm -rf "$RUN_DIR"' EXIT
start_seaweedfs
cd "$ROOT"
SERVER_BIN="$SERVER_BIN" BENCH_S3_ENDPOINT="$TEST_S3_ENDPOINT" \
  BENCH_S3_ACCESS_KEY=interview-monitor-test BENCH_S3_SECRET_KEY=interview-monitor-test-secret \
  cargo bench -p server --bench pipeline
