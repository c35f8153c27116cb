"""`feeds add`'s edit of the configuration: block and flow styles, comments kept, never broken."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest
import yaml

from newsmon.config import load_config
from newsmon.discover import FoundFeed, add_to_config
from newsmon.yamledit import append_to_list
from newsmon.yamlfile import ConfigError
from tests.conftest import SHIPPED_TOPICS

FOUND = FoundFeed("https://new.example/rss.xml", "New Site: AI news", 12, "en")
HEAD = "# my monitor\ndatabase_url: sqlite:///{db}   # the corpus\ntopics_file: {topics}\n"
TAIL = 'slack:\n  default_channel: "#news"    # keep me\n'


def write(tmp_path: Path, feeds: str) -> Path:
    path = tmp_path / "newsmon.yaml"
    text = HEAD.format(db=tmp_path / "c.db", topics=SHIPPED_TOPICS) + feeds + TAIL
    path.write_text(text, encoding="utf-8")
    return path


def test_block_style_keeps_comments_and_layout(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "feeds:\n"
        "  - name: existing   # keep this comment\n"
        "    url: https://existing.example/rss\n"
        "    language: ko\n",
    )
    before = path.read_text(encoding="utf-8")
    entry = add_to_config(path, FOUND)
    assert entry.name == "new-example-en"
    after = path.read_text(encoding="utf-8")
    added = (
        "  - name: new-example-en  # New Site: AI news\n"
        "    url: https://new.example/rss.xml\n"
        "    language: en\n"
    )
    assert after == before.replace(TAIL, added + TAIL)  # nothing else moved
    assert [f.name for f in load_config(path).feeds] == ["existing", "new-example-en"]


def test_flow_style_list(tmp_path: Path) -> None:
    path = write(tmp_path, 'feeds: [{name: a, url: "https://a.example/rss"}]  # one feed\n')
    add_to_config(path, FOUND, name="b", language="ko")
    after = path.read_text(encoding="utf-8")
    assert 'feeds: [{name: a, url: "https://a.example/rss"}, {name: b, url: ' in after
    assert "# one feed" in after and after.startswith("# my monitor") and "# keep me" in after
    feeds = load_config(path).feeds
    assert [(f.name, f.url, f.language) for f in feeds] == [
        ("a", "https://a.example/rss", None),
        ("b", "https://new.example/rss.xml", "ko"),
    ]


@pytest.mark.parametrize("feeds", ["feeds: []\n", "", "feeds: []   # none yet\n"])
def test_empty_or_missing_list_becomes_a_block_list(tmp_path: Path, feeds: str) -> None:
    path = write(tmp_path, feeds)
    add_to_config(path, FOUND)
    after = path.read_text(encoding="utf-8")
    assert "- name: new-example-en  # New Site: AI news\n" in after
    assert "# my monitor" in after and "# the corpus" in after and "# keep me" in after
    assert [f.name for f in load_config(path).feeds] == ["new-example-en"]


def test_a_key_without_a_value_gets_the_list(tmp_path: Path) -> None:
    path = write(tmp_path, "feeds:\n")  # null: not a valid configuration, but valid YAML
    append_to_list(path, "feeds", {"name": "a", "url": "https://a.example/rss"})
    assert "feeds:\n  - name: a\n    url: https://a.example/rss\nslack:" in path.read_text(
        encoding="utf-8"
    )


def test_the_files_own_indentation_is_followed(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        f"topics_file: {SHIPPED_TOPICS}\n"
        f"database_url: sqlite:///{tmp_path / 'c.db'}\n"
        "feeds:\n- name: a\n  url: https://a.example/rss\n"
        "slack:\n    default_channel: '#news'\n",
        encoding="utf-8",
    )
    add_to_config(path, FOUND, name="b")
    text = path.read_text(encoding="utf-8")
    assert "\n- name: b  # New Site: AI news\n  url: https://new.example/rss.xml\n" in text
    assert "slack:\n    default_channel: '#news'\n" in text  # quotes and depth kept


def test_environment_references_stay_references(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSMON_TEST_DB", f"sqlite:///{tmp_path / 'env.db'}")
    path = write(tmp_path, "feeds: []\n")
    text = path.read_text(encoding="utf-8").replace(
        f"sqlite:///{tmp_path / 'c.db'}", "${NEWSMON_TEST_DB}"
    )
    path.write_text(text, encoding="utf-8")
    add_to_config(path, FOUND)
    assert "database_url: ${NEWSMON_TEST_DB}   # the corpus" in path.read_text(encoding="utf-8")


def test_a_name_in_use_is_refused_and_the_file_untouched(tmp_path: Path) -> None:
    path = write(tmp_path, "feeds:\n  - name: new-example-en\n    url: https://x.example/rss\n")
    before = path.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="exists; choose one with --name"):
        add_to_config(path, FOUND, name="new-example-en")
    assert path.read_text(encoding="utf-8") == before


def test_feeds_of_one_host_get_names_of_their_own(tmp_path: Path) -> None:
    """A second feed of a host got the first one's generated name, and was refused. Names now
    come from the host, then its path, then a number; existing names never change."""
    host = "news." + "long" * 20 + ".example"
    path = write(tmp_path, "feeds:\n  - name: new-example-en\n    url: https://x.example/rss\n")
    urls = [
        "https://new.example/rss/S1N1.xml",
        "https://new.example/rss/S1N1.xml?page=2",
        "https://new.example/",
        f"https://{host}/a",
        f"https://{host}/{'b' * 90}.xml",
    ]
    names = [add_to_config(path, FoundFeed(u, None, 1, "en")).name for u in urls]
    assert names[:3] == ["new-example-rss-s1n1-en", "new-example-en-2", "new-example-en-3"]
    assert names[3] != names[4] and all(len(n) <= 80 for n in names), names
    feeds = load_config(path).feeds
    assert [f.name for f in feeds] == ["new-example-en", *names]
    assert [f.url for f in feeds][1:] == urls


def test_a_result_that_does_not_validate_never_replaces_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "feeds: []\n")
    before = path.read_text(encoding="utf-8")
    bad = {"name": "x", "url": "https://x.example/", "colour": "red"}  # an unknown key
    with pytest.raises(ConfigError) as caught:
        append_to_list(path, "feeds", bad, check=load_config)
    message = str(caught.value)
    assert message.startswith(f"{path}:") and "feeds.0.colour: unknown key" in message
    assert path.read_text(encoding="utf-8") == before
    assert os.listdir(tmp_path) == ["newsmon.yaml"]  # no temporary file left behind


def test_what_is_not_a_list_is_not_appended_to(tmp_path: Path) -> None:
    path = write(tmp_path, "feeds: {a: 1}\n")
    with pytest.raises(ConfigError, match="feeds: must be a list"):
        append_to_list(path, "feeds", {"name": "x"})
    broken = tmp_path / "broken.yaml"
    broken.write_text("feeds: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid YAML"):
        append_to_list(broken, "feeds", {"name": "x"})


def test_only_the_item_is_added(tmp_path: Path) -> None:
    path = write(tmp_path, "feeds:\n  - {name: a, url: 'https://a.example/rss'}\n")
    before = yaml.safe_load(path.read_text(encoding="utf-8"))
    append_to_list(path, "feeds", {"name": "b", "url": "https://b.example/rss"}, comment="B\nnews")
    after = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert after == {
        **before,
        "feeds": [*before["feeds"], {"name": "b", "url": "https://b.example/rss"}],
    }
    assert "# B news" in path.read_text(encoding="utf-8")  # a comment stays on one line


def test_the_shipped_configuration_only_grows_by_the_new_lines(tmp_path: Path) -> None:
    shipped = SHIPPED_TOPICS.parent / "newsmon.yaml"
    path = tmp_path / "newsmon.yaml"
    path.write_bytes(shipped.read_bytes())
    (tmp_path / "topics.yaml").write_bytes(SHIPPED_TOPICS.read_bytes())
    before = path.read_text(encoding="utf-8").splitlines()
    add_to_config(path, FOUND)
    after = path.read_text(encoding="utf-8").splitlines()
    changes = [d for d in difflib.ndiff(before, after) if d[:2] in ("+ ", "- ")]
    assert changes == [
        "+   - name: new-example-en  # New Site: AI news",
        "+     url: https://new.example/rss.xml",
        "+     language: en",
    ]


def test_notes_after_the_list_stay_after_the_new_feed(tmp_path: Path) -> None:
    """What follows the last feed after a blank line or less indented (the shipped file's
    "# Not included:" notes, the next section's heading) ended up above the new feed: it read
    as one of the feeds left out, or under the wrong heading. The last feed's own comment
    stays with it."""
    shipped = SHIPPED_TOPICS.parent / "newsmon.yaml"
    path = tmp_path / "newsmon.yaml"
    path.write_bytes(shipped.read_bytes())
    (tmp_path / "topics.yaml").write_bytes(SHIPPED_TOPICS.read_bytes())
    before = path.read_text(encoding="utf-8")
    add_to_config(path, FOUND)
    added = (
        "  - name: new-example-en  # New Site: AI news\n"
        "    url: https://new.example/rss.xml\n"
        "    language: en\n"
    )
    last = '    # seen: 10+ files ("GitHub Open Source").\n'
    assert before.count(last + "\n# Not included:") == 1
    assert path.read_text(encoding="utf-8") == before.replace(last, last + added)
    feeds = (
        "feeds:\n"
        "  - name: a\n"
        "    url: https://a.example/rss   # the first\n"
        "    # about a\n"
        "# Where alerts go\n"
    )
    path = write(tmp_path, feeds)
    before = path.read_text(encoding="utf-8")
    add_to_config(path, FOUND)
    mine = "    # about a\n"
    assert path.read_text(encoding="utf-8") == before.replace(mine, mine + added)


def test_a_file_with_crlf_line_endings_keeps_them(tmp_path: Path) -> None:
    """A file saved on Windows came back with every line ending changed: its diff showed
    the whole file rewritten, hiding the three lines added."""
    path = write(tmp_path, "feeds:\n  - name: a\n    url: https://a.example/rss\n")
    before = path.read_bytes().replace(b"\n", b"\r\n")
    path.write_bytes(before)
    add_to_config(path, FOUND)
    added = (
        b"  - name: new-example-en  # New Site: AI news\r\n"
        b"    url: https://new.example/rss.xml\r\n"
        b"    language: en\r\n"
    )
    mine = b"    url: https://a.example/rss\r\n"
    assert path.read_bytes() == before.replace(mine, mine + added)


@pytest.mark.parametrize(
    ("before", "after"),
    [("", ""), ("\ufeff", ""), ("---\n", "...\n"), ("# the monitor's settings\n---\n", "")],
)
def test_lines_the_edit_does_not_need_stay_as_written(
    tmp_path: Path, before: str, after: str
) -> None:
    """`key: null`, `key: ~` and `key: Null` elsewhere in the file came back as `key:`; a byte
    order mark, the `---` and `...` markers and a comment above `---` were dropped: the
    operator's diff showed lines nobody changed."""
    feeds = (
        "workers: null   # not set\n"
        "feeds:\n"
        "  - name: a\n"
        "    url: https://a.example/rss\n"
        "    timezone: ~\n"
    )
    path = write(tmp_path, feeds)
    mine = path.read_text(encoding="utf-8").replace("slack:\n", "slack:\n  ops_channel: Null\n")
    path.write_text(before + mine + after, encoding="utf-8")
    add_to_config(path, FOUND)
    added = (
        "  - name: new-example-en  # New Site: AI news\n"
        "    url: https://new.example/rss.xml\n"
        "    language: en\n"
    )
    last = "    timezone: ~\n"
    assert path.read_text(encoding="utf-8") == before + mine.replace(last, last + added) + after
    assert [f.name for f in load_config(path).feeds] == ["a", "new-example-en"]


def test_a_comment_from_the_network_is_one_line_of_plain_text(tmp_path: Path) -> None:
    """A feed title may hold what YAML refuses in a file (NUL, DEL, C1 and other controls, a
    lone surrogate) or what would make the file read other than it says (bidi overrides,
    zero-width and line separator characters): they are dropped, never a crash."""
    path = write(tmp_path, "feeds: []\n")
    title = "a\x00b\x07c\x7fd\x9be\u202ef\u2066g\u200bh\ufeffi\ud800j\u2028k\x85l\u0085m"
    append_to_list(
        path,
        "feeds",
        {"name": "b", "url": "https://b.example/rss"},
        comment=title,
        check=load_config,
    )
    text = path.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if "name: b" in x)
    assert line == "  - name: b  # abcdefghi\ufffdj k l m"
    assert [f.name for f in load_config(path).feeds] == ["b"]


