#!/usr/bin/env bash
# Benchmarks against the release server (the binary we ship):
#   pipeline  upload rates as ratios to raw PutObject (SeaweedFS) in interleaved rounds, batch signing,
#             listing on SQLite and PostgreSQL, peak memory (PIPELINE_* in benches/pipeline.rs)
#   faces     face analysis per snapshot, and uploads/s with FACE_DETECTION on against off
#   accuracy  how often face presence is right per condition (dim, blur, JPEG, tilt, distance, pairs),
#             on labelled frames made from the test photos (benches/common/accuracy.rs)
#   report    the CSV report of 10,000 applications and a search among them: time and the server's peak memory
#   export    the server's memory while it streams evidence zips of 200 and 2,000 images
#   page      what the candidate's interview page costs on the wire (brotli), first and second visit
#   embed     what the panel adds to a host's first visit: examples/host-app built with and without
#             the panel (wasm-release, wasm-bindgen without the name section, no wasm-opt), its wasm
#             and JS brotli-compressed (quality 11)
#   webhooks  webhook latency from commit to receiver (median, p99) and the outbox's throughput on
#             one instance with the server's CPU per message (scripts/webhook_bench.py)
#   capacity  simulated candidates against one instance until p99 passes 1 s (CAPACITY_* in benches/capacity.rs;
#             CAPACITY_INSTANCES=2: two instances on PostgreSQL and SeaweedFS)
# Usage: scripts/bench.sh [pipeline] [faces] [accuracy] [report] [export] [page] [embed] [webhooks] [capacity]   (all but capacity when none is named)
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/services.sh"
"$ROOT/scripts/setup.sh" --test
"$ROOT/scripts/build.sh"
source "$ROOT/scripts/site-env.sh"
RUN_DIR=$(mktemp -d /tmp/interview-monitor-bench.XXXXXX)
chmod 755 "$RUN_DIR" # PostgreSQL runs as its own user
trap 'stop_services; rm -rf "$RUN_DIR"' EXIT
start_seaweedfs
# The weed process, whose CPU the pipeline bench reads from /proc.
export BENCH_S3_PID=${PIDS[-1]}
cd "$ROOT"
benches="${*:-pipeline faces accuracy report export page embed webhooks}"
# PostgreSQL for the pipeline's listing figure and the two-instance capacity bench.
case " $benches " in
  *" pipeline "*) start_postgres ;;
  *" capacity "*) [ "${CAPACITY_INSTANCES:-1}" = 1 ] || start_postgres ;;
esac
# The benches build in a target directory of their own: built in the shared one,
# cargo would replace the release server cargo-leptos made (other features),
# and the site would stop working until the next build.
export BENCH_TARGET_DIR="$CACHE_DIR/bench-target"
# The candidate's interview page as a browser gets it with `Accept-Encoding: br`:
# the page, then every site file it names (the browser test measures the same
# from Chromium's network log, with the files the scripts load themselves).
page_bytes() {
  start_app_server page
  local demo="$RUN_DIR/page-demo.txt" jar="$RUN_DIR/page-cookies"
  local password; password=$(awk '$2 == "candidate@demo.test" {print $NF}' "$demo")
  local application; application=$(awk '/^Application/ {print $NF}' "$demo")
  curl -sf -c "$jar" -H 'content-type: application/json' \
    -d "{\"email\":\"candidate@demo.test\",\"password\":\"$password\"}" "$SERVER_URL/api/auth/login" >/dev/null \
    || die "could not sign in as the demo candidate"
  local url="$SERVER_URL/applications/$application/interview"
  local html; html=$(curl -sf -b "$jar" --compressed "$url") || die "the interview page did not load"
  local page; page=$(curl -sf -b "$jar" -H 'accept-encoding: br' -o /dev/null -w '%{size_download}' "$url")
  local total=$page path bytes
  for path in $(grep -o '/pkg/[^"?]*' <<<"$html" | sort -u); do
    bytes=$(curl -sf -H 'accept-encoding: br' -o /dev/null -w '%{size_download}' "$SERVER_URL$path")
    printf '  %-60s %8d bytes\n' "$path" "$bytes"
    total=$((total + bytes))
  done
  printf "the candidate's interview page, brotli: first visit %d bytes (%.1f KiB; the page %d); second visit %d bytes (the page: the site's files are cached for a year)\n" \
    "$total" "$(awk -v t="$total" 'BEGIN { print t / 1024 }')" "$page" "$page"
}

