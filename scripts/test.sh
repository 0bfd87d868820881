#!/usr/bin/env bash
# Installs what is missing and runs every test: unit tests, the API tests on
# SQLite and PostgreSQL each with the built-in store and with a real S3 server
# (SeaweedFS), then the browser tests against the built app.
# Usage: scripts/test.sh [rust] [browser]   (both when none is named)
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/services.sh"
"$ROOT/scripts/setup.sh" --test
cd "$ROOT"

RUN_DIR=$(mktemp -d /tmp/interview-monitor-test.XXXXXX)
chmod 755 "$RUN_DIR"
trap 'stop_services; rm -rf "$RUN_DIR"' EXIT

# Stages to run: all by default, or those named (rust, browser).
stages="${*:-rust browser}"
want() { [[ " $stages " == *" $1 "* ]]; }

if want rust; then
  log "unit and API tests (SQLite, built-in store)"
  cargo test --workspace --features app/ssr

  start_postgres
  start_seaweedfs
  log "API tests (SQLite, S3)"
  TEST_STORAGE=s3 cargo test -p server --test api
  log "API tests (PostgreSQL, built-in store)"
  TEST_DATABASE=postgres cargo test -p server --test api
  log "API tests (PostgreSQL, S3)"
  TEST_DATABASE=postgres TEST_STORAGE=s3 cargo test -p server --test api
fi
want browser || exit 0

"$ROOT/scripts/build.sh"
source "$ROOT/scripts/site-env.sh"
start_app_server
log "browser tests against $SERVER_URL"
account() { awk -v who="$1@demo.test" '$2 == who {print $NF}' "$RUN_DIR/demo.txt"; }
export BASE_URL="$SERVER_URL"
for role in recruiter candidate admin; do
  upper=$(echo "$role" | tr a-z A-Z)
  export "DEMO_${upper}_EMAIL=$role@demo.test" "DEMO_${upper}_PASSWORD=$(account "$role")"
done
export DEMO_APPLICATION_ID=$(awk '/^Application/ {print $NF}' "$RUN_DIR/demo.txt")
# A recruiter of another organization, for the refusals.
export OTHER_RECRUITER_EMAIL=recruiter@other.test OTHER_RECRUITER_PASSWORD=other-recruiter-pass
DATA_DIR="$RUN_DIR/app-data" "$SERVER_BIN" org create --slug other --name "Other Co." >/dev/null
echo "$OTHER_RECRUITER_PASSWORD" | DATA_DIR="$RUN_DIR/app-data" "$SERVER_BIN" user create \
  --email "$OTHER_RECRUITER_EMAIL" --role recruiter --org other --password-stdin >/dev/null
export REVIEW_APPLICATION_ID=$(DATA_DIR="$RUN_DIR/app-data" "$SERVER_BIN" application create \
  --org demo --candidate candidate@demo.test --title "Review test")
export E2E_OUTPUT_DIR="$CACHE_DIR/test-results"
(cd end2end && npx playwright test) || { tail -n 50 "$RUN_DIR/server.log" >&2; exit 1; }
