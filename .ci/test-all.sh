#!/usr/bin/env bash
# Every check of the project, in one place: the README's test command and CI both run this.
# Installs what it needs (wasm targets), then: format, clippy (native and wasm), wasm builds of
# the pure core, all tests (library, CLI, corpus, cross-checks, doc tests), the main job on the
# embedded default, and a compile of the benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain targets"
rustup target add wasm32-unknown-unknown wasm32-wasip2 >/dev/null
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "cargo fmt --check"
cargo fmt --all --check

step "clippy (native)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "the pure core builds for wasm32-unknown-unknown and wasm32-wasip2"
cargo clippy -p fivesafes-core --lib --target wasm32-unknown-unknown --locked -- -D warnings
cargo build -p fivesafes-core --lib --target wasm32-wasip2 --locked

step "tests"
cargo test --workspace --locked

step "main job on the embedded default"
set +e
cargo run -q --locked -p fivesafes-cli -- decide examples/requests/01-allow-cardio-de.json --all-members
code=$?
set -e
if [ "$code" -ne 0 ]; then echo "expected exit 0 (allow), got $code"; exit 1; fi

step "benchmarks compile"
cargo bench --workspace --locked --no-run

echo
echo "all checks passed"
