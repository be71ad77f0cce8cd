#!/usr/bin/env bash
# Safe Outputs against ACRO 1.0.2 on the same microdata, in one run.
#
# 1. `cargo bench --bench crosstab` writes the 1,000,000-record CSV (OUTPUTS_BENCH_CSV) and
#    measures the library: the whole check from CSV bytes, reading the CSV, and building +
#    checking the table from parsed microdata (criterion, medians).
# 2. The release CLI, `fivesafes outputs check --format json`, on that file (process start,
#    reading the file, the check, printing the JSON), REPS times, median.
# 3. ACRO 1.0.2 on that file: `pandas.read_csv` then `ACRO(suppress=False).crosstab(...)` with the
#    same arguments (its SDC checks included), REPS times, medians of the crosstab alone and of
#    read + crosstab.
# Then the ratios ACRO / fivesafes.
#
# Usage: engine/outputs/benches/outputs_vs_acro.sh
#   PYTHON  a Python with acro==1.0.2 (default: python3), e.g. /tmp/acro-diff-venv/bin/python
#   REPS    repetitions of the CLI and of ACRO (default 5)
#   CLI=0   leave out the release CLI (its build includes the wasmtime host)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
REPS="${REPS:-5}"
CLI="${CLI:-1}"
WORK="$ROOT/target/outputs-bench"
CSV="$WORK/grants.csv"
SPEC="$WORK/spec.json"
mkdir -p "$WORK"
cat > "$SPEC" <<'EOF'
{"method": "crosstab", "index": ["region", "age_band"], "columns": "grant_type", "values": "income", "aggfunc": "mean", "margins": true}
EOF

"$PYTHON" -c 'from acro.version import __version__ as v; assert v == "1.0.2", v' \
  || { echo "needs acro==1.0.2 in $PYTHON" >&2; exit 2; }

if [ "$CLI" = 1 ]; then
  echo "== building the CLI (release)"
  cargo build --release -p fivesafes-cli
fi

echo "== fivesafes library (criterion)"
OUTPUTS_BENCH_CSV="$CSV" cargo bench -p fivesafes-outputs --bench crosstab -- --noplot 2>&1 | tee "$WORK/criterion.txt"

echo "== fivesafes CLI and ACRO on $CSV ($REPS repetitions each)"
"$PYTHON" - "$ROOT/target/release/fivesafes" "$CSV" "$SPEC" "$REPS" "$WORK/criterion.txt" <<'EOF'
import contextlib, io, json, logging, os, pathlib, re, statistics, subprocess, sys, time, warnings
warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)
import pandas as pd
with contextlib.redirect_stdout(io.StringIO()):
    from acro import ACRO

binary, csv, spec_path, reps, criterion = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
spec = json.load(open(spec_path))

def median_of(f):
    times = []
    for _ in range(reps):
        t = time.perf_counter(); f(); times.append(time.perf_counter() - t)
    return statistics.median(times), times

def cli():
    run = subprocess.run([binary, "outputs", "check", "--data", csv, "--spec", spec_path, "--format", "json"],
                         capture_output=True, text=True)
    assert run.returncode in (0, 10, 11), run.stderr
    return json.loads(run.stdout)

with_cli = pathlib.Path(binary).exists() and os.environ.get("CLI", "1") == "1"
if with_cli:
    answer = cli()
    cli_median, cli_times = median_of(cli)

with contextlib.redirect_stdout(io.StringIO()):
    acro = ACRO(suppress=False)

def acro_crosstab(df):
    with contextlib.redirect_stdout(io.StringIO()):
        return acro.crosstab([df[c] for c in spec["index"]], df[spec["columns"]], values=df[spec["values"]],
                             aggfunc=spec["aggfunc"], margins=spec["margins"])

read_times, crosstab_times, total_times = [], [], []
for _ in range(reps):
    t0 = time.perf_counter(); df = pd.read_csv(csv); t1 = time.perf_counter()
    table = acro_crosstab(df); t2 = time.perf_counter()
    read_times.append(t1 - t0); crosstab_times.append(t2 - t1); total_times.append(t2 - t0)
record = list(acro.results.results.values())[-1]
assert table.shape == (97, 7), table.shape
if with_cli:
    assert record.status == answer["status"], (record.status, answer["status"])

# criterion's "time: [low median high]" lines, in the order of the bench
units = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}
lib = {}
name = None
for line in open(criterion, encoding="utf-8"):
    m = re.match(r"^outputs crosstab 1M records, mean, margins/(.+?)\s*$", line)
    if m:
        name = m.group(1)
    m = re.search(r"time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", line)
    if m and name:
        lib[name] = float(m.group(1)) * units[m.group(2)]
        name = None

ms = lambda s: f"{s * 1000:,.1f} ms"
print()
print(f"records: {len(df):,}; table {table.shape[0]} x {table.shape[1]} with margins; ACRO status {record.status}")
print(f"| what | median | ({reps} runs) |")
print("|---|---|---|")
for key in ("check from CSV bytes", "read CSV", "build + check from parsed microdata"):
    print(f"| fivesafes library: {key} | {ms(lib[key]) if key in lib else '?'} | criterion |")
if with_cli:
    print(f"| fivesafes CLI (process, read file, check, JSON) | {ms(cli_median)} | {', '.join(ms(t) for t in cli_times)} |")
print(f"| ACRO 1.0.2: pandas.read_csv | {ms(statistics.median(read_times))} | {', '.join(ms(t) for t in read_times)} |")
print(f"| ACRO 1.0.2: acro.crosstab (table + SDC checks) | {ms(statistics.median(crosstab_times))} | {', '.join(ms(t) for t in crosstab_times)} |")
print(f"| ACRO 1.0.2: read_csv + acro.crosstab | {ms(statistics.median(total_times))} | {', '.join(ms(t) for t in total_times)} |")
print()
if "build + check from parsed microdata" in lib:
    print(f"ratio ACRO crosstab / fivesafes build + check (both from parsed data): {statistics.median(crosstab_times) / lib['build + check from parsed microdata']:.1f}x")
if "check from CSV bytes" in lib:
    print(f"ratio ACRO read_csv + crosstab / fivesafes check from CSV bytes: {statistics.median(total_times) / lib['check from CSV bytes']:.1f}x")
if with_cli:
    print(f"ratio ACRO read_csv + crosstab / fivesafes CLI: {statistics.median(total_times) / cli_median:.1f}x")
EOF
