"""The HTML pages' pure code: login form, views, job search (no server).

The pages are written from PROTOCOL.md section 3 and the seed documentation's
real outputs (job 423183 served R771716 and R771970; job 369256 served 706248).
"""
from datetime import datetime, timedelta, timezone

import pytest
from astroquery.exceptions import RemoteServiceError

from telescope_query.protocol import pages


def view(rows, extra=''):
    body = ''.join(f'<tr><td>{label}</td><td>{value}</td></tr>' for label, value in rows)
    return f'<html><body><table>{body}</table>{extra}</body></html>'


JOB_423183 = view([('Request ID', ' R771716 R771970 '), ('Object Type', 'MESSIER'),
                   ('Object ID', '109'), ('Telescope Type Name', 'Galaxy'),
                   ('Filter Type', 'BVR'), ('Exposure Time', '120000 ms'),
                   ('Completion Time', '2 days ago 18 November 2024 (05:41:09 UTC)'),
                   ('Status', 'Success')],
                  '<button onclick="location.href=\'v3dl-flat.php?flatid=31\'">Flat</button>')


def test_job_view_by_label():
    record = pages.parse_job_view(JOB_423183, 423183)
    assert record['jid'] == 423183
    assert record['rids'] == [771716, 771970]            # several requests, one job
    assert record['object_type'] == 'MESSIER' and record['object_id'] == '109'
    # Galaxy is today's telescope type [seen]: a job view does not name the telescope.
    assert record['telescope_type'] == 'Galaxy' and record['telescope'] is None
    assert record['filter'] == 'BVR'
    assert record['exposure_ms'] == 120000 and record['exposure_text'] == '120000 ms'
    assert record['completed'] == datetime(2024, 11, 18, 5, 41, 9, tzinfo=timezone.utc)
    assert record['completion_words'] == ['18', 'November', '2024', '05:41:09', 'UTC']
    assert record['success'] is True and record['flat_id'] == 31


def test_job_view_ignores_row_order_and_unknown_rows():
    rows = [('Status', 'Failed'), ('Weather', 'cloudy'), ('Request ID', 'R706248'),
            ('Object ID', '00:42:58.58 +36:28:18.97'), ('Object Type', 'RADEC')]
    record = pages.parse_job_view(view(rows), 369256)
    assert record['rids'] == [706248] and record['success'] is False
    assert record['object_id'] == '00:42:58.58 +36:28:18.97'
    # Rows the page does not have are None, never a KeyError.
    assert record['completed'] is None and record['flat_id'] is None
    assert record['exposure_ms'] is None


def test_empty_view_means_no_such_id():
    empty = '<html><body><h1>Request view</h1><table></table></body></html>'
    assert pages.parse_job_view(empty, 1) is None
    assert pages.parse_request_view(empty, 1) is None


def test_request_view_with_info_line_and_flat_link():
    html = view([('Job ID', 'J418581'), ('Object Name', 'T CrB_M'),
                 ('Object Type', 'RADEC'), ('Object ID', '15:59:30.16 +25:55:12.60'),
                 ('Telescope Type Name', 'Galaxy'), ('Telescope Name', 'COAST'),
                 ('Filter Type', 'BVR'), ('Dark Frame', 'Instant'),
                 ('Exposure Time', '30000 ms'),
                 ('Request Time', 'Sent on Monday 11 November 2024 (20:01:02 UTC)'),
                 ('Completion Time', 'Done on Tuesday 12 November 2024 (01:02:03 UTC)'),
                 ('Status', 'Complete')],
                '<a href="v3dl-flat.php?flatid=24&x=1">flat</a>'
                '<script>\nvar info = {"jid": "418581", "rid": "766264"};\n</script>')
    record = pages.parse_request_view(html, 766264)
    assert record['rid'] == 766264 and record['jid'] == 418581
    assert record['object_name'] == 'T CrB_M' and record['dark_frame'] is True   # Instant
    assert record['telescope_type'] == 'Galaxy' and record['telescope'] == 'COAST'
    assert record['status'] == 8 and record['status_text'] == 'Complete'
    assert record['requested'] == datetime(2024, 11, 11, 20, 1, 2, tzinfo=timezone.utc)
    assert record['completed'] - record['requested'] == timedelta(hours=5, minutes=1,
                                                                  seconds=1)
    assert record['flat_id'] == 24 and record['info'] == {'jid': '418581', 'rid': '766264'}


