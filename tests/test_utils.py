"""Shared helpers: id normalisation and the bounded batch runner."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from astropy.table import MaskedColumn, Table

from telescope_query.utils import normalize_ids, progress_wanted, run_batch


@pytest.mark.parametrize('given, expected, single', [
    (418581, [418581], True), ('418581', [418581], True), ('J418581', [418581], True),
    (' R706248 ', [706248], True), (np.int64(7), [7], True), (7.0, [7], True),
    ([1, '2', 'R3'], [1, 2, 3], False), ((5, 6), [5, 6], False),
    (np.array([8, 9]), [8, 9], False), (b'12', [12], True),
])
def test_normalize_ids(given, expected, single):
    assert normalize_ids(given, 'jids') == (expected, single)


def test_ids_from_tables_rows_and_columns():
    table = Table({'jid': [11, 12], 'rid': [1, 2]})
    assert normalize_ids(table, 'jids') == ([11, 12], False)
    assert normalize_ids(table[1], 'jids') == ([12], True)
    assert normalize_ids(table['rid'], 'rids') == ([1, 2], False)
    with pytest.raises(ValueError, match="jids: the table has no 'jid' column"):
        normalize_ids(Table({'x': [1]}), 'jids')
    masked = MaskedColumn([1, 2], mask=[False, True])
    with pytest.raises(ValueError, match='masked'):
        normalize_ids(masked, 'jids')


@pytest.mark.parametrize('given, error, text', [
    ('abc', ValueError, "jids must be an integer id"), ('', ValueError, 'integer id'),
    (0, ValueError, 'positive'), (-3, ValueError, 'positive'), (True, TypeError, 'boolean'),
    (1.5, TypeError, 'integer id'), (None, TypeError, 'integer id'), ([], ValueError, 'empty'),
    ('١٢', ValueError, 'integer id'),     # Arabic-Indic digits are not ids
])
def test_bad_ids_name_the_parameter(given, error, text):
    with pytest.raises(error, match=text):
        normalize_ids(given, 'jids')


def test_run_batch_keeps_order_and_returns_exceptions_in_place():
    def work(item):
        if item == 3:
            raise KeyError(item)
        time.sleep(0.001 * (10 - item))
        return item * 10

    results = run_batch(work, range(10), max_workers=4)
    assert [r for i, r in enumerate(results) if i != 3] == [i * 10 for i in range(10) if i != 3]
    assert isinstance(results[3], KeyError)


def test_run_batch_is_bounded_by_max_workers():
    running, peak, lock = [0], [0], threading.Lock()

    def work(item):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.01)
        with lock:
            running[0] -= 1
        return item

    assert run_batch(work, range(12), max_workers=3) == list(range(12))
    assert 1 < peak[0] <= 3
    assert run_batch(work, [], max_workers=3) == []


def test_progress_only_when_asked_and_visible(monkeypatch):
    assert progress_wanted(False) is False
    import sys
    monkeypatch.setattr(sys.stderr, 'isatty', lambda: False, raising=False)
    assert progress_wanted(True) is False
