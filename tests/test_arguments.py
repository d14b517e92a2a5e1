"""The pure argument helpers of the public methods (no server, no I/O)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest
from astropy.time import Time

from telescope_query import arguments
from telescope_query.protocol import site, user_api

UTC = timezone.utc
FOLDERS = [{'folder_id': 1, 'name': 'Inbox'}, {'folder_id': 41, 'name': 'My Variables'},
           {'folder_id': 42, 'name': '7'}]


@pytest.mark.parametrize('given, expected', [
    (None, None), (8, {8}), (np.int64(8), {8}), (' 8 ', {8}), ('Complete', {8}),
    ('  complete ', {8}), ('completed', {8}), ([8, 25], {8, 25}), ((8,), {8}),
])
def test_status_filter(given, expected):
    assert arguments.status_filter(given) == expected


def test_status_filter_queued_is_every_code_below_complete():
    queued = arguments.status_filter('Queued')
    assert queued and queued == {c for c in site.STATUS_TEXTS if site.is_queued(c)}
    assert site.STATUS_COMPLETE not in queued


@pytest.mark.parametrize('given, error, text', [
    ([], ValueError, 'must not be an empty list'),
    (99, ValueError, 'unknown code 99'),
    ('lost', ValueError, 'status must be a status code'),
    ('８', ValueError, 'status must be a status code'),     # not an ASCII digit
    (True, TypeError, 'status must be'),
    (np.bool_(False), TypeError, 'status must be'),
    (8.0, ValueError, 'status must be'),
    ([8, 'lost'], ValueError, "got 'lost'"),
])
def test_status_filter_refuses(given, error, text):
    with pytest.raises(error, match=text):
        arguments.status_filter(given)


def test_name_key_ignores_case_and_spacing():
    assert arguments.name_key(' SS  Cyg ') == arguments.name_key('ss\tcyg') == 'sscyg'


def test_check_object_name():
    assert arguments.check_object_name('M 31') == 'M 31'
    for bad in ('', '   ', None, 31):
        with pytest.raises(ValueError, match='name must be a non-empty object name'):
            arguments.check_object_name(bad)


def test_check_flag():
    assert arguments.check_flag(np.bool_(True), 'details') is True
    with pytest.raises(TypeError, match='details must be True or False, got 1'):
        arguments.check_flag(1, 'details')


@pytest.mark.parametrize('given, expected', [
    (datetime(2024, 11, 18, 16, 0), datetime(2024, 11, 18, 16, 0, tzinfo=UTC)),
    (datetime(2024, 11, 18, 17, 0, tzinfo=timezone(timedelta(hours=1))),
     datetime(2024, 11, 18, 16, 0, tzinfo=UTC)),
    (date(2024, 11, 18), datetime(2024, 11, 18, tzinfo=UTC)),
    (Time('2024-11-18T16:00:00', scale='utc'), datetime(2024, 11, 18, 16, 0, tzinfo=UTC)),
    (' 2024-11-18 16:00 ', datetime(2024, 11, 18, 16, 0, tzinfo=UTC)),
])
def test_utc_datetime(given, expected):
    assert arguments.utc_datetime(given, 'start') == expected


@pytest.mark.parametrize('given, error, text', [
    ('yesterday', ValueError, "start must be an astropy Time.*got 'yesterday'"),
    (Time(['2024-01-01', '2024-01-02']), ValueError, 'got a Time array'),
    (Time(1e12, format='jd'), ValueError, 'out of range'),
    (12, TypeError, 'got int 12'),
])
def test_utc_datetime_refuses(given, error, text):
    with pytest.raises(error, match=text):
        arguments.utc_datetime(given, 'start')


def test_time_window_defaults_and_order():
    start, end = arguments.time_window(None, '2024-11-18 16:00')
    assert end - start == timedelta(days=1)
    start, end = arguments.time_window(None, None)
    assert end.second == end.microsecond == 0 and end.tzinfo == UTC
    assert end - start == timedelta(days=1)
    with pytest.raises(ValueError, match='start must be before end, got '
                                         'start=2024-11-18 16:00 and end=2024-11-18 16:00'):
        arguments.time_window('2024-11-18 16:00', datetime(2024, 11, 18, 16, 0))


@pytest.mark.parametrize('given, expected', [
    ('Inbox', (1, 'Inbox')), (' archive ', (site.STANDARD_FOLDERS['archive'], 'Archive')),
    (1, (1, 'Inbox')), (np.int64(1), (1, 'Inbox')), ('1', (1, 'Inbox')),
    ('My Variables', (None, 'My Variables')), (41, (None, '41')),
])
def test_folder_argument(given, expected):
    assert arguments.folder_argument(given) == expected


@pytest.mark.parametrize('given, error, text', [
    (True, TypeError, 'folder must be a folder name or id, got bool'),
    (1.0, TypeError, 'got float'),
    ('', ValueError, 'a positive id'),
    (0, ValueError, 'a positive id'),
    (-3, ValueError, 'a positive id'),
    ('0', ValueError, 'a positive id'),
])
def test_folder_argument_refuses(given, error, text):
    with pytest.raises(error, match=text):
        arguments.folder_argument(given)


def test_match_folder_by_id_or_name():
    assert arguments.match_folder('41', FOLDERS)['folder_id'] == 41
    assert arguments.match_folder('my  VARIABLES', FOLDERS)['folder_id'] == 41
    assert arguments.match_folder('7', FOLDERS)['folder_id'] == 42     # a name of digits
    assert arguments.match_folder('²', FOLDERS) is None                 # no int('²')
    assert arguments.match_folder('Nowhere', FOLDERS) is None