def test_request_view_of_a_queued_request_has_no_job():
    html = view([('Object Name', 'SS Cyg'), ('Status', 'Waiting'),
                 ('Exposure Time', '60000 ms')])
    record = pages.parse_request_view(html, 5)
    assert record['jid'] is None and record['completed'] is None
    assert record['status'] == 3 and record['exposure_ms'] == 60000


def test_var_info_gives_the_jid_when_the_job_row_is_missing():
    html = view([('Status', 'Complete')], '<script>\n  var info = {"jid": 7};\n</script>')
    assert pages.parse_request_view(html, 1)['jid'] == 7
    assert pages.parse_var_info('<script>\nvar info = {broken;\n</script>') is None
    assert pages.parse_var_info('<p>nothing</p>') is None
    deep = '{"jid": ' + '[' * 100_000 + ']' * 100_000 + '}'
    assert pages.parse_var_info(f'<script>\nvar info = {deep};\n</script>') is None


@pytest.mark.parametrize('text, words', [
    ('2 days ago 18 November 2024 (05:41:09 UTC)', ['18', 'November', '2024', '05:41:09']),
    ('22 December 2020 (23:34:10 UTC)', ['22', 'December', '2020', '23:34:10']),
    ('completed: 1 March 2021 (00:00:00 UTC) by COAST', ['1', 'March', '2021', '00:00:00']),
])
def test_dates_are_found_anywhere_in_a_cell(text, words):
    when, found = pages.parse_date(text)
    assert found == words + ['UTC']
    assert when.strftime('%-d %B %Y %H:%M:%S') == ' '.join(words)
    assert when.tzinfo is timezone.utc


def test_no_date_is_none():
    assert pages.parse_date('not yet') is None


def test_exposure_units():
    assert pages.parse_exposure('120000 ms') == 120000
    assert pages.parse_exposure('30 s') == 30000
    assert pages.parse_exposure('n/a') is None


def test_login_form_detection():
    form = ('<form method="post" action="login.php"><input name="username">'
            '<input type="password" name="password"></form>')
    assert pages.is_login_form(f'<html>{form}</html>')
    assert not pages.is_login_form('<form><input name="q"></form>')
    assert not pages.is_login_form(JOB_423183)


def test_login_payload():
    assert pages.login_payload('jochym', 's3cret') == {
        'action': 'login', 'username': 'jochym', 'password': 's3cret',
        'stayloggedin': 'true'}


def test_job_search_form_has_repeated_unpadded_date_fields():
    start = datetime(2024, 11, 17, 16, 0, tzinfo=timezone.utc)
    end = datetime(2024, 11, 18, 16, 0, tzinfo=timezone.utc)
    form = pages.job_search_form(start, end, telescope_id=6, filter_name='BVR')
    assert [v for k, v in form if k == 'searchearliestcom[]'] == ['17', '11', '2024', '16', '0']
    assert [v for k, v in form if k == 'searchlatestcom[]'] == ['18', '11', '2024', '16', '0']
    fields = dict(form)
    assert fields['searchstatus[]'] == '1' and fields['resultsperpage'] == '1000'
    assert fields['searchtelescope'] == '6' and fields['searchfilter'] == 'BVR'
    assert fields['sort1'] == 'completetime' and fields['submit'] == 'Go'
    plain = dict(pages.job_search_form(start, end))
    assert plain['searchtelescope'] == '' and plain['searchfilter'] == ''


