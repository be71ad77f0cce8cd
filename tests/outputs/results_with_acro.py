"""ACRO's own reader on the results directories fivesafes writes (`outputs check --out`).

For each case, `fivesafes outputs check --format json --out DIR` writes ACRO's results directory;
the script then
- loads it with ACRO 1.0.2's `acro.record.load_records` (which refuses another `version` and
  reads every key of a record) and asserts that status, type, summary, the SDC cells, the
  outcome, the output file, the exception, the comments and the timestamp survive, and that the
  `sdc` cells are the cells of the check fivesafes printed (mapped to ACRO's check names);
- verifies `checksums/` (SHA-256 of every file at the top of the directory);
- for the cases where fivesafes and ACRO agree on the table and its checks, runs ACRO itself on
  the same CSV (`ACRO(suppress=...)`, `crosstab` / `pivot_table`, `finalise(dir, "json")`) and
  asserts that the record fivesafes wrote equals ACRO's, key for key and in ACRO's key order
  (but `command`, `timestamp`, `comments` and `exception`), and that the output CSVs are the
  same bytes;
- runs `--out` again on the same directory and asserts it is refused (exit 5) with nothing
  changed.

Run: python3 tests/outputs/results_with_acro.py target/debug/fivesafes
(needs: python3 -m pip install acro==1.0.2 pandas==2.3.3). Exit 0 when every case holds, 1 on
any mismatch (each one printed), 2 on a usage error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pathlib
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from acro import ACRO
from acro.record import load_records
from acro.version import __version__ as ACRO_VERSION

logging.disable(logging.CRITICAL)

ROOT = pathlib.Path(__file__).resolve().parents[2]
CASES_DIR = ROOT / "tests" / "outputs"
TIMESTAMP = "2024-05-01T12:30:00.123456"
EXCEPTION = "The cell of 9 is a count of sites, not of people: no person can be identified."
COMMENT = "Table 2 of the paper."
EXIT = {"pass": 0, "fail": 10, "review": 11}
# ACRO's check names for fivesafes' rules (`negative` is reported under NK and p-ratio).
ACRO_CHECK = {
    "threshold": "MinimumThresholdCheck",
    "zeros": "PresenceOfZeroCheck",
    "nk-rule": "NKCheck",
    "p-ratio": "PPercentCheck",
    "dof": "MinimumDoFCheck",
    "missing": "MissingCheck",
}
# What ACRO writes in its own way and the caller supplies here.
CALLER_KEYS = {"command", "timestamp", "comments", "exception"}


@dataclass
class Case:
    """One `outputs check --out` run."""

    name: str
    data: pathlib.Path
    spec: pathlib.Path
    risk: pathlib.Path | None = None
    suppress: bool = False
    # Whether ACRO 1.0.2 builds and checks this output as fivesafes does (see
    # acro_differential.py for where they differ), so the records must be equal.
    same_as_acro: bool = True
    extra: list[str] = field(default_factory=list)


def folder_case(name: str, folder: str, **kwargs: Any) -> Case:
    d = CASES_DIR / folder
    risk = d / "risk.json"
    options = d / "options.json"
    if options.exists():
        kwargs.setdefault("suppress", bool(json.loads(options.read_text()).get("suppress")))
    same = json.loads((d / "spec.json").read_text())["method"] in ("crosstab", "pivot_table")
    kwargs.setdefault("same_as_acro", same)
    return Case(name, d / "data.csv", d / "spec.json", risk if risk.exists() else None, **kwargs)


def generated_cases(tmp: pathlib.Path) -> list[Case]:
    """Outputs the case folders lack: several levels, a regression, a histogram."""
    rows = []
    for i in range(240):
        rows.append(
            {
                "a": "xy"[i % 2],
                "k": 1 + (i // 2) % 2,
                "b": "pq"[(i // 4) % 2],
                "c": "uw"[(i // 8) % 2],
                "v": float((i * 37) % 101),
                "w": float((i * 11) % 23) - 4.0,
            }
        )
    rows[0]["v"] = 5000.0  # one dominant value: the NK rule fires in its cells
    data = tmp / "generated.csv"
    pd.DataFrame(rows).to_csv(data, index=False)
    specs = {
        "multi_level_frequency": {"method": "crosstab", "index": ["a", "k"], "columns": ["b", "c"], "margins": True},
        "multi_level_sum": {
            "method": "crosstab",
            "index": ["a", "k"],
            "columns": ["b", "c"],
            "values": "v",
            "aggfunc": "sum",
            "margins": True,
        },
        "pivot_mean": {"method": "pivot_table", "index": ["a"], "columns": ["b"], "values": "v", "aggfunc": "mean"},
        "regression": {"method": "ols", "endog": "v", "exog": ["w"], "add_constant": True},
        "histogram": {"method": "hist", "column": "w", "bins": 5},
    }
    cases = []
    for name, spec in specs.items():
        path = tmp / f"{name}.spec.json"
        path.write_text(json.dumps(spec))
        same = spec["method"] in ("crosstab", "pivot_table")
        cases.append(Case(name, data, path, same_as_acro=same))
    return cases


def cases(tmp: pathlib.Path) -> list[Case]:
    return [
        folder_case("threshold", "threshold_9_10_11"),
        folder_case("threshold_suppressed", "threshold_9_10_11", suppress=True),
        folder_case("mean_with_margins", "margins_from_records"),
        folder_case("negative_values", "negative_values_review"),
        folder_case("missing_values", "missing_values_checked", same_as_acro=False),  # missing-empty
        folder_case("zeros_not_disclosive", "empty_cell_zeros_not_disclosive"),
        folder_case("zeros_disclosive", "empty_cell_zeros_disclosive"),
        folder_case("nk_share_exactly_k", "nk_share_exactly_k"),
        folder_case("std", "std_dof_9_10", same_as_acro=False),  # dof-cells
        folder_case("suppress_count_margins", "suppress_count_margins"),
        folder_case("suppress_mean_margins", "suppress_mean_margins"),
        # ACRO's suppression makes every table `review` with its exception, even one with
        # nothing to suppress; fivesafes leaves such a table `pass` (results.rs says so).
        folder_case("suppress_passing_table", "suppress_passing_table", same_as_acro=False),
        folder_case("ols_dof_9", "ols_dof_9"),
        folder_case("logit", "logit_coefficients"),
        folder_case("hist_bins_9_10_11", "hist_bins_9_10_11"),
        *generated_cases(tmp),
    ]


def run_fivesafes(binary: str, case: Case, out: pathlib.Path) -> tuple[int, dict | None, str]:
    args = [binary, "outputs", "check", "--data", str(case.data), "--spec", str(case.spec), "--format", "json"]
    if case.risk:
        args += ["--config", str(case.risk)]
    if case.suppress:
        args.append("--suppress")
    args += ["--out", str(out), "--timestamp", TIMESTAMP, "--exception", EXCEPTION, "--comment", COMMENT]
    p = subprocess.run(args, capture_output=True, text=True, check=False)
    contract = json.loads(p.stdout) if p.stdout.strip() else None
    return p.returncode, contract, p.stderr


def run_acro(case: Case, out: pathlib.Path) -> dict:
    """ACRO 1.0.2 on the same CSV, spec and risk appetite; its `results.json` record."""
    df = pd.read_csv(case.data)
    spec = json.loads(case.spec.read_text())
    acro = ACRO(suppress=case.suppress)
    if case.risk:
        for key, value in json.loads(case.risk.read_text()).items():
            acro.config[key] = value  # the dict the checks read (`SDCChecks.risk_appetite`)
    as_list = lambda x: x if isinstance(x, list) else [x]  # noqa: E731
    if spec["method"] == "crosstab":
        acro.crosstab(
            [df[c] for c in as_list(spec["index"])],
            [df[c] for c in as_list(spec["columns"])],
            values=df[spec["values"]] if "values" in spec else None,
            aggfunc=spec.get("aggfunc"),
            margins=spec.get("margins", False),
        )
    else:
        acro.pivot_table(
            df,
            index=spec["index"],
            columns=spec.get("columns"),
            values=spec["values"],
            aggfunc=spec.get("aggfunc", "mean"),
            margins=spec.get("margins", False),
        )
    acro.finalise(str(out), "json")
    return json.loads((out / "results.json").read_text())


def verify_checksums(out: pathlib.Path, problems: list[str]) -> None:
    sums = {p.name[: -len(".txt")]: p.read_text() for p in (out / "checksums").iterdir()}
    files = {p.name for p in out.iterdir() if p.is_file() and p.name != "config.json"}
    if set(sums) != files:
        problems.append(f"checksums cover {sorted(sums)}, the directory holds {sorted(files)}")
    for name, digest in sums.items():
        if (out / name).exists() and hashlib.sha256((out / name).read_bytes()).hexdigest() != digest:
            problems.append(f"checksum of {name} does not verify")


def check_loaded(case: Case, out: pathlib.Path, contract: dict, problems: list[str]) -> None:
    raw = json.loads((out / "results.json").read_text())
    if raw.get("version") != ACRO_VERSION:
        problems.append(f"version {raw.get('version')!r}, ACRO is {ACRO_VERSION}")
    records = load_records(str(out))  # ACRO's own reader
    if records.get_keys() != ["output_0"]:
        problems.append(f"records {records.get_keys()}")
        return
    rec = records.get("output_0")
    want = raw["results"]["output_0"]
    expect = {
        "status": contract["status"],
        "output_type": contract["kind"],
        "summary": want["summary"],
        "sdc": want["files"][0]["sdc"],
        "exception": EXCEPTION,
        "timestamp": TIMESTAMP,
        "properties": want["properties"],
    }
    for attr, value in expect.items():
        if getattr(rec, attr) != value:
            problems.append(f"loaded {attr} is {getattr(rec, attr)!r}, expected {value!r}")
    if not rec.summary:
        problems.append("empty summary")
    if rec.comments[:1] != [COMMENT]:
        problems.append(f"comments {rec.comments!r}")
    if not (len(rec.output) == 1 and isinstance(rec.output[0], pd.DataFrame)):
        problems.append(f"the output file did not load as a DataFrame: {rec.output!r}")
    # The outcome loads as ACRO's DataFrame, one cell per table cell.
    table = contract["table"]
    if contract["kind"] == "table":
        shape = (len(table["rowLabels"]), len(table["columnLabels"]))
        if rec.outcome.shape != shape:
            problems.append(f"outcome shape {rec.outcome.shape}, table {shape}")
    # The SDC cells are the cells fivesafes flagged, under ACRO's names.
    sdc_cells = rec.sdc.get("cells", {}) if contract["kind"] != "regression" else {}
    rules = {c["rule"]: c for c in contract["checks"]}
    for rule, check in rules.items():
        name = ACRO_CHECK.get(rule)
        if name is None or contract["kind"] == "regression" or name not in sdc_cells:
            continue
        cells = check["cells"]
        if rule in ("nk-rule", "p-ratio") and check["status"] == "review":
            cells = rules.get("negative", {}).get("cells", [])
        if sorted(sdc_cells[name]) != sorted(cells):
            problems.append(f"{name} cells {sdc_cells[name]}, fivesafes flagged {cells}")
    if contract.get("suppressed"):
        if rec.properties.get("mitigation") != "suppress":
            problems.append(f"a suppressed output has properties {rec.properties}")


def compare_with_acro(case: Case, ours: pathlib.Path, theirs: pathlib.Path, problems: list[str]) -> None:
    acro = run_acro(case, theirs)["results"]["output_0"]
    mine = json.loads((ours / "results.json").read_text())["results"]["output_0"]
    if [k for k in mine] != [k for k in acro]:
        problems.append(f"keys {list(mine)} differ from ACRO's {list(acro)}")
    for key in acro:
        if key in CALLER_KEYS:
            continue
        if mine.get(key) != acro[key]:
            problems.append(f"{key}: fivesafes {json.dumps(mine.get(key))}\n      ACRO      {json.dumps(acro[key])}")
    ours_csv = (ours / mine["files"][0]["name"]).read_bytes()
    theirs_csv = (theirs / acro["files"][0]["name"]).read_bytes()
    if ours_csv != theirs_csv:
        problems.append(f"CSV differs:\n{ours_csv.decode()}---- ACRO:\n{theirs_csv.decode()}")


def run_case(binary: str, case: Case, tmp: pathlib.Path) -> list[str]:
    problems: list[str] = []
    out = tmp / case.name / "results"
    code, contract, stderr = run_fivesafes(binary, case, out)
    if contract is None:
        return [f"no JSON answer (exit {code}): {stderr.strip()}"]
    if code != EXIT[contract["status"]]:
        problems.append(f"exit {code} for status {contract['status']}")
    if not (out / "results.json").exists():
        return problems + [f"no results.json written: {stderr.strip()}"]
    verify_checksums(out, problems)
    try:
        check_loaded(case, out, contract, problems)
    except Exception as e:  # noqa: BLE001 - any failure of ACRO's reader is a mismatch
        problems.append(f"load_records failed: {type(e).__name__}: {e}")
    if case.same_as_acro:
        try:
            compare_with_acro(case, out, tmp / case.name / "acro", problems)
        except Exception as e:  # noqa: BLE001
            problems.append(f"ACRO failed on the case: {type(e).__name__}: {e}")
    # A second run into the same directory is refused, and changes nothing.
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    again, _, stderr = run_fivesafes(binary, case, out)
    if again != 5 or "results.json" not in stderr:
        problems.append(f"a second --out into the directory exited {again}: {stderr.strip()}")
    if {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} != before:
        problems.append("a refused --out changed the directory")
    return problems


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = sys.argv[1]
    failed = 0
    with tempfile.TemporaryDirectory(prefix="results-with-acro-") as t:
        tmp = pathlib.Path(t)
        all_cases = cases(tmp)
        for case in all_cases:
            problems = run_case(binary, case, tmp)
            print(f"{'ok  ' if not problems else 'FAIL'} {case.name}")
            for p in problems:
                print(f"    {p}")
            failed += bool(problems)
    print(f"{len(all_cases) - failed} of {len(all_cases)} cases hold (ACRO {ACRO_VERSION})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
