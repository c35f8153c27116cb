"""Text from strangers made safe to store and show: `newsmon.bounds.one_line`."""

from __future__ import annotations

from newsmon.bounds import one_line


def test_one_line_drops_what_a_terminal_or_file_would_act_on_and_keeps_the_words() -> None:
    hostile = (
        "HTTP 503 \x1b[31mDown\x1b[0m\u0085\u009b2J\r\nsee \u202eevil\u202c \u200bnow\x00 \ud800!"
    )
    line = one_line(hostile)
    assert line == "HTTP 503 [31mDown[0m 2J see evil now \ufffd!"  # NEL: a line break
    assert line.isprintable()


def test_one_line_cuts_at_the_limit_and_says_so() -> None:
    assert one_line("ab  cd\tef", 5) == "ab c…"
    assert one_line("short", 5) == "short" and one_line("", 5) == ""
    assert one_line("한국어 오류 메시지") == "한국어 오류 메시지"  # letters of any script stay
