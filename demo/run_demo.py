"""`make demo`: one monitoring pass, fully offline, against the sample site in demo/site.

Serves the site on loopback, runs the real `monitor` flow on a fresh SQLite corpus and shows
the alerts it would send (printed, unless SLACK_BOT_TOKEN or SLACK_WEBHOOK_URL is set), then a
second pass to show that nothing is announced twice.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsmon.cli import app  # noqa: E402
from newsmon.devsite import serve  # noqa: E402


def main() -> int:
    with (
        tempfile.TemporaryDirectory(prefix="newsmon-demo-") as tmp,
        serve(ROOT / "demo" / "site") as site,
    ):
        os.environ["DEMO_BASE"] = site.base
        os.environ["NEWSMON_DEMO_DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'demo.db'}"
        config = str(ROOT / "config" / "demo.yaml")
        print(f"demo: sample site on {site.base}, corpus in {tmp}\n")
        for label in ("first pass", "second pass (nothing new to announce)"):
            print(f"=== {label} ===", flush=True)
            try:
                app(["run", "--config", config], standalone_mode=False)
            except SystemExit as exc:
                if exc.code:
                    return int(exc.code)
        print("\n=== stored articles ===", flush=True)
        app(["articles", "--config", config], standalone_mode=False)
        print("\n=== feed health ===", flush=True)
        app(["feeds", "--config", config], standalone_mode=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
