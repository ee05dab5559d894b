"""Loads every CSV given on the command line with pandas and polars at default settings, as a
data person would, and checks what they get: the header's columns (no comment line swallowed
into a single column, no unnamed columns), every row, and numbers where the columns hold numbers.
Run by tests/it/dataframes.rs."""

import sys

import pandas as pd
import polars as pl

TEXT_COLUMNS = {"service", "kind", "task", "instance", "message", "task_definition", "target_group",
                "variant", "metric", "fail_open"}

failures = []
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split(",")
        lines = sum(1 for _ in f)
    try:
        p = pd.read_csv(path)
        q = pl.read_csv(path)
    except Exception as e:  # a file either library refuses is a failure, whatever the reason
        failures.append(f"{path}: does not load: {e}")
        continue
    for name, frame_cols, rows in (("pandas", list(p.columns), len(p)), ("polars", q.columns, q.height)):
        if frame_cols != header:
            failures.append(f"{path}: {name} columns {frame_cols[:5]}... are not the header {header[:5]}...")
        if rows != lines:
            failures.append(f"{path}: {name} read {rows} rows of {lines}")
    for col in ("time_s", "seed", "run", "desired", "healthy", "mean"):
        if col in p.columns and len(p) and not pd.api.types.is_numeric_dtype(p[col]):
            failures.append(f"{path}: pandas reads {col} as {p[col].dtype}, not numbers")
        if col in q.columns and q.height and not q[col].dtype.is_numeric():
            failures.append(f"{path}: polars reads {col} as {q[col].dtype}, not numbers")

print("\n".join(failures) if failures else f"{len(sys.argv) - 1} CSV files load in pandas and polars")
sys.exit(1 if failures else 0)
