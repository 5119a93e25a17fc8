#!/usr/bin/python3
"""The final metrics of every run of a results.csv, one line per run ordered by run id, without
the wall-clock columns (*_seconds): what the Slurm and multinode tests compare between a run
that was interrupted, moved or spread over nodes and the same grid trained undisturbed. A real
CSV reader: text columns such as built_with hold commas.

    final_metrics.py OUT/results.csv
"""
import csv
import sys

rows = list(csv.DictReader(open(sys.argv[1], newline="")))
for row in sorted(rows, key=lambda r: r["run_id"]):
    keep = [k for k in row if k.startswith("final/") and not k.endswith("_seconds")]
    print(row["run_id"], *(f"{k}={row[k]}" for k in sorted(keep)))
