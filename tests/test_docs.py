"""The documentation runs: the console examples of docs/cli.rst, the pytest example of
docs/simulator.rst, and the tutorial notebook, all against the simulator.

(The ``>>>`` examples of the docs pages run as doctests through docs/conftest.py.)
"""
from __future__ import annotations

import argparse
import contextlib
import doctest
import io
import os
import re
import shlex
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import keyring
import keyring.backend
import pytest
from astropy.config import paths

from telescope_query.cli import main
from telescope_query.credentials import KEYRING_SERVICE

from keyring_stub import MemoryKeyring
from reader_session import DOCS_ACCOUNTS, DOCS_SETTINGS, pin_client_clock

DOCS = Path(__file__).resolve().parent.parent / 'docs'

CHECKER = doctest.OutputChecker()
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@dataclass
class ConsoleBlock:
    """One ``.. code-block:: console`` of a page: commands and their expected output."""

    line: int
    steps: list[tuple[str, str]] = field(default_factory=list)  # (command, output)


def console_blocks(page: Path) -> list[ConsoleBlock]:
    """The console blocks of ``page``, except those after a ``.. not run:`` comment."""
    lines = page.read_text(encoding='utf-8').splitlines()
    blocks = []
    skip = False
    index = 0
    while index < len(lines):
        text = lines[index]
        if text.startswith('.. not run:'):
            skip = True
        elif text.strip() == '.. code-block:: console':
            body, index = _indented_body(lines, index + 1)
            if not skip:
                blocks.append(_steps(body, index))
            skip = False
            continue
        elif text.strip() and not text.startswith('..'):
            skip = False
        index += 1
    return blocks


def _indented_body(lines: list[str], index: int) -> tuple[list[str], int]:
    body = []
    while index < len(lines) and (not lines[index].strip() or lines[index].startswith(' ')):
        body.append(lines[index])
        index += 1
    return textwrap.dedent('\n'.join(body)).strip('\n').splitlines(), index


def _steps(body: list[str], line: int) -> ConsoleBlock:
    block = ConsoleBlock(line)
    for text in body:
        if text.startswith('$ '):
            block.steps.append((text[2:], ''))
        elif block.steps:
            command, output = block.steps[-1]
            block.steps[-1] = (command, output + text + '\n')
    return block


def run_console(command: str, last_status: int) -> tuple[str, int]:
    """Run one ``$`` line in-process: ``telescope-query ...``, ``echo $?``, or
    ``echo TEXT | telescope-query ...`` (TEXT on standard input)."""
    if command == 'echo $?':
        return f'{last_status}\n', last_status
    argv = shlex.split(command)
    stdin = ''
    if argv[0] == 'echo' and '|' in argv:
        bar = argv.index('|')
        stdin, argv = ' '.join(argv[1:bar]) + '\n', argv[bar + 1:]
    assert argv[0] == 'telescope-query', f'the docs may only run telescope-query: {command}'
    both = io.StringIO()       # stdout and stderr interleaved, as a terminal shows them
    with contextlib.redirect_stdout(both), contextlib.redirect_stderr(both), \
            _stdin(stdin):
        status = main(argv[1:])
    return both.getvalue(), status


@contextlib.contextmanager
def _stdin(text: str):
    saved, sys.stdin = sys.stdin, io.StringIO(text)
    try:
        yield
    finally:
        sys.stdin = saved


@pytest.fixture
def docs_cli(monkeypatch, tmp_path):
    """The session the CLI page describes: its simulator, user demo, password in the keyring."""
    from telescope_query.simulator import Simulator

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('HOME', str(tmp_path))
    monkeypatch.delenv('TELESCOPE_QUERY_USER', raising=False)
    monkeypatch.delenv('TELESCOPE_QUERY_PASSWORD', raising=False)
    pin_client_clock(monkeypatch)
    saved = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring({(KEYRING_SERVICE, 'demo'): 'demo'}))
    cache = tmp_path / 'cache'
    cache.mkdir()
    try:
        with Simulator(dict(DOCS_ACCOUNTS), **DOCS_SETTINGS) as sim, \
                paths.set_temp_cache(cache):
            monkeypatch.setenv('TELESCOPE_QUERY_SERVER', sim.url)
            yield sim
    finally:
        keyring.set_keyring(saved)


def test_cli_page_has_runnable_examples():
    blocks = console_blocks(DOCS / 'cli.rst')
    commands = [command for block in blocks for command, _ in block.steps]
    assert len(commands) >= 10
    for name in ('folders', 'requests', 'jobs', 'show', 'download', 'submit'):
        assert any(c.split()[:4].count(name) for c in commands), name


