"""The documentation cannot rot: its runnable examples run, and print what the pages show."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs_runner import matches, run_page, runnable_blocks
from tests.error_messages import error_messages

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(page for page in DOCS.rglob("*.md") if runnable_blocks(page))


def test_pages_with_runnable_examples_are_found() -> None:
    assert DOCS / "tutorial.md" in PAGES


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(DOCS).as_posix() for p in PAGES])
def test_runnable_examples_print_what_the_page_shows(page: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    run_page(page, work)


def test_the_runner_matches_exactly_except_where_the_page_says_so() -> None:
    assert matches(["converted (1.2s)"], "converted (1.2s)\n")
    assert not matches(["converted (1.2s)"], "converted (1.3s)\n")
    assert matches(["converted (...s)"], "converted (1.3s)\n")
    assert matches(["first", "...", "last"], "first\nmiddle\nmore\nlast\n")
    assert not matches(["first", "last"], "first\nmiddle\nlast\n")
    assert not matches(["converted (...s)"], "converted (1.3s)\nand more\n")


def test_every_message_that_asks_for_an_action_is_on_the_troubleshooting_page() -> None:
    page = (DOCS / "how-to" / "troubleshooting.md").read_text(encoding="utf-8")
    actionable = [m for m in error_messages() if m.tells_what_to_do]
    assert len(actionable) > 40  # the collection finds the messages at all
    missing = [f"{m.where}: {m.key_phrase}" for m in actionable if m.key_phrase not in page]
    assert missing == [], "explain these on docs/how-to/troubleshooting.md:\n" + "\n".join(missing)
