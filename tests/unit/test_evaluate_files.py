"""The files `newsmon eval` reads: labelled items (JSON lines) and per-topic floors (YAML).

A bad file is refused naming file, line, key and reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsmon.evaluate import load_floors, load_labels
from newsmon.yamlfile import ConfigError


def test_floors_load_as_given(tmp_path: Path) -> None:
    path = tmp_path / "floors.yaml"
    path.write_text("policy: {precision: 0.9}\nai-safety: {precision: 1, recall: 0.5}\n")
    assert load_floors(path) == {
        "policy": {"precision": 0.9},
        "ai-safety": {"precision": 1.0, "recall": 0.5},
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[]\n", ": (top level): must map each topic to {precision: x, recall: y}"),
        ("policy: 0.9\n", ":1: policy: must be {precision: x, recall: y}"),
        ("policy: {precison: 0.9}\n", ":1: policy.precison: unknown key; use precision or recall"),
        ("a: {recall: 1}\nb:\n  recall: 1.5\n", ":3: b.recall: must be a number from 0 to 1"),
        ("policy: {recall: yes}\n", ":1: policy.recall: must be a number from 0 to 1"),
    ],
)
def test_bad_floors_name_line_key_and_reason(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "floors.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_floors(path)
    assert str(err.value) == f"{path}{expected}"


def test_labels_keep_their_fields_and_default_the_id_to_the_line(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(
        '# a comment\n{"id": 7, "title": "T", "text": "B", "topics": ["policy"], "lang": "en"}\n'
        '\n{"title": "U", "topics": [], "source": "kept by the labeller, ignored"}\n',
        encoding="utf-8",
    )
    first, second = load_labels(path)
    assert (first.id, first.title, first.text, first.topics, first.lang) == (
        "7",
        "T",
        "B",
        frozenset({"policy"}),
        "en",
    )
    assert first.source == f"{path}:2"
    assert (second.id, second.text, second.topics, second.lang) == (
        f"{path}:4",
        "",
        frozenset(),
        None,
    )


def test_labels_without_a_language_are_counted_by_their_script(tmp_path: Path) -> None:
    """Figures per language need no tags: Hangul is Korean, Latin English, a tag wins."""
    path = tmp_path / "set.jsonl"
    rows = [
        {"title": "딥시크, 추론 모델 가중치 공개", "text": "오픈소스로 공개했다.", "topics": []},
        {"title": "Lab releases weights", "text": "The model is on Hugging Face.", "topics": []},
        {
            "title": "Ein Modell",
            "text": "Die Gewichte sind offen verfügbar.",
            "topics": [],
            "lang": "de",
        },
        {"title": "GPT-5", "topics": []},
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    assert [item.lang for item in load_labels(path)] == ["ko", "en", "de", None]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("[1]", "each line must be a JSON object"),
        ('{"id": "a"}', "topics: must be a list of topic keys ([] for none)"),
        ('{"topics": "policy"}', "topics: must be a list of topic keys ([] for none)"),
        ('{"topics": [1]}', "topics.0: a topic key must be a string"),
        ('{"topics": [', "invalid JSON: "),
    ],
)
def test_bad_label_lines_name_file_line_and_reason(
    tmp_path: Path, line: str, expected: str
) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text('{"id": "ok", "title": "t", "topics": []}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_labels(path)
    assert str(err.value).startswith(f"{path}:2: {expected}")


def test_duplicate_label_ids_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(
        '{"id": "a", "title": "t", "topics": []}\n{"id": "a", "title": "u", "topics": []}\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_labels(path)
    assert str(err.value) == f"{path}:2: duplicate id 'a'"


def test_labels_saved_by_other_tools_load_whole(tmp_path: Path) -> None:
    """A byte-order mark, CRLF line ends, and U+2028 / NEL inside a text (which json.dumps with
    ensure_ascii=False leaves raw) are one labelled line each, not a refused or split one."""
    rows = [
        {"id": "a", "title": "Line\u2028separator", "text": "x\x85y", "topics": []},
        {"id": "b", "title": "Second", "text": "z", "topics": ["policy"]},
    ]
    text = "\r\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\r\n"
    path = tmp_path / "set.jsonl"
    path.write_bytes(text.encode("utf-8-sig"))
    first, second = load_labels(path)
    assert (first.id, first.title, first.text) == ("a", "Line\u2028separator", "x\x85y")
    assert (second.id, second.topics, second.source) == ("b", frozenset({"policy"}), f"{path}:2")


def test_labels_not_in_utf8_are_refused_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_bytes(
        b'{"id": "a", "title": "t", "topics": []}\n{"id": "b", "title": "caf\xe9", "topics": []}\n'
    )
    with pytest.raises(ConfigError) as err:
        load_labels(path)
    assert str(err.value) == f"{path}:2: not UTF-8 text (byte 0xe9 at column 26)"


def test_labels_with_nothing_to_classify_are_refused(tmp_path: Path) -> None:
    """An item with no title and no text would count as a miss or a right answer by chance."""
    path = tmp_path / "set.jsonl"
    path.write_text('{"id": "a", "title": " ", "text": "", "topics": ["policy"]}\n', "utf-8")
    with pytest.raises(ConfigError) as err:
        load_labels(path)
    assert str(err.value) == f"{path}:1: no title and no text: nothing to classify"


def test_a_huge_label_line_is_refused_in_one_line_without_reading_it_whole(
    tmp_path: Path,
) -> None:
    """A 50 MB line (a pasted dump, a file that is not JSON lines) was read whole and parsed:
    a MemoryError or a stall. It is refused naming the line and the limit, reading at most
    the limit of it."""
    path = tmp_path / "set.jsonl"
    with path.open("wb") as out:
        out.write(b'{"id": "a", "title": "t", "topics": []}\n{"id": "b", "text": "')
        out.write(b"x" * (50 * 1024 * 1024))
        out.write(b'", "topics": []}\n')
    with pytest.raises(ConfigError) as err:
        load_labels(path)
    assert str(err.value) == (
        f"{path}:2: line longer than 4 MB: not one labelled item (one JSON object per line)"
    )
