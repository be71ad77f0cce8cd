"""Differential test of Safe Outputs against the real ACRO (PyPI `acro` 1.0.2).

Every case is a CSV of microdata plus an output spec (and a risk appetite): the same files go to
`fivesafes outputs check --format json` and, read with `pandas.read_csv`, to ACRO's
`crosstab` / `pivot_table` (`ACRO(suppress=False)`). The script compares the overall status, the
table (labels; values to 1e-9 relative), and per rule its status and flagged cells.

Regressions (`ols`, `logit`, `probit` with a constant; residual dof 9, 10, 11, 40) are compared
with `acro.ols` / `acro.logit` / `acro.probit` (status, dof check, `df_resid`, coefficients to
1e-9, 1e-6 for the iterative fits) and histograms with `acro.hist` (status, number of bins below
the threshold, bin counts against `numpy.histogram`).

Two kinds of cases:
- `agree`: seeded random tables (1-2 index and column levels; count, mean, sum, median, min, max,
  std; with and without margins; skewed and dominant values so the NK rule and the p-ratio fire,
  cells near 10 records, missing values, negative values, empty cells, several risk appetites)
  plus targeted cases at the rule boundaries. They must agree exactly.
- `diverge:<id>`: where ACRO 1.0.2 differs from the rules fivesafes follows (domain.md), one or
  more cases that show the difference, and assert exactly that difference (so the script fails
  when either side changes). The divergences, with the ACRO 1.0.2 functions where they come from:
  - dropna: `Tables.crosstab` / `Tables.pivot_table` force pandas' `dropna=False`, so a record
    with a missing key value makes a NaN row or column (counted in the margins); fivesafes leaves
    such records out (pandas' default `dropna=True`).
  - cartesian: with `dropna=False` pandas reindexes a table with two or more index (or column)
    levels to the cartesian product of the levels: combinations that never occur are rows of
    zeros / NaN, and fail the zeros and threshold checks; fivesafes shows the combinations that
    occur.
  - all-nan-rows: with `dropna=False` a row or column whose cells all lack a value (a mean of
    missing values) stays, and is checked; fivesafes leaves it out, with a comment.
  - pivot-margins: `TableModelDetails.get_count_table` / `get_table_newagg` build the check
    tables of a `pivot_table` without `columns` by `pd.pivot_table(...)` without `margins`: the
    "All" row is never checked; fivesafes checks it like any cell.
  - pivot-counts-values: for a `pivot_table` without `columns`,
    `TableModelDetails.get_count_table` calls `pd.pivot_table(data, index=..., columns=[],
    values=<the first index column>, aggfunc="count")`; pandas ignores a `values` that is a key
    and counts the non-missing values of the `values` column: the threshold and zeros checks
    count values, not records (0.4.11's behaviour, kept here); fivesafes counts records.
  - dof-cells: for a std table `SDCEvidence.populate_dof` makes the dof a table (count - 1) and
    `ManyChecksResults.get_table_sdc` reports it as a mask: the `MinimumDoFCheck` cells are the
    cells with non-zero dof and its summary the sum of the dofs (the status is right); fivesafes
    lists the cells with n - 1 < dof threshold.
  - missing-empty: `check_missing` on the `agg_missing` table: an empty cell is NaN there, which
    `get_status_summary_from_mask` (`fillna(1)`) and `np.where` count as missing, so it asks for
    review; fivesafes flags cells whose records have a missing value (an empty cell has none).
  - missing-frequency: with `check_missing_values`, a frequency table (no `values`) raises
    `AttributeError` in `TableModelDetails.get_table_newagg`; fivesafes checks it (the missing
    rule applies only with `values`).
  - negative-cells: ACRO has no negative check: `check_nk_dominance` and
    `check_ppercent_dominance` return review with the cells holding negative values as their
    cells; fivesafes reports those cells under `negative`, and `nk-rule` / `p-ratio` ask for
    review with no cells. (Mapped in every comparison, and shown by its own case.)

What the header of engine/outputs/src/rules.rs lists against ACRO 0.4.11 was checked against
1.0.2: all five differences are gone (NK share exactly k fails: `>=` in `check_nk_dominance`;
the threshold counts all records: `get_count_table`; the p-ratio of one value or an all-zero
cell fails and an empty cell passes: `check_ppercent_dominance`; an empty cell passes the NK
rule: NaN comparisons are False before `fillna`; a failing threshold fails a table with
negatives: `run_checks_for_analysis` takes the worst status). Each has an `agree` case here.

Run: python3 tests/outputs/acro_differential.py target/debug/fivesafes
(needs: python3 -m pip install acro==1.0.2 pandas==2.3.3)
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import os
import pathlib
import random
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

with contextlib.redirect_stdout(io.StringIO()):
    from acro import ACRO  # noqa: E402
    from acro.version import __version__ as INSTALLED_ACRO  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
ACRO_VERSION = "1.0.2"
RANDOM_CASES = 100
MODEL_METHODS = {"ols", "logit", "probit", "hist"}
DEFAULTS = {
    "safe_threshold": 10,
    "safe_dof_threshold": 10,
    "safe_nk_n": 2,
    "safe_nk_k": 0.9,
    "safe_pratio_p": 0.1,
    "zeros_are_disclosive": True,
    "check_missing_values": False,
}
# ACRO check -> fivesafes rule (RequiredZeroCheck and PresenceOfLinkedTableCheck always pass
# with no cells; they have no fivesafes rule).
CHECKS = {
    "MinimumThresholdCheck": "threshold",
    "PresenceOfZeroCheck": "zeros",
    "NKCheck": "nk-rule",
    "PPercentCheck": "p-ratio",
    "MinimumDoFCheck": "dof",
    "MissingCheck": "missing",
}
ALWAYS_PASS = {"RequiredZeroCheck", "PresenceOfLinkedTableCheck"}


class Mismatch(Exception):
    """A difference the case does not expect."""


@dataclass
class Case:
    name: str
    kind: str  # "agree" or "diverge:<id>"
    data: dict[str, list]  # column -> values (None = missing)
    spec: dict[str, Any]
    risk: dict[str, Any] = field(default_factory=dict)
    # For divergences: checks the documented difference (raises Mismatch otherwise).
    expect: Callable[["Case", "AcroOut", dict], None] | None = None


@dataclass
class AcroOut:
    status: str | None
    table: pd.DataFrame | None
    check_status: dict[str, str]
    cells: dict[str, list[list[int]]]
    summary: dict[str, int]
    dof: pd.DataFrame | None
    error: str | None = None


# ---------------------------------------------------------------------------------------------
# Running both sides


class AcroRunner:
    def __init__(self) -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            self.acro = ACRO(suppress=False)
        self.captured_dof: list[Any] = []
        checks = self.acro.sdc_checks
        original = checks.check_to_method["MinimumDoFCheck"]

        def capture(name, evidence, model):  # keeps ACRO's own dof evidence for the comparison
            self.captured_dof.append(evidence.dof)
            return original(name, evidence, model)

        checks.check_to_method["MinimumDoFCheck"] = capture

    def run(self, csv_path: pathlib.Path, case: Case) -> AcroOut:
        for key, value in {**DEFAULTS, **case.risk}.items():
            self.acro.config[key] = value
        df = pd.read_csv(csv_path)
        spec = case.spec
        as_list = lambda x: x if isinstance(x, list) else [x]  # noqa: E731
        before = len(self.acro.results.results)
        self.captured_dof.clear()
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                if spec["method"] == "crosstab":
                    values = df[spec["values"]] if "values" in spec else None
                    table = self.acro.crosstab(
                        [df[c] for c in as_list(spec["index"])],
                        [df[c] for c in as_list(spec["columns"])],
                        values=values,
                        aggfunc=spec.get("aggfunc"),
                        margins=spec.get("margins", False),
                    )
                else:
                    columns = spec.get("columns")
                    table = self.acro.pivot_table(
                        df,
                        values=spec["values"],
                        index=as_list(spec["index"]),
                        columns=None if columns is None else as_list(columns),
                        aggfunc=spec.get("aggfunc", "mean"),
                        margins=spec.get("margins", False),
                    )
        except Exception as e:  # noqa: BLE001 - a divergence case expects ACRO to raise
            return AcroOut(None, None, {}, {}, {}, None, error=f"{type(e).__name__}: {e}")
        if len(self.acro.results.results) != before + 1:
            raise Mismatch("ACRO recorded no output")
        record = list(self.acro.results.results.values())[-1]
        dof = self.captured_dof[-1] if self.captured_dof else None
        return AcroOut(
            record.status, table, dict(record.fair["check_status"]), record.sdc["cells"], record.sdc["summary"], dof
        )


def run_fivesafes(binary: str, csv_path: pathlib.Path, case: Case, workdir: pathlib.Path) -> dict:
    spec_path = workdir / f"{case.name}.spec.json"
    spec_path.write_text(json.dumps(case.spec))
    args = [binary, "outputs", "check", "--data", str(csv_path), "--spec", str(spec_path), "--format", "json"]
    if case.risk:
        risk_path = workdir / f"{case.name}.risk.json"
        risk_path.write_text(json.dumps(case.risk))
        args += ["--config", str(risk_path)]
    run = subprocess.run(args, capture_output=True, text=True, check=False)
    if run.returncode not in (0, 10, 11):
        raise Mismatch(f"fivesafes exited {run.returncode}: {run.stderr.strip()}")
    return json.loads(run.stdout)


def write_csv(path: pathlib.Path, data: dict[str, list]) -> None:
    names = list(data)
    rows = zip(*(data[n] for n in names))
    lines = [",".join(names)]
    for row in rows:
        lines.append(",".join("" if v is None else str(v) for v in row))
    path.write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------
# Comparison


def label(x: Any) -> str:
    if isinstance(x, float) and math.isnan(x):
        return "nan"
    if isinstance(x, (float, np.floating)) and float(x).is_integer():
        return str(int(x))
    return str(x)


def acro_labels(index: pd.Index) -> list[list[str]]:
    return [[label(y) for y in x] if isinstance(x, tuple) else [label(x)] for x in index]


def acro_values(table: pd.DataFrame) -> list[list[float | None]]:
    return [[None if pd.isna(v) else float(v) for v in row] for row in table.to_numpy()]


def fs_values(out: dict) -> list[list[float | None]]:
    return [[None if v is None else float(v) for v in row] for row in out["table"]["values"]]


def same_number(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def compare_tables(acro: AcroOut, fs: dict) -> list[str]:
    diffs = []
    rows, cols = acro_labels(acro.table.index), acro_labels(acro.table.columns)
    if rows != fs["table"]["rowLabels"]:
        diffs.append(f"row labels: ACRO {rows}, fivesafes {fs['table']['rowLabels']}")
    if cols != fs["table"]["columnLabels"]:
        diffs.append(f"column labels: ACRO {cols}, fivesafes {fs['table']['columnLabels']}")
    a, f = acro_values(acro.table), fs_values(fs)
    if len(a) != len(f) or any(len(x) != len(y) for x, y in zip(a, f)):
        diffs.append(f"table shape: ACRO {acro.table.shape}, fivesafes {len(f)}x{len(f[0]) if f else 0}")
    else:
        for r, (x, y) in enumerate(zip(a, f)):
            for c, (u, v) in enumerate(zip(x, y)):
                if not same_number(u, v):
                    diffs.append(f"value [{r}, {c}]: ACRO {u}, fivesafes {v}")
    return diffs


def dof_cells(acro: AcroOut, risk: dict) -> list[list[int]]:
    """The cells ACRO's own dof evidence puts below the threshold."""
    threshold = {**DEFAULTS, **risk}["safe_dof_threshold"]
    if isinstance(acro.dof, pd.DataFrame):
        return [[int(r), int(c)] for r, c in np.argwhere(acro.dof.to_numpy() < threshold)]
    return []


