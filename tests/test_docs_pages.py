"""The documentation pages' examples run, and every gallery script is valid Python."""

from __future__ import annotations

import ast
import doctest
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(DOCS.glob("*.rst"))
SCRIPTS = sorted((DOCS / "examples").glob("plot_*.py"))


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_rst_page_examples_run(page: Path) -> None:
    result = doctest.testfile(
        str(page), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert result.failed == 0


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_gallery_script_is_valid_and_documented(script: Path) -> None:
    tree = ast.parse(script.read_text())
    doc = ast.get_docstring(tree)
    assert doc and "=" in doc.splitlines()[1], f"{script.name} needs a titled docstring"
    assert "# %%" in script.read_text()


def test_every_public_name_is_in_the_api_page() -> None:
    import pwlinear

    api = (DOCS / "api.rst").read_text()
    missing = [
        n for n in pwlinear.__all__ if n not in api and n not in {"as_network", "get_activation"}
    ]
    assert not missing, f"public names missing from docs/api.rst: {missing}"
