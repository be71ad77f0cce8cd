#!/usr/bin/env bash
# Builds the WebAssembly packages from the workspace, with nothing downloaded but crates and
# npm packages:
#   bash wasm/build.sh gateway   the engine as a WASI component (wasm32-wasip2), for
#                                `fivesafes build`: target/wasm32-wasip2/gateway/fivesafes_gateway.wasm
#   bash wasm/build.sh browser   the browser/Node package in wasm/pkg (wasm-bindgen, web target),
#                                its TypeScript types, and the playground's example requests;
#                                fails over its 2 MB gzipped budget
#   bash wasm/build.sh browser-certify
#                                the same with certification (Engine.assess) in wasm/pkg-certify,
#                                built for size; over the budget, so a package of its own
#   bash wasm/build.sh [all]     all three
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

# browser_package FEATURES PROFILE OUT BUDGET: build fivesafes-wasm with FEATURES under PROFILE,
# bind it into wasm/OUT with its TypeScript types, and check its gzipped size against BUDGET
# bytes (0: report only).
browser_package() {
  local features=$1 profile=$2 out=$3 budget=$4
  rustup target add wasm32-unknown-unknown >/dev/null
  version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
  bindgen=target/tools/bin/wasm-bindgen
  if [ ! -x "$bindgen" ] || [ "$("$bindgen" --version)" != "wasm-bindgen $version" ]; then
    step "installing wasm-bindgen-cli $version (the version Cargo.lock pins) into target/tools"
    cargo install wasm-bindgen-cli --version "$version" --root target/tools --force
  fi
  cargo build -p fivesafes-wasm --target wasm32-unknown-unknown --profile "$profile" --locked ${features:+--features "$features"}
  rm -rf "wasm/$out"
  "$bindgen" --target web --out-dir "wasm/$out" --remove-name-section --remove-producers-section \
    "target/wasm32-unknown-unknown/$profile/fivesafes_wasm.wasm"
  step "npm packages and TypeScript types ($out)"
  # npm packages once per run of this script, however many packages it builds.
  if [ -z "${npm_installed:-}" ]; then
    (cd wasm && npm ci --no-audit --no-fund --loglevel=error)
    npm_installed=1
  fi
  (cd wasm && node scripts/types.mjs "$out")
  raw=$(wc -c < "wasm/$out/fivesafes_wasm_bg.wasm")
  gz=$(tar -C wasm -cf - "$out" | gzip -9 | wc -c)
  if [ "$budget" -gt 0 ]; then
    echo "package $out: wasm $raw bytes; whole package gzipped $gz bytes (budget $budget)"
    if [ "$gz" -gt "$budget" ]; then echo "over the 2 MB gzipped budget"; exit 1; fi
  else
    echo "package $out: wasm $raw bytes; whole package gzipped $gz bytes"
  fi
}

if [ "$what" = browser ] || [ "$what" = all ]; then
  step "browser package (wasm32-unknown-unknown, wasm-bindgen)"
  browser_package "" wasm-release pkg 2097152
  (cd wasm && node_modules/.bin/tsc -p tests/tsconfig.json)
  node wasm/scripts/examples.mjs
fi

if [ "$what" = browser-certify ] || [ "$what" = all ]; then
  step "browser package with certification (Engine.assess): wasm/pkg-certify"
  browser_package certify wasm-certify pkg-certify 0
  (cd wasm && node_modules/.bin/tsc -p tests/tsconfig.certify.json)
fi