def test_a_symlinked_configuration_stays_a_link(tmp_path: Path) -> None:
    """The file the link points to is edited (a configuration kept in a repository and linked
    into place); the link is not replaced by a copy."""
    real = write(tmp_path, "feeds: []\n")
    (tmp_path / "etc").mkdir()
    link = tmp_path / "etc" / "newsmon.yaml"
    link.symlink_to(real)
    append_to_list(link, "feeds", {"name": "b", "url": "https://b.example/rss"}, check=load_config)
    assert link.is_symlink() and link.resolve() == real
    assert [f.name for f in load_config(real).feeds] == ["b"]
    assert os.listdir(tmp_path / "etc") == ["newsmon.yaml"]


def test_a_read_only_configuration_is_left_alone(tmp_path: Path) -> None:
    path = write(tmp_path, "feeds: []\n")
    before = path.read_text(encoding="utf-8")
    path.chmod(0o444)
    with pytest.raises(ConfigError, match="read-only"):
        append_to_list(path, "feeds", {"name": "b", "url": "https://b.example/rss"})
    assert path.read_text(encoding="utf-8") == before


def test_a_folder_that_cannot_be_written_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No temporary file can be made beside the configuration (a read-only mount, a full
    disk): one ConfigError naming the file, not an OSError's traceback."""
    path = write(tmp_path, "feeds: []\n")

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr("tempfile.mkstemp", refuse)
    with pytest.raises(ConfigError, match=r"newsmon\.yaml: cannot write: .*Read-only file system"):
        append_to_list(path, "feeds", {"name": "b", "url": "https://b.example/rss"})