def compare_checks(acro: AcroOut, fs: dict, risk: dict) -> list[str]:
    diffs = []
    fs_checks = {c["rule"]: c for c in fs["checks"]}
    negatives = fs_checks.get("negative", {}).get("cells", [])
    mapped = set()
    for check, status in acro.check_status.items():
        if check in ALWAYS_PASS:
            if status != "pass" or acro.cells.get(check):
                diffs.append(f"{check}: ACRO {status} {acro.cells.get(check)}")
            continue
        rule = CHECKS.get(check)
        if rule is None:
            diffs.append(f"ACRO check {check} has no fivesafes rule")
            continue
        mapped.add(rule)
        mine = fs_checks.get(rule)
        if mine is None:
            diffs.append(f"{check}: ACRO {status}, no fivesafes `{rule}` rule")
            continue
        if status != mine["status"]:
            diffs.append(f"{check} / {rule} status: ACRO {status}, fivesafes {mine['status']}")
        theirs = sorted(acro.cells.get(check, []))
        if rule == "dof":
            theirs = dof_cells(acro, risk)  # see divergence dof-cells
        ours = sorted(mine["cells"])
        if rule in ("nk-rule", "p-ratio") and status == "review":
            # divergence negative-cells: ACRO's cells are those with negative values
            ours = sorted(negatives) if not ours else ours
        if theirs != ours:
            diffs.append(f"{check} / {rule} cells: ACRO {theirs}, fivesafes {ours}")
    extra = set(fs_checks) - mapped - {"negative"}
    if extra:
        diffs.append(f"fivesafes rules ACRO did not run: {sorted(extra)}")
    if "negative" in fs_checks and "nk-rule" not in mapped:
        diffs.append("fivesafes checks negatives, ACRO ran no dominance check")
    return diffs


