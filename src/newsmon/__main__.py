"""`python -m newsmon`: the same command line as the `newsmon` script."""

from newsmon.cli import app

app()
