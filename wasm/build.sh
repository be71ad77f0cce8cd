#!/usr/bin/env bash
# Builds the WebAssembly packages from the workspace, with nothing downloaded but crates and
# npm packages:
#   bash wasm/build.sh gateway   the engine as a WASI component (wasm32-wasip2), for
#                                `fivesafes build`: target/wasm32-wasip2/gateway/fivesafes_gateway.wasm
#   bash wasm/build.sh browser   the browser/Node package in wasm/pkg (wasm-bindgen, web target),
#                                its TypeScript types, and the playground's example requests
#   bash wasm/build.sh           both
# wasm-bindgen-cli is installed into target/tools at exactly the version Cargo.lock pins.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}

step() { printf '\n==> %s\n' "$*"; }

if [ "$what" = gateway ] || [ "$what" = all ]; then
  step "engine component (wasm32-wasip2)"
  rustup target add wasm32-wasip2 >/dev/null
  cargo build -p fivesafes-gateway --target wasm32-wasip2 --profile gateway --locked
  ls -l target/wasm32-wasip2/gateway/fivesafes_gateway.wasm
fi

if [ "$what" = browser ] || [ "$what" = all ]; then
  step "browser package (wasm32-unknown-unknown, wasm-bindgen)"
  rustup target add wasm32-unknown-unknown >/dev/null
  version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
  bindgen=target/tools/bin/wasm-bindgen
  if [ ! -x "$bindgen" ] || [ "$("$bindgen" --version)" != "wasm-bindgen $version" ]; then
    step "installing wasm-bindgen-cli $version (the version Cargo.lock pins) into target/tools"
    cargo install wasm-bindgen-cli --version "$version" --root target/tools --force
  fi
  cargo build -p fivesafes-wasm --target wasm32-unknown-unknown --profile wasm-release --locked
  rm -rf wasm/pkg
  "$bindgen" --target web --out-dir wasm/pkg --remove-name-section --remove-producers-section \
    target/wasm32-unknown-unknown/wasm-release/fivesafes_wasm.wasm
  step "npm packages and TypeScript types"
  (cd wasm && npm ci --no-audit --no-fund --loglevel=error)
  (cd wasm && node scripts/types.mjs && node_modules/.bin/tsc -p tests/tsconfig.json)
  node wasm/scripts/examples.mjs
  raw=$(wc -c < wasm/pkg/fivesafes_wasm_bg.wasm)
  gz=$(tar -C wasm -cf - pkg | gzip -9 | wc -c)
  echo "package: wasm $raw bytes; whole package gzipped $gz bytes (budget 2097152)"
  if [ "$gz" -gt 2097152 ]; then echo "over the 2 MB gzipped budget"; exit 1; fi
fi