def test_cli_page_examples_print_what_the_page_says(docs_cli):
    status = 0
    for block in console_blocks(DOCS / 'cli.rst'):
        for command, expected in block.steps:
            if command.startswith('cat '):      # the page shows a file: the reader's own
                Path(command[4:]).write_text(expected, encoding='utf-8')
                continue
            got, status = run_console(command, status)
            assert CHECKER.check_output(expected, got, FLAGS), (
                f'docs/cli.rst line {block.line}: $ {command}\n'
                + CHECKER.output_difference(doctest.Example(command, expected), got, FLAGS))


def test_console_block_parser(tmp_path):
    page = tmp_path / 'page.rst'
    page.write_text(textwrap.dedent('''\
        Text.

        .. code-block:: console

            $ telescope-query folders
            a b
            $ echo $?
            0

        .. not run: a reason

        .. code-block:: console

            $ telescope-query login
        '''))
    (block,) = console_blocks(page)
    assert block.steps == [('telescope-query folders', 'a b\n'), ('echo $?', '0\n')]


def test_console_runner_pipes_echo_into_standard_input(docs_cli):
    out, status = run_console('echo not-the-password | telescope-query login --user demo '
                              '--password-stdin', 0)
    assert status == 1 and "as 'demo' failed" in out
    assert run_console('echo $?', status) == ('1\n', 1)


def test_simulator_page_pytest_example_passes(tmp_path):
    """The test file shown in docs/simulator.rst, run by pytest as a user would."""
    text = (DOCS / 'simulator.rst').read_text(encoding='utf-8')
    start = text.index('.. code-block:: python', text.index('In your own tests'))
    body, _ = _indented_body(text.splitlines(), text[:start].count('\n') + 1)
    test_file = tmp_path / 'test_my_monitoring.py'
    test_file.write_text('\n'.join(body) + '\n')
    result = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', str(test_file)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, 'HOME': str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r'\b2 passed\b', result.stdout)


# ------------------------------------------------------------------ the tutorial notebook

def _outputs(cell) -> str:
    """The text a code cell showed (streams and plain-text results)."""
    parts = []
    for output in cell.get('outputs', []):
        if output['output_type'] == 'stream':
            parts.append(output['text'])
        elif 'data' in output:
            parts.append(output['data'].get('text/plain', ''))
    return ''.join(parts)


@pytest.mark.parametrize('given_server', [False, True],
                         ids=['starts-its-simulator', 'uses-TELESCOPE_QUERY_SERVER'])
def test_tutorial_notebook_runs(given_server, simulator_factory, tmp_path):
    """docs/tutorial.ipynb executes cell by cell: on its own simulator, or on a given one."""
    nbformat = pytest.importorskip('nbformat')
    nbclient = pytest.importorskip('nbclient')
    pytest.importorskip('ipykernel')

    notebook = nbformat.read(DOCS / 'tutorial.ipynb', as_version=4)
    assert not any(cell.get('outputs') for cell in notebook.cells), \
        'commit the tutorial without outputs'
    env = {key: value for key, value in os.environ.items()
           if not key.startswith('TELESCOPE_QUERY_')}
    # The kernel's own home (astropy cache, config file) and no real keyring.
    env.update(HOME=str(tmp_path), PYTHON_KEYRING_BACKEND='keyring.backends.null.Keyring')
    if given_server:
        sim = simulator_factory()
        env.update(TELESCOPE_QUERY_SERVER=sim.url, TELESCOPE_QUERY_USER='alice',
                   TELESCOPE_QUERY_PASSWORD='alice-Secret-42')
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name='python3',
                                     resources={'metadata': {'path': str(tmp_path)}})
    client.execute(env=env)         # the kernel's environment (jupyter_client's start_kernel)

    code = [cell for cell in notebook.cells if cell.cell_type == 'code']
    text = [_outputs(cell) for cell in code]
    assert ('Logged in as alice' if given_server else 'Logged in as demo') in text[1]
    if given_server:
        assert f'Server: {sim.url}' in text[0]
        assert sim.counters['api-user.php/request-constructor/0-rb-submit'] == 1
    else:
        assert 'Server: http://127.0.0.1:' in text[0]
    done = re.search(r'Done: request (\d+) is waiting in the queue', text[-1])
    assert done, text[-1]
    assert re.search(rf'\b{done.group(1)}\s+V1500 Cyg\s+Waiting', '\n'.join(text))
    manifest = next(t for t in text if 'tutorial-images/' in t)
    assert 'ERROR' not in manifest
    assert len(list((tmp_path / 'tutorial-images').glob('*.fits'))) >= 1
    figures = [output for cell in code for output in cell.get('outputs', [])
               if 'image/png' in output.get('data', {})]
    assert figures, 'the preview is shown as an image'


