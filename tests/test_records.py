"""The record cache: JSON files per server and account (pure file I/O)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from telescope_query.records import RecordCache, canonical


def test_round_trip_with_datetimes(tmp_path):
    cache = RecordCache(tmp_path, 'http://127.0.0.1:1/\ndemo')
    record = {'jid': 7, 'completed': datetime(2024, 11, 18, 16, 0, tzinfo=timezone.utc),
              'rids': [1, 2]}
    assert cache.get(('job-view', 7)) is None
    cache.put(('job-view', 7), record)
    assert cache.get(('job-view', 7)) == record
    assert RecordCache(tmp_path, 'http://127.0.0.1:1/\ndemo').get(('job-view', 7)) == record


def test_scope_is_a_folder_per_server_and_account(tmp_path):
    demo = RecordCache(tmp_path, 'http://127.0.0.1:1/\ndemo')
    other = RecordCache(tmp_path, 'http://127.0.0.1:1/\nother')
    server = RecordCache(tmp_path, 'http://127.0.0.1:2/\ndemo')
    demo.put(('page',), 'text')
    assert other.get(('page',)) is None and server.get(('page',)) is None
    assert len({demo.folder, other.folder, server.folder}) == 3
    assert 'demo' not in demo.folder.name       # the scope is kept only as a hash


def test_unreadable_file_is_a_miss_and_removed(tmp_path):
    cache = RecordCache(tmp_path, 'scope')
    cache.put(('k', 1), {'a': 1})
    (path,) = cache.folder.glob('*.json')
    path.write_text('{"a": ', encoding='utf-8')
    assert cache.get(('k', 1)) is None
    assert not path.exists()


def test_what_is_not_json_is_refused_and_nothing_left(tmp_path):
    cache = RecordCache(tmp_path, 'scope')
    with pytest.raises(TypeError, match='cannot cache a object'):
        cache.put(('k',), {'a': object()})
    assert list(cache.folder.iterdir()) == []


def test_canonical_ignores_dict_order():
    assert canonical({'b': 2, 'a': 1}) == canonical({'a': 1, 'b': 2}) == [['a', '1'], ['b', '2']]
    assert canonical([('a', 1), ('a', 2)]) == [['a', '1'], ['a', '2']]
    assert canonical(None) is None and canonical('x=1') == 'x=1'


def test_a_scope_that_no_longer_holds_keeps_nothing(tmp_path):
    holds = [True]
    cache = RecordCache(tmp_path, 'server\nuser', current=lambda: holds[0])
    cache.put(('a',), 1)
    holds[0] = False
    cache.put(('b',), 2)
    assert cache.get(('a',)) == 1 and cache.get(('b',)) is None
