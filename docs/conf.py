"""Sphinx configuration for the pwlinear documentation.

Build from the repository root (warnings are errors, every gallery example runs)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

The API reference is generated from ``pwlinear.__all__`` (see :func:`api_sections`),
so a name added to the package appears on the API page without editing it.
Intersphinx links to Python, NumPy, SciPy and SymPy need the network: they are
on only when ``PWLINEAR_INTERSPHINX=1`` is set, so the default build works offline.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import pwlinear

# -- project -------------------------------------------------------------------------------------

project = "pwlinear"
author = "the pwlinear developers"
copyright = "2026, the pwlinear developers"
release = pwlinear.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "examples", "sg_execution_times.rst", "generated/_api_*.rst"]
default_role = "py:obj"
nitpicky = False

# -- API reference -------------------------------------------------------------------------------

# Topics of the API page, in reading order.  Names in ``pwlinear.__all__`` that are
# in no topic are listed under "Other", so nothing public is ever left out.
API_TOPICS: dict[str, list[str]] = {
    "Networks": ["Network", "shifted_relus", "as_network"],
    "Activations": [
        "Activation",
        "relu",
        "leaky_relu",
        "hardtanh",
        "absolute",
        "identity",
        "get_activation",
    ],
    "Exact regions and breakpoints": ["regions", "breakpoints", "to_piecewise", "Regions"],
    "Fitting shifted ReLUs": ["best_fit", "FitResult"],
    "Piecewise-linear functions": [
        "PiecewiseLinear",
        "PiecewiseConstant",
        "maximum",
        "minimum",
    ],
    "Trained models along lines and segments": [
        "restrict",
        "breakpoints_many",
        "decision_changes",
        "DecisionChanges",
    ],
}

# Submodules documented after the top-level names, when they can be imported (their
# docstrings say which optional dependency they need).
API_SUBMODULES: list[str] = ["pwlinear.models", "pwlinear.plotting", "pwlinear.testing"]


def _public(module_name: str) -> list[str] | None:
    """``module.__all__``, or None when the module is absent or cannot be imported."""
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return list(getattr(module, "__all__", []))


def api_sections() -> list[tuple[str, str, list[str]]]:
    """``(title, module, names)`` for every section of the API page.

    The top-level sections hold exactly the names of ``pwlinear.__all__``, grouped
    by :data:`API_TOPICS`; then one section per importable submodule of
    :data:`API_SUBMODULES`.
    """
    public = list(pwlinear.__all__)
    sections = []
    placed: set[str] = set()
    for title, names in API_TOPICS.items():
        present = [n for n in names if n in public]
        placed.update(present)
        if present:
            sections.append((title, "pwlinear", present))
    rest = sorted(n for n in public if n not in placed)
    if rest:
        sections.append(("Other", "pwlinear", rest))
    for module in API_SUBMODULES:
        names = _public(module)
        if names:
            sections.append((f":mod:`{module}`", module, names))
    return sections


def api_listing(toctree: str) -> str:
    """The autosummary tables of :func:`api_sections` as reStructuredText."""
    out = []
    for title, module, names in api_sections():
        out += [title, "-" * len(title), "", f".. currentmodule:: {module}", ""]
        if module != "pwlinear":
            out += [f".. automodule:: {module}", "   :no-members:", "   :no-index:", ""]
        out += [".. autosummary::", f"   :toctree: {toctree}", ""]
        out += [f"   {name}" for name in names]
        out.append("")
    return "\n".join(out)


def _write_api_listing() -> None:
    # ``api.rst`` includes the first file (its stubs resolve from docs/); autosummary
    # generates the stubs from the second, whose toctree is relative to docs/generated.
    generated = HERE / "generated"
    generated.mkdir(exist_ok=True)
    for name, toctree in (("_api_sections.rst", "generated"), ("_api_stubs.rst", ".")):
        text = api_listing(toctree)
        path = generated / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    # stubs of names that are no longer public would be pages outside every toctree
    current = {f"{module}.{name}" for _, module, names in api_sections() for name in names}
    for stub in generated.glob("pwlinear.*.rst"):
        if stub.stem not in current:
            stub.unlink()


autosummary_generate = ["generated/_api_stubs.rst"]
autosummary_ignore_module_all = False
autodoc_typehints = "none"
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# ``sphinx-build -b doctest docs DIR`` runs the ``.. doctest::`` blocks of the pages;
# docstrings are tested by pytest (``--doctest-modules``), not here.
doctest_test_doctest_blocks = ""

# -- intersphinx (network only on request) -------------------------------------------------------

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "scipy": ("https://docs.scipy.org/doc/scipy", None),
    "sympy": ("https://docs.sympy.org/latest", None),
}
intersphinx_timeout = 10
if not os.environ.get("PWLINEAR_INTERSPHINX"):
    # offline: no inventory is fetched; references to those projects render as plain text
    intersphinx_mapping = {}

# -- gallery -------------------------------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "reference_url": {"pwlinear": None},
    "doc_module": ("pwlinear",),
    "backreferences_dir": "generated/backreferences",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "min_reported_time": 1,
    "capture_repr": (),
}

# -- HTML ----------------------------------------------------------------------------------------

html_theme = "furo"
html_title = f"pwlinear {release}"
html_static_path: list[str] = []


def _hide_private_parameters(app, what, name, obj, options, signature, return_annotation):
    """Drop ``_private`` constructor fields (caches of result classes) from signatures."""
    if what != "class" or not signature:
        return None
    params = [p.strip() for p in signature.strip("()").split(",")]
    public = [p for p in params if p and not p.startswith("_")]
    return f"({', '.join(public)})", return_annotation


def setup(app):
    """Write the API listing before autosummary reads it; hide private fields."""
    _write_api_listing()
    app.connect("autodoc-process-signature", _hide_private_parameters)
    return {"parallel_read_safe": True}
