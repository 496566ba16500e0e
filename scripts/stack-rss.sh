#!/usr/bin/env bash
# Prints the resident memory (VmRSS) of every process the running local stack recorded in its state file.
#   scripts/stack-rss.sh [DATA_DIR]     (default: $MERIDIAN_HOME or .meridian)
set -euo pipefail
cd "$(dirname "$0")/.."
state="${1:-${MERIDIAN_HOME:-.meridian}}/stack.json"
[[ -f "$state" ]] || { echo "no $state: is the stack running (./stack)?" >&2; exit 1; }
python3 - "$state" <<'PY'
import json, sys
for c in json.load(open(sys.argv[1]))["components"]:
    try:
        rss = next(l for l in open(f"/proc/{c['pid']}/status") if l.startswith("VmRSS")).split()[1]
        print(f"{c['name']:28s} {c['kind']:12s} pid {c['pid']:>7} RSS {int(rss) / 1024:7.1f} MiB")
    except (OSError, StopIteration, TypeError):
        print(f"{c['name']:28s} {c['kind']:12s} not running")
PY
