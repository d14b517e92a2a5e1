"""Tests of `telescope_query.submit`, one file per module of the package.

A package, as ``tests/reliability`` is: its modules are ``submit.test_*``, so
their names cannot clash with the tests of other folders. ``tests/`` stays on
``sys.path`` (``tests/conftest.py`` is found there), so ``helpers`` and
``sesame_stub`` import as they do in the tests beside them.
"""
