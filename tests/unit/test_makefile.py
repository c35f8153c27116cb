"""The Makefile against what it tells an operator: `make help` (the default target, what a
newcomer types first) names every target they can run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def _help_text() -> str:
    recipe = re.search(r"^help:\n((?:\t.*\n)+)", MAKEFILE, re.M)
    assert recipe, "the Makefile has a help target"
    return recipe.group(1)


def test_help_is_the_default_target() -> None:
    first = re.search(r"^([a-z][a-z-]*):", MAKEFILE, re.M)
    assert first and first.group(1) == "help"


def test_help_names_every_target() -> None:
    phony = re.search(r"^\.PHONY:(.*)$", MAKEFILE, re.M)
    assert phony
    targets = set(phony.group(1).split()) - {"help"}
    named = set(re.findall(r"make ([a-z][a-z-]*)", _help_text()))
    assert sorted(targets - named) == []
    assert sorted(named - targets) == []


def test_run_shows_prefect_warnings_only_unless_the_operator_asks_for_more() -> None:
    """Prefect's INFO lines (temporary server, every task finished, the pass's summary once
    more) buried the summary `make run` exists to show."""
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", MAKEFILE, re.M)
    assert recipe
    assert "PREFECT_LOGGING_LEVEL=$${PREFECT_LOGGING_LEVEL:-WARNING}" in recipe.group(1)
