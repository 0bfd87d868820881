# Shared settings for the project's scripts. Sourced, not run.
# Everything slow to make (tools, build output) lives outside the checkout so
# that later runs on the same machine reuse it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${IM_CACHE_DIR:-/var/cache/interview-monitor}"
TOOLS_DIR="$CACHE_DIR/tools"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE_DIR/target}"
# Incremental builds keep a second copy of every crate's work: gigabytes a test
# command does not reuse (each run builds once).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
export PATH="$TOOLS_DIR/bin:$TOOLS_DIR/node/node_modules/.bin:$HOME/.cargo/bin:$PATH"

CARGO_LEPTOS_VERSION=0.3.11
# The wasm-bindgen CLI must be the version of the crate that Cargo.lock names.
WASM_BINDGEN_VERSION=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/"/, "", $3); print $3; exit }' "$ROOT/Cargo.lock")
[ -n "$WASM_BINDGEN_VERSION" ] || { echo "error: Cargo.lock names no wasm-bindgen" >&2; exit 1; }
SEAWEEDFS_VERSION=4.48
SCHEMATHESIS_VERSION=4.32.5
# An off-the-shelf OpenAPI client generator, and Pillow for the JPEGs its flow uploads.
OPENAPI_CLIENT_VERSION=0.29.1
PILLOW_VERSION=13.0.0
# The Standard Webhooks reference implementation: the tests verify our signatures with it.
STANDARDWEBHOOKS_VERSION=1.1.0
SCIKIT_IMAGE_VERSION=0.26.0

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# as_root CMD...: run a command as root (CI and these machines run as root).
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}
