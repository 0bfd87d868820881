#!/usr/bin/env bash
# Builds the release server and the site (wasm, JS, CSS, public/) with cargo-leptos,
# offline: wasm-bindgen, wasm-opt and sass come from scripts/setup.sh.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
log "building the server and the site (cargo leptos build --release --precompress)"
# --precompress writes .br and .gz beside every file of the site; the server sends
# them to browsers that accept them.
cargo leptos build --release --precompress >&2
[ -x "$CARGO_TARGET_DIR/release/interview-monitor" ] || die "the server binary was not built"
ls "$CARGO_TARGET_DIR"/site/pkg/interview-monitor.*.wasm.br >/dev/null 2>&1 || die "the site was not built (no hashed, compressed wasm)"
[ -f "$CARGO_TARGET_DIR/release/hash.txt" ] || die "the site's hash file was not written"
