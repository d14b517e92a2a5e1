"""The client does not *depend* on what PROTOCOL.md marks [assumed].

Each test feeds a pure parser (or Table builder) a variant answer the live
site might give where PROTOCOL.md only guesses: the result is either the
correct (possibly degraded) reading or a named error with a clear message,
never a KeyError/TypeError/IndexError from inside. The same variants over
HTTP, through the whole client, are in
``tests/reliability/test_assumed_variants.py``.
"""
from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from astropy.io import fits

from telescope_query import tables
from telescope_query.images import fits as products
from telescope_query.exceptions import RemoteServiceError, SubmissionError
from telescope_query.protocol import basket, pages, user_api


def _page(body: str) -> str:
    return f'<html><body>{body}</body></html>'


def _rows(rows) -> str:
    return '<table>' + ''.join(f'<tr><td>{label}</td><td>{value}</td></tr>'
                               for label, value in rows) + '</table>'


# --- section 1: the not-logged-in answers [assumed] ------------------------------------

@pytest.mark.parametrize('status', ['ERR_NOT_LOGGED_IN', 'NOT_LOGGED_IN', 'ERR_LOGIN_REQUIRED',
                                    'err_not_logged_in', 'ERR_SESSION_EXPIRED'])
def test_not_logged_in_statuses_are_recognised(status):
    """The exact word is [assumed]: other spellings of "log in first" are read
    the same way (the session is renewed rather than the call failing)."""
    assert user_api.is_not_logged_in({'success': 0, 'status': status, 'data': None})
    assert user_api.is_not_logged_in({'success': False, 'status': status})
    assert not user_api.is_not_logged_in({'success': 1, 'status': status})


@pytest.mark.parametrize('status', ['ERR_BAD_FILTER', 'ERR_NO_SUCH_JOB', 'ERR_BASKET_EMPTY',
                                    '', 'ERR_BAD_PARAMS', None])
def test_other_refusals_are_not_read_as_logged_out(status):
    assert not user_api.is_not_logged_in({'success': 0, 'status': status})


@pytest.mark.parametrize('text', ['<html><body>Please log in</body></html>', '', 'null',
                                  '[]', '{"status": "ERR_NOT_LOGGED_IN"}', '{"success": 0'])
def test_non_json_or_shapeless_api_answers_are_named_errors(text):
    """Any non-JSON answer from api-user.php is a RemoteServiceError naming the call."""
    with pytest.raises(RemoteServiceError, match='request-manager/1-get-list-own'):
        user_api.parse_answer(text, 'request-manager/1-get-list-own')


@pytest.mark.parametrize('html, expected', [
    ('<form action="login.php"><input name="username"><input type="password" '
     'name="password"></form>', True),
    ('<FORM method=post><INPUT NAME="username"><INPUT NAME="password"></FORM>', True),
    ('<p>Forbidden</p>', False),
    ('', False),
    ('<form><input name="q"></form>', False),
])
def test_login_form_detection(html, expected):
    assert pages.is_login_form(_page(html)) is expected


@pytest.mark.parametrize('url, expected', [
    ('https://www.telescope.org/login.php', True),
    ('https://www.telescope.org//login.php?return=v4request-view.php', True),
    ('https://www.telescope.org/Login.PHP', True),
    ('https://www.telescope.org/v4request-view.php?jid=1', False),
    ('https://www.telescope.org/logout.php', False),
    ('', False),
])
def test_a_page_redirected_to_login_is_read_as_logged_out(url, expected):
    """HTML pages may redirect to the login script instead of showing the form
    [assumed]: the final URL tells it even when that page's form looks different."""
    assert pages.is_login_url(url) is expected


# --- section 2: request records with their [assumed] fields missing or odd --------------

SEEN = {'id': '706248', 'objectname': 'SS Cyg', 'status': '8', 'requesttime': '1608672000'}
OTHER_KEYS = ('objecttype', 'objectid', 'usercomments', 'seen', 'row')
VARIANTS = {
    'absent': {},
    'null': {key: None for key in OTHER_KEYS},
    'empty strings': {key: '' for key in OTHER_KEYS},
    'ints': {'objecttype': 3, 'objectid': 109, 'usercomments': 0, 'seen': 1, 'row': 4},
    'junk': {'objecttype': [], 'objectid': {'a': 1}, 'usercomments': ['x'], 'seen': 'yes',
             'row': 'first'},
    'floats': {'seen': 0.0, 'row': '4.0'},
    # A server that also sends what only the views carry: never read.
    'view fields': {'telescopeid': '6', 'filtertype': 'BVR', 'exposuretime': '30000',
                    'completiontime': '1608679000', 'folderid': '1', 'jid': '369256'},
}


