#!/usr/bin/env bash
# Installs what is missing, builds, and runs the app with the embedded defaults:
# SQLite and the built-in encrypted store under DATA_DIR (default ./data).
# On an empty database it creates the demo data and prints how to sign in.
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh"
source "$ROOT/scripts/site-env.sh"

cd "$ROOT"
export DATA_DIR="${DATA_DIR:-$ROOT/data}"
export BIND="${BIND:-127.0.0.1:3000}"
mkdir -p "$DATA_DIR"
credentials="$DATA_DIR/demo-credentials.txt"
if [ ! -s "$credentials" ]; then
  if (umask 077; "$SERVER_BIN" demo > "$credentials.tmp"); then
    mv "$credentials.tmp" "$credentials"
  else
    rm -f "$credentials.tmp"
    log "the database already has data: sign in with the accounts made for it"
  fi
fi
echo
[ -s "$credentials" ] && cat "$credentials"
echo
echo "interview-monitor is at http://$BIND  (Ctrl-C stops it)"
echo
exec "$SERVER_BIN" serve
