"""Edits to a YAML file a person maintains: comments, order, quoting and styles kept (ruamel.yaml
round trip), and never a broken file (the result is checked before it replaces the original)."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from difflib import SequenceMatcher
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.tokens import CommentToken

from newsmon.bounds import one_line
from newsmon.yamlfile import ConfigError

_KEY_ONLY = re.compile(r"^( *)[^\s#-][^#]*:\s*(?:#.*)?$")  # `key:` opening a nested block
_DASH = re.compile(r"^( *)-( +)[^\s#]")  # `- item`


def _indents(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) as ruamel's YAML.indent takes them, read from how the file
    already nests blocks, else newsmon's own style (`key:` / `  - item` / `    key: value`)."""
    mapping: int | None = None
    sequence: int | None = None
    offset: int | None = None
    parent: int | None = None  # indentation of the previous line if it was a bare `key:`
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        dash = _DASH.match(line)
        if parent is not None:
            if dash and sequence is None:
                offset = len(dash.group(1)) - parent
                sequence = offset + 1 + len(dash.group(2))
            depth = len(line) - len(line.lstrip(" "))
            if not dash and mapping is None and depth > parent:
                mapping = depth - parent
        key = _KEY_ONLY.match(line)
        parent = len(key.group(1)) if key else None
    return mapping or 2, sequence or 4, 2 if offset is None else max(offset, 0)


def plain_line(text: str) -> str:
    """`text` as one line of plain printable text, fit for a comment: what YAML refuses in a
    file (NUL, DEL, C0 and C1 controls, lone surrogates) and what would make the file read
    other than it says (bidi embeddings, overrides and isolates, zero-width characters) are
    dropped; line breaks of any kind and runs of spaces become one space."""
    return one_line(text)


def append_to_list(
    path: Path,
    key: str,
    item: Mapping[str, Any],
    *,
    comment: str | None = None,
    check: Callable[[Path], object] = lambda _: None,
) -> None:
    """Append `item` to the top-level list `key` (made if absent or empty) and rewrite `path`.

    The new text is written to a temporary file beside the file (the target of `path` if it
    is a symbolic link, which stays one), must mean exactly the old settings plus the item,
    and must pass `check` (e.g. `load_config`); only then, synced to disk and if nobody saved
    the file meanwhile, does it replace the file, atomically. Two edits through this function
    never interleave (a lock on the folder). `comment` goes at the end of the item's first
    line (block style only: flow style has no room for comments). Raises ConfigError, leaving
    the file as it was: a read-only file, a folder that cannot be written, a file changed
    meanwhile are refused.
    """
    target = Path(os.path.realpath(path))
    with _locked_folder(target.parent, path) as folder:
        text, newline = _read(target, path)
        new_text = _edited(text, path, key, item, comment)
        _replace(target, path, text, new_text, check, folder, newline)


def _edited(text: str, path: Path, key: str, item: Mapping[str, Any], comment: str | None) -> str:
    editor = YAML()  # round trip
    editor.preserve_quotes = True
    editor.width = 4096  # never re-wrap the file's long lines
    mapping, sequence, offset = _indents(text)
    editor.indent(mapping=mapping, sequence=sequence, offset=offset)
    try:
        doc = editor.load(text)
    except YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(doc, CommentedMap):
        raise ConfigError(f"{path}: the file must hold a mapping of settings")
    _keep_anchors(doc)
    base = io.StringIO()
    editor.dump(doc, base)  # the file as ruamel writes it back before the edit
    entry = CommentedMap(item.items())
    items = doc.get(key)
    if items is None:
        items = doc[key] = CommentedSeq()
    elif not isinstance(items, CommentedSeq):
        raise ConfigError(f"{path}: {key}: must be a list")
    if not items:  # `key: []` becomes a block list, the layout people extend by hand
        items.fa.set_block_style()
    notes = None if items.fa.flow_style() else _notes_after(items)
    items.append(entry)
    comment = plain_line(comment) if comment else None
    if comment and not items.fa.flow_style():
        entry.yaml_add_eol_comment(comment, next(iter(item)))
    if notes:
        last = list(item)[-1]
        entry.ca.items[last] = [None, None, CommentToken("\n" + notes, CommentMark(0)), None]
    out = io.StringIO()
    editor.dump(doc, out)
    new_text = out.getvalue()
    _same_but_for(text, new_text, key, dict(item), path)
    kept = _merged(text, base.getvalue(), new_text)
    with contextlib.suppress(ConfigError):  # else ruamel's whole text, checked above
        if kept is not None:
            _same_but_for(text, kept, key, dict(item), path)
            return kept
    return new_text


