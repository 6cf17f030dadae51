"""The documentation's sources without Sphinx: the pages' doctests run, every
gallery script is a valid, titled ``# %%`` script, and the API listing that
``docs/conf.py`` generates covers every public name."""

from __future__ import annotations

import ast
import doctest
import importlib.util
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
GENERATED = {"sg_execution_times.rst"}  # written by sphinx-gallery during a build
PAGES = sorted(p for p in DOCS.glob("*.rst") if p.name not in GENERATED)
SCRIPTS = sorted((DOCS / "examples").glob("*.py"))


def test_pages_and_scripts_found() -> None:
    names = {p.stem for p in PAGES}
    assert {"index", "quickstart", "concepts", "api", "changelog"} <= names
    assert len(SCRIPTS) >= 5


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page_doctests_pass(page: Path) -> None:
    result = doctest.testfile(
        str(page),
        module_relative=False,
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
        verbose=False,
        report=True,
    )
    assert result.failed == 0, f"{result.failed} doctest example(s) failed in {page.name}"


def test_pages_with_code_have_doctests() -> None:
    for name in ("quickstart.rst", "concepts.rst"):
        assert ">>> " in (DOCS / name).read_text(encoding="utf-8"), name


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_gallery_script_is_valid(script: Path) -> None:
    source = script.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(script))
    assert script.name.startswith("plot_"), "sphinx-gallery runs only plot_*.py"
    doc = ast.get_docstring(tree)
    assert doc, f"{script.name} has no docstring"
    title, underline = doc.splitlines()[:2]
    assert title and set(underline) == {"="} and len(underline) >= len(title), (
        f"{script.name}: the docstring must start with a title underlined by '='"
    )
    assert len(doc.split("\n\n", 1)[-1].strip()) > 50, f"{script.name} does not say what it shows"
    assert "# %%" in source, f"{script.name} has no # %% cells"
    assert "print(" in source, f"{script.name} prints nothing"
    assert "plt." in source or "plot_network" in source, f"{script.name} draws no figure"


def test_gallery_scripts_are_numbered_in_reading_order() -> None:
    numbers = [int(s.stem.split("_")[1]) for s in SCRIPTS]
    assert numbers == list(range(1, len(SCRIPTS) + 1)), [s.name for s in SCRIPTS]


def _conf():
    spec = importlib.util.spec_from_file_location("pwlinear_docs_conf", DOCS / "conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_api_listing_covers_every_public_name() -> None:
    import pwlinear

    conf = _conf()
    top = [names for _, module, names in conf.api_sections() if module == "pwlinear"]
    listed = [name for names in top for name in names]
    assert sorted(listed) == sorted(pwlinear.__all__)
    text = conf.api_listing("generated")
    for name in pwlinear.__all__:
        assert f"   {name}\n" in text


def test_api_listing_includes_submodules() -> None:
    conf = _conf()
    modules = {module for _, module, _ in conf.api_sections()}
    assert "pwlinear.plotting" in modules
