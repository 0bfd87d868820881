# Sourced by scripts/test.sh (after lib.sh): throwaway services for the tests,
# each started in $RUN_DIR and stopped by stop_services.

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for() { # wait_for WHAT SECONDS COMMAND...
  local what=$1 seconds=$2; shift 2
  for _ in $(seq $((seconds * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  die "$what did not become ready within ${seconds}s"
}

PIDS=()
stop_services() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
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
  log "PostgreSQL on 127.0.0.1:$port"
}

# The built server with a fresh data dir; sets SERVER_URL.
start_app_server() {
  local data="$RUN_DIR/app-data" port; port=$(free_port)
  mkdir -p "$data"
  export DATA_DIR="$data" BIND="127.0.0.1:$port"
  "$SERVER_BIN" demo > "$RUN_DIR/demo.txt"
  "$SERVER_BIN" serve > "$RUN_DIR/server.log" 2>&1 &
  PIDS+=($!)
  SERVER_URL="http://127.0.0.1:$port"
  wait_for "the server" 30 curl -sf "$SERVER_URL/healthz"
  unset DATA_DIR BIND
}
