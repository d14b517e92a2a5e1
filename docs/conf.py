# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Sphinx configuration of the telescope_query documentation.

Builds offline: intersphinx (links into the Python, numpy and astropy docs) fetches
inventories over the network, so it is on only when the environment variable
``TELESCOPE_QUERY_DOCS_INTERSPHINX=1`` asks for it. ``tox -e docs`` builds with
warnings as errors (``sphinx-build -W --keep-going``).
"""
import os
import sys
from importlib import util

sys.path.insert(0, os.path.abspath('..'))

import telescope_query  # noqa: E402

project = 'telescope_query'
author = 'telescope_query contributors'
copyright = '2026, ' + author
version = release = telescope_query.__version__

needs_sphinx = '7.0'
master_doc = 'index'
source_suffix = {'.rst': 'restructuredtext'}
exclude_patterns = ['_build', '**.ipynb_checkpoints', 'conftest.py']
default_role = 'obj'

extensions = [
    'sphinx.ext.autodoc',
    'sphinx.ext.mathjax',
    'sphinx.ext.viewcode',
    'numpydoc',
    'sphinx_automodapi.automodapi',
    'sphinx_automodapi.smart_resolver',
]

if os.environ.get('TELESCOPE_QUERY_DOCS_INTERSPHINX') == '1':
    extensions.append('sphinx.ext.intersphinx')
    intersphinx_mapping = {
        'python': ('https://docs.python.org/3/', None),
        'numpy': ('https://numpy.org/doc/stable/', None),
        'astropy': ('https://docs.astropy.org/en/stable/', None),
        'astroquery': ('https://astroquery.readthedocs.io/en/latest/', None),
        'requests': ('https://requests.readthedocs.io/en/latest/', None),
        'matplotlib': ('https://matplotlib.org/stable/', None),
    }

# automodapi + numpydoc, as in astropy and astroquery.
numpydoc_show_class_members = False
automodapi_toctreedirnm = 'api'
automodsumm_inherited_members = False
autosummary_generate = True
autoclass_content = 'both'

# The ">>> " prompts of the doctests stay; their "# doctest: +SKIP" flags do not show.
trim_doctest_flags = True

if util.find_spec('pydata_sphinx_theme') is not None:
    html_theme = 'pydata_sphinx_theme'
    html_theme_options = {
        'navigation_depth': 2,
        'show_nav_level': 2,
        'use_edit_page_button': False,
    }
else:  # the docs extra installs it; plain Sphinx still builds
    html_theme = 'alabaster'
html_title = f'telescope_query {release}'
html_last_updated_fmt = '%d %b %Y'
html_static_path = []
