"""Run by CI after ``sphinx-build``: every gallery script is listed and made a figure.

Not collected by the normal suite (the name does not start with ``test_``);
it skips itself when the site has not been built.
"""

from __future__ import annotations

from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
SCRIPTS = sorted((DOCS / "examples").glob("plot_*.py"))
BUILT = DOCS / "auto_examples"


def _built() -> bool:
    return (BUILT / "index.rst").is_file()


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_gallery_script_listed_and_made_an_image(script: Path) -> None:
    if not _built():
        pytest.skip("the docs have not been built")
    index = (BUILT / "index.rst").read_text()
    assert script.stem in index, f"{script.name} is not listed in the gallery"
    images = list((BUILT / "images").glob(f"sphx_glr_{script.stem}_*.png"))
    assert images, f"{script.name} produced no figure"
