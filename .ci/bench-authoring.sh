#!/usr/bin/env bash
# The policy authors' commands against Cedar's own CLI, wall clock, process start included
# (issue 4: "validating and testing the whole example bundle in well under a second").
# Needs hyperfine (Debian package) and cedar-policy-cli at the locked cedar-policy version (the
# test command installs it). Writes target/bench/authoring.md. Not part of the test command:
# tests never time.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)"; exit 2; }
cedar="${CEDAR_BIN:-${CARGO_HOME:-$HOME/.cargo}/bin/cedar}"
cargo build -q --release --locked -p fivesafes-cli
fs="$PWD/target/release/fivesafes"
mkdir -p target/bench
# The bundle's Cedar policies in one file, as Cedar's CLI takes them.
cat policies/{people,projects,settings,data,outputs}.cedar policies/members/*.cedar > target/bench/bundle.cedar
air=tests/cedar/airlock
hyperfine --warmup 3 --runs 20 --export-markdown target/bench/authoring.md \
  -n "fivesafes validate (example bundle: RDF, blueprint, Cedar strict, vocabulary)" "$fs validate" \
  -n "cedar validate (the same policies and schema)" \
     "$cedar validate --schema policies/schema.cedarschema --policies target/bench/bundle.cedar" \
  -n "fivesafes test tests/suites (149 cases, every member)" "$fs test tests/suites" \
  -n "fivesafes test (airlock run-tests file, plain Cedar)" \
     "$fs test $air/tests.json --policies $air/policies.cedar --schema $air/schema.cedarschema" \
  -n "cedar run-tests (the same file)" \
     "$cedar run-tests --policies $air/policies.cedar --schema $air/schema.cedarschema --tests $air/tests.json"
cat target/bench/authoring.md
