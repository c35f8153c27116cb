"""`make bench`: run every bench/bench_*.py in turn and print what each reports.

Benchmarks are for speed and memory targets; unit tests stay free of timing. Pass a name
filter to run a subset: `python bench/run.py fetch`.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    wanted = sys.argv[1:]
    scripts = sorted(
        p for p in here.glob("bench_*.py") if not wanted or any(w in p.stem for w in wanted)
    )
    failures = 0
    for script in scripts:
        print(f"=== {script.stem} ===", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, str(script)], cwd=here.parent)
        print(f"({script.stem}: exit {code}, {time.monotonic() - started:.0f} s)\n", flush=True)
        failures += code != 0
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
