"""The calls of ``check_site``, through the logged-in client, kept as exchanges.

Read-only and few: folders, one listing page (sorted by completion; up to three
when the queue fills the first), the view of its first completed request and of
that request's job, a job search of the last day (or of the day before that job
when the last day has none), an image-engine create of the job's zip and the
polls until READY (at most ``conf.max_poll_time``), a call without a session,
and the download only when asked. Each answer is kept,
as it came, by a response hook on the client's session (`Recorder`); the facts
are checked on those, and the file gets the redacted copy (``capture``).
"""
from __future__ import annotations

import os
import time
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from astropy.table import Table

from .. import __version__, arguments, conf, http
from ..protocol import image_engine as ie
from ..contract import Client
from ..protocol import pages, site, user_api
from . import capture, facts

__all__ = ['check_site', 'Recorder', 'LISTING_PAGE']

#: Requests asked for in one listing page, and the pages looked at, at most, for
#: a completed request (the queue holds 40 requests at the most [seen]).
LISTING_PAGE = 50
LISTING_PAGES = 3
#: Response headers kept in an exchange before redaction.
_HEADERS = ('Content-Type', 'Content-Length', 'Accept-Ranges', 'Content-Range',
            'Location', 'Set-Cookie')


class Recorder:
    """A ``requests`` response hook keeping each answer as an exchange under ``label``.

    A streamed answer (a product) is kept without its body: ``size`` is filled
    in by the caller once it is read.
    """

    def __init__(self) -> None:
        self.label: str | None = None
        self.exchanges: dict[str, Any] = {}

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if self.label is None:
            return
        request = response.request
        parts = urlsplit(response.url or request.url or '')
        body = request.body.decode('utf-8', 'replace') if isinstance(
            request.body, bytes) else request.body or ''
        exchange = {
            'label': self.label, 'method': request.method,
            'path': parts.path.rsplit('/', 1)[-1], 'url': response.url,
            'params': dict(parse_qsl(parts.query)),
            'form': dict(parse_qsl(body)) if body and '=' in body else {},
            'status': response.status_code,
            'headers': {key: response.headers[key] for key in _HEADERS
                        if key in response.headers},
            'body': None if kwargs.get('stream') else response.text, 'size': None}
        if self.label.startswith('ie_poll'):
            self.exchanges.setdefault('ie_polls', []).append(exchange)
        else:
            self.exchanges[self.label] = exchange


def _first_complete(records: list[dict]) -> dict | None:
    """The first complete request of a listing page (sorted by completion)."""
    return next((r for r in records
                 if user_api.to_int(r.get('status')) == site.STATUS_COMPLETE), None)


def _gather(client: Client, recorder: Recorder, download: bool) -> None:
    """Make the calls; each one's answer lands in ``recorder``."""
    recorder.label = 'folders'
    client._api_call('request-manager', '0-get-my-folders')
    newest = None
    for page in range(LISTING_PAGES):       # a long queue may fill the first page
        recorder.label = 'listing'       # the page kept is the one checked against
        answer = client._api_call('request-manager', '1-get-list-own', user_api.list_own_params(
            1, 'completion', LISTING_PAGE, page * LISTING_PAGE))
        _, records = user_api.parse_request_list(answer.get('data'))
        newest = _first_complete(records)
        if newest is not None or len(records) < LISTING_PAGE:
            break
    if newest is None:
        return
    recorder.label = 'request_view'
    html = client._page(pages.VIEW_PATH, params={'rid': user_api.to_int(newest['id'])})
    view = pages.parse_request_view(html, user_api.to_int(newest['id']) or 0)
    jid = view['jid'] if view else None
    if jid is None:
        return
    recorder.label = 'job_view'
    job_html = client._page(pages.VIEW_PATH, params={'jid': jid})
    job = pages.parse_job_view(job_html, jid)
    completed = job['completed'] if job is not None else None
    # The last day: the site's busiest window. When its clock and ours differ (a
    # simulator's), the day before the job's completion instead.
    recorder.label = 'search'
    end = arguments.utc_now()
    html = client._page(pages.JOB_SEARCH_PATH,
                        data=pages.job_search_form(end - timedelta(days=1), end))
    if 'jid=' not in html and completed is not None:
        end = completed + timedelta(minutes=1)
        client._page(pages.JOB_SEARCH_PATH,
                     data=pages.job_search_form(end - timedelta(days=1), end))
    recorder.label = 'ie_create'
    call = ie.create_call(jid, cube=False, flat_id=job['flat_id'] if job is not None else None)
    staged = ie.parse_create(client._api_call(call.module, call.request, call.params,
                                              allow_failure=True), jid=jid)
    deadline = time.monotonic() + float(conf.max_poll_time)
    delay, state = 0.5, None
    for number in range(1, 200):
        recorder.label = f'ie_poll {number}'
        poll = ie.poll_call(staged.ie_id)
        state = ie.parse_poll(client._api_call(poll.module, poll.request, poll.params,
                                               allow_failure=True), cube=False, jid=jid)
        if state.ready or time.monotonic() + delay > deadline:
            break
        time.sleep(delay)
        delay = min(delay * 1.5, float(conf.poll_interval))
    if download and state is not None and state.ready:
        recorder.label = 'download'
        url = client._url(f"{ie.DOWNLOAD_PAGE}?jid={jid}&ieid={staged.ie_id}")
        with client._stream(url) as response:
            size = sum(len(block) for block in response.iter_content(1 << 20))
        recorder.exchanges['download']['size'] = size


def _anonymous(client: Client, recorder: Recorder) -> None:
    """One API call without a session: what a logged-out caller is answered."""
    with requests.Session() as plain:
        http.configure_session(plain, retries=int(conf.retries),
                               backoff_factor=float(conf.backoff_factor),
                               max_retry_after=float(conf.max_retry_after))
        plain.hooks['response'] = [recorder]
        recorder.label = 'anonymous'
        plain.post(client._url(user_api.ENDPOINT),
                   data=user_api.api_form('request-manager', '0-get-my-folders'),
                   timeout=float(conf.timeout))


def check_site(client: Client, *, capture_path: str | os.PathLike | None = None,
               download: bool = False) -> Table:
    """Check the protocol facts the client relies on; see `TelescopeClass.check_site`."""
    client._require_login()
    recorder = Recorder()
    with client._recording(recorder):
        _gather(client, recorder, download)
    _anonymous(client, recorder)
    # The login answer, as the session kept it when it logged in (no body, no cookie).
    if client._login_answer is not None:
        recorder.exchanges['login'] = dict(client._login_answer, label='login')
    verdicts = facts.evaluate(recorder.exchanges)
    table = facts.report_table(verdicts)
    table.meta['server'] = client.server_url
    if capture_path is not None:
        redacted = capture.redact(recorder.exchanges, user=client.user,
                                  hide=client._hide_secrets)
        table.meta['capture'] = os.fspath(capture.save_capture(
            capture_path, redacted, server=client.server_url, client_version=__version__))
    return table
