"""HTML pages of the simulated telescope.org (PROTOCOL.md sections 1 and 3).

Pure functions: records in, HTML text out. The shapes that clients read are
kept exactly as PROTOCOL.md says:

- views are tables of ``<tr><td>LABEL</td><td>VALUE</td></tr>`` rows, value
  cells without surrounding whitespace, no other cell holding label text;
- time cells have exactly three words before the date:
  ``2 days ago 18 November 2024 (05:41:09 UTC)``; the date is the one of
  the Canary Islands' local time, the clock UTC: in summer time a moment
  between 23:00 and 24:00 UTC shows the next day's date (the recorded
  "summer date slip", :func:`time_cell`);
- ``Telescope Type Name`` is ``Galaxy`` for COAST and PIRATE (the old
  Bradford cameras show their own names); ``Telescope Name`` (``COAST``,
  ``PIRATE``) is on request views only; ``Dark Frame`` reads ``Instant``
  (``None`` without a dark frame: [assumed]);
- the request view of a completed request has a ``var info = {...};`` line
  of strict JSON whose values are strings (``"jid": "418581"``);
- a job's flat field is a ``<button onclick="location.href='v3dl-flat.php?flatid=N'">``
  on its job view (the script name is [assumed]); request views carry no
  flat-field link (recorded: none on request views of 2022-2024, whose jobs
  had flats, after an ``<a href>`` in 2021);
- the job search echoes its parameters in the element after
  ``<h3>Parameters</h3>``, then has one row per job whose first link holds
  ``jid=<digits>``; no ``Results`` heading and no ``N jobs`` count (none
  was ever seen on the live site).
"""
from __future__ import annotations

import datetime as dt
import json
from html import escape
from typing import Any, Iterable, Mapping, Sequence

__all__ = ['login_form', 'logged_in', 'logged_out', 'request_view', 'job_view',
           'job_search', 'processed_images', 'constructor', 'constructor_done',
           'message', 'time_cell', 'api_html_error', 'form_echo']

SITE = 'OpenScience Observatories'


def _page(title: str, body: str, user: str | None = None) -> str:
    who = (f'<span class="user">Logged in as {escape(user)}</span> '
           f'<a href="logout.php">Log out</a>' if user else '<a href="login.php">Log in</a>')
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<title>{escape(title)} - {SITE}</title>\n</head>\n<body>\n'
            f'<div id="header"><a href="index.php">{SITE}</a> {who}</div>\n'
            f'<div id="content">\n<h2>{escape(title)}</h2>\n{body}\n</div>\n'
            '</body>\n</html>\n')


