"""Sphinx configuration for the pwlinear documentation."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

import pwlinear

project = "pwlinear"
author = "the pwlinear developers"
copyright = "2026, the pwlinear developers"
release = pwlinear.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "sphinx.ext.doctest",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
autodoc_typehints = "none"
default_role = "py:obj"

# intersphinx needs the network; the build must pass offline, so it is opt-in
intersphinx_mapping = {}
if os.environ.get("PWLINEAR_INTERSPHINX"):
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "scipy": ("https://docs.scipy.org/doc/scipy", None),
        "sympy": ("https://docs.sympy.org/latest", None),
    }

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
}

html_theme = "furo"
html_title = f"pwlinear {release}"
exclude_patterns = ["_build", "examples", "sg_execution_times.rst"]
nitpicky = False
