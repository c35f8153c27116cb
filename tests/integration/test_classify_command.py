"""`newsmon classify URL`: the page is fetched from the sample site on loopback and explained."""

from __future__ import annotations

from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.devsite import SiteServer
from tests.conftest import SHIPPED_TOPICS

runner = CliRunner()


def test_classify_command_fetches_a_url(site: SiteServer) -> None:
    url = site.url("/ko/deepseek-open-source-week.html")
    result = runner.invoke(app, ["classify", url, "--rules", str(SHIPPED_TOPICS)])
    assert result.exit_code == 0, result.output
    assert "topics: open-source" in result.output and "오픈소스" in result.output