def compare(acro: AcroOut, fs: dict, risk: dict) -> list[str]:
    if acro.error:
        return [f"ACRO raised {acro.error}"]
    diffs = []
    if acro.status != fs["status"]:
        diffs.append(f"status: ACRO {acro.status}, fivesafes {fs['status']}")
    return diffs + compare_tables(acro, fs) + compare_checks(acro, fs, risk)


# ---------------------------------------------------------------------------------------------
# Random cases (outside the divergences: no missing key values, every combination of levels
# occurs, every row and column has a value)

AGGFUNCS = ["count", "mean", "sum", "median", "min", "max", "std"]


def random_case(rng: random.Random, i: int) -> Case:
    while True:
        case = _random_case(rng, i)
        if _outside_divergences(case):
            return case


def _random_case(rng: random.Random, i: int) -> Case:
    n_index, n_columns = rng.choice([1, 1, 2]), rng.choice([1, 1, 2])
    method = rng.choice(["crosstab", "crosstab", "pivot_table"])
    if method == "pivot_table" and rng.random() < 0.25:
        n_columns = 0  # a pivot_table without columns (without margins: see pivot-margins)
    keys = {}
    names_i = [f"r{k}" for k in range(n_index)]
    names_c = [f"c{k}" for k in range(n_columns)]
    for name in names_i + names_c:
        levels = rng.randint(2, 4) if n_index + n_columns > 2 else rng.randint(2, 5)
        numeric = rng.random() < 0.2
        keys[name] = [(l * 5 + 3 if numeric else f"{name}_{chr(97 + l)}") for l in range(levels)]
    row_combos = _product([keys[n] for n in names_i])
    col_combos = _product([keys[n] for n in names_c]) if names_c else [()]
    cells = [(r, c) for r in row_combos for c in col_combos]
    empty = set()
    if len(cells) > 4 and rng.random() < 0.4:
        empty = set(rng.sample(range(len(cells)), rng.randint(1, max(1, len(cells) // 6))))
    aggfunc = rng.choice(AGGFUNCS if method == "crosstab" else AGGFUNCS[1:])
    style = rng.choice(["plain", "plain", "skewed", "dominant", "decimal"])
    negative_rate = 0.02 if rng.random() < 0.15 else 0.0
    missing_rate = rng.choice([0.0, 0.0, 0.05, 0.15]) if names_c else 0.0  # see pivot-counts-values
    data: dict[str, list] = {n: [] for n in names_i + names_c + ["v"]}
    for k, (r, c) in enumerate(cells):
        if k in empty:
            continue
        roll = rng.random()
        size = rng.randint(1, 6) if roll < 0.1 else rng.randint(8, 12) if roll < 0.4 else rng.randint(10, 40)
        dominant = style == "dominant" or (style == "skewed" and rng.random() < 0.3)
        for j in range(size):
            for n, x in zip(names_i, r):
                data[n].append(x)
            for n, x in zip(names_c, c):
                data[n].append(x)
            value: Any = rng.randint(1, 100)
            if style == "decimal":
                value = round(rng.uniform(0, 100), 2)
            if dominant and j == 0:
                value = rng.choice([rng.randint(1000, 100000), 0])
            if style == "skewed" and rng.random() < 0.1:
                value = rng.randint(0, 3)
            if rng.random() < negative_rate:
                value = -value
            if rng.random() < missing_rate:
                value = None
            data["v"].append(value)
    order = list(range(len(data["v"])))
    rng.shuffle(order)
    data = {n: [col[o] for o in order] for n, col in data.items()}
    spec: dict[str, Any] = {"method": method, "index": names_i if n_index > 1 or rng.random() < 0.5 else names_i[0]}
    if names_c:
        spec["columns"] = names_c if n_columns > 1 or rng.random() < 0.5 else names_c[0]
    if method == "pivot_table" or aggfunc != "count" or rng.random() < 0.3:
        spec["values"] = "v"
        spec["aggfunc"] = aggfunc
    spec["margins"] = bool(names_c) and rng.random() < 0.6
    risk: dict[str, Any] = {}
    if rng.random() < 0.3:
        risk = rng.choice(
            [
                {"safe_threshold": 5},
                {"safe_nk_n": 3, "safe_nk_k": 0.8},
                {"safe_pratio_p": 0.05, "safe_dof_threshold": 5},
                {"zeros_are_disclosive": False},
                {"check_missing_values": True, "safe_threshold": 3},
            ]
        )
        if risk.get("check_missing_values") and ("values" not in spec or empty):
            risk = {"safe_threshold": 3}  # see missing-frequency and missing-empty
    return Case(f"random-{i:02}", "agree", data, spec, risk)


def _product(lists: list[list]) -> list[tuple]:
    out: list[tuple] = [()]
    for values in lists:
        out = [t + (v,) for t in out for v in values]
    return out


def _outside_divergences(case: Case) -> bool:
    """Every combination of row levels and of column levels occurs, and every row and column of
    the table has a value (fivesafes would leave it out, ACRO keeps it: all-nan-rows)."""
    df = pd.DataFrame(case.data)
    spec = case.spec
    as_list = lambda x: [] if x is None else (x if isinstance(x, list) else [x])  # noqa: E731
    index, columns = as_list(spec["index"]), as_list(spec.get("columns"))
    for names in (index, columns):
        if len(names) > 1:
            observed = len(df[names].drop_duplicates())
            if observed != math.prod(df[n].nunique() for n in names):
                return False
    aggfunc = spec.get("aggfunc", "count")
    if "values" not in spec or aggfunc in ("count", "sum"):
        return True
    need = 2 if aggfunc == "std" else 1
    counts = df.dropna(subset=["v"]).groupby(index + columns).size()
    has_value = counts[counts >= need]
    for names in (index, columns):
        if not names:
            continue
        have = {k if isinstance(k, tuple) else (k,) for k in has_value.reset_index()[names].itertuples(index=False)}
        if len(have) != len(df[names].drop_duplicates()):
            return False
    return True


# ---------------------------------------------------------------------------------------------
# Targeted cases


def records(*groups: tuple[dict, list]) -> dict[str, list]:
    """Records from (keys, values) groups: each value is one record with those keys."""
    data: dict[str, list] = {}
    for keys, values in groups:
        for v in values:
            for k, x in {**keys, "v": v}.items():
                data.setdefault(k, []).append(x)
    return data


def ten(start: int = 1) -> list[int]:
    return list(range(start, start + 10))


def fs_rule(fs: dict, rule: str) -> dict:
    return next(c for c in fs["checks"] if c["rule"] == rule)


def require(condition: bool, message: str) -> None:
    if not condition:
        raise Mismatch(message)


def expect_dropna(case: Case, acro: AcroOut, fs: dict) -> None:
    rows = acro_labels(acro.table.index)
    cols = acro_labels(acro.table.columns)
    require(["nan"] in rows and ["nan"] in cols, f"ACRO has no NaN row and column: {rows} {cols}")
    require(["nan"] not in fs["table"]["rowLabels"], "fivesafes shows a NaN row")
    total = len(case.data["v"])
    complete = sum(1 for a, b in zip(case.data["g"], case.data["c"]) if a is not None and b is not None)
    grand_acro = acro.table.iloc[-1, -1]
    grand_fs = fs["table"]["values"][-1][-1]
    require(grand_acro == total, f"ACRO's grand total {grand_acro} is not all {total} records")
    require(grand_fs == complete, f"fivesafes' grand total {grand_fs} is not the {complete} complete records")
    # Without the NaN row and column, the inner cells agree.
    inner = acro.table.drop(index=[x for x in acro.table.index if pd.isna(x)], columns=[x for x in acro.table.columns if pd.isna(x)])
    a = [[float(v) for v in row[:-1]] for row in inner.to_numpy()[:-1]]
    f = [[float(v) for v in row[:-1]] for row in fs["table"]["values"][:-1]]
    require(a == f, f"inner cells differ: ACRO {a}, fivesafes {f}")


def expect_cartesian(case: Case, acro: AcroOut, fs: dict) -> None:
    rows = acro_labels(acro.table.index)
    fs_rows = fs["table"]["rowLabels"]
    extra = [r for r in rows if r not in fs_rows]
    require(extra == [["y", "v"]], f"ACRO's extra rows {extra}, expected the unobserved [y, v]")
    at = rows.index(["y", "v"])
    require(list(acro.table.iloc[at]) == [0, 0], f"ACRO's [y, v] row {list(acro.table.iloc[at])}")
    require([at, 0] in acro.cells["PresenceOfZeroCheck"] and [at, 1] in acro.cells["PresenceOfZeroCheck"], "ACRO does not flag the unobserved row as zeros")
    kept = acro.table.drop(index=[("y", "v")])
    require(acro_labels(kept.index) == fs_rows, "the other rows differ")
    require(acro_values(kept) == fs_values(fs), "the other rows' values differ")


def expect_all_nan_rows(case: Case, acro: AcroOut, fs: dict) -> None:
    rows = acro_labels(acro.table.index)
    require(rows == [["x"], ["y"], ["All"]], f"ACRO rows {rows}")
    require(acro.table.loc["y"].isna().all(), "ACRO's y row is not all NaN")
    require(fs["table"]["rowLabels"] == [["x"], ["All"]], f"fivesafes rows {fs['table']['rowLabels']}")
    require(any("left out" in c for c in fs.get("comments", [])), "fivesafes does not say it left y out")
    require([1, 0] in acro.cells["MinimumThresholdCheck"], "ACRO does not check the y row")
    require(acro_values(acro.table.drop(index=["y"])) == fs_values(fs), "the other rows' values differ")


def expect_pivot_margins(case: Case, acro: AcroOut, fs: dict) -> None:
    require(acro_labels(acro.table.index) == fs["table"]["rowLabels"], "row labels differ")
    require(acro_values(acro.table) == fs_values(fs), "values differ")
    last = len(fs["table"]["rowLabels"]) - 1
    for check, rule in (("MinimumThresholdCheck", "threshold"), ("NKCheck", "nk-rule")):
        theirs, ours = sorted(acro.cells[check]), sorted(fs_rule(fs, rule)["cells"])
        require([last, 0] in ours, f"fivesafes' {rule} does not flag the All row: {ours}")
        require(all(r < last for r, _ in theirs), f"ACRO's {check} checked the All row: {theirs}")
        require(sorted(ours) == sorted(theirs + [[last, 0]]), f"{rule}: ACRO {theirs}, fivesafes {ours}")


def expect_pivot_counts_values(case: Case, acro: AcroOut, fs: dict) -> None:
    require(compare_tables(acro, fs) == [], "the tables differ")
    require(acro.cells["MinimumThresholdCheck"] == [[0, 0]], f"ACRO's threshold cells {acro.cells['MinimumThresholdCheck']}")
    require(fs_rule(fs, "threshold")["cells"] == [], f"fivesafes' threshold cells {fs_rule(fs, 'threshold')['cells']}")
    require(acro.status == "fail" and fs["status"] == "pass", f"status ACRO {acro.status}, fivesafes {fs['status']}")


def expect_dof_cells(case: Case, acro: AcroOut, fs: dict) -> None:
    require(acro.status == fs["status"] == "fail", f"status ACRO {acro.status}, fivesafes {fs['status']}")
    dof = acro.dof.to_numpy()
    nonzero = sorted([int(r), int(c)] for r, c in np.argwhere(dof != 0))
    require(sorted(acro.cells["MinimumDoFCheck"]) == nonzero, f"ACRO's dof cells {acro.cells['MinimumDoFCheck']}")
    require(acro.summary["MinimumDoFCheck"] == int(dof.sum()), "ACRO's dof summary is not the sum of the dofs")
    require(sorted(fs_rule(fs, "dof")["cells"]) == dof_cells(acro, case.risk), "fivesafes' dof cells are not n - 1 < 10")
    require(sorted(fs_rule(fs, "dof")["cells"]) != nonzero, "the case does not show the difference")


def expect_missing_empty(case: Case, acro: AcroOut, fs: dict) -> None:
    require(acro.status == "review" and fs["status"] == "pass", f"status ACRO {acro.status}, fivesafes {fs['status']}")
    require(acro.check_status["MissingCheck"] == "review", "ACRO's missing check does not ask for review")
    require(acro.cells["MissingCheck"] == [[1, 1]], f"ACRO's missing cells {acro.cells['MissingCheck']}")
    require(fs_rule(fs, "missing")["cells"] == [], "fivesafes flags a missing value")
    require(compare_tables(acro, fs) == [], "the tables differ")


def expect_missing_frequency(case: Case, acro: AcroOut, fs: dict) -> None:
    require(acro.error is not None and acro.error.startswith("AttributeError"), f"ACRO did not raise: {acro.error}")
    require("missing" not in [c["rule"] for c in fs["checks"]], "fivesafes ran a missing rule on a frequency table")
    require(fs["status"] == "pass", f"fivesafes status {fs['status']}")


def expect_negative_cells(case: Case, acro: AcroOut, fs: dict) -> None:
    # The generic comparison maps the representations; check both sides' own words too.
    diffs = compare(acro, fs, case.risk)
    require(diffs == [], "; ".join(diffs))
    require(acro.status == fs["status"] == "fail", "a failing threshold does not fail the table")
    require(acro.cells["NKCheck"] == [[0, 0]] and fs_rule(fs, "nk-rule")["cells"] == [], "the nk cells are not as documented")
    require(fs_rule(fs, "negative")["cells"] == [[0, 0]], "fivesafes' negative cells")
    require("negative" not in acro.check_status, "ACRO has a negative check now")


def targeted_cases() -> list[Case]:
    mean = lambda **kw: {"method": "crosstab", "index": "g", "columns": "c", "values": "v", "aggfunc": "mean", **kw}  # noqa: E731
    a, b = {"g": "a", "c": "k"}, {"g": "b", "c": "k"}
    return [
        # Where 0.4.11 differed (rules.rs), 1.0.2 agrees:
        Case("nk-share-exactly-k", "agree", records((a, [50, 40] + [1.25] * 8), (b, ten())), mean()),
        Case("nk-share-just-below-k", "agree", records((a, [50, 39] + [1.375] * 8), (b, ten())), mean()),
        Case("threshold-counts-missing-values", "agree", records((a, [1, 2, 3, 4, 5, 6, 7, 8, 9, None]), (b, ten() + [None])), mean(margins=True)),
        Case("threshold-9-10-11", "agree", records((a, ten()[:9]), (b, ten()), ({"g": "c", "c": "k"}, ten() + [11])), {"method": "crosstab", "index": "g", "columns": "c"}),
        Case("p-ratio-single-value-and-zeros", "agree", records((a, [0] * 10), (b, [7])), {**mean(), "aggfunc": "sum"}, {"safe_threshold": 1}),
        Case("p-ratio-exactly-p", "agree", records((a, [100, 50, 10]), (b, [1000, 500, 99])), {**mean(), "aggfunc": "sum"}, {"safe_threshold": 1}),
        Case("empty-cell-nk-p-ratio", "agree", records(({"g": "a", "c": "p"}, ten()), ({"g": "a", "c": "q"}, ten()), ({"g": "b", "c": "p"}, ten())), mean(), {"safe_threshold": 0}),
        Case("negative-with-failing-threshold", "diverge:negative-cells", records((a, [-5, 1, 2]), (b, ten())), mean(), expect=expect_negative_cells),
        Case("numeric-keys-sort-by-value", "agree", records(({"g": 10, "c": 2}, ten()), ({"g": 9, "c": 2}, ten()), ({"g": 9, "c": 10}, ten(3))), {"method": "crosstab", "index": "g", "columns": "c", "margins": True}),
        Case("all-missing-values-sum-is-zero", "agree", records((a, [None] * 10), (b, ten())), {**mean(margins=True), "aggfunc": "sum"}),
        # ACRO 1.0.2 differs:
        Case(
            "missing-key-values", "diverge:dropna",
            {"g": ["x", "x", "y", "y", "x", None, "y", "x"], "c": ["p", "q", "p", "p", "q", "p", None, "p"], "v": [1, 2, 3, 4, 5, 6, 7, 8]},
            {"method": "crosstab", "index": "g", "columns": "c", "margins": True}, expect=expect_dropna,
        ),
        Case(
            "unobserved-combination", "diverge:cartesian",
            {"g": ["x"] * 12 + ["y"] * 12, "h": ["u"] * 6 + ["v"] * 6 + ["u"] * 12, "c": ["p", "q"] * 12, "v": list(range(24))},
            {"method": "crosstab", "index": ["g", "h"], "columns": "c"}, expect=expect_cartesian,
        ),
        Case(
            "row-of-missing-values", "diverge:all-nan-rows",
            records(({"g": "x", "c": "p"}, ten()), ({"g": "x", "c": "q"}, ten()), ({"g": "y", "c": "p"}, [None]), ({"g": "y", "c": "q"}, [None])),
            mean(margins=True), expect=expect_all_nan_rows,
        ),
        Case(
            "pivot-table-margins", "diverge:pivot-margins",
            records(({"g": "x"}, [5] * 10), ({"g": "y"}, [1000, 10, 1, 1, 1, 1, 1, 1, 1, 1])),
            {"method": "pivot_table", "index": "g", "values": "v", "aggfunc": "sum", "margins": True}, {"safe_threshold": 21},
            expect=expect_pivot_margins,
        ),
        Case(
            "pivot-table-counts-values", "diverge:pivot-counts-values",
            records(({"g": "x"}, ten()[:9] + [None]), ({"g": "y"}, ten())),
            {"method": "pivot_table", "index": "g", "values": "v", "aggfunc": "mean"}, expect=expect_pivot_counts_values,
        ),
        Case(
            "std-dof-cells", "diverge:dof-cells",
            records(({"g": "x", "c": "p"}, list(range(11))), ({"g": "y", "c": "p"}, list(range(10))), ({"g": "z", "c": "p"}, [1, 5])),
            {**mean(margins=True), "aggfunc": "std"}, expect=expect_dof_cells,
        ),
        Case(
            "missing-check-empty-cell", "diverge:missing-empty",
            records(({"g": "a", "c": "p"}, ten()), ({"g": "a", "c": "q"}, ten()), ({"g": "b", "c": "p"}, ten())),
            mean(), {"check_missing_values": True, "safe_threshold": 0}, expect=expect_missing_empty,
        ),
        Case(
            "missing-check-frequency-table", "diverge:missing-frequency",
            records((a, ten()), (b, ten())), {"method": "crosstab", "index": "g", "columns": "c"},
            {"check_missing_values": True}, expect=expect_missing_frequency,
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Regressions (dof check) and histograms (threshold check), against acro.ols / logit / probit /
# hist: status, residual degrees of freedom and coefficients; histogram status and bin counts.


def model_cases(rng: random.Random) -> list[Case]:
    cases = []
    for method in ("ols", "logit", "probit"):
        for exog in (["x1"], ["x1", "x2"]):
            for dof in (9, 10, 11, 40):
                n = dof + len(exog) + 1
                x1 = [rng.randint(0, 50) for _ in range(n)]
                x2 = [rng.randint(0, 9) for _ in range(n)]
                if method == "ols":
                    y = [round(2 * a - b + rng.gauss(0, 5), 3) for a, b in zip(x1, x2)]
                else:  # overlapping classes: no perfect separation
                    y = [int(a + rng.gauss(0, 20) > 25) for a in x1]
                    y[0], y[1] = 0, 1
                data = {"y": y, "x1": x1, "x2": x2}
                spec = {"method": method, "endog": "y", "exog": exog, "add_constant": True}
                cases.append(Case(f"{method}-{len(exog)}x-dof{dof}", "agree", data, spec))
    for i, (size, bins) in enumerate(((200, 10), (60, 10), (95, 5), (30, 3))):
        data = {"v": [rng.randint(0, 100) for _ in range(size)]}
        cases.append(Case(f"hist-{i}-{size}-records-{bins}-bins", "agree", data, {"method": "hist", "column": "v", "bins": bins}))
    return cases


def run_model(runner: AcroRunner, csv_path: pathlib.Path, case: Case) -> tuple[Any, Any]:
    import statsmodels.api as sm

    acro = runner.acro
    for key, value in DEFAULTS.items():
        acro.config[key] = value
    df = pd.read_csv(csv_path)
    spec = case.spec
    cwd = os.getcwd()
    os.chdir(csv_path.parent)  # acro.hist writes its plot under the working directory
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            if spec["method"] == "hist":
                acro.hist(df, spec["column"], bins=spec["bins"])
                fit = np.histogram(df[spec["column"]].dropna(), spec["bins"])[0]
            else:
                fit = getattr(acro, spec["method"])(df[spec["endog"]], sm.add_constant(df[spec["exog"]]))
    finally:
        os.chdir(cwd)
    return list(acro.results.results.values())[-1], fit


def compare_model(case: Case, record: Any, fit: Any, fs: dict) -> list[str]:
    diffs = []
    if record.status != fs["status"]:
        diffs.append(f"status: ACRO {record.status}, fivesafes {fs['status']}")
    if case.spec["method"] == "hist":
        counts = [int(row[0]) for row in fs["table"]["values"]]
        if counts != [int(c) for c in fit]:
            diffs.append(f"bin counts: numpy {list(fit)}, fivesafes {counts}")
        flagged = record.sdc["summary"].get("MinimumThresholdCheck", 0)
        if flagged != len(fs_rule(fs, "threshold")["cells"]):
            diffs.append(f"threshold cells: ACRO {flagged}, fivesafes {fs_rule(fs, 'threshold')['cells']}")
        return diffs
    if int(fit.df_resid) != fs["model"]["dfResid"]:
        diffs.append(f"df_resid: statsmodels {fit.df_resid}, fivesafes {fs['model']['dfResid']}")
    dof_status = record.fair["check_status"].get("MinimumDoFCheck")
    if dof_status != fs_rule(fs, "dof")["status"]:
        diffs.append(f"dof status: ACRO {dof_status}, fivesafes {fs_rule(fs, 'dof')['status']}")
    tolerance = 1e-9 if case.spec["method"] == "ols" else 1e-6  # logit / probit are iterative fits
    coef = [row[0] for row in fs["table"]["values"]]
    if len(coef) != len(fit.params) or not all(math.isclose(a, b, rel_tol=tolerance, abs_tol=1e-9) for a, b in zip(fit.params, coef)):
        diffs.append(f"coefficients: statsmodels {list(fit.params)}, fivesafes {coef}")
    return diffs


# ---------------------------------------------------------------------------------------------


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.split("\n\n")[0])
        print("usage: acro_differential.py PATH/TO/fivesafes")
        return 2
    binary = str(pathlib.Path(sys.argv[1]).resolve())
    version = INSTALLED_ACRO
    if version != ACRO_VERSION:
        print(f"ACRO {version} installed; this differential is written against ACRO {ACRO_VERSION}")
        return 2
    rng = random.Random(20260601)
    cases = targeted_cases() + [random_case(rng, i) for i in range(RANDOM_CASES)] + model_cases(rng)
    runner = AcroRunner()
    started = time.monotonic()
    failures = 0
    kinds: dict[str, int] = {}
    print(f"{'case':38} {'kind':28} {'ACRO':7} {'fivesafes':9} result")
    with tempfile.TemporaryDirectory(prefix="acro-diff-") as tmp:
        workdir = pathlib.Path(tmp)
        for case in cases:
            csv_path = workdir / f"{case.name}.csv"
            write_csv(csv_path, case.data)
            try:
                if case.spec["method"] in MODEL_METHODS:
                    record, fit = run_model(runner, csv_path, case)
                    fs = run_fivesafes(binary, csv_path, case, workdir)
                    diffs = compare_model(case, record, fit, fs)
                    if diffs:
                        raise Mismatch("; ".join(diffs))
                    acro = AcroOut(record.status, None, {}, {}, {}, None)
                elif case.expect is None:
                    acro = runner.run(csv_path, case)
                    fs = run_fivesafes(binary, csv_path, case, workdir)
                    diffs = compare(acro, fs, case.risk)
                    if diffs:
                        raise Mismatch("; ".join(diffs))
                else:
                    acro = runner.run(csv_path, case)
                    fs = run_fivesafes(binary, csv_path, case, workdir)
                    case.expect(case, acro, fs)
                result = "ok" if case.kind == "agree" else "ok (documented difference)"
                acro_status, fs_status = acro.status or "raised", fs["status"]
            except Mismatch as e:
                failures += 1
                result = f"MISMATCH: {e}"
                acro_status = fs_status = "?"
            kinds[case.kind] = kinds.get(case.kind, 0) + 1
            print(f"{case.name:38} {case.kind:28} {acro_status:7} {fs_status:9} {result}")
            if result.startswith("MISMATCH"):
                print(f"    spec {json.dumps(case.spec)} risk {json.dumps(case.risk)}")
                print(f"    data {json.dumps(case.data)}"[:2000])
    elapsed = time.monotonic() - started
    print(f"\n{len(cases)} cases in {elapsed:.1f} s: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
    if failures:
        print(f"{failures} cases differ from ACRO {ACRO_VERSION} unexpectedly")
        return 1
    print(f"fivesafes agrees with ACRO {ACRO_VERSION} outside its documented divergences, and each divergence is as documented")
    return 0


if __name__ == "__main__":
    sys.exit(main())
