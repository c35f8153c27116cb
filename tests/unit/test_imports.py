"""Every module of newsmon imports on its own, whichever is imported first.

A cycle between modules (newsmon.alerts → the corpus → the outbox → newsmon.alerts) fails only
when the cycle's wrong end is imported first: the suite's own order hid one, and `import
newsmon.alerts` in a fresh interpreter raised ImportError.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import pytest

import newsmon


def _modules() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.walk_packages(newsmon.__path__, prefix="newsmon.")
        # migrations run inside alembic, which loads them by path
        if not info.name.endswith("__main__") and not info.name.startswith("newsmon.migrations")
    )


@pytest.mark.parametrize("name", _modules())
def test_each_module_imports_first(name: str) -> None:
    saved = {k: v for k, v in sys.modules.items() if k == "newsmon" or k.startswith("newsmon.")}
    for key in saved:
        del sys.modules[key]
    try:
        importlib.import_module(name)
    finally:
        for key in [k for k in sys.modules if k == "newsmon" or k.startswith("newsmon.")]:
            del sys.modules[key]
        sys.modules.update(saved)