def test_an_edit_made_meanwhile_is_not_overwritten(tmp_path: Path) -> None:
    """Someone saves the file while the item is being added: their version stays, and the
    addition fails (to be run again) instead of silently undoing their edit."""
    path = write(tmp_path, "feeds: []\n")
    theirs = path.read_text(encoding="utf-8").replace("# my monitor", "# edited meanwhile")

    def someone_saves(_temp: Path) -> None:
        path.write_text(theirs, encoding="utf-8")

    with pytest.raises(ConfigError, match="changed while"):
        append_to_list(
            path, "feeds", {"name": "b", "url": "https://b.example/rss"}, check=someone_saves
        )
    assert path.read_text(encoding="utf-8") == theirs
    assert os.listdir(tmp_path) == ["newsmon.yaml"]


def test_the_new_version_is_on_disk_before_it_replaces_the_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash or power loss right after the replace must not leave an empty file: the
    temporary file's data is synced before the rename, the folder after it."""
    path = write(tmp_path, "feeds: []\n")
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("dir" if os.path.isdir(f"/proc/self/fd/{fd}") else "file")
        real_fsync(fd)

    def replace(src: str | Path, dst: str | Path) -> None:
        events.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    append_to_list(path, "feeds", {"name": "b", "url": "https://b.example/rss"})
    assert events == ["file", "replace", "dir"]


