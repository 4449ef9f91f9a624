"""Run the benchmarks side by side with their references and write the results.

    python -m benchmarks                      # everything
    python -m benchmarks --only overhead xla_policy --quick
    python -m benchmarks --only xla_policy --families autoencoder gan   # rerun those rows

Prints one line per benchmark ending in its ratio (zoo / reference, higher is better), and writes
benchmarks/results/<machine>.json (a list of records: name, unit, zoo, reference, ratio,
machine, note, extra, versions) and <machine>.md (the README's table).
"""

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks.harness import machine_name, versions  # noqa: E402
from benchmarks.suite import FAMILY_CASES, SUITE  # noqa: E402

RESULTS = Path(__file__).parent / "results"


def markdown(records, meta) -> str:
    lines = [f"Machine `{meta['machine']}`; " + ", ".join(f"{k} {v}" for k, v in
                                                         meta["versions"].items()), "",
             "| benchmark | unit | zoo | reference | ratio | note |", "|---|---|---|---|---|---|"]
    for r in records:
        ref = "-" if r["reference"] is None else f"{r['reference']:.4g}"
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
        lines.append(f"| {r['name']} | {r['unit']} | {r['zoo']:.4g} | {ref} | {ratio} | "
                     f"{r['note']} |")
    return "\n".join(lines) + "\n"


def merged(previous, records):
    """`previous` (the records already in the results file) with `records` put in place of
    those of the same name, new names appended: a partial run (`--only`, `--families`)
    updates the file instead of dropping what it did not rerun."""
    fresh = {r["name"]: r for r in records}
    kept = [fresh.pop(r["name"], r) for r in previous]
    return kept + [r for r in records if r["name"] in fresh]


def _previous(path: Path) -> list:
    if not path.exists():
        return []
    found = json.loads(path.read_text())
    if not isinstance(found, list):  # the older {"meta", "records"} layout
        found = found.get("records", [])
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(SUITE), help="run only these")
    parser.add_argument("--families", nargs="+", choices=sorted(FAMILY_CASES),
                        help="overhead and xla_policy: only these families")
    parser.add_argument("--quick", action="store_true", help="fewer steps and repeats (smoke)")
    parser.add_argument("--out", default=None,
                        help=f"results folder (default {RESULTS}; a --quick run writes only "
                             "where --out says, so smoke figures never replace measured ones)")
    args = parser.parse_args(argv)

    from zoo.export.saving import write_text

    records = []
    for name in args.only or list(SUITE):
        kwargs = {"repeats": 2} if args.quick else {}
        if args.quick and name != "startup":
            kwargs["steps"] = 5
        if args.families and name in ("overhead", "xla_policy"):
            kwargs["families"] = args.families
        for record in SUITE[name](**kwargs):
            records.append(dataclasses.asdict(record))
            ratio = "" if record.ratio is None else f"  ratio {record.ratio:.2f}"
            ref = "" if record.reference is None else f" vs {record.reference:.4g}"
            print(f"{record.name:<28} {record.zoo:10.4g}{ref} {record.unit}{ratio}", flush=True)
    if args.quick and args.out is None:
        print("quick run: results not written (pass --out to keep them)")
        return 0
    meta = {"machine": machine_name(), "versions": versions()}
    for record in records:  # each record says what it ran on: the file is a plain list
        record["versions"] = meta["versions"]
    out = Path(args.out or RESULTS)
    path = out / f"{meta['machine']}.json"
    records = merged(_previous(path), records)
    write_text(path, json.dumps(records, indent=2) + "\n")
    write_text(out / f"{meta['machine']}.md", markdown(records, meta))
    print(f"wrote {out / meta['machine']}.json and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