@pytest.mark.parametrize('variant', list(VARIANTS))
def test_request_records_with_keys_missing_odd_or_added(variant):
    """A server that leaves out or spells otherwise the recorded keys other than
    id, objectname, status and requesttime gives None there, and a Table; keys
    the live site does not send are ignored."""
    raw = {**SEEN, **VARIANTS[variant]}
    record = user_api.request_record(raw)
    assert (record['rid'], record['object_name'], record['status']) == (706248, 'SS Cyg', 8)
    assert record['requested'] is not None
    assert set(record) == set(user_api.request_record(SEEN))
    for key in ('object_type', 'object_id', 'comment'):
        assert record[key] is None or isinstance(record[key], str)
    assert record['seen'] in (None, True, False)
    assert record['row'] is None or isinstance(record['row'], int)
    table = tables.requests_table([record, user_api.request_record(SEEN)])
    assert list(table['rid']) == [706248, 706248]
    assert 'telescope' not in table.colnames and 'exposure' not in table.colnames
    if variant == 'ints':
        assert record['object_id'] == '109' and record['seen'] is True and record['row'] == 4
    if variant == 'junk':
        assert record['seen'] is None and record['row'] is None and record['comment'] is None
    if variant == 'floats':
        assert record['seen'] is False and record['row'] == 4


@pytest.mark.parametrize('status', [8, '8', ' 8 ', 8.0])
def test_request_status_as_a_number_or_padded(status):
    """``status`` must be a string [seen]; a number is still read (and the
    legacy dicts still hand out strings, as the original compared '8')."""
    raw = {**SEEN, 'status': status}
    assert user_api.request_record(raw)['status'] == 8
    assert user_api.legacy_strings([raw])[0]['status'] in ('8', ' 8 ', '8.0')


@pytest.mark.parametrize('sort', ['rid', 'object', 'completion'])
def test_listing_order_does_not_depend_on_the_site(sort):
    """The direction of rid and object sorting is [assumed]: the records are
    put in the promised order whatever the site sent; completion order
    (newest first [seen]) is the site's."""
    names = ['b', 'A', 'a', 'C']
    raws = [{**SEEN, 'id': str(rid), 'objectname': name}
            for rid, name in zip([3, 1, 4, 2], names)]
    records = [user_api.request_record(raw) for raw in raws]
    ordered = user_api.in_listing_order(records, sort)
    expected = {'rid': [4, 3, 2, 1], 'object': [4, 1, 3, 2], 'completion': [3, 1, 4, 2]}
    assert [r['rid'] for r in ordered] == expected[sort]
    assert [r['rid'] for r in user_api.in_listing_order(records[::-1], sort)] == \
        (expected[sort] if sort != 'completion' else expected[sort][::-1])


# --- section 3: views -------------------------------------------------------------------

JOB_ROWS = [('Request ID', 'R706248'), ('Object Type', 'RADEC'),
            ('Object ID', '00:42:58.58 +36:28:18.97'), ('Telescope Type Name', 'Galaxy'),
            ('Filter Type', 'BVR'), ('Exposure Time', '120000 ms'),
            ('Completion Time', '2 days ago 22 December 2020 (23:34:10 UTC)'),
            ('Status', 'Success')]


@pytest.mark.parametrize('html', [
    _page('<p>No job with this id.</p><table></table>'),                    # [assumed]
    _page('<p class="error">Error: job 999 does not exist</p>'),
    _page(''),
    '',
    _page(_rows([(label, '') for label, _ in JOB_ROWS])),                  # labels, no values
    _page(_rows([(label, '&nbsp;') for label, _ in JOB_ROWS])),
    _page('<h1>Job J999</h1>' + _rows([('Request ID', ' '), ('Status', '')])),
], ids=['empty table', 'error text', 'empty body', 'nothing', 'empty values', 'nbsp values',
        'some empty rows'])
def test_unknown_job_renders_anything_without_values(html):
    """An unknown id renders no value rows [assumed]; an error text, or the
    rows with empty values, also say "no such job" (None), never a record of
    empty garbage."""
    assert pages.parse_job_view(html, 999) is None


@pytest.mark.parametrize('html', [
    _page('<p>No request with this id.</p><table></table>'),
    _page('<div class="error">Unknown request</div>'),
    _page(_rows([('Object Name', ''), ('Status', ' '), ('Job ID', '')])),
], ids=['empty table', 'error text', 'empty values'])
def test_unknown_request_renders_anything_without_values(html):
    assert pages.parse_request_view(html, 999) is None


