"""Every template, read as text: mistakes the template engine does not report."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

FOLDERS: list[str] = settings.TEMPLATES[0]["DIRS"]  # type: ignore[assignment]  # django-stubs types TEMPLATES loosely
TEMPLATES = sorted(path for folder in FOLDERS for path in Path(folder).rglob("*") if path.suffix in {".html", ".txt"})


def test_there_are_templates_to_read() -> None:
    assert len(TEMPLATES) > 20


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_a_comment_tag_ends_on_its_own_line(path: Path) -> None:
    # `{# … #}` is a one-line comment: over two lines Django prints it as text (a paragraph of it once made the
    # player bar 279 px tall on phones). Longer notes go in {% comment %}.
    unclosed = [n for n, line in enumerate(path.read_text().splitlines(), 1) if "{#" in line and "#}" not in line]
    assert unclosed == [], f"{path}: {{# without #}} on lines {unclosed}"
