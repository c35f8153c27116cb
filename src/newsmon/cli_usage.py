"""Usage mistakes (an unknown option, a missing argument, a number out of its range) as one
line: click's usage text and rich's box around the message were five lines, wider than 80
columns, in cron mail and journald, and named only the bound crossed."""

from __future__ import annotations

try:  # a recent typer (0.29 here) vendors click and raises its own copy's exceptions
    from typer._click.exceptions import NoArgsIsHelpError, UsageError
except ImportError:  # an older typer raises click's
    from click.exceptions import NoArgsIsHelpError, UsageError  # type: ignore[assignment]

from newsmon.bounds import one_line

__all__ = ["NoArgsIsHelpError", "UsageError", "usage_line"]


def usage_line(exc: UsageError) -> str:
    """`feeds add: Missing argument 'url'.`, or for a number the range it accepts too."""
    names: list[str] = []
    ctx = exc.ctx
    while ctx is not None and ctx.parent is not None:  # the program's own name left out
        names.insert(0, ctx.info_name or "")
        ctx = ctx.parent
    where = f"{' '.join(names)}: " if names else ""
    accepted = _accepted(getattr(exc, "param", None))
    range_note = f" (accepted: {accepted})" if accepted else ""
    return where + one_line(exc.format_message(), 300) + range_note


def _accepted(param: object) -> str | None:
    """A numeric option's bounds as `1 to 2147483647`, or None for one without bounds."""
    low, high = getattr(param, "min", None), getattr(param, "max", None)

    def shown(bound: float) -> str:
        return str(int(bound)) if float(bound).is_integer() else str(bound)

    if low is not None and high is not None:
        return f"{shown(low)} to {shown(high)}"
    if low is not None:
        return f"{shown(low)} or more"
    return f"at most {shown(high)}" if high is not None else None
