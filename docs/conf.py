"""Sphinx configuration of lucid's documentation.

Build it offline with warnings as errors::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Everything the site needs is local: the theme (pydata-sphinx-theme), MathJax (vendored by the
``sphinx-mathjax-offline`` package and copied into ``_static/mathjax``), matplotlib
(which draws the learning-rate plots, ``_ext/lrplots.py``), and lucid itself
(imported from this checkout). Intersphinx is deliberately not used: it would
fetch inventories from the network.
"""
import os
import sys

DOCS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(DOCS)
sys.path.insert(0, ROOT)                         # import lucid from this checkout
sys.path.insert(0, os.path.join(DOCS, "_ext"))   # apigen, twins, lrplots
sys.path.insert(0, os.path.join(DOCS, "tutorials"))  # render_tutorials

import lucid  # noqa: E402

project = "lucid"
author = "the lucid authors"
copyright = "the lucid authors"
release = lucid.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx-mathjax-offline",   # serves MathJax from _static/mathjax: no CDN
    "apigen",                    # writes the API listings from each package's __all__
    "twins",                     # .. kernel-twins:: family function
    "lrplots",                   # learning-rate plots of the schedulers (matplotlib)
    "render_tutorials",          # runs tutorials/*.py, renders prose, code, output, figures
    "modelzoo",                  # .. model-table:: family (parameters counted at the build)
]

# -- sources ---------------------------------------------------------------------------
templates_path = ["_templates"]
exclude_patterns = ["_build", "api/extras/*"]   # extras are included into API pages
root_doc = "index"

# -- autodoc / autosummary / numpydoc -------------------------------------------------------
autosummary_generate = True         # one page per public name (see _ext/apigen.py)
autosummary_generate_overwrite = True
autosummary_imported_members = False
autodoc_default_options = {}
autodoc_typehints = "none"          # the numpydoc "Parameters" section says the types
add_module_names = True

numpydoc_show_class_members = False  # methods are listed by the class template instead
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()   # the docstring standard is checked by review, not here

# MathJax: the textmacros package lets ``\text{step\_size}`` print "step_size" as
# LaTeX would (without it MathJax shows the backslash). Loaded from the local copy.
mathjax3_config = {
    "loader": {"load": ["[tex]/textmacros"]},
    "tex": {"packages": {"[+]": ["textmacros"]}},
}

# -- HTML --------------------------------------------------------------------------------
# pydata-sphinx-theme: made for API references (NumPy, SciPy and pandas use it), with a
# wide article column for code and maths, a sidebar that becomes a drawer on a phone,
# and all its assets (CSS, JS, icon font) inside the pip package: nothing is fetched.
html_theme = "pydata_sphinx_theme"
html_title = f"lucid {release}"
html_static_path = ["_static"]
html_css_files = ["site.css"]        # lucid's additions to the theme (see the file)
html_js_files = [("search-snippets.js", {"defer": "defer"})]   # search snippets: maths as text
html_theme_options = {
    "logo": {"text": f"lucid {release}"},
    "navbar_align": "left",
    "navbar_center": [],                         # the whole site is in the left sidebar
    "navbar_end": ["theme-switcher"],
    "navbar_persistent": ["search-button-field"],
    # "On this page" (the right column) on the prose pages; the tutorials, the pages
    # that show kernel source and the API pages leave its width to the code (a page not
    # listed here has no right column).
    "secondary_sidebar_items": {
        page: ["page-toc"] for page in
        ["index", "tensor", "autograd", "kernels", "guide/*", "api/index"]
    },
    "show_toc_level": 2,
    "show_nav_level": 1,
    "navigation_depth": 2,                      # API members: on their namespace page
    "collapse_navigation": False,
    "show_prev_next": True,
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_sidebars = {"**": ["site-nav.html"]}        # _templates/site-nav.html
html_show_sourcelink = False
