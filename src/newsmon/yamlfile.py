"""YAML loading that remembers where each key came from, so errors can name file and line.

Files are validated by pydantic models; `LocatedYaml.validate` turns the first problem pydantic
finds into one `ConfigError` naming file, line, key and reason, for every file newsmon reads.

Configuration is code a person writes: only plain YAML (no tags beyond the standard scalar,
list and mapping ones), a bounded number of values however aliases repeat them, and
`${VAR}` / `${VAR:-default}` expanded in the string values of the file. `$${` stands for a
literal `${`; newsmon writes text it did not get from the user (a discovered feed URL) that
way (`escape_env`), so nothing from the network is ever expanded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import TypeAdapter, ValidationError, ValidatorFunctionWrapHandler, WrapValidator
from pydantic_core import InitErrorDetails, PydanticCustomError

Loc = tuple[str | int, ...]
T = TypeVar("T")
_REASON = "newsmon"  # the error type of reasons written here, not by pydantic

_ENV_REF = re.compile(r"\$(\$\{)|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
# Values one file may hold once aliases are expanded (a "billion laughs" has billions).
MAX_VALUES = 100_000
_OCTAL_1_1 = re.compile(r"0[0-7_]+$")  # YAML 1.1's octal ints: 010 is 8 (0o10 is 1.2's)
_LINE_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")  # YAML's line breaks
# `key: #word`: a value YAML takes for a comment (`#` after a blank starts one)
_COMMENT_AS_VALUE = re.compile(r"[ \t]*:[ \t]+(#[^\s#,{}\[\]]+)")
# the same after a key in flow style (`{ops_channel: #ops}`), where the comment eats the `}`
_FLOW_COMMENT_AS_VALUE = re.compile(
    r"(?:^|(?<=[\s{,]))([^\s:{}\[\],#'\"]+)[ \t]*:[ \t]+(#[^\s#,{}\[\]]+)"
)
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
)


class ConfigError(Exception):
    """A configuration file is unusable; the message names the file, key, line and reason."""


class LocatedYaml:
    """Parsed YAML data plus the line of every key path (1-based)."""

    def __init__(
        self,
        path: Path,
        data: Any,
        lines: dict[tuple[str | int, ...], int],
        comments: dict[Loc, str] | None = None,
        *,
        empty: bool = False,
    ) -> None:
        self.path = path
        self.data = data
        self.empty = empty  # nothing but blanks and comments: read as `{}`
        self._lines = lines
        self._comments = comments or {}

    def comment_as_value(self, loc: Iterable[str | int]) -> str | None:
        """The `#word` YAML read as a comment where the value of key `loc` stands, leaving
        the key empty (`ops_channel: #ops` is `ops_channel: null`); None if it has none."""
        return self._comments.get(tuple(loc))

    def line_of(self, loc: Iterable[str | int]) -> int | None:
        """The line of the deepest key on `loc` that the file actually has."""
        key = tuple(loc)
        while key:
            if key in self._lines:
                return self._lines[key]
            key = key[:-1]
        return None

    def error(self, loc: Iterable[str | int], reason: str) -> ConfigError:
        loc = tuple(loc)
        line = self.line_of(loc)
        where = f"{self.path}" + (f":{line}" if line else "")
        key = ".".join(str(p) for p in loc) or "(top level)"
        return ConfigError(f"{where}: {key}: {reason}")

    def validate(
        self,
        schema: type[T] | TypeAdapter[T],
        data: Any = None,
        *,
        note: Callable[[Loc], str] | None = None,
    ) -> T:
        """`data` (by default the file's) validated by `schema`, or the first problem found.

        `note` may add to the reason for a location (config names a feed by its name).
        """
        adapter = schema if isinstance(schema, TypeAdapter) else TypeAdapter(schema)
        try:
            return adapter.validate_python(self.data if data is None else data)
        except ValidationError as exc:
            raise self.error(*first_problem(exc, note)) from None


def first_problem(
    exc: ValidationError, note: Callable[[Loc], str] | None = None
) -> tuple[Loc, str]:
    """Where (keys and indices) and why pydantic refused the data, in newsmon's words."""
    errors = exc.errors()
    err = errors[0]
    loc = tuple(p for p in err["loc"] if p != "[key]")  # a bad mapping key: name the key
    reason = err["msg"]
    if err["type"] == "extra_forbidden":
        reason = "unknown key"
    elif err["type"] == "missing":
        reason = "required key is missing"
    if note:
        reason += note(loc)
    more = len(errors) - 1
    if more:
        reason += f" (and {more} more problem{'s' if more > 1 else ''})"
    return loc, reason


def reworded(reason: str) -> WrapValidator:
    """Annotation: a value of the wrong type or out of range is refused with `reason`.

    Only pydantic's wording of a problem with the value itself is replaced; problems deeper
    inside it (an item of a list, a key of a mapping) keep their own location and reason.
    """

    def wrap(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError as exc:
            if any(not e["loc"] and e["type"] != _REASON for e in exc.errors()):
                raise PydanticCustomError(_REASON, reason) from None
            raise

    return WrapValidator(wrap)


def problem(reason: str) -> PydanticCustomError:
    """A problem a validator found with the value it checks, worded as given."""
    return PydanticCustomError(_REASON, reason)


def problem_at(title: str, loc: Loc, reason: str, value: Any = None) -> ValidationError:
    """A problem a model validator found deeper down, at `loc` relative to the model."""
    detail = InitErrorDetails(type=problem(reason), loc=loc, input=value)
    return ValidationError.from_exception_data(title, [detail])


def escape_env(text: str) -> str:
    """`text` written so that loading it gives `text` back, with no `${...}` expanded."""
    return text.replace("${", "$${")


class FromEnv(str):
    """A string value that a `${VAR}` reference filled in: a switch may read `true`/`false`
    from it (`enabled: ${ALERTS_ON:-true}`), where the same words written in quotes
    stay text."""


def env_switch(value: Any) -> Any:
    """`true`/`false` (any case) filled in by `${VAR}` as a boolean; anything else unchanged."""
    if isinstance(value, FromEnv) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return value


def _expand_env(value: str) -> str:
    def repl(m: re.Match[str]) -> str:
        if m.group(1):  # `$${`: a literal `${`
            return "${"
        name, default = m.group(2), m.group(3)
        got = os.environ.get(name)
        if got is None or got == "":
            if default is None:
                raise KeyError(name)
            return default
        return got

    expanded = _ENV_REF.sub(repl, value)
    return FromEnv(expanded) if _ENV_REF.search(value.replace("$${", "")) else expanded


class _Walk:
    """Turns composed YAML nodes into data, recording each key's line; refuses tags, counts
    values (aliases included) and stops at recursive aliases."""

    def __init__(self, path: Path, text: str = "") -> None:
        self.path = path
        self.lines: dict[tuple[str | int, ...], int] = {}
        self.comments: dict[Loc, str] = {}  # see LocatedYaml.comment_as_value
        self._text = _LINE_BREAK.split(text.removeprefix("\ufeff"))
        self.values = 0
        self._loader = yaml.SafeLoader("")
        self._open: set[int] = set()  # ids of the collections being walked (recursion guard)

    def _error(self, node: yaml.Node, loc: Loc, reason: str) -> ConfigError:
        key = ".".join(map(str, loc)) or "(top level)"
        return ConfigError(f"{self.path}:{node.start_mark.line + 1}: {key}: {reason}")

    def walk(self, node: yaml.Node, loc: Loc) -> Any:
        self.values += 1
        if self.values > MAX_VALUES:
            raise self._error(node, loc, f"more than {MAX_VALUES} values (aliases repeated?)")
        if node.tag not in _PLAIN_TAGS:
            raise self._error(node, loc, f"YAML tag {node.tag[:60]} is not allowed")
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            if id(node) in self._open:
                raise self._error(node, loc, "an alias refers to itself")
            self._open.add(id(node))
            try:
                return self._collection(node, loc)
            finally:
                self._open.discard(id(node))
        assert isinstance(node, yaml.ScalarNode)
        try:
            value = self._loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            problem = getattr(exc, "problem", None) or f"cannot read this value: {exc}"
            raise self._error(node, loc, str(problem).splitlines()[0][:120]) from None
        if isinstance(value, int | float) and not isinstance(value, bool) and not node.style:
            self._plain_number(node, loc, value)
        if isinstance(value, str) and "${" in value:
            try:
                value = _expand_env(value)
            except KeyError as exc:
                name = exc.args[0]
                raise self._error(
                    node, loc, f"environment variable {name} is not set (use ${{{name}:-default}})"
                ) from None
        return value

    def _plain_number(self, node: yaml.ScalarNode, loc: Loc, value: float) -> None:
        """Refuse what only YAML 1.1 reads as a number other than its digits say: `010` is 8
        (octal), `1:30` is 90 (base 60); in YAML 1.2 and to a reader, 10 and a text."""
        text = node.value.lstrip("+-")
        kind = "base 60" if ":" in text else "octal" if _OCTAL_1_1.match(text) else None
        if kind:
            reason = (
                f"{node.value} reads as {value:g} ({kind}, YAML 1.1): write the number plainly "
                "(no leading 0, no ':'), or quote a text"
            )
            raise self._error(node, loc, reason)

    def _collection(self, node: yaml.MappingNode | yaml.SequenceNode, loc: Loc) -> Any:
        if isinstance(node, yaml.SequenceNode):
            items = []
            for i, item in enumerate(node.value):
                self.lines[(*loc, i)] = item.start_mark.line + 1
                items.append(self.walk(item, (*loc, i)))
            return items
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _PLAIN_TAGS:
                raise self._error(key_node, loc, "keys must be plain text")
            key = str(key_node.value)
            if key in out:
                raise self._error(key_node, (*loc, key), "duplicate key")
            self.lines[(*loc, key)] = key_node.start_mark.line + 1
            if isinstance(value_node, yaml.ScalarNode) and value_node.value == "":
                self._comment_as_value(key_node, (*loc, key))
            out[key] = self.walk(value_node, (*loc, key))
        return out

    def _comment_as_value(self, key_node: yaml.Node, loc: Loc) -> None:
        mark = key_node.end_mark
        if mark.line < len(self._text):
            after = _COMMENT_AS_VALUE.match(self._text[mark.line][mark.column :])
            if after:
                self.comments[loc] = after.group(1)


# libyaml's parser, when PyYAML was built with it: about 7 times faster than the pure-Python one
# on the topic rules, which every pass reads (0.03 s of CPU a pass).
_FAST_LOADER: type[yaml.CSafeLoader] | None = getattr(yaml, "CSafeLoader", None)


def _compose(text: str) -> yaml.Node | None:
    """The file's node tree, from libyaml when present; a file libyaml refuses (or nests past its
    depth limit) is parsed again in pure Python, so every error reads as it always did."""
    if _FAST_LOADER is not None:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except (yaml.YAMLError, RecursionError, ValueError):
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


def _flow_comment(path: Path, lines: list[str]) -> ConfigError | None:
    """Why a file YAML cannot parse does not: `key: #word` in flow style (`{ops_channel: #ops}`),
    whose comment ate the rest of the line, closing brace and all ("expected the node content,
    but found '<stream end>'", on a line past the file). Found by quoting each such `#word`:
    the first that then reads as a flow mapping's value is named with its key and line."""
    spots = [(n, m) for n, line in enumerate(lines) for m in _FLOW_COMMENT_AS_VALUE.finditer(line)]
    fixed = list(lines)
    for n, m in reversed(spots):  # right to left: the columns of the others hold
        fixed[n] = f'{fixed[n][: m.start(2)]}"{m.group(2)}"{fixed[n][m.end(2) :]}'
    try:
        root = yaml.compose("\n".join(fixed), Loader=yaml.SafeLoader) if spots else None
        quoted = _flow_values(root, (), {}, set()) if root is not None else {}
    except (yaml.YAMLError, RecursionError, ValueError):
        return None
    for n, m in spots:
        loc = quoted.get((n, m.start(2)))
        if loc is not None:
            key = ".".join(map(str, loc))
            reason = f'"{m.group(2)}" is read as a comment, leaving the key empty: quote it'
            return ConfigError(f'{path}:{n + 1}: {key}: {reason} ("{m.group(2)}")')
    return None


def _flow_values(
    node: yaml.Node, loc: Loc, out: dict[tuple[int, int], Loc], seen: set[int]
) -> dict[tuple[int, int], Loc]:
    """Where (line, column) each double-quoted value of a flow mapping starts, and its key."""
    if id(node) in seen:  # an alias: walked once
        return out
    seen.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _flow_values(item, (*loc, i), out, seen)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            where = (*loc, str(key.value))
            if node.flow_style and isinstance(value, yaml.ScalarNode) and value.style == '"':
                out[(value.start_mark.line, value.start_mark.column)] = where
            _flow_values(value, where, out, seen)
    return out


def load_yaml(path: Path) -> LocatedYaml:
    """Read a YAML file, expanding ${VAR} and ${VAR:-default} in string values."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        root = _compose(text)
    except RecursionError:
        raise ConfigError(f"{path}: invalid YAML: nested too deeply") from None
    except yaml.YAMLError as exc:
        flow = _flow_comment(path, _LINE_BREAK.split(text.removeprefix("\ufeff")))
        if flow is not None:
            raise flow from None
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else f"{path}"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: invalid YAML: {problem}") from None
    walker = _Walk(path, text)
    try:
        data = {} if root is None else walker.walk(root, ())
    except RecursionError:
        raise ConfigError(f"{path}: invalid YAML: nested too deeply") from None
    return LocatedYaml(path, data, walker.lines, walker.comments, empty=root is None)
