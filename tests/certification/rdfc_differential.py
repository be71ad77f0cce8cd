"""Differential test of the evidence graph hash: for every example self-description, the hash
`fivesafes assess` reports (RDFC-1.0 canonical N-Quads, SHA-256) must equal the one computed by
independent implementations, rdflib (parsing) and pyld (URDNA2015, which RDFC-1.0 standardised).

Run: python3 tests/certification/rdfc_differential.py target/debug/fivesafes
(needs: pip install rdflib pyld)
"""

import hashlib
import json
import pathlib
import subprocess
import sys

import rdflib
from pyld import jsonld

ROOT = pathlib.Path(__file__).resolve().parents[2]
FORMATS = {".ttl": "turtle", ".jsonld": "json-ld"}


def independent_hash(path: pathlib.Path) -> str:
    graph = rdflib.Graph()
    graph.parse(path, format=FORMATS[path.suffix])
    canonical = jsonld.normalize(
        graph.serialize(format="nt"),
        {"algorithm": "URDNA2015", "inputFormat": "application/n-quads", "format": "application/n-quads"},
    )
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def reported_hash(binary: str, path: pathlib.Path) -> str:
    run = subprocess.run(
        [binary, "assess", str(path), "--date", "2026-11-22", "--format", "json"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    if run.returncode not in (0, 10, 11):
        sys.exit(f"{path}: fivesafes assess exited {run.returncode}: {run.stderr}")
    return json.loads(run.stdout)["evidenceHash"]


def main() -> None:
    binary = str(pathlib.Path(sys.argv[1]).resolve())
    files = sorted(p for p in (ROOT / "examples/federation/descriptions").iterdir() if p.suffix in FORMATS)
    files += sorted((ROOT / "tests/certification/descriptions").glob("[cp]*.ttl"))
    failures = 0
    for path in files:
        ours, theirs = reported_hash(binary, path), independent_hash(path)
        status = "ok" if ours == theirs else "DIFFERENT"
        failures += ours != theirs
        print(f"{status:9} {path.relative_to(ROOT)} {ours}" + ("" if ours == theirs else f" (pyld: {theirs})"))
    if failures:
        sys.exit(f"{failures} evidence hashes differ from pyld's URDNA2015")
    print(f"all {len(files)} evidence hashes agree with rdflib + pyld")


if __name__ == "__main__":
    main()
