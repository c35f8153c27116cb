"""`load_yaml` parses with libyaml when PyYAML has it (the topic rules are read every pass) and
must read every file exactly as the pure-Python parser does: the same values, the same lines,
the same error for a file either refuses (nesting past libyaml's depth limit: see
test_config_safety.py, whose deep file now takes that path)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import newsmon.yamlfile as yamlfile
from newsmon.yamlfile import ConfigError, load_yaml

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(
    p
    for folder in ("config", "demo", "deployments", "tests/data")
    for p in (ROOT / folder).rglob("*")
    if p.suffix in (".yaml", ".yml")
)

EDGE_CASES = {
    "aliases": "a: &x {b: [1, 2, &y three]}\nc: *x\nd: [*y, *y]\n",
    "recursive_alias": "a: &x [1, *x]\n",
    "tab_indent": "a:\n\tb: 1\n",
    "bad_indent": "a:\n  b: 1\n c: 2\n",
    "duplicate_anchor": "a: &x 1\nb: &x 2\nc: *x\n",
    "unknown_alias": "a: *nowhere\n",
    "duplicate_key": "a: 1\na: 2\n",
    "tag": "a: !!python/object:os.system echo\n",
    "custom_tag": "a: !mine 3\n",
    "control_char": "a: b\x07c\n",
    "line_separators": "a: 'x\u2028y'\nb: \"p\u0085q\"\nc: 3\n",
    "scalars": "a: 0x1f\nb: 1_000\nc: .inf\nd: ~\ne: 2024-01-02\nf: yes\ng: '07'\nh: 1e3\n",
    "block_scalars": "a: |\n  one\n  two\nb: >-\n  folded\n  text\n",
    "korean_and_bom": "\ufeff제목: 인공지능 정책\nb: [오픈소스, '안전']\n",
    "two_documents": "a: 1\n---\nb: 2\n",
    "env_default": "a: ${NEWSMON_TEST_UNSET_FOR_PARSERS:-fallback}\n",
    "empty": "",
    "comment_only": "# nothing\n",
    "unclosed_quote": "a: 'open\n",
    "mapping_key_list": "? [1, 2]\n: x\n",
}


def _read(path: Path, fast: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Any]:
    """What `load_yaml` makes of the file with libyaml or without: data and lines, or the error."""
    with monkeypatch.context() as patch:
        if not fast:
            patch.setattr(yamlfile, "_FAST_LOADER", None)
        try:
            doc = load_yaml(path)
        except ConfigError as exc:
            return "error", str(exc)
    return "ok", (doc.data, doc._lines)


def test_pyyaml_here_has_libyaml() -> None:
    """The fast path is taken where PyYAML was built with libyaml (the wheels are)."""
    assert yamlfile._FAST_LOADER is (yaml.CSafeLoader if yaml.__with_libyaml__ else None)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_of_the_repository_reads_the_same(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _read(path, True, monkeypatch) == _read(path, False, monkeypatch)


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_odd_yaml_reads_the_same_or_fails_the_same(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(EDGE_CASES[name], encoding="utf-8")
    assert _read(path, True, monkeypatch) == _read(path, False, monkeypatch)