# ------------------------------------------------------------------ the pages' doctests

ROOT = DOCS.parent
PAGES = [ROOT / 'README.rst', *sorted(DOCS.glob('*.rst'))]


def test_readme_and_every_page_are_collected_as_doctests():
    """pytest's own run collects README.rst and docs/*.rst (testpaths, doctest glob)."""
    import tomllib

    options = tomllib.loads((ROOT / 'pyproject.toml').read_text())['tool']['pytest'][
        'ini_options']
    assert 'README.rst' in options['testpaths'] and 'docs' in options['testpaths']
    assert '--doctest-glob=*.rst' in options['addopts'].split()
    assert '>>> ' in (ROOT / 'README.rst').read_text(encoding='utf-8')


@pytest.mark.parametrize('page', PAGES, ids=lambda page: page.name)
def test_a_skipped_example_says_why(page):
    """+SKIP only where the simulator cannot serve the example, with the reason beside it."""
    for number, line in enumerate(page.read_text(encoding='utf-8').splitlines(), 1):
        if 'doctest: +SKIP' not in line:
            continue
        code = line.split('# doctest:')[0]
        assert re.search(r'#\s*\w+', code), f'{page.name}:{number}: +SKIP without a reason'


# ------------------------------------------------------------------ every command line shown

def _shown_command_lines() -> list[tuple[str, str]]:
    """Every ``telescope-query`` command line of README.rst, docs/*.rst and the help
    texts' examples, as ``(where, command)``; not those that docs/cli.rst runs with
    their outputs (some show a refusal)."""
    from telescope_query.cli.parser import build_parser

    run = {command for block in console_blocks(DOCS / 'cli.rst')
           for command, _ in block.steps}
    found = []
    for page in PAGES:
        for number, line in enumerate(page.read_text(encoding='utf-8').splitlines(), 1):
            match = re.match(r'\s*\$ (.*telescope-query .*)$', line)
            if match and not (page.name == 'cli.rst' and match.group(1) in run):
                found.append((f'{page.name}:{number}', match.group(1)))
    parser = build_parser()
    subcommands = next(action for action in parser._actions
                       if isinstance(action, argparse._SubParsersAction)).choices
    for name, sub in [('--help', parser), *subcommands.items()]:
        for line in (sub.epilog or '').splitlines():
            if line.strip().startswith('telescope-query '):
                found.append((f'telescope-query {name} --help', line.strip()))
            elif '| telescope-query ' in line:
                found.append((f'telescope-query {name} --help', line.strip()))
    return found


def _argv(command: str) -> list[str]:
    """The telescope-query words of a shell line: no comment, pipe, redirection, '&'."""
    words = shlex.split(command, comments=True)
    for separator in ('&&', '|'):
        if separator in words:
            words = words[words.index(separator) + 1:]
    words = [word for word in words if word != '&']
    if '>' in words:
        words = words[:words.index('>')]
    assert words[0] == 'telescope-query', command
    return words[1:]


@pytest.mark.parametrize('where, command', _shown_command_lines(),
                         ids=[where for where, _ in _shown_command_lines()])
def test_every_command_line_shown_is_valid_usage(where, command, tmp_path, monkeypatch):
    """What the pages and the help show parses, and passes every option check."""
    from telescope_query.cli import options
    from telescope_query.cli.parser import build_parser

    monkeypatch.chdir(tmp_path)
    try:
        args = build_parser().parse_args(_argv(command))
    except SystemExit:
        pytest.fail(f'{where}: {command} is refused by the parser')
    options.check(args)


def test_the_shown_command_lines_are_found():
    shown = _shown_command_lines()
    places = {where.split(':')[0] for where, _ in shown}
    assert {'README.rst', 'cli.rst', 'simulator.rst', 'getting_started.rst'} <= places
    assert any('--help' in where for where in places)
    assert len(shown) >= 50


# ------------------------------------------------------------------ words a reader sees

#: Pages for the package's developers, where the site's own words are the subject.
DEVELOPER_PAGES = {'internals.rst', 'protocol.rst'}
#: Internal words no reader should meet; a test's name (``test_basket_...``) aside.
INTERNAL_WORDS = re.compile(r'(?<!test_)\bbasket|view is empty|empty view', re.IGNORECASE)


