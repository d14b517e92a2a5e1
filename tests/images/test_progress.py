"""Progress bars where people look at them: terminals and notebooks.

In a Jupyter kernel without ipywidgets, tqdm's widget is not available and a
text bar is written to the cell's output, which keeps every line a bar moves
to: bars must not stack (no ``position``), each stays one line. A call whose
products are all in the cache draws no bar at all. Tests fake the kernel
(``utils._in_kernel``) and read standard error as pytest captures it (not a
terminal).
"""
from __future__ import annotations

import pytest

from telescope_query import utils
from telescope_query.utils import run_batch

from helpers import demo_jids


@pytest.fixture
def notebook_without_widgets(monkeypatch):
    monkeypatch.setattr(utils, '_in_kernel', lambda: True)
    monkeypatch.setattr(utils, '_has_widgets', lambda: False)


def test_a_bulk_fetch_in_a_notebook_without_widgets_is_one_line(
        telescope, simulator, quick, capsys, notebook_without_widgets):
    jids = demo_jids(simulator)[40:46]
    telescope.get_images(jids, show_progress=True)
    err = capsys.readouterr().err
    assert 'products' in err and f'{len(jids)}/{len(jids)}' in err
    assert err.count('\n') == 1, f'{err.count(chr(10))} lines: {err!r}'
    assert '\x1b[' not in err                  # no cursor moves: nothing stacks
    assert 'MiB' in err                        # the bytes, in the one bar's postfix


def test_no_bar_for_products_already_in_the_cache(telescope, simulator, quick, capsys,
                                                  notebook_without_widgets):
    jids = demo_jids(simulator)[46:48]
    telescope.get_images(jids, show_progress=False)
    telescope.download_data(jids, path=telescope.cache_location / 'out', show_progress=False)
    capsys.readouterr()
    telescope.get_images(jids, show_progress=True)
    telescope.download_data(jids, path=telescope.cache_location / 'out2', show_progress=True)
    assert capsys.readouterr().err == ''


def test_a_batch_in_a_notebook_without_widgets_is_one_line(capsys, notebook_without_widgets):
    assert run_batch(lambda n: n * 2, range(30), max_workers=4, show_progress=True,
                     description='views') == [n * 2 for n in range(30)]
    err = capsys.readouterr().err
    assert 'views' in err and '30/30' in err and err.count('\n') == 1


def test_style_follows_where_it_runs(monkeypatch):
    monkeypatch.setattr(utils, '_in_kernel', lambda: False)
    assert utils.progress_style(False) is None
    assert utils.progress_style(True) is None       # pytest's stderr is no terminal
    monkeypatch.setattr(utils, '_in_kernel', lambda: True)
    monkeypatch.setattr(utils, '_has_widgets', lambda: True)
    assert utils.progress_style(True) == 'widget'
    monkeypatch.setattr(utils, '_has_widgets', lambda: False)
    assert utils.progress_style(True) == 'text'
