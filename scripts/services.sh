# Sourced by scripts/test.sh (after lib.sh): throwaway services for the tests,
# each started in $RUN_DIR and stopped by stop_services.

# A free loopback port below the kernel's ephemeral range (32768 and up): the
# cluster test stops and starts PostgreSQL on its port, and meanwhile an outgoing
# connection could be given a port from that range.
free_port() {
  python3 -c '
import random, socket
for _ in range(1000):
    port = random.randrange(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
'
}

wait_for() { # wait_for WHAT SECONDS COMMAND...
  local what=$1 seconds=$2; shift 2
  for _ in $(seq $((seconds * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  printf 'error: %s did not become ready within %ss\n' "$what" "$seconds" >&2
  return 1
}

PIDS=()
WEED_PORTS=""
# What to read when the tests on S3 fail: the free disk (volumes turn read-only
# below -volume.minFreeSpace) and SeaweedFS's errors and warnings.
seaweedfs_report() {
  local log="$RUN_DIR/seaweedfs/weed.log"
  echo "free disk under $RUN_DIR:" >&2
  df -h "$RUN_DIR" >&2 || true
  [ -f "$log" ] || return 0
  echo "SeaweedFS's errors and warnings (log: $log), the last 40:" >&2
  grep -E '^[EWF][0-9]{4} ' "$log" | tail -n 40 >&2 || true
}

remove_weed_sockets() {
  for port in $WEED_PORTS; do rm -f /tmp/seaweedfs-*-"$port".sock; done
}

stop_services() {
  # Reaped here, so bash does not report each as "Killed" (which reads like a crash).
  for pid in "${PIDS[@]}"; do { kill -9 "$pid" && wait "$pid"; } 2>/dev/null || true; done
  remove_weed_sockets
  if [ -n "${PGDATA_DIR:-}" ] && [ -f "$PGDATA_DIR/postmaster.pid" ]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m immediate stop >/dev/null 2>&1 || true
  fi
}

# A private PostgreSQL cluster on a free loopback port (trust auth, loopback only).
start_postgres() {
  PG_BIN="/usr/lib/postgresql/$(ls /usr/lib/postgresql | sort -V | tail -n1)/bin"
  [ -x "$PG_BIN/initdb" ] || die "PostgreSQL is not installed"
  PGDATA_DIR="$RUN_DIR/postgres"
  local port; port=$(free_port)
  mkdir -p "$PGDATA_DIR" && chown postgres: "$PGDATA_DIR"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$PGDATA_DIR" -U postgres -A trust -E UTF8 >/dev/null
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -w -l "$PGDATA_DIR/server.log" \
    -o "-p $port -k $PGDATA_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
  export TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port"
  # For the cluster test, which stops and starts it (pg_ctl restart reuses the options above).
  export TEST_PG_CTL="$PG_BIN/pg_ctl" TEST_PGDATA="$PGDATA_DIR"
  log "PostgreSQL on 127.0.0.1:$port"
}

# SeaweedFS's S3 gateway on free loopback ports; sets
# TEST_S3_ENDPOINT and WEED_BIN. Credentials match the API tests' helpers.
start_seaweedfs() {
  export WEED_BIN="$TOOLS_DIR/seaweedfs/bin/weed"
  local dir="$RUN_DIR/seaweedfs" master volume filer s3 master_grpc volume_grpc filer_grpc s3_grpc
  master=$(free_port); volume=$(free_port); filer=$(free_port); s3=$(free_port)
  master_grpc=$(free_port); volume_grpc=$(free_port); filer_grpc=$(free_port); s3_grpc=$(free_port)
  WEED_PORTS="$master $volume $filer $s3 $master_grpc $volume_grpc $filer_grpc $s3_grpc"
  mkdir -p "$dir"
  # A killed SeaweedFS leaves /tmp/seaweedfs-*-PORT.sock behind; a stale one for a
  # port we now use stops it from starting.
  remove_weed_sockets
  cat > "$dir/s3.json" <<JSON
{"identities":[{"name":"test","credentials":[{"accessKey":"interview-monitor-test","secretKey":"interview-monitor-test-secret"}],"actions":["Admin","Read","Write","List","Tagging"]}]}
JSON
  # Volumes turn read-only below -volume.minFreeSpace of free disk; by default 1% of
  # the disk, which on a large shared disk is gigabytes a test run can reach.
  # Each test has a bucket of its own, and SeaweedFS makes a collection of volumes
  # for each bucket: seven by default, one here (a run makes 41 rather than 287).
  WEED_MASTER_VOLUME_GROWTH_COPY_1=1 WEED_S3_SSE_KEY=interview-monitor-test-sse-key "$WEED_BIN" server -ip=127.0.0.1 -dir="$dir" \
    -master.port="$master" -master.port.grpc="$master_grpc" -master.telemetry=false -master.volumeSizeLimitMB=64 \
    -volume.max=1000 -volume.minFreeSpace=32MiB -volume.port="$volume" -volume.port.grpc="$volume_grpc" -volume.preStopSeconds=0 \
    -filer -filer.port="$filer" -filer.port.grpc="$filer_grpc" \
    -s3 -s3.port="$s3" -s3.port.grpc="$s3_grpc" -s3.config="$dir/s3.json" -s3.port.iceberg=0 -s3.port.lance=0 > "$dir/weed.log" 2>&1 &
  PIDS+=($!)
  export TEST_S3_ENDPOINT="http://127.0.0.1:$s3"
  # Ready when a signed ListBuckets answers, not merely when the port opens.
  # (Unset gRPC ports default to the HTTP port + 10000, which can overflow: all are set.)
  wait_for "SeaweedFS (log: $dir/weed.log)" 60 curl -sf --aws-sigv4 aws:amz:us-east-1:s3 \
    --user interview-monitor-test:interview-monitor-test-secret "$TEST_S3_ENDPOINT/" \
    || { tail -n 20 "$dir/weed.log" >&2; exit 1; }
  log "SeaweedFS S3 on $TEST_S3_ENDPOINT"
}

# The built server with a fresh data dir and the demo data; sets SERVER_URL.
# Usage: start_app_server [NAME]   (data in $RUN_DIR/NAME-data, log NAME.log, demo NAME-demo.txt)
start_app_server() {
  local name=${1:-app}
  local data="$RUN_DIR/$name-data" port; port=$(free_port)
  mkdir -p "$data"
  # The browser tests upload faster than a person would; the tests' webhook
  # receivers listen on loopback, over http.
  export DATA_DIR="$data" BIND="127.0.0.1:$port" UPLOADS_PER_MINUTE=10000 WEBHOOK_ALLOW_PRIVATE=1
  "$SERVER_BIN" demo > "$RUN_DIR/$name-demo.txt"
  "$SERVER_BIN" serve > "$RUN_DIR/$name.log" 2>&1 &
  PIDS+=($!)
  SERVER_URL="http://127.0.0.1:$port"
  wait_for "the server" 30 curl -sf "$SERVER_URL/healthz" || { tail -n 20 "$RUN_DIR/$name.log" >&2; exit 1; }
  unset DATA_DIR BIND UPLOADS_PER_MINUTE WEBHOOK_ALLOW_PRIVATE
}

# The session cookie (name=value) of a demo account of server NAME.
demo_cookie() { # demo_cookie NAME ROLE URL
  local password; password=$(awk -v who="$2@demo.test" '$2 == who {print $NF}' "$RUN_DIR/$1-demo.txt")
  curl -s -D - -o /dev/null -H 'content-type: application/json' \
    -d "{\"email\":\"$2@demo.test\",\"password\":\"$password\"}" "$3/api/auth/login" \
    | tr -d '\r' | awk -F': ' 'tolower($1) == "set-cookie" {split($2, a, ";"); print a[1]}'
}