def test_anchors_nobody_refers_to_yet_are_kept(tmp_path: Path) -> None:
    """An operator's anchors stay where they were written, used by an alias or not (yet)."""
    path = write(
        tmp_path,
        "fetch: &fetch {retries: 1}  # later\n"
        "feeds:\n"
        "  - &first {name: a, url: 'https://a.example/rss'}  # the first\n"
        "  - name: b\n"
        "    url: &b_url https://b.example/rss\n",
    )
    before = path.read_text(encoding="utf-8").splitlines()
    add_to_config(path, FOUND)
    after = path.read_text(encoding="utf-8").splitlines()
    changes = [d for d in difflib.ndiff(before, after) if d[:2] in ("+ ", "- ")]
    assert changes == [
        "+   - name: new-example-en  # New Site: AI news",
        "+     url: https://new.example/rss.xml",
        "+     language: en",
    ]


def test_a_generated_name_says_the_language_given(tmp_path: Path) -> None:
    """The name came from the guessed language: `--language en` on a feed guessed Korean was
    named `…-ko`, and two feeds of one site, one per language, that no language was guessed for
    were `new-example` and `new-example-en-rss` (neither saying which)."""
    path = write(tmp_path, "feeds: []\n")
    guessed_ko = FoundFeed("https://new.example/rss.xml", None, 1, "ko")
    unguessed = FoundFeed("https://new.example/ko/rss.xml", None, 1, None)
    unguessed_en = FoundFeed("https://new.example/en/rss.xml", None, 1, None)
    names = [
        add_to_config(path, guessed_ko, language="en").name,
        add_to_config(path, unguessed, language="ko").name,
        add_to_config(path, unguessed_en, language="en").name,
    ]
    assert names == ["new-example-en", "new-example-ko", "new-example-en-rss-en"], names
    assert [f.language for f in load_config(path).feeds] == ["en", "ko", "en"]
