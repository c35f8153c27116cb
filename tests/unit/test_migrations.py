"""Migrations carry frozen copies of what they compute; today those copies equal the live code."""

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

import newsmon.migrations
from newsmon.dedup import MINHASH_SCHEME, minhash_signature
from tests.support.dedup_set import pieces

VERSIONS = Path(newsmon.migrations.__file__).parent / "versions"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, VERSIONS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_0002_signs_bodies_exactly_as_the_live_dedup_does() -> None:
    frozen = load("0002_near_duplicates")
    if frozen.MINHASH_SCHEME != MINHASH_SCHEME:
        pytest.skip("the live scheme has moved on; 0002 keeps signing as it did")
    bodies = ["\n".join(p.paragraphs) for p in pieces()]
    bodies += [b[:260] for b in bodies] + ["ＡＩ 오픈소스! " * 30, "too short", ""]
    signed = 0
    for body in bodies:
        live = minhash_signature(body)
        values = frozen.signature(body)
        assert (live is None) == (values is None), body[:40]
        if live is not None:
            assert values == live.values
            assert frozen.band_keys(values) == live.band_keys()
            signed += 1
    assert signed >= len(pieces())
