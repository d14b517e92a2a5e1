"""The pure argument helpers of the public methods (no server, no I/O)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from astropy.table import MaskedColumn, Table
from astropy.time import Time

from telescope_query import arguments
from telescope_query.protocol import site

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


def test_object_name():
    assert arguments.object_name(' M 31 ') == 'M 31'
    assert arguments.object_name('x' * 200, limit=1000) == 'x' * 200
    for bad in ('', '   '):
        with pytest.raises(ValueError, match='name must not be empty'):
            arguments.object_name(bad)
    for bad in (None, 31):
        with pytest.raises(TypeError, match='name must be text'):
            arguments.object_name(bad)


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


def test_time_window_starts_no_earlier_than_the_site():
    start, end = arguments.time_window('1993-12-01', '1993-12-02')
    assert start == site.ARCHIVE_START
    with pytest.raises(ValueError, match="start must be on or after 1993-12-01 .*got "
                                         "1993-11-30 23:59"):
        arguments.time_window('1993-11-30 23:59', '1994-01-01')
    with pytest.raises(ValueError, match="end must be on or after 1993-12-01"):
        arguments.time_window(None, '1993-11-30')
    # A default start a day before an end just after the bound is the user's window.
    assert arguments.time_window(None, '1993-12-01 12:00')[0] < site.ARCHIVE_START
    with pytest.raises(ValueError, match="dt must reach no further back than 1993-12-01 .*"
                                         "40 days reach 1993-10-22"):
        arguments.searchable(datetime(1993, 10, 22, tzinfo=UTC), 'dt', days=40)


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


# --- ids ------------------------------------------------------------------------------

@pytest.mark.parametrize('given, expected, single', [
    (418581, [418581], True), ('418581', [418581], True), ('J418581', [418581], True),
    (' R706248 ', [706248], True), (np.int64(7), [7], True), (7.0, [7], True),
    ([1, '2', 'R3'], [1, 2, 3], False), ((5, 6), [5, 6], False),
    (np.array([8, 9]), [8, 9], False), (b'12', [12], True),
])
def test_ids(given, expected, single):
    assert arguments.ids(given, 'jids') == (expected, single)


def test_ids_from_tables_rows_and_columns():
    table = Table({'jid': [11, 12], 'rid': [1, 2]})
    assert arguments.ids(table, 'jids') == ([11, 12], False)
    assert arguments.ids(table[1], 'jids') == ([12], True)
    assert arguments.ids(table['rid'], 'rids') == ([1, 2], False)
    with pytest.raises(ValueError, match="jids: the table has no 'jid' column"):
        arguments.ids(Table({'x': [1]}), 'jids')
    masked = MaskedColumn([1, 2], mask=[False, True])
    with pytest.raises(ValueError, match='masked'):
        arguments.ids(masked, 'jids')


@pytest.mark.parametrize('given, error, text', [
    ('abc', ValueError, "jids must be an integer id"), ('', ValueError, 'integer id'),
    (0, ValueError, 'positive'), (-3, ValueError, 'positive'), (True, TypeError, 'boolean'),
    (1.5, TypeError, 'integer id'), (None, TypeError, 'integer id'), ([], ValueError, 'empty'),
    ('١٢', ValueError, 'integer id'),     # Arabic-Indic digits are not ids
])
def test_bad_ids_name_the_parameter(given, error, text):
    with pytest.raises(error, match=text):
        arguments.ids(given, 'jids')


# --- telescopes, filters, names -----------------------------------------------------

@pytest.mark.parametrize('given_name, expected', [
    ('COAST', 'COAST'), ('coast', 'COAST'), (' Pirate ', 'PIRATE'), (6, 'COAST'),
    ('7', 'PIRATE')])
def test_telescopes(given_name, expected):
    assert arguments.telescope(given_name) == expected


@pytest.mark.parametrize('retired', ['Galaxy', 'constellation', 'CLUSTER', 'planet'])
def test_retired_cameras_are_refused_clearly(retired):
    with pytest.raises(ValueError, match='retired.*COAST or PIRATE'):
        arguments.telescope(retired)


def test_unknown_telescope():
    with pytest.raises(ValueError, match=r'telescope must be COAST or PIRATE .* or its id'):
        arguments.telescope('Hubble')
    with pytest.raises(TypeError, match='telescope'):
        arguments.telescope(None)


def test_telescopes_of_the_job_search_include_the_retired_cameras():
    assert arguments.telescope_id('Coast', in_service=False) == 6
    assert arguments.telescope_id(7, in_service=False) == 7
    assert arguments.telescope_id('2', in_service=False) == 2
    with pytest.raises(ValueError, match='camera must be .*Galaxy.*COAST.*PIRATE'):
        arguments.telescope_id('hubble', 'camera', in_service=False)


@pytest.mark.parametrize('filter_name, coast, pirate', [
    ('BVR', 'BVR', 'Colour'), ('bvr', 'BVR', 'Colour'), ('Colour', 'BVR', 'Colour'),
    ('color', 'BVR', 'Colour'), ('B', 'B', 'Blue'), ('blue', 'B', 'Blue'),
    ('V', 'V', 'Green'), ('GREEN', 'V', 'Green'), ('r', 'R', 'Red'), ('Red', 'R', 'Red')])
def test_filters_are_translated_both_ways(filter_name, coast, pirate):
    assert arguments.filter_name(filter_name, 'COAST') == coast
    assert arguments.filter_name(filter_name, 'PIRATE') == pirate


@pytest.mark.parametrize('given, spelled', [
    ('Clear', 'Clear'), ('halpha', 'HAlpha'), ('LUMINANCE', 'Luminance'), ('sho', 'SHO')])
def test_the_other_recorded_filters_on_both_telescopes(given, spelled):
    assert arguments.filter_name(given, 'COAST') == arguments.filter_name(given, 'PIRATE') \
        == spelled


def test_without_a_telescope_a_filter_is_taken_as_spelled():
    # A job search of every camera: nothing to translate to.
    assert arguments.filter_name('Red', None) == 'Red'
    assert arguments.filter_name('bvr', None) == 'BVR'
    assert arguments.filter_name('colour', 'COAST') == 'BVR'      # translated


def test_unknown_filter_lists_the_allowed_ones():
    with pytest.raises(ValueError, match="filter must be one of BVR, B, V, R, Clear, HAlpha"):
        arguments.filter_name('I', 'COAST')
    with pytest.raises(ValueError, match='Colour, Blue, Green, Red'):
        arguments.filter_name('Ha', 'PIRATE')
    with pytest.raises(TypeError, match='filter'):
        arguments.filter_name(None, 'COAST')


def test_name_and_comment_checks():
    assert arguments.object_name('  SS Cyg ') == 'SS Cyg'
    assert arguments.comment('') == ''
    assert arguments.comment('two\nlines') == 'two\nlines'
    with pytest.raises(ValueError, match='name must not be empty'):
        arguments.object_name(' ')
    with pytest.raises(TypeError, match='name must be text'):
        arguments.object_name(42)
    with pytest.raises(ValueError, match='name must be printable'):
        arguments.object_name('SS\nCyg')
    with pytest.raises(ValueError, match='comment must be at most 255'):
        arguments.comment('x' * 256)
    with pytest.raises(TypeError, match='comment'):
        arguments.comment(None)


def test_same_name_ignores_case_and_spaces():
    assert arguments.same_name('SS Cyg', 'ss  cyg')
    assert arguments.same_name('V1223 Sgr', 'v1223sgr')
    assert not arguments.same_name('SS Cyg', 'SS Cyg_M')


def test_check_sort():
    assert arguments.check_sort('completion') == 'completion'
    with pytest.raises(ValueError, match=r"sort must be one of 'rid', 'object', 'completion'"):
        arguments.check_sort('date')


def test_time_window_names_its_parameters_as_the_caller_does():
    with pytest.raises(ValueError, match='--since must be before --until, got '
                                         '--since=2024-11-18 00:00'):
        arguments.time_window('2024-11-18', '2024-11-17', names=('--since', '--until'))
    with pytest.raises(ValueError, match='^--until must be an astropy Time'):
        arguments.time_window(None, 'soon', names=('--since', '--until'))


def test_a_listing_without_jid_says_where_jobs_come_from():
    listing = Table({'rid': [771966], 'object_name': ['NGC 7293']})
    with pytest.raises(ValueError, match=r"no 'jid' column .* a request listing has it "
                                         r"with details=True, or from get_request_details"):
        arguments.ids(listing, 'jids')


@pytest.mark.parametrize('given, expected', [
    ('R706248', ('R', 706248)), (' j418581 ', ('J', 418581)), ('418581', (None, 418581)),
    (418581, (None, 418581)), ('r1', ('R', 1)),
])
def test_prefixed_id(given, expected):
    assert arguments.prefixed_id(given, 'id') == expected


@pytest.mark.parametrize('given, error, text', [
    ('J12x', ValueError, r"^JOB_ID must be an integer id \(like 418581\), got 'J12x'"),
    ('X5', ValueError, 'must be an integer id'), ('R', ValueError, 'must be an integer id'),
    ('', ValueError, 'must be an integer id'), ('J0', ValueError, 'positive'),
    ('R' + '9' * 30, ValueError, 'below 2\\*\\*63'), (None, TypeError, 'integer id'),
    ('J-5', ValueError, 'must be an integer id'),
])
def test_prefixed_id_refuses(given, error, text):
    with pytest.raises(error, match=text):
        arguments.prefixed_id(given, 'JOB_ID')


@pytest.mark.parametrize('given, expected', [
    ('http://127.0.0.1:8080', 'http://127.0.0.1:8080/'),
    (' https://www.telescope.org/ ', 'https://www.telescope.org/'),
    ('HTTP://[::1]:80/sub/', 'HTTP://[::1]:80/sub/'),
])
def test_server_url(given, expected):
    assert arguments.server_url(given) == expected


@pytest.mark.parametrize('given', [
    'localhost', '127.0.0.1:8080', 'ftp://127.0.0.1/', 'http://', 'http:///path',
    'http://127.0.0.1:port/', 'http://127.0.0.1:99999/', 'http://exa mple.org/',
    'http://127.0.0.1/a\nb', '', 'file:///etc/passwd',
])
def test_server_url_refuses(given):
    with pytest.raises(ValueError, match='^--server must be an http:// or https:// URL'):
        arguments.server_url(given, '--server')


def test_user_name():
    assert arguments.user_name(' jsmith ') == 'jsmith'
    for bad, text in (('', 'must not be empty'), ('a\x00b', 'printable'),
                      ('x' * 256, 'at most 255')):
        with pytest.raises(ValueError, match=f'^--user .*{text}'):
            arguments.user_name(bad, '--user')


def test_product_flags():
    assert arguments.product_flags(True, False, True) == (True, False, True)
    assert arguments.product_flags(np.bool_(False), True, False) == (False, True, False)
    with pytest.raises(ValueError, match='use one or the other'):
        arguments.product_flags(True, True, True)
    with pytest.raises(TypeError, match='cube must be True or False'):
        arguments.product_flags('yes', False, False)


def test_output_folder(tmp_path):
    assert arguments.output_folder(tmp_path / 'new' / 'deeper') == tmp_path / 'new' / 'deeper'
    assert arguments.output_folder('~') == Path.home()
    file = tmp_path / 'a-file'
    file.write_text('x')
    for bad in (file, file / 'below'):
        with pytest.raises(ValueError, match=f"^--dir must be a folder, but '{file}' is a file"):
            arguments.output_folder(bad, '--dir')
    for bad in ('', '  ', 'a\0b'):
        with pytest.raises(ValueError, match='^--dir must (be a folder name|not contain a NUL)'):
            arguments.output_folder(bad, '--dir')
    with pytest.raises(TypeError, match='path must be a folder name'):
        arguments.output_folder(12)


def test_output_file(tmp_path):
    assert arguments.output_file(tmp_path / 'site.json', 'capture') == tmp_path / 'site.json'
    with pytest.raises(ValueError, match=f"^capture must be a file name, but '{tmp_path}' "
                                         "is a folder"):
        arguments.output_file(tmp_path, 'capture')
    with pytest.raises(ValueError, match=f"^capture: the folder '{tmp_path / 'none'}' "
                                         "does not exist"):
        arguments.output_file(tmp_path / 'none' / 'site.json', 'capture')
    with pytest.raises(ValueError, match='^capture must be a file name'):
        arguments.output_file('', 'capture')
