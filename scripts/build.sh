#!/usr/bin/env bash
# Builds the release server and the site (wasm, JS, CSS, public/) with cargo-leptos,
# offline: wasm-bindgen, wasm-opt and sass come from scripts/setup.sh.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
log "building the server and the site (cargo leptos build --release)"
cargo leptos build --release >&2
[ -x "$CARGO_TARGET_DIR/release/interview-monitor" ] || die "the server binary was not built"
[ -f "$CARGO_TARGET_DIR/site/pkg/interview-monitor.wasm" ] || die "the site was not built"
