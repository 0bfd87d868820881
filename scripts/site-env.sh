# Sourced after lib.sh: how the built server finds the site cargo-leptos made.
export LEPTOS_OUTPUT_NAME=interview-monitor
export LEPTOS_SITE_ROOT="$CARGO_TARGET_DIR/site"
export LEPTOS_SITE_PKG_DIR=pkg
export LEPTOS_ENV=PROD
# The site's file names carry hashes (hash.txt beside the binary names them).
export LEPTOS_HASH_FILES=true
SERVER_BIN="$CARGO_TARGET_DIR/release/interview-monitor"
