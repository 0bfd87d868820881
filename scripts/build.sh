#!/usr/bin/env bash
# Builds the release server and the site (wasm, JS, CSS, public/) with cargo-leptos,
# offline: wasm-bindgen, wasm-opt and sass come from scripts/setup.sh.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
log "building the server and the site (cargo leptos build --release --split --precompress)"
# --split moves the lazy routes (review, audit) into wasm chunks of their own, so
# a candidate's browser never downloads them; --precompress writes .br and .gz
# beside every file of the site; the server sends them to browsers that accept them.
cargo leptos build --release --split --precompress >&2
[ -x "$CARGO_TARGET_DIR/release/interview-monitor" ] || die "the server binary was not built"
ls "$CARGO_TARGET_DIR"/site/pkg/interview-monitor.*.wasm.br >/dev/null 2>&1 || die "the site was not built (no hashed, compressed wasm)"
ls "$CARGO_TARGET_DIR"/site/pkg/split_*review_route*.wasm.br >/dev/null 2>&1 || die "the review page was not split out of the wasm"
[ -f "$CARGO_TARGET_DIR/release/hash.txt" ] || die "the site's hash file was not written"