@pytest.mark.parametrize('cell, rids', [
    ('R706248', [706248]),
    (' R771716 R771970 ', [771716, 771970]),                               # [seen]
    ('R771716,R771970', [771716, 771970]),
    ('R771716, R771970', [771716, 771970]),
    ('R 771716 R 771970', [771716, 771970]),
    ('r771716&nbsp;r771970', [771716, 771970]),
    ('R771716<br>R771970', [771716, 771970]),
    ('771716 771970', [771716, 771970]),
    ('706248', [706248]),
    ('', []),
    ('none', []),
])
def test_request_id_cell_in_other_spacing(cell, rids):
    """Every request id of the cell, however it is spaced or separated."""
    record = pages.parse_job_view(_page(_rows([('Request ID', cell), *JOB_ROWS[1:]])), 1)
    assert record['rids'] == rids


@pytest.mark.parametrize('control, flat_id', [
    ('<button onclick="location.href=\'v3dl-flat.php?flatid=31\'">Flat</button>', 31),
    ('<button onclick="location.href=\'v3dl-flat.php?flatid=31\';">Flat</button>', 31),
    ("<button onclick='location.href=\"v3dl-flat.php?flatid=31\"'>Flat</button>", 31),
    ('<button onclick="window.open(\'dl.php?flatid=31\')">Flat</button>', 31),
    ('<button onclick="location.href=\'v3dl-flat.php?flatid=31&amp;type=1\'">F</button>', 31),
    ('<input type="button" onclick="location.href=\'v3dl-flat.php?flatid=31\'" value="F">', 31),
    ('<a href="v3dl-flat.php?flatid=31">Download flat field</a>', 31),
    ('<button onclick="location.href=\'v3image-download.php?jid=418581\'">Get</button>', None),
    ('<button onclick="location.href=\'v3dl-flat.php?flatid=\'">Flat</button>', None),
    ('<button>Flat</button>', None),
    ('', None),
], ids=['seen', 'semicolon', 'double quotes', 'window.open', 'more params', 'input',
        'link on a job view', 'download button only', 'no id', 'no onclick', 'absent'])
def test_flat_field_control_shaped_differently(control, flat_id):
    """The flat control is [seen in code] on a job view as a button ending in
    ``=<id>'``; other shapes give the id when it is clearly a flat field's and
    None otherwise (the product is then asked for without ``flatid``), and
    another button's job id is never taken for a flat id."""
    record = pages.parse_job_view(_page(_rows(JOB_ROWS) + control), 369256)
    assert record['flat_id'] == flat_id


@pytest.mark.parametrize('control, flat_id', [
    ('<a href="v3dl-flat.php?flatid=24">Download flat field</a>', 24),
    ('<a href="v3dl-flat.php?type=raw&flatid=24">Download flat field</a>', 24),
    ('<button onclick="location.href=\'v3dl-flat.php?flatid=24\'">Flat</button>', 24),
    ('<a href="v4request-view.php?jid=418581">Job</a>', None),
    ('', None),
])
def test_flat_field_link_on_a_request_view_shaped_differently(control, flat_id):
    html = _page(_rows([('Job ID', 'J418581'), ('Status', 'Complete')]) + control)
    assert pages.parse_request_view(html, 706248)['flat_id'] == flat_id


def test_request_view_with_only_the_seen_label():
    """``Job ID`` is [seen]; every other label of the request view is [seen in
    code only]: a view with only that row is a record with None elsewhere, and
    makes a Table."""
    record = pages.parse_request_view(_page(_rows([('Job ID', 'J418581')])), 706248)
    assert record['jid'] == 418581
    for key in ('object_type', 'object_id', 'object_name', 'telescope', 'telescope_type',
                'filter', 'dark_frame', 'exposure_ms', 'requested', 'completed',
                'status_text', 'status', 'flat_id'):
        assert record[key] is None, key
    table = tables.request_details_table([record])
    assert table['jid'][0] == 418581 and table['status'].mask[0]


