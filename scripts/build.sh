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

# The candidate's interview page is a wasm of its own (crates/candidate): the
# panel and Leptos's runtime, client-rendered, without the router or any other
# page. Built as cargo-leptos builds the app's wasm (the wasm-release profile,
# type-erased components, wasm-bindgen without the name section) but without
# wasm-opt: -Oz makes this wasm smaller yet its brotli larger (202.7 against
# 197.8 KiB, 2026-12-06), and the wire is what a candidate waits for. In a
# target directory of its own, so the two builds never replace each other's
# dependencies; written beside the app's files with .br and .gz copies.
log "building the candidate's interview page (crates/candidate)"
candidate_target="$CARGO_TARGET_DIR/candidate"
pkg="$CARGO_TARGET_DIR/site/pkg"
RUSTFLAGS="--cfg erase_components" cargo build -q -p candidate-page --lib --target wasm32-unknown-unknown \
  --profile wasm-release --target-dir "$candidate_target" >&2
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
  --out-dir "$pkg" --out-name candidate "$candidate_target/wasm32-unknown-unknown/wasm-release/candidate_page.wasm" >&2
node -e '
  const fs = require("fs"), zlib = require("zlib");
  for (const file of process.argv.slice(1)) {
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file + ".br", zlib.brotliCompressSync(bytes, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }));
    fs.writeFileSync(file + ".gz", zlib.gzipSync(bytes, { level: 9 }));
  }
' "$pkg/candidate.js" "$pkg/candidate_bg.wasm"
[ -s "$pkg/candidate_bg.wasm.br" ] || die "the candidate's interview page was not built"