def _reader_texts() -> list[tuple[str, str]]:
    """(where, text) of what readers read: README, CHANGELOG, the user pages, the
    notebook's markdown and every --help of the command line."""
    from telescope_query.cli.parser import build_parser

    texts = [(page.name, page.read_text(encoding='utf-8')) for page in PAGES
             if page.name not in DEVELOPER_PAGES]
    texts.append(('CHANGELOG.rst', (ROOT / 'CHANGELOG.rst').read_text(encoding='utf-8')))
    nbformat = pytest.importorskip('nbformat')
    notebook = nbformat.read(DOCS / 'tutorial.ipynb', as_version=4)
    texts += [(f'tutorial.ipynb cell {number}', cell.source)
              for number, cell in enumerate(notebook.cells) if cell.cell_type == 'markdown']
    parser = build_parser()
    subcommands = next(action for action in parser._actions
                       if isinstance(action, argparse._SubParsersAction)).choices
    texts += [(f'telescope-query {name} --help', sub.format_help())
              for name, sub in [('', parser), *subcommands.items()]]
    return texts


def test_no_internal_words_where_readers_look():
    found = [(where, match.group(0)) for where, text in _reader_texts()
             for match in INTERNAL_WORDS.finditer(text)]
    assert not found


# ------------------------------------------------------------------ named targets

#: SIMBAD's ICRS positions (J2000) of the objects the examples name.
REAL_POSITIONS = {
    'SS Cyg': ('21:42:42.80', '+43:35:09.9'),
    'V1500 Cyg': ('21:11:36.59', '+48:09:02.0'),
    'M 31': ('00:42:44.33', '+41:16:07.5'),
}
NAMES = {'SS Cyg': r'\bSS Cyg\b', 'V1500 Cyg': r'\bV1500 Cyg\b',
         'M 31': r'\bM ?31\b|Andromeda'}
COORDINATES = re.compile(r'(\d{1,2}:\d{2}:\d{2}(?:\.\d+)?)\s+([+-]\d{1,2}:\d{2}:\d{2}(?:\.\d+)?)')
#: Lines that name one target and give the position of another (a list of targets).
OTHER_TARGETS = ("targets = Table({'target': ['SS Cyg', '20:42:59.6 +43:35:10'",)


def _logical_lines(text: str) -> list[str]:
    """Lines, a statement continued on the next line joined to it, and a comment
    joined to the line it is about."""
    lines: list[str] = []
    joining = False
    for line in text.splitlines():
        if joining and lines:
            lines[-1] += ' ' + line.strip()
        else:
            lines.append(line)
        stripped = re.sub(r'\\n",?$', '', line.rstrip())     # a notebook's JSON line
        joining = stripped.endswith((',', '(', '\\')) or stripped.lstrip().startswith('#')
    return lines


def _named_positions() -> list[tuple[str, str, str, str]]:
    """(where, name, RA, Dec) of each position written beside an object's name in
    README, the pages, the notebook, the help texts and the package's code (not the
    simulator's catalogue: its records are the site's own, as recorded)."""
    from telescope_query.cli.parser import build_parser

    sources = [(path.name, path.read_text(encoding='utf-8'))
               for path in [*PAGES, DOCS / 'tutorial.ipynb']]
    package = ROOT / 'telescope_query'
    sources += [(str(path.relative_to(ROOT)), path.read_text(encoding='utf-8'))
                for path in sorted(package.rglob('*.py')) if 'simulator' not in path.parts]
    parser = build_parser()
    subcommands = next(action for action in parser._actions
                       if isinstance(action, argparse._SubParsersAction)).choices
    sources += [(f'{name} --help', sub.format_help())
                for name, sub in [('', parser), *subcommands.items()]]
    found = []
    for where, text in sources:
        for line in _logical_lines(text):
            if any(other in line for other in OTHER_TARGETS):
                continue
            names = [name for name, pattern in NAMES.items() if re.search(pattern, line)]
            for ra, dec in COORDINATES.findall(line):
                found += [(where, name, ra, dec) for name in names]
    return found


def test_named_examples_are_at_the_real_positions():
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    found = _named_positions()
    assert {name for _, name, _, _ in found} == set(REAL_POSITIONS)   # all three seen
    wrong = []
    for where, name, ra, dec in found:
        real = SkyCoord(*REAL_POSITIONS[name], unit=(u.hourangle, u.deg))
        given = SkyCoord(ra, dec, unit=(u.hourangle, u.deg))
        if given.separation(real) > 1 * u.arcsec:
            wrong.append(f'{where}: {name} at {ra} {dec}, '
                         f'{given.separation(real).to(u.arcmin):.1f} from its position')
    assert not wrong