@pytest.mark.parametrize('rows, expected', [
    ([('Status', 'Completed')], {'status': None, 'status_text': 'Completed'}),
    ([('Dark Frame', 'maybe')], {'dark_frame': None}),
    ([('Dark Frame', 'Yes')], {'dark_frame': True}),
    ([('Exposure Time', '2 minutes')], {'exposure_ms': 120000}),
    ([('Exposure Time', '30 parsecs')], {'exposure_ms': None}),
    ([('Exposure Time', 'unknown')], {'exposure_ms': None}),
    ([('Request Time', '18/11/2024 05:41')], {'requested': None, 'requested_words': None}),
    ([('Telescope Name', 'COAST')], {'telescope': 'COAST', 'telescope_type': None}),
    ([('Telescope Type Name', 'Galaxy')], {'telescope': None, 'telescope_type': 'Galaxy'}),
    ([('Telescope Type Name', 'COAST')], {'telescope': 'COAST'}),
    ([('Dark Frame', 'Instant')], {'dark_frame': True}),
    ([('Dark Frame', 'None')], {'dark_frame': False}),
    # No recorded view shows the comment; a row of it is read when there is one.
    ([('Comments', 'AAVSO')], {'comment': 'AAVSO'}),
    ([('User comment:', 'Mira, BVR')], {'comment': 'Mira, BVR'}),
    ([('Comments', '')], {'comment': None}),
    ([], {'comment': None}),
])
def test_request_view_labels_seen_in_code_only_with_other_values(rows, expected):
    record = pages.parse_request_view(_page(_rows([('Job ID', 'J1'), *rows])), 7)
    for key, value in expected.items():
        assert record[key] == value, key
    tables.request_details_table([record])


# --- the job search ---------------------------------------------------------------------

PARAMETERS = ('<h3>Parameters</h3><div>Earliest completion time: 17/11/24 16:00:00<br>'
              'Private jobs excluded</div>')


def _search(results: str) -> str:
    return _page(PARAMETERS + results)


@pytest.mark.parametrize('results', [
    '<h3>Results</h3><p>2 jobs</p>',
    '<h3>Results</h3><p>1,234 jobs found</p>',
    '<h3>Results</h3>2 jobs',
    '<h3>Results</h3><p>Showing all</p>',
    '<h3>Results</h3>',
    '<h3>Search results: 2 jobs</h3>',
    '',
], ids=['count', 'thousands', 'bare text', 'no count', 'nothing after', 'in heading',
        'recorded: none'])
def test_a_results_block_is_neither_needed_nor_read(results):
    """The live site sends no results block [seen]; one of any shape changes nothing."""
    table = ('<table><tr><th>Job</th></tr>'
             '<tr><td><a href="v4request-view.php?jid=423342">J423342</a></td></tr>'
             '<tr><td><a href="v4request-view.php?jid=423183">J423183</a></td></tr></table>')
    found = pages.parse_job_search(_search(results + table))
    assert found['jids'] == [423342, 423183]
    assert found['parameters'] == pages.parse_job_search(_search(''))['parameters']
    assert [row['jid'] for row in found['rows']] == found['jids']
    assert not found['more'] and not found['cut']


@pytest.mark.parametrize('row, jid', [
    ('<td><a href="v4request-view.php?jid=1">J1</a></td>', 1),                 # [seen]
    ('<td><a href="v4request-view.php?jid=1&amp;x=2">J1</a></td><td>SS Cyg</td>', 1),
    ('<td>2024-11-18</td><td><a href="v4request-view.php?jid=1">J1</a></td>', 1),
    ('<td><a href="user.php?uid=5">someone</a></td>'            # [seen]: first link counts
     '<td><a href="v4request-view.php?jid=1">J1</a></td>', None),
    ('<td><img src="thumb.png"></td><td>J1</td><td><a href="v4request-view.php?jid=1">'
     'view</a></td><td><a href="v3image-download.php?jid=1&amp;ieid=0">get</a></td>', 1),
    ('<td><a href="page.php?p=2">next</a></td>', None),
    ('<td>no link</td>', None),
    ('<td><a>J1</a></td>', None),
])
def test_search_rows_with_extra_or_missing_columns(row, jid):
    """The job link is the first link of its row [seen]; other columns are
    [assumed]: columns before it (without links) or after it, or missing, change
    nothing; a row whose first link is no job link is no job row [seen]."""
    html = _search('<h3>Results</h3><p>1 jobs</p><table><tr><th>Job</th><th>x</th></tr>'
                   f'<tr>{row}</tr></table>')
    assert pages.parse_job_search(html)['jids'] == ([] if jid is None else [jid])


def test_search_without_parameters_is_a_named_error():
    with pytest.raises(RemoteServiceError, match='Parameters'):
        pages.parse_job_search(_page('<p>Forbidden</p>'))


# --- the basket's darkframe key [assumed] -----------------------------------------------