SEARCH = """<html><body>
<h3>Search Parameters</h3>
<div>Earliest completion time: 17/11/24 16:00:00<br>Latest completion time: 18/11/24 16:00:59<br>
Job status values of:<br>&nbsp - Success<br>Sorted by Completion time in descending order<br>
Private jobs excluded<br>1000 results per page</div>
<table>
<tr><th>Job</th><th>Object</th></tr>
<tr><td><a href="v4request-view.php?jid=423342">J423342</a></td>
    <td><a href="x.php?rid=1">R1</a></td></tr>
<tr><td><a href="v4request-view.php?jid=423200&amp;x=1">J423200</a></td></tr>
<tr><td><a href="v4request-view.php?jid=423183">J423183</a></td></tr>
<tr><td><a href="help.php">help</a> <a href="v.php?jid=5">not first</a></td></tr>
</table></body></html>"""


def test_job_search_answer():
    found = pages.parse_job_search(SEARCH)
    assert found['jids'] == [423342, 423200, 423183]
    assert found['parameters'][0] == 'Earliest completion time: 17/11/24 16:00:00'
    assert '  - Success' in found['parameters']
    assert found['parameters'][-1] == '1000 results per page'


def test_job_search_with_a_results_block_a_server_may_add():
    # The live site sends no 'N jobs' block [seen]; one that does is read the same.
    html = SEARCH.replace('<table>', '<h3>Results</h3><p>3 jobs</p>\n<table>', 1)
    assert pages.parse_job_search(html) == pages.parse_job_search(SEARCH)


def test_a_page_that_is_not_a_search_answer_is_a_protocol_error():
    with pytest.raises(RemoteServiceError, match="no 'Parameters' heading"):
        pages.parse_job_search('<html><body>Oops</body></html>')


# --- the summer date slip [seen: J336896 and nine other cases, 2019-2021] ------------------

def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.mark.parametrize('shown, slips', [
    (utc(2019, 6, 19, 23, 45, 4), True),      # J336896: really 18 June
    (utc(2019, 6, 19, 22, 59, 59), False),    # before 23:00 UTC
    (utc(2019, 6, 20, 0, 5, 0), False),       # after midnight UTC
    (utc(2020, 12, 22, 23, 34, 10), False),   # winter: J369256 reads right
    (utc(2021, 3, 2, 23, 10, 0), False),      # 1 March: winter time still
    (utc(2021, 3, 29, 23, 10, 0), True),      # 28 March: summer time from 01:00 UTC
    (utc(2021, 10, 31, 23, 10, 0), True),     # 30 October: summer time still
    (utc(2021, 11, 1, 23, 10, 0), False),     # 31 October: winter time from 01:00 UTC
    (utc(2019, 10, 1, 23, 12, 1), True),      # J339515, recorded
])
def test_which_completion_times_may_slip(shown, slips):
    assert pages.completion_may_slip(shown) is slips


def test_the_frames_correct_or_confirm_a_completion_time():
    shown = utc(2019, 6, 19, 23, 45, 4)
    # The frames start minutes before the true completion, the day before.
    assert pages.check_completion(shown, [utc(2019, 6, 18, 23, 38, 22)]) == (
        utc(2019, 6, 18, 23, 45, 4), 'corrected')
    assert pages.check_completion(shown, [utc(2019, 6, 19, 23, 38, 22)]) == (
        shown, 'confirmed')
    # No frames, or frames that fit neither reading: flagged, not guessed.
    assert pages.check_completion(shown) == (shown, 'uncertain')
    assert pages.check_completion(shown, [utc(2019, 6, 10, 1, 0, 0)]) == (shown, 'uncertain')
    # A time that cannot have slipped is kept as it is.
    winter = utc(2020, 12, 22, 23, 34, 10)
    assert pages.check_completion(winter, [utc(2020, 12, 21, 23, 30)]) == (winter, '')


@pytest.mark.parametrize('type_name, name, telescope', [
    ('Galaxy', 'COAST', 'COAST'), ('Galaxy', None, None), ('galaxy', None, None),
    ('Cluster', None, 'Cluster'), (None, 'PIRATE', 'PIRATE'), (None, None, None)])
def test_the_telescope_a_view_names(type_name, name, telescope):
    assert pages.telescope_of_view(type_name, name) == telescope