def _merged(ours: str, base: str, theirs: str) -> str | None:
    """The edit (`base` -> `theirs`) made to the operator's own text (`ours`), or None when it
    changes a line ruamel writes otherwise. ruamel respells what it does not need to: `key:
    null` and `key: ~` become `key:`, a byte order mark, the `---` and `...` markers and the
    comments above `---` are dropped, and the operator's diff would show them."""
    if not ours.endswith("\n"):
        ours += "\n"  # the new entry may follow the last line
    mine, was, now = (t.splitlines(keepends=True) for t in (ours, base, theirs))
    # a line of `base` -> the run of lines it is in `ours` (itself, or the run ruamel respelled)
    run: dict[int, tuple[int, int, int, int]] = {}
    for _, i1, i2, j1, j2 in SequenceMatcher(None, was, mine, autojunk=False).get_opcodes():
        if i2 - i1 == j2 - j1:  # the same lines, or each respelled on its own line
            run.update((i1 + k, (i1 + k, i1 + k + 1, j1 + k, j1 + k + 1)) for k in range(i2 - i1))
        else:
            run.update((i, (i1, i2, j1, j2)) for i in range(i1, i2))
    edits: list[tuple[int, int, list[str]]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, was, now, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag == "insert":  # right after the line it follows (after its whole run)
            if i1 and (i1 - 1 not in run or run[i1 - 1][1] != i1):
                return None
            where = run[i1 - 1][3] if i1 else 0
            edits.append((where, where, now[j1:j2]))
            continue
        runs = sorted({run[i] for i in range(i1, i2) if i in run})
        whole = runs and runs[0][0] == i1 and runs[-1][1] == i2
        if not whole or any(a[3] != b[2] for a, b in pairwise(runs)):
            return None  # it would cut through what ruamel respelled, or skip lines of ours
        edits.append((runs[0][2], runs[-1][3], now[j1:j2]))
    for _, (start, end, lines) in sorted(enumerate(edits), key=lambda e: (e[1][0], e[0]))[::-1]:
        mine[start:end] = lines  # from the end, so that the positions before stay true
    return "".join(mine)


def _notes_after(items: CommentedSeq) -> str | None:
    """Takes the lines after the list's last item that are not that item's (from the first
    blank line or comment in column 0: a note on the whole list, the next section's heading)
    off the item and returns them, to follow the new item; None when there are none."""
    if not items:
        return None
    last, index = items[-1], len(items) - 1
    if isinstance(last, CommentedMap) and last and not last.fa.flow_style():
        slot, at = last.ca.items.get(list(last)[-1]), 2
    else:  # a flow mapping or a scalar: its comment is the list's
        slot, at = items.ca.items.get(index), 0
    token = slot[at] if slot and len(slot) > at else None
    if not isinstance(token, CommentToken):
        return None
    own, _, rest = token.value.partition("\n")  # the end of the item's line, its comment
    lines = rest.splitlines(keepends=True)
    cut = next((i for i, x in enumerate(lines) if not x.strip() or x.startswith("#")), None)
    if cut is None:
        return None
    token.value = own + "\n" + "".join(lines[:cut])
    return "".join(lines[cut:])


@contextlib.contextmanager
def _locked_folder(folder: Path, shown: Path) -> Iterator[int]:
    """The folder, open and locked against other edits through this module (flock: released
    when the process ends, however it ends; a lock on the file would not survive its
    replacement, and a lock file would be left lying about)."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot open its folder: {exc.strerror or exc}") from None
    try:
        with contextlib.suppress(OSError):  # no flock (some network file systems): the check
            fcntl.flock(fd, fcntl.LOCK_EX)  # for a file changed meanwhile still holds
        yield fd
    finally:
        os.close(fd)


def _read(target: Path, shown: Path) -> tuple[str, str]:
    """The file's text with `\n` line ends, and the line end it uses (CRLF if any line has
    it: written back so, a file saved on Windows does not change on every line)."""
    try:
        raw = target.read_bytes()
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        mode = target.stat().st_mode
    except FileNotFoundError:
        raise ConfigError(f"{shown}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{shown}: cannot read: {exc}") from None
    if not mode & 0o222:  # no one may write it: someone meant it to stay as it is
        raise ConfigError(f"{shown}: the file is read-only; not changed")
    return text, "\r\n" if b"\r\n" in raw else "\n"


def _keep_anchors(node: object) -> None:
    """Every anchor the file has is written again: ruamel writes only those an alias uses,
    and an operator's anchor that nothing refers to yet would vanish."""
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        anchor = getattr(current, "anchor", None)
        if anchor is not None and getattr(anchor, "value", None):
            anchor.always_dump = True
        if isinstance(current, CommentedMap):
            stack.extend(current.values())
        elif isinstance(current, CommentedSeq):
            stack.extend(current)


def _same_but_for(old: str, new: str, key: str, item: dict[str, Any], path: Path) -> None:
    """The rewritten file must say what the old one said, plus the item: nothing else moved."""
    try:
        before = yaml.safe_load(old) or {}
        expected = {**before, key: [*(before.get(key) or []), item]}
        same = yaml.safe_load(new) == expected
    except yaml.YAMLError:
        same = False
    if not same:
        raise ConfigError(f"{path}: cannot add to {key} without changing other settings")


def _replace(
    target: Path,
    shown: Path,
    old: str,
    text: str,
    check: Callable[[Path], object],
    folder: int,
    newline: str,
) -> None:
    temp: Path | None = None
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        temp = Path(name)
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        stat = target.stat()
        with contextlib.suppress(OSError):
            os.chmod(temp, stat.st_mode & 0o7777)
            if (stat.st_uid, stat.st_gid) != (os.geteuid(), os.getegid()):
                os.chown(temp, stat.st_uid, stat.st_gid)
        try:
            check(temp)
        except ConfigError as exc:  # name the real file, not the temporary one
            raise ConfigError(str(exc).replace(str(temp), str(shown))) from None
        if _read(target, shown)[0] != old:  # saved meanwhile (an editor): theirs stays
            raise ConfigError(f"{shown}: the file changed while it was being edited; not written")
        os.replace(temp, target)
        temp = None
        with contextlib.suppress(OSError):  # some file systems cannot sync a folder
            os.fsync(folder)  # the rename itself survives a crash
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot write: {exc.strerror or exc}") from None
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)
