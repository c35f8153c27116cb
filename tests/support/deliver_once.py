"""`python -m tests.support.deliver_once CONFIG`: one delivery through the pipeline, in a
process of its own, so a test can kill it at a chosen moment (Slack's credentials and URL
come from the environment, as in production)."""

from __future__ import annotations

import sys

from newsmon.config import load_config
from newsmon.pipeline import Context, deliver


def main() -> int:
    ctx = Context.open(load_config(sys.argv[1]))
    try:
        outcome = deliver(ctx)
    finally:
        ctx.close()
    print(f"sent {outcome.sent}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
