"""The README is the operator's contract: they follow it literally. These checks tie the parts
of it that name things (environment variables, configuration keys and defaults, health problem
kinds, make targets, modules, tests) to the code, so a rename or an addition that leaves the
README behind fails here instead of misleading someone at 3 a.m."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from newsmon.config import Config
from newsmon.health import ProblemKind

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")

# Where the variables an operator or developer sets are read: the package, the flows, the
# deployment files, the shipped configurations, the demo, the benchmarks and the make/CI files.
ENV_SOURCES = ("src/newsmon", "flows", "deployments", "config", "demo", "bench")
ENV_FILES = ("Makefile", ".ci/run")


def section(title: str) -> str:
    """The README's text from the heading `title` to the next heading of any level."""
    start = README.index(f"\n{title}\n")
    end = README.find("\n#", start + len(title) + 2)
    return README[start : end if end != -1 else None]


def env_names_in_code() -> set[str]:
    files = [p for d in ENV_SOURCES for p in (ROOT / d).rglob("*") if p.is_file()]
    files += [ROOT / f for f in ENV_FILES]
    names: set[str] = set()
    for path in files:
        found = re.findall(rb"\bNEWSMON_[A-Z0-9_]*[A-Z0-9]\b", path.read_bytes())
        names |= {name.decode() for name in found}
    return names


def test_every_environment_variable_the_code_reads_is_in_the_readme() -> None:
    names = env_names_in_code()
    assert "NEWSMON_DATABASE_URL" in names  # the scan finds what it should
    assert sorted(n for n in names if f"`{n}" not in README) == []


def test_every_health_problem_kind_is_a_row_of_the_health_table() -> None:
    rows = set(
        re.findall(r"^\| `([a-z_]+)` \|", section("## Health, failures and exit codes"), re.M)
    )
    assert rows == {k.value for k in ProblemKind}


def readme_config_example() -> dict[str, Any]:
    text = section("## Configuration")
    block = text[text.index("```yaml\n") + 8 :]
    loaded = yaml.safe_load(block[: block.index("```")])
    assert isinstance(loaded, dict)
    return loaded


def keys(data: dict[str, Any], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, value in data.items():
        out.add(prefix + key)
        if isinstance(value, dict) and key != "channels":
            out |= keys(value, f"{prefix}{key}.")
    return out


def test_the_configuration_example_names_every_key_with_its_default() -> None:
    """The example is validated as a configuration (no key the code lacks), names every key
    the code takes, and shows the defaults except where it shows an example value."""
    example = readme_config_example()
    Config.model_validate(example)  # unknown keys and out-of-bounds values are refused
    defaults = Config().model_dump(mode="json", exclude={"source"})
    assert sorted(keys(defaults) - keys(example)) == []
    examples = {"feeds", "slack.channels", "slack.ops_channel", "topics_file"}

    def differing(shown: dict[str, Any], default: dict[str, Any], prefix: str = "") -> list[str]:
        out = []
        for key, value in shown.items():
            name = prefix + key
            if name in examples:
                continue
            if isinstance(value, dict) and isinstance(default.get(key), dict):
                out += differing(value, default[key], name + ".")
            elif value != default.get(key):
                out.append(f"{name}: README {value!r}, code {default.get(key)!r}")
        return out

    assert differing(example, defaults) == []


def test_every_make_target_the_readme_names_exists() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    named = set(re.findall(r"(?:^|`|[A-Z_]+=\S+ )make ([a-z][a-z-]*)", README, re.M))
    assert named, "the README names make targets"
    assert sorted(named - targets) == []


def layout_paths() -> set[str]:
    """The paths the Layout block lists: `dir/` headings, then `  name` lines under them."""
    text = section("## Layout")
    block = text[text.index("```text\n") + 8 :]
    paths: set[str] = set()
    top = ""
    for line in block[: block.index("```")].splitlines():
        if re.match(r"^\S+/", line):
            top = line.split()[0]
            paths.add(top)
        elif (m := re.match(r"^  (\S+)", line)) and top:
            paths.add(top + m.group(1))
    return paths


def test_every_module_is_a_line_of_the_layout() -> None:
    listed = layout_paths()
    modules = [*(ROOT / "src/newsmon").rglob("*.py"), *(ROOT / "flows").glob("*.py")]
    missing = []
    for path in modules:
        rel = path.relative_to(ROOT).as_posix()
        if path.name in {"__init__.py", "__main__.py"} and rel not in listed:
            continue  # a package is named by its folder or its __init__
        if "/migrations/" in rel:
            continue  # `migrations/` is one line
        if rel not in listed:
            missing.append(rel)
    assert sorted(missing) == []
    assert sorted(p for p in listed if not (ROOT / p).exists()) == []


def test_every_test_and_file_the_readme_cites_exists() -> None:
    cited = set(
        re.findall(r"(?<![\w/.])((?:tests|bench|deployments|demo|config)/[\w./*-]*[\w*])", README)
    )
    assert sorted(p for p in cited if "*" not in p and not (ROOT / p).exists()) == []
    defined = {
        name
        for path in (ROOT / "tests").rglob("test_*.py")
        for name in re.findall(r"^(?:async )?def (test_\w+)", path.read_text("utf-8"), re.M)
    }
    files = {p.stem for p in (ROOT / "tests").rglob("test_*.py")}
    names = set(re.findall(r"`(test_\w+?)\*?`", README))
    unknown = [
        n
        for n in names
        if n not in files and n not in defined and not any(d.startswith(n) for d in defined)
    ]
    assert sorted(unknown) == []


def test_no_module_of_the_package_or_the_flows_is_over_500_lines() -> None:
    """One job a module (README "Layout"): a module past 500 lines has usually taken a second
    job, and merges grow one silently; it is split, not let grow."""
    too_long = {
        str(path.relative_to(ROOT)): lines
        for base in ("src/newsmon", "flows")
        for path in sorted((ROOT / base).rglob("*.py"))
        if "migrations" not in path.parts
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert too_long == {}
