"""``docs/reliability.rst`` stays true to this suite.

The page tabulates what the suite tries and what the package does, each row
naming its test as ``test_<module>.py::test_<name>``. These tests read the
page and the suite's sources (without running anything) and check both ways:

- every test function of ``tests/reliability/test_*.py`` is named by a row, and
  every fault, operation, download call, submission fault, bad-input case and
  broken header kind the suite tries appears on the page;
- every test a row names exists;
- the page is valid reStructuredText and listed in the documentation's index.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path


from . import test_bad_input, test_faults, test_hostile_answers

HERE = Path(__file__).parent
DOCS = HERE.parent.parent / 'docs'
PAGE = DOCS / 'reliability.rst'
NAMED = re.compile(r'``(test_\w+\.py)::(test_\w+)``')


def suite_tests() -> set[tuple[str, str]]:
    """(module file, test function) of every test in tests/reliability."""
    found = set()
    for path in sorted(HERE.glob('test_*.py')):
        tree = ast.parse(path.read_text(encoding='utf-8'))
        found |= {(path.name, node.name) for node in tree.body
                  if isinstance(node, ast.FunctionDef) and node.name.startswith('test_')}
    return found


def page_text() -> str:
    return PAGE.read_text(encoding='utf-8')


def table_rows(text: str) -> list[str]:
    """The rows of the page's list-tables, each as one string of its cells."""
    rows, current = [], None
    for line in text.splitlines():
        if re.match(r'^   \* - ', line):
            if current is not None:
                rows.append(current)
            current = line[6:]
        elif current is not None and re.match(r'^     (- |  )', line):
            current += ' ' + line.strip()
        elif current is not None and not line.strip():
            continue
        elif current is not None:
            rows.append(current)
            current = None
    if current is not None:
        rows.append(current)
    return [' '.join(row.split()) for row in rows]


def first_cell(row: str) -> str:
    return row.split(' - ')[0]


def test_every_test_the_page_names_exists():
    """No row claims a test that is not in the suite."""
    named = set(NAMED.findall(page_text()))
    assert named, 'the page names no test at all'
    missing = named - suite_tests()
    assert not missing, f'the page names tests that do not exist: {sorted(missing)}'


def test_the_page_covers_the_whole_suite():
    """Every test, fault, operation and bad-input case has its place on the page."""
    text = page_text()
    flat = ' '.join(text.split())
    named = set(NAMED.findall(text))
    untold = suite_tests() - named
    assert not untold, f'tests without a row on the page: {sorted(untold)}'

    firsts = {first_cell(row) for row in table_rows(text)}
    for table in (test_faults.FAULTS, test_faults.DOWNLOAD_FAULTS, test_faults.SUBMIT_FAULTS):
        absent = [fault for fault in table if fault not in firsts]
        assert not absent, f'faults without their row: {absent}'
    for operation in [*test_faults.OPERATIONS, *test_faults.DOWNLOADS,
                      *test_hostile_answers.API_CALLS]:
        name = operation.replace('legacy ', '')
        assert f'``{name}``' in flat, f'the operation {operation!r} is not on the page'
    for kind, _ in test_hostile_answers.BROKEN:
        assert kind in flat, f'the broken header {kind!r} is not on the page'

    rows = table_rows(text)
    for case in test_bad_input.CASES:
        method = re.sub(r'^legacy |\s*\(.*\)$', '', case.method)
        row = next((r for r in rows if f'``{method}``' in first_cell(r)), None)
        assert row is not None, f'no row for the method {case.method!r}'
        assert f'``{case.parameter}``' in row, \
            f'the row of {case.method!r} does not name {case.parameter!r}'


def test_the_page_is_valid_and_listed():
    """The page parses as reStructuredText with no error (Sphinx's roles stubbed),
    and docs/index.rst lists it in a toctree."""
    from docutils.core import publish_doctree  # in the test extra: this check runs
    from docutils import nodes
    from docutils.parsers.rst import roles

    for role in ('ref', 'class', 'func', 'meth', 'obj', 'attr', 'mod', 'doc', 'exc'):
        roles.register_generic_role(role, nodes.literal)
    messages = []
    document = publish_doctree(
        page_text(), source_path=str(PAGE),
        settings_overrides={'report_level': 5, 'halt_level': 5, 'warning_stream': False})
    for node in document.findall():
        if node.tagname == 'system_message' and node['level'] >= 2:
            messages.append(node.astext())
    assert not messages, messages[:3]
    index = (DOCS / 'index.rst').read_text(encoding='utf-8')
    assert re.search(r'^\s+reliability\s*$', index, re.M), 'docs/index.rst does not list it'