def _utc(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(float(seconds), dt.timezone.utc)


def _summer_time_switch(year: int, month: int) -> dt.datetime:
    """01:00 UTC of the last Sunday of March or October: the EU clock change."""
    last = dt.datetime(year, month, 31, 1, tzinfo=dt.timezone.utc)
    return last - dt.timedelta(days=(last.weekday() + 1) % 7)


def local_date(seconds: float) -> dt.date:
    """The date of a moment in the Canary Islands' local time (UTC, UTC+1 in summer).

    The site writes the date of its time cells in local time and the clock in
    UTC [seen: ten completions between 23:00 and 24:00 UTC, June to October
    2019, show the next day's date; winter ones do not].  [assumed]: the
    switches are the EU ones, last Sunday of March and of October at 01:00 UTC.
    """
    when = _utc(seconds)
    summer = (_summer_time_switch(when.year, 3) <= when
              < _summer_time_switch(when.year, 10))
    return (when + dt.timedelta(hours=1)).date() if summer else when.date()


def time_cell(seconds: float, now: float) -> str:
    """``'2 days ago 18 November 2024 (05:41:09 UTC)'``: three words, then the date.

    The date is :func:`local_date` (the summer date slip: J336896, completed
    2019-06-18 23:45:04 UTC, reads ``19 June 2019 (23:45:04 UTC)``), the clock UTC.
    """
    age = max(0, int(now - float(seconds)))
    for unit, size in (('year', 365 * 86400), ('day', 86400), ('hour', 3600),
                       ('minute', 60), ('second', 1)):
        if age >= size or unit == 'second':
            count = age // size
            break
    words = f'{count} {unit if count == 1 else unit + "s"} ago'
    date, clock = local_date(seconds), _utc(seconds)
    return f'{words} {date.day} {date:%B %Y} ({clock:%H:%M:%S} UTC)'


def _rows(rows: Iterable[tuple[str, str]]) -> str:
    cells = ''.join(f'<tr><td>{escape(label)}</td><td>{escape(str(value))}</td></tr>\n'
                    for label, value in rows)
    return f'<table class="details">\n{cells}</table>'


def login_form(note: str = '') -> str:
    """The login page: a form with ``username`` and ``password`` inputs."""
    note_html = f'<p class="error">{escape(note)}</p>\n' if note else ''
    return _page('Log in', note_html + (
        '<form method="post" action="login.php">\n'
        '<input type="hidden" name="action" value="login">\n'
        '<label>User name <input type="text" name="username"></label>\n'
        '<label>Password <input type="password" name="password"></label>\n'
        '<label><input type="checkbox" name="stayloggedin" value="true"> '
        'Stay logged in</label>\n'
        '<input type="submit" value="Log in">\n</form>'))


def logged_in(user: str) -> str:
    """The page answering a successful login."""
    return _page('Welcome', f'<p>Welcome back, {escape(user)}.</p>\n'
                 '<p><a href="request-constructor.php?action=new">New request</a></p>',
                 user)


def logged_out() -> str:
    """The page answering a logout."""
    return _page('Logged out', '<p>You have been logged out.</p>')


def message(title: str, text: str, user: str | None = None) -> str:
    """A plain page with one paragraph."""
    return _page(title, f'<p>{escape(text)}</p>', user)


def api_html_error() -> str:
    """What a PHP site answers when its JSON script breaks: an HTML error page."""
    return ('<!DOCTYPE html>\n<html><head><title>Error</title></head><body>\n'
            '<br />\n<b>Fatal error</b>: Uncaught exception in '
            '<b>/var/www/api-user.php</b> on line <b>212</b><br />\n</body></html>\n')


def form_echo(fields: Iterable[tuple[str, str]], script: str) -> str:
    """A broken script's debug page that dumps the form it was sent (a fault)."""
    dump = ''.join(f'  [{escape(name)}] =&gt; {escape(value)}\n' for name, value in fields)
    return ('<!DOCTYPE html>\n<html><head><title>Error</title></head><body>\n'
            f'<b>Warning</b>: Undefined index in <b>/var/www/{escape(script)}</b><br />\n'
            f'<pre>$_POST = Array\n(\n{dump})\n</pre>\n</body></html>\n')


def request_view(rid: int, request: Any | None, job: Any | None, *, user: str,
                 now: float, status_texts: dict[int, str], telescopes: dict[int, str],
                 telescope_types: dict[int, str]) -> str:
    """The view of request ``rid``; ``request`` None renders no value rows.

    ``job`` is the job of a completed request (its id is shown and the
    ``var info`` line is added; its flat field is not shown here).  ``telescopes`` gives the
    ``Telescope Name`` of a telescope id, ``telescope_types`` its
    ``Telescope Type Name``.
    """
    title = f'Request R{rid}'
    if request is None:
        return _page(title, '<p>No request with this id.</p>\n' + _rows([]), user)
    rows = []
    if job is not None:
        rows.append(('Job ID', f'J{job.jid}'))
    tid = request.telescope_id
    rows += [('Object Type', request.object_type),
             ('Object ID', request.object_id),
             ('Object Name', request.object_name),
             ('Telescope Type Name', telescope_types.get(tid, str(tid))),
             ('Telescope Name', telescopes.get(tid, str(tid))),
             ('Filter Type', request.filter_type),
             # 'Instant' is seen; the word for no dark frame is [assumed].
             ('Dark Frame', 'Instant' if request.dark_frame else 'None'),
             ('Exposure Time', f'{request.exposure_ms} ms'),
             ('Request Time', time_cell(request.request_time, now))]
    if request.completion_time:
        rows.append(('Completion Time', time_cell(request.completion_time, now)))
    rows.append(('Status', status_texts.get(request.status, str(request.status))))
    # No comments row: free text could hold label words and mislead label matching.
    body = _rows(rows)
    if job is not None:
        # jid is a string [seen]; rid beside it is [assumed].
        info = {'rid': str(request.rid), 'jid': str(job.jid)}
        # Strict JSON on its own line; '<' escaped so no '</script>' can end the block.
        text = json.dumps(info).replace('<', '\\u003c')
        body += f'\n<script type="text/javascript">\nvar info = {text};\n</script>'
    return _page(title, body, user)


def job_view(jid: int, job: Any | None, *, user: str, now: float,
             telescope_types: dict[int, str]) -> str:
    """The view of job ``jid``; ``job`` None renders no value rows.

    Only the ``Telescope Type Name`` (``Galaxy`` for COAST and PIRATE alike),
    never the ``Telescope Name``.
    """
    title = f'Job J{jid}'
    if job is None:
        return _page(title, '<p>No job with this id.</p>\n' + _rows([]), user)
    rids = [f'R{rid}' for rid in job.rids]
    # One request: 'R706248'; several: ' R771716 R771970 ' (PROTOCOL.md section 3).
    rid_cell = rids[0] if len(rids) == 1 else ' ' + ' '.join(rids) + ' '
    rows = [('Request ID', rid_cell),
            ('Object Type', job.object_type),
            ('Object ID', job.object_id),
            ('Telescope Type Name', telescope_types.get(job.telescope_id,
                                                        str(job.telescope_id))),
            ('Filter Type', job.filter_type),
            ('Exposure Time', f'{job.exposure_ms} ms'),
            ('Completion Time', time_cell(job.completion_time, now)),
            ('Status', 'Success' if job.success else 'Failure')]
    body = _rows(rows)
    if job.flat_id:
        body += ('\n<p><button onclick="location.href=\'v3dl-flat.php?flatid='
                 f'{int(job.flat_id)}\'">Download flat field</button></p>')
    return _page(title, body, user)


def _short_time(seconds: float) -> str:
    return f'{_utc(seconds):%d/%m/%y %H:%M:%S}'


def job_search(earliest: float, latest: float, jobs: Sequence[Any], *,
               per_page: int, filter_name: str, telescope: str, user: str,
               telescopes: dict[int, str]) -> str:
    """The answer of the job search: echoed parameters, then one row per job.

    No ``Results`` heading and no ``N jobs`` count [seen: absent].  The columns
    after the job link are [assumed].
    """
    params = [f'Earliest completion time: {_short_time(earliest)}',
              f'Latest completion time: {_short_time(latest)}',
              'Job status values of:', '&nbsp - Success']
    if filter_name:
        params.append(f'Filter type: {escape(filter_name)}')
    if telescope:
        params.append(f'Telescope: {escape(telescope)}')
    params += ['Sorted by Completion time in descending order', 'Private jobs excluded',
               f'{per_page} results per page']
    rows = ''.join(
        f'<tr><td><a href="v4request-view.php?jid={job.jid}">J{job.jid}</a></td>'
        f'<td>{escape(job.object_name)}</td>'
        f'<td>{escape(telescopes.get(job.telescope_id, str(job.telescope_id)))}</td>'
        f'<td>{escape(job.filter_type)}</td><td>{_short_time(job.completion_time)}</td>'
        f'<td>{job.exposure_ms} ms</td></tr>\n' for job in jobs)
    body = ('<h3>Parameters</h3>\n<div class="parameters">\n' + '<br>\n'.join(params)
            + '\n</div>\n<table class="results">\n'
            '<tr><th>Job</th><th>Object</th><th>Telescope</th><th>Filter</th>'
            '<th>Completed</th><th>Exposure</th></tr>\n' + rows + '</table>')
    return _page('Job search', body, user)


def processed_images(jid: int, src: str | None, state: str, user: str) -> str:
    """The processed-images page: an ``<iframe src>`` once ready, no iframe before."""
    if src is None:
        body = (f'<p>The artefact-corrected images of job J{jid} are being prepared '
                f'({escape(state)}). Please come back in a little while.</p>')
    else:
        body = (f'<p>The artefact-corrected images of job J{jid} are ready; the '
                'download starts by itself.</p>\n'
                f'<iframe src="{escape(src)}" width="1" height="1"></iframe>')
    return _page('Processed images', body, user)


def _hidden(ticket: int) -> str:
    return f'<input type="hidden" name="ticket" value="{int(ticket)}">\n'


def constructor(ticket: int, step: str, state: dict[str, Any], *, user: str,
                error: str = '', telescopes: dict[int, str],
                filters: Mapping[int, Sequence[str]]) -> str:
    """One answer of the form-based request constructor, with its ticket."""
    note = f'<p class="error">{escape(error)}</p>\n' if error else ''
    summary = ''.join(f'<li>{escape(key)}: {escape(str(value))}</li>\n'
                      for key, value in state.items())
    forms = {
        'main': ('<button name="action" value="main-go-part1">Object</button>\n'
                 '<button name="action" value="main-go-part2">Telescope</button>\n'
                 '<button name="action" value="main-go-part3">Exposure</button>\n'
                 '<button name="action" value="main-submit">Submit</button>\n'),
        'part1': '<button name="action" value="part1-go-radec">RA/Dec position</button>\n',
        'radec': (''.join(f'<input type="text" name="{name}">\n' for name in (
                  'raHours', 'raMins', 'raSecs', 'raFract', 'decDegrees', 'decMins',
                  'decSecs', 'decFract', 'newObjectName'))
                  + '<button name="action" value="part1-radec-save">Save</button>\n'),
        'part2': ('<select name="newTelescopeSelection">\n'
                  + ''.join(f'<option value="{tid}">{escape(name)}</option>\n'
                            for tid, name in telescopes.items() if tid in filters)
                  + '</select>\n<input type="hidden" name="submittype" value="Save">\n'
                  '<button name="action" value="part2-save">Save</button>\n'),
        'part3': ('<input type="text" name="newExposureTime">\n'
                  '<input type="checkbox" name="newDarkFrame" value="1">\n'
                  '<select name="newFilterSelection">\n'
                  + ''.join(f'<option>{escape(name)}</option>\n'
                            for name in filters.get(int(state.get('telescope_id') or 0), ()))
                  + '</select>\n<input type="text" name="newRequestComments">\n'
                  '<input type="hidden" name="submittype" value="Save">\n'
                  '<button name="action" value="part3-save">Save</button>\n'),
    }
    body = (note + f'<ul class="request">\n{summary}</ul>\n'
            '<form method="post" action="request-constructor.php">\n' + _hidden(ticket)
            + forms[step] + '</form>')
    return _page('Request constructor', body, user)


def constructor_done(rid: int, user: str) -> str:
    """The answer of ``main-submit``: the new request, with a link to its view."""
    return _page('Request submitted',
                 f'<p>Your request <a href="v4request-view.php?rid={rid}">R{rid}</a> '
                 'has been submitted and is waiting in the queue.</p>', user)
