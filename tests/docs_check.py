"""Checks of the built documentation, run by CI after ``sphinx-build``::

    sphinx-build -W --keep-going -b html docs docs/_build/html
    python -m pytest -q tests/docs_check.py -p no:cacheprovider

Every gallery script must be listed in the gallery, have run, printed its
numbers and produced at least one figure, and every public name must have an
API page.  The HTML directory can be changed with ``PWLINEAR_DOCS_HTML``.

The file is not named ``test_*.py``, so the normal test suite does not collect
it; importing it has no side effects.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
SCRIPTS = sorted((DOCS / "examples").glob("plot_*.py"))
GALLERY = DOCS / "auto_examples"


def _html() -> Path:
    return Path(os.environ.get("PWLINEAR_DOCS_HTML", DOCS / "_build" / "html"))


def _require_build() -> None:
    if not (GALLERY / "index.rst").is_file() or not (_html() / "index.html").is_file():
        pytest.fail(
            "the documentation has not been built; run "
            "`sphinx-build -W --keep-going -b html docs docs/_build/html` first"
        )


def test_there_are_gallery_scripts() -> None:
    assert len(SCRIPTS) >= 5, [s.name for s in SCRIPTS]


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_gallery_script_is_listed_ran_and_made_a_figure(script: Path) -> None:
    _require_build()
    index = (GALLERY / "index.rst").read_text(encoding="utf-8")
    assert f"/auto_examples/{script.stem}\n" in index, f"{script.name} is not in the gallery"
    page = GALLERY / f"{script.stem}.rst"
    assert page.is_file(), f"{script.name} was not run"
    text = page.read_text(encoding="utf-8")
    assert "sphx-glr-script-out" in text, f"{script.name} printed nothing"
    images = sorted((GALLERY / "images").glob(f"sphx_glr_{script.stem}_[0-9][0-9][0-9].png"))
    assert images, f"{script.name} produced no figure"
    for image in images:
        assert image.stat().st_size > 1000, f"{image.name} is empty"
        assert image.name in text, f"{image.name} is not shown on the example's page"
    html = _html() / "auto_examples" / f"{script.stem}.html"
    assert html.is_file(), f"{html} is missing"


def test_every_public_name_has_an_api_page() -> None:
    _require_build()
    import pwlinear

    missing = [
        name
        for name in pwlinear.__all__
        if not (_html() / "generated" / f"pwlinear.{name}.html").is_file()
    ]
    assert not missing, f"no API page for {missing}"
    api = (_html() / "api.html").read_text(encoding="utf-8")
    unlisted = [name for name in pwlinear.__all__ if f"pwlinear.{name}.html" not in api]
    assert not unlisted, f"not linked from the API page: {unlisted}"