BASKET = dict(telescope_id=6, exposure_ms=30000, filter='BVR', object_name='M 31',
              object_id='00:42:44.33 +41:16:07.50', comment='c')
SEEN_SET_KEYS = {'telescopeid', 'telescopetype', 'exposuretime', 'filtertype', 'objecttype',
                 'objectname', 'objectid', 'usercomments'}


def test_basket_sends_only_seen_params_for_a_dark_frame():
    """``darkframe`` is not among the [seen] 0-rb-set params: the default
    (a dark frame, as the original client's requests had) sends exactly the
    [seen] set; only ``dark_frame=False`` needs the [assumed] key."""
    assert set(basket.set_params(**BASKET, dark_frame=True)) == SEEN_SET_KEYS
    params = basket.set_params(**BASKET, dark_frame=False)
    assert set(params) == SEEN_SET_KEYS | {'darkframe'} and params['darkframe'] == 0


@pytest.mark.parametrize('dark_frame, hint', [(False, True), (True, False)])
def test_set_refused_names_the_assumed_darkframe_key(dark_frame, hint):
    """A refused 0-rb-set is a SubmissionError with the site's status; when the
    [assumed] key was sent, the message says so and what to try."""
    params = basket.set_params(**BASKET, dark_frame=dark_frame)
    with pytest.raises(SubmissionError) as caught:
        basket.check_answer({'success': False, 'status': 'ERR_BAD_PARAMS'}, basket.SET,
                            params=params)
    assert caught.value.status == 'ERR_BAD_PARAMS'
    assert ('dark_frame=False relies on a field' in str(caught.value)) is hint


# --- section 4: products ----------------------------------------------------------------

def _fits(header: dict, size: int = 8, *, naxis3: int = 0) -> bytes:
    shape = (naxis3, size, size) if naxis3 else (size, size)
    hdu = fits.PrimaryHDU(np.arange(np.prod(shape), dtype=np.int16).reshape(shape))
    for key, value in header.items():
        hdu.header[key] = value
    buffer = io.BytesIO()
    hdu.writeto(buffer)
    return buffer.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize('names', [
    ['418581_B.fits', '418581_V.fits', '418581_R.fits'],                    # [assumed]
    ['418581/B.fits', '418581/V.fits', '418581/R.fits'],
    ['J418581_B.FITS', 'J418581_V.FITS', 'J418581_R.FITS'],
    ['a.fit', 'b.fts', 'c'],
    ['418581/418581_B.fits.fz', 'readme.txt', 'x/y/z.fits'],
])
def test_zip_member_names_do_not_matter(names):
    """Member names are [assumed]: each FITS member is found by its content
    and named by its own FILTER, whatever its name, folder or case."""
    filters = ['B', 'V', 'R']
    members = {}
    for name, filter_name in zip(names, filters):
        members[name] = b'not a FITS file' if name == 'readme.txt' else \
            _fits({'FILTER': filter_name, 'TELESCOP': 'COAST 1'})
    expected = [f for n, f in zip(names, filters) if n != 'readme.txt']
    with products.open_product(_zip(members)) as hdul:
        assert [h.header['EXTNAME'] for h in hdul[1:]] == expected


def test_zip_members_without_filter_are_named_by_file():
    members = {'418581/418581_B.fits': _fits({}), 'V.FITS': _fits({})}
    with products.open_product(_zip(members)) as hdul:
        assert [h.header['EXTNAME'] for h in hdul[1:]] == ['418581_B', 'V']


@pytest.mark.parametrize('header', [
    {},                                                                      # nothing at all
    {'FILTER': 'B,V,R', 'TELESCOP': 'COAST'},
    {'FILTER': 'B,V,R', 'EPOCH': 'REAL', 'RADECSYS': 'ICRS', 'DATE-OBS': '2024-11-18T05:41:09'},
    {'FILTER': 'B,V,R', 'DATE-OBS': 'yesterday', 'OBJCTRA': 12, 'EXPTIME': 'long'},
])
def test_cube_headers_lacking_exptime_or_objctra(header):
    """EXPTIME is [assumed] and pointing keywords vary: a cube without them (or
    with odd values) opens, has its quirks fixed, and previews."""
    with products.open_product(_fits(header, naxis3=3)) as hdul:
        assert hdul[0].data.shape == (3, 8, 8)
        assert 'EPOCH' not in hdul[0].header or not isinstance(hdul[0].header['EPOCH'], str)
        pytest.importorskip('matplotlib')
        from telescope_query.images import preview
        preview.preview(hdul)
