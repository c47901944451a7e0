#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Compare two darkscope reports (report.json) field by field, ignoring what
# legitimately differs between a merge of periods and one long period: the
# window and capture blocks, first/last-seen times, top-k eviction counts
# and the order of equal-count backscatter victims (ties in a bounded table).
# Usage: archive_compare.py A.json B.json ; exit 0 when equal.
import json, sys

IGNORE = {"window", "capture", "generator", "source", "first_seen", "last_seen",
          "top_sources_evictions", "top_victims", "appliance", "series"}

def walk(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k in IGNORE:
                continue
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only in {'B' if k not in a else 'A'}")
                continue
            walk(a[k], b[k], f"{path}.{k}", out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} vs {len(b)} entries")
        for i, (x, y) in enumerate(zip(a, b)):
            walk(x, y, f"{path}[{i}]", out)
    elif isinstance(a, float) or isinstance(b, float):
        if abs(float(a) - float(b)) > 1e-9 * max(1.0, abs(float(a))):
            out.append(f"{path}: {a} vs {b}")
    elif a != b:
        out.append(f"{path}: {a!r} vs {b!r}")

a = json.load(open(sys.argv[1]))
b = json.load(open(sys.argv[2]))
diffs = []
walk(a, b, "", diffs)
for d in diffs[:40]:
    print("differs:", d)
print(f"{len(diffs)} difference(s)")
sys.exit(1 if diffs else 0)
