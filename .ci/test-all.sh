#!/usr/bin/env bash
# Every check of the project, in one place: the README's test command and CI both run this.
# Installs what it needs (wasm targets, wasm-bindgen-cli at the locked version, npm packages,
# Debian's chromium), then: format, clippy (native and wasm), the WebAssembly packages (the
# gateway component and the browser package, within its size budget), all tests (library,
# CLI, corpus, cross-checks, the wasmtime host, the decision service, doc tests), the service
# behind a real nginx, killed under load, and fuzzed by schemathesis, Cedar test files judged as Cedar's
# own CLI judges them, the main job on the embedded
# default, a signed gateway artifact, the parity corpus through native, wasmtime, Node and
# Chromium, the playground in Chromium, and a compile of the benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."

# A from-scratch run gains nothing from incremental compilation, and its caches take a gigabyte.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step() { printf '\n==> %s\n' "$*"; }

step "toolchain targets"
rustup target add wasm32-unknown-unknown wasm32-wasip2 >/dev/null
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "cargo fmt --check"
cargo fmt --all --check

step "clippy (native)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Debian's chromium (for the browser tests)"
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

step "clippy (wasm): the pure core, the decision log's core and the browser bindings for wasm32-unknown-unknown"
cargo clippy -p fivesafes-core -p fivesafes-wasm --lib --target wasm32-unknown-unknown --locked -- -D warnings
cargo clippy -p fivesafes-wasm --features certify --lib --target wasm32-unknown-unknown --locked -- -D warnings
cargo clippy -p fivesafes-audit --no-default-features --lib --target wasm32-unknown-unknown --locked -- -D warnings

step "WebAssembly packages: the gateway component (wasm32-wasip2), the browser package and the browser package with certification"
bash wasm/build.sh all

step "tests"
cargo test --workspace --locked

step "the decision service with real parts: nginx auth_request in front of an upstream, SIGKILL under load in strict mode, schemathesis against the OpenAPI document"
bash tests/server/nginx.sh target/debug/fivesafes
bash tests/server/crash.sh target/debug/fivesafes
bash tests/server/schemathesis.sh target/debug/fivesafes

step "evidence graph hashes: the same as rdflib + pyld (URDNA2015) compute"
python3 -m pip install --quiet --disable-pip-version-check "rdflib==7.6.0" "pyld==3.3.0" 2>&1 | grep -v "root' user" || true
python3 tests/certification/rdfc_differential.py target/debug/fivesafes

step "Safe Outputs against the real ACRO 1.0.2: the same checks on the same data, and our results directories read by ACRO's load_records"
if ! python3 -c "import ensurepip" 2>/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
fi
python3 -m venv /tmp/fivesafes-acro-venv
/tmp/fivesafes-acro-venv/bin/python -m pip install --quiet --disable-pip-version-check "acro==1.0.2" "pandas==2.3.3"
PYTHONDONTWRITEBYTECODE=1 /tmp/fivesafes-acro-venv/bin/python tests/outputs/acro_differential.py target/debug/fivesafes
PYTHONDONTWRITEBYTECODE=1 /tmp/fivesafes-acro-venv/bin/python tests/outputs/results_with_acro.py target/debug/fivesafes

step "Cedar's own CLI (the peer for Cedar run-tests files), at the version of cedar-policy in Cargo.lock"
cedar_version=$(awk '/^name = "cedar-policy"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
cedar_bin="${CARGO_HOME:-$HOME/.cargo}/bin/cedar"
if ! "$cedar_bin" --version 2>/dev/null | grep -qx "cedar-policy-cli $cedar_version"; then
  cargo install --locked --quiet cedar-policy-cli --version "$cedar_version"
fi

step "Cedar run-tests files: the same verdicts as cedar run-tests"
CEDAR_BIN="$cedar_bin" FIVESAFES_BIN="$PWD/target/debug/fivesafes" node --test tests/cedar/

step "main job on the embedded default"
set +e
cargo run -q --locked -p fivesafes-cli -- decide examples/requests/01-allow-cardio-de.json --all-members
code=$?
set -e
if [ "$code" -ne 0 ]; then echo "expected exit 0 (allow), got $code"; exit 1; fi

step "a signed gateway artifact of the embedded default"
mkdir -p target/parity
rm -f target/parity/key.pem target/parity/key.pub.pem
cargo run -q --locked -p fivesafes-cli -- keygen --out target/parity/key
cargo run -q --locked -p fivesafes-cli -- build --out target/parity/example.fsb --sign target/parity/key.pem

step "parity (native, wasmtime, Node, Chromium) and the playground in Chromium"
(cd wasm && FIVESAFES_BIN=../target/debug/fivesafes node --test tests/)

step "benchmarks compile"
cargo bench --workspace --locked --no-run

echo
echo "all checks passed"
echo "target/ uses $(du -sh target | cut -f1)"