# A host's first visit without and with the panel: the wasm and its JS glue,
# brotli quality 11 (node's zlib), as a server would send them precompressed.
embed_bytes() {
  local dist="$RUN_DIR/embed" variant
  for variant in with without; do
    local features=()
    [ "$variant" = without ] && features=(--no-default-features)
    CARGO_TARGET_DIR="$BENCH_TARGET_DIR" cargo build -q -p host-app --lib \
      --target wasm32-unknown-unknown --profile wasm-release ${features[@]+"${features[@]}"}
    # Without the name section, as a production build ships it (cargo-leptos's
    # wasm-opt removes it too; it would be nearly half of these bytes).
    "$TOOLS_DIR/bin/wasm-bindgen" --target web --no-typescript --remove-name-section \
      --remove-producers-section --out-dir "$dist/$variant" \
      "$BENCH_TARGET_DIR/wasm32-unknown-unknown/wasm-release/host_app.wasm"
  done
  node -e '
    const fs = require("fs"), zlib = require("zlib"), path = require("path");
    const brotli = (file) => zlib.brotliCompressSync(fs.readFileSync(file), {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
    const sizes = {};
    for (const variant of ["with", "without"]) {
      const dir = path.join(process.argv[1], variant);
      let total = 0;
      for (const name of fs.readdirSync(dir)) {
        const bytes = brotli(path.join(dir, name));
        console.log(`  ${variant} the panel: ${name.padEnd(24)} ${fs.statSync(path.join(dir, name)).size} bytes, brotli ${bytes}`);
        total += bytes;
      }
      sizes[variant] = total;
    }
    const kib = (n) => (n / 1024).toFixed(1);
    console.log(`examples/host-app, first visit (wasm and JS, brotli): ${kib(sizes.with)} KiB with the panel, ` +
      `${kib(sizes.without)} KiB without; the panel adds ${kib(sizes.with - sizes.without)} KiB (target: at most 150)`);
  ' "$dist"
}

# The release server with a receiver of the bench's own on loopback.
webhook_figures() {
  start_app_server webhooks
  local pid=${PIDS[-1]}
  local key; key=$(DATA_DIR="$RUN_DIR/webhooks-data" "$SERVER_BIN" apikey create --org demo --name webhook-bench)
  "$TOOLS_DIR/openapi-client/bin/python" "$ROOT/scripts/webhook_bench.py" "$SERVER_URL" "$key" "$pid"
}

for bench in $benches; do
  if [ "$bench" = webhooks ]; then
    log "bench: webhooks"
    webhook_figures
    continue
  fi
  if [ "$bench" = embed ]; then
    log "bench: embed"
    embed_bytes
    continue
  fi
  if [ "$bench" = page ]; then
    log "bench: page"
    page_bytes
    continue
  fi
  log "bench: $bench"
  [ "$bench" = accuracy ] && bench=face_accuracy
  SERVER_BIN="$SERVER_BIN" BENCH_S3_ENDPOINT="$TEST_S3_ENDPOINT" BENCH_POSTGRES_URL="${TEST_POSTGRES_URL:-}" TEST_PHOTOS="$TOOLS_DIR/photos" \
    BENCH_S3_ACCESS_KEY=interview-monitor-test BENCH_S3_SECRET_KEY=interview-monitor-test-secret \
    CARGO_TARGET_DIR="$BENCH_TARGET_DIR" cargo bench -p server --bench "$bench"
done
