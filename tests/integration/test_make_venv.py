"""`make run` on a fresh Debian or Ubuntu whose python3.11 lacks the venv package: `python3.11
-m venv .venv` makes .venv/bin/python, then fails for want of ensurepip. Make took that
half-made environment as done, so after `apt install python3.11-venv` the next `make run`
failed with "No module named pip" until the operator guessed `make clean`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

NO_ENSUREPIP = """#!/bin/sh
# python3.11 on Debian without python3.11-venv: the environment is made, then ensurepip fails
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  "{python}" -m venv --without-pip "$3"
  echo "The virtual environment was not created successfully because ensurepip is not" >&2
  echo "available. On Debian/Ubuntu systems, you need to install the python3-venv package" >&2
  exit 1
fi
exec "{python}" "$@"
"""


def test_a_venv_that_failed_half_way_is_made_again_by_the_next_make(tmp_path: Path) -> None:
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    python = tmp_path / "python3.11"
    python.write_text(NO_ENSUREPIP.format(python=sys.executable))
    python.chmod(0o755)
    done = subprocess.run(
        ["make", "-C", str(tmp_path), "install", f"PYTHON={python}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "ensurepip" in done.stderr
    assert not (tmp_path / ".venv" / "bin" / "python").exists()
    dry = subprocess.run(
        ["make", "-C", str(tmp_path), "-n", "install", f"PYTHON={python}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert f"{python} -m venv" in dry.stdout, dry.stdout  # the next make starts over
