"""Telescope.submit: against the simulator over loopback HTTP, then `submit_plan`'s
loop against a client without a server, for the paths the simulator does not take.

Each test submits under names of its own, so the session's shared simulator
can hold what earlier tests made. Name resolution is switched off in astropy:
nothing here may leave this machine.
"""
import http.client
from types import SimpleNamespace

import pytest
import requests
import astropy.units as u
from urllib3.exceptions import ProtocolError
from astropy.coordinates import SkyCoord
from astropy.table import Table

from telescope_query import LowAltitudeWarning, conf
from telescope_query.protocol import site
from telescope_query.core import TelescopeClass
from telescope_query.exceptions import (HTTPStatusError, LoginError, QueueFullError, RemoteServiceError,
                                        SubmissionError)
from telescope_query.submit.plan import SubmissionPlan, plan_submission
from telescope_query.submit import send
from telescope_query.submit.send import submit_plan
from telescope_query.submit.target import format_objectid

from helpers import SUBMIT, made, unique

pytestmark = pytest.mark.usefixtures('no_internet')


def listed(telescope, rid: int) -> dict:
    """The request as the listing shows it, with its view's telescope, filter, exposure."""
    table = telescope.get_requests(sort='rid')
    rows = table[table['rid'] == rid]
    assert len(rows) == 1, f'R{rid} is not listed once'
    view = telescope.get_request_details(rid)[0]
    return {**{name: rows[0][name] for name in table.colnames},
            **{name: view[name] for name in ('telescope', 'filter', 'exposure')}}


# --- What arrives --------------------------------------------------------------------

def test_submission_appears_in_the_listing(telescope, simulator):
    name = unique('Coast star')
    rid = telescope.submit('20:42:59.6 +43:35:10', exposure=2 * u.min, name=name,
                           comment='first light')
    assert isinstance(rid, int)
    row = listed(telescope, rid)
    assert row['object_name'] == name and row['status'] < 8
    assert row['telescope'] == 'COAST' and row['filter'] == 'BVR'
    assert row['exposure'] == 120
    assert row['object_id'] == '20:42:59.60 +43:35:10.00'
    assert row['coord'].separation(SkyCoord('20h42m59.6s +43d35m10s')) < 0.02 * u.arcsec
    assert simulator.counters[SUBMIT] == 1
    stored = made(simulator, name)
    assert len(stored) == 1 and stored[0].comments == 'first light' and stored[0].dark_frame


@pytest.mark.parametrize('given, expected', [('V', 'Green'), ('bvr', 'Colour'),
                                              ('Blue', 'Blue'), ('r', 'Red')])
def test_pirate_filter_names_arrive_translated(telescope, given, expected):
    rid = telescope.submit('05:35:17.3 -05:23:28', telescope='pirate', filter=given,
                           exposure=30, name=unique('Pirate'))
    row = listed(telescope, rid)
    assert row['telescope'] == 'PIRATE' and row['filter'] == expected
    assert row['exposure'] == 30


def test_coast_takes_pirate_names_too(telescope):
    rid = telescope.submit('05:35:17.3 -05:23:28', telescope='COAST', filter='Green',
                           name=unique('Coast'))
    assert listed(telescope, rid)['filter'] == 'V'


def test_skycoord_target_dark_frame_and_default_name(telescope, simulator):
    target = SkyCoord(l=74.0 * u.deg, b=-8.5 * u.deg, frame='galactic')
    rid = telescope.submit(target, exposure=1500 * u.ms, dark_frame=False)
    row = listed(telescope, rid)
    objectid = format_objectid(target.icrs)
    assert row['object_name'] == objectid == row['object_id']      # named by position
    assert row['exposure'] == 1.5
    details = telescope.get_request_details(rid)
    assert bool(details['dark_frame'][0]) is False


def test_low_target_is_submitted_with_a_warning(telescope):
    with pytest.warns(LowAltitudeWarning, match='never gets higher'):
        rid = telescope.submit('12:00:00 -45:00:00', name=unique('Low'))
    assert listed(telescope, rid)['object_id'] == '12:00:00.00 -45:00:00.00'


# --- What is refused before anything is sent --------------------------------------------

@pytest.mark.parametrize('kwargs, error, match', [
    ({'target': '12:00:00 -70:00:00'}, ValueError, 'never rises'),
    ({'target': '25:00:00 +10:00:00'}, ValueError, 'target'),
    ({'target': 'SS Cyg'}, ValueError, 'pass coordinates'),          # offline name
    ({'target': 3.5}, TypeError, 'target'),
    ({'telescope': 'Galaxy'}, ValueError, 'retired'),
    ({'telescope': 'Hubble'}, ValueError, 'telescope must be'),
    ({'filter': 'Ha'}, ValueError, 'filter'),
    ({'exposure': 0}, ValueError, 'exposure'),
    ({'exposure': -3 * u.s}, ValueError, 'exposure'),
    ({'exposure': float('nan')}, ValueError, 'exposure'),
    ({'exposure': 11 * u.min}, ValueError, 'exposure'),
    ({'exposure': 5 * u.kg}, ValueError, 'exposure'),
    ({'exposure': '60'}, TypeError, 'exposure'),
    ({'name': 'x' * 65}, ValueError, 'name'),
    ({'name': 42}, TypeError, 'name'),
    ({'comment': 'c' * 256}, ValueError, 'comment'),
    ({'dark_frame': 'no'}, TypeError, 'dark_frame'),
])
def test_bad_input_sends_nothing(telescope, simulator, kwargs, error, match):
    arguments = {'target': '20:42:59.6 +43:35:10', **kwargs}
    before = len(simulator.archive.requests('demo'))
    simulator.counters.reset()
    with pytest.raises(error, match=match):
        telescope.submit(arguments.pop('target'), **arguments)
    assert simulator.counters.total() == 0
    assert len(simulator.archive.requests('demo')) == before


def test_query_payload_sends_nothing_not_even_a_login_check(simulator, monkeypatch):
    monkeypatch.setenv('TELESCOPE_QUERY_SERVER', simulator.url)
    simulator.counters.reset()
    client = TelescopeClass()                       # nobody logged in
    payload = client.submit('20:42:59.6 +43:35:10', telescope='PIRATE', filter='V',
                            exposure=90, name='Payload', comment='c', dark_frame=False,
                            get_query_payload=True)
    assert payload == {'telescopeid': 7, 'telescopetype': 2, 'exposuretime': 90000,
                       'filtertype': 'Green', 'objecttype': 'RADEC',
                       'objectname': 'Payload', 'objectid': '20:42:59.60 +43:35:10.00',
                       'usercomments': 'c', 'darkframe': 0}
    assert simulator.counters.total() == 0
    with pytest.raises(LoginError):
        client.submit('20:42:59.6 +43:35:10')
    assert simulator.counters.total() == 0


# --- What the server refuses ----------------------------------------------------------

def test_server_refusal_carries_its_status(telescope, simulator, monkeypatch):
    # Let a too-long exposure through our own check so that the site refuses it.
    monkeypatch.setitem(site.MAX_EXPOSURE_S, 'COAST', 20 * 60.0)
    name = unique('Refused')
    with pytest.raises(SubmissionError) as info:
        telescope.submit('20:42:59.6 +43:35:10', exposure=15 * u.min, name=name)
    assert info.value.status == 'ERR_BAD_EXPOSURE'
    assert str(info.value) == (f"the request for {name!r} could not be made: the server "
                               f"refused the request's details: the exposure is outside "
                               f"the telescope's range")
    assert simulator.counters[SUBMIT] == 0 and made(simulator, name) == []


def test_session_expiring_before_the_final_call(telescope, simulator):
    # The session ends at 0-rb-submit: the client logs in again, the new
    # session's basket is empty (ERR_BASKET_EMPTY), so it is filled again.
    simulator.faults.add('expire_session', endpoint=SUBMIT, count=1)
    name = unique('Expired')
    rid = telescope.submit('20:42:59.6 +43:35:10', name=name)
    assert [r.rid for r in made(simulator, name)] == [rid]


# --- Never twice ------------------------------------------------------------------------

def test_500_before_the_request_is_made_is_retried_once(telescope, simulator):
    simulator.faults.add('http_500', endpoint=SUBMIT, count=1)
    name = unique('Before')
    rid = telescope.submit('21:42:42.8 +43:35:10', name=name)
    assert [r.rid for r in made(simulator, name)] == [rid]
    assert simulator.counters[SUBMIT] == 2          # the lost one, then the real one


def test_500_after_the_request_is_made_is_not_repeated(telescope, simulator):
    simulator.faults.add('http_500', endpoint=SUBMIT, count=1, after=True)
    name = unique('After')
    rid = telescope.submit('21:42:42.8 +43:35:10', name=name)
    assert [r.rid for r in made(simulator, name)] == [rid]
    assert simulator.counters[SUBMIT] == 1


@pytest.mark.parametrize('kind, params', [
    ('cut_connection', {'after_bytes': 10}),
    ('non_json', {}),
    ('truncated_json', {}),
])
def test_broken_answers_after_the_request_is_made(telescope, simulator, kind, params):
    simulator.faults.add(kind, endpoint=SUBMIT, count=1, **params)
    name = unique(kind)
    rid = telescope.submit('21:42:42.8 +43:35:10', name=name)
    assert [r.rid for r in made(simulator, name)] == [rid]
    assert simulator.counters[SUBMIT] == 1


def test_identical_earlier_request_is_not_taken_for_the_lost_one(telescope, simulator):
    name = unique('Twin')
    first = telescope.submit('21:42:42.8 +43:35:10', name=name)
    simulator.faults.add('http_500', endpoint=SUBMIT, count=1)
    second = telescope.submit('21:42:42.8 +43:35:10', name=name)
    assert second != first
    assert sorted(r.rid for r in made(simulator, name)) == sorted([first, second])


def test_every_attempt_failing_says_so(telescope, simulator):
    simulator.faults.add('http_500', endpoint=SUBMIT, count=5)
    name = unique('Down')
    with pytest.raises(SubmissionError) as info:
        telescope.submit('21:42:42.8 +43:35:10', name=name)
    assert info.value.status == 'AMBIGUOUS' and 'HTTP 500' in str(info.value)
    assert simulator.counters[SUBMIT] == 2 and made(simulator, name) == []


def wait_for_requests(simulator, name: str, count: int = 1, seconds: float = 5) -> list:
    """The requests of that name once ``count`` exist (a server still at work makes
    them after the client gave up), within ``seconds``."""
    simulator.archive.wait_for_requests('demo', lambda r: r.object_name == name, count,
                                        seconds)
    return made(simulator, name)


@pytest.mark.parametrize('status', [502, 503, 504])
def test_a_gateway_error_is_never_sent_again(telescope, simulator, status):
    # Before the call reaches the site: nothing is made, but the client cannot
    # know that a gateway's error did not leave the site saving the request.
    simulator.faults.add('http_error', endpoint=SUBMIT, status=status, count=1)
    name = unique(f'Gateway {status}')
    with pytest.raises(SubmissionError, match='may still make it') as info:
        telescope.submit('21:42:42.8 +43:35:10', name=name)
    assert info.value.status == 'AMBIGUOUS' and f'HTTP {status}' in str(info.value)
    assert simulator.counters[SUBMIT] == 1 and made(simulator, name) == []


@pytest.mark.parametrize('status', [502, 503, 504])
def test_a_gateway_error_after_the_request_is_made_finds_it(telescope, simulator, status):
    simulator.faults.add('http_error', endpoint=SUBMIT, status=status, count=1, after=True)
    name = unique(f'Gateway after {status}')
    rid = telescope.submit('21:42:42.8 +43:35:10', name=name)
    assert [r.rid for r in made(simulator, name)] == [rid]
    assert simulator.counters[SUBMIT] == 1


def test_a_stalled_answer_while_the_site_is_still_saving_is_never_sent_again(telescope,
                                                                           simulator):
    # The headers come, then nothing: the site makes the request after the
    # client has given up reading. It must not be made twice.
    simulator.faults.add('stall_body', endpoint=SUBMIT, count=1, ms=1000, still_saving=True)
    name = unique('Still saving')
    with conf.set_temp('timeout', 0.3):
        with pytest.raises(SubmissionError, match='may still make it') as info:
            telescope.submit('21:42:42.8 +43:35:10', name=name)
    assert info.value.status == 'AMBIGUOUS' and 'stopped coming' in str(info.value)
    assert simulator.counters[SUBMIT] == 1
    assert len(wait_for_requests(simulator, name)) == 1


def test_a_stalled_answer_of_a_made_request_finds_it(telescope, simulator):
    simulator.faults.add('stall_body', endpoint=SUBMIT, count=1, ms=1000, after_bytes=5)
    name = unique('Stalled')
    with conf.set_temp('timeout', 0.3):
        rid = telescope.submit('21:42:42.8 +43:35:10', name=name)
    assert [r.rid for r in made(simulator, name)] == [rid]
    assert simulator.counters[SUBMIT] == 1


def test_a_connection_closed_unanswered_is_never_sent_again(telescope, simulator):
    simulator.faults.add('close_unanswered', endpoint=SUBMIT, count=1)
    name = unique('Unanswered')
    with pytest.raises(SubmissionError, match='closed before any answer') as info:
        telescope.submit('21:42:42.8 +43:35:10', name=name)
    assert info.value.status == 'AMBIGUOUS'
    assert simulator.counters[SUBMIT] == 1 and made(simulator, name) == []


def test_a_connection_closed_unanswered_after_the_request_is_made_finds_it(telescope,
                                                                          simulator):
    simulator.faults.add('close_unanswered', endpoint=SUBMIT, count=1, after=True)
    name = unique('Unanswered made')
    rid = telescope.submit('21:42:42.8 +43:35:10', name=name)
    assert [r.rid for r in made(simulator, name)] == [rid]
    assert simulator.counters[SUBMIT] == 1


@pytest.mark.parametrize('fault, params', [('http_500', {'after': True}),
                                           ('cut_connection', {'after_bytes': 5}),
                                           ('http_error', {'status': 504, 'after': True})])
def test_a_lost_answer_finds_the_request_under_the_name_the_listing_gives(
        telescope, simulator, fault, params):
    # The site lists the new request as 'NAME_M' (PROTOCOL.md 2: 'T CrB_M').
    simulator.faults.add('name_suffix', count=1)
    simulator.faults.add(fault, endpoint=SUBMIT, count=1, **params)
    name = unique('T CrB')
    rid = telescope.submit('15:59:30.16 +25:55:12.6', name=name)
    assert [r.rid for r in made(simulator, f'{name}_M')] == [rid]
    assert made(simulator, name) == [] and simulator.counters[SUBMIT] == 1


def test_timeout_is_never_resent(telescope, simulator):
    # The server sleeps before handling the call: the client gives up first,
    # finds nothing yet, and must not submit again (the server makes it later).
    simulator.faults.add('latency', endpoint=SUBMIT, count=1, ms=1000)
    name = unique('Slow')
    with conf.set_temp('timeout', 0.3):
        with pytest.raises(SubmissionError, match='may still make it') as info:
            telescope.submit('21:42:42.8 +43:35:10', name=name)
    assert info.value.status == 'AMBIGUOUS'
    assert simulator.counters[SUBMIT] == 1
    assert len(wait_for_requests(simulator, name)) == 1


# --- Carrying out the decisions, without a server ------------------------------------------

def _plan(name: str = 'Offline') -> SubmissionPlan:
    return plan_submission('21:42:42.8 +43:35:10', name=name)


def _listed(rid: int, name: str = 'Offline', objectid: str = '21:42:42.80 +43:35:10.00'
            ) -> dict:
    return {'id': str(rid), 'seen': '0', 'usercomments': '', 'objecttype': 'RADEC',
            'objectid': objectid, 'objectname': name, 'requesttime': '1730321603',
            'status': '1', 'row': '1'}


def _lost(cause: BaseException, message: str = 'no answer') -> RemoteServiceError:
    try:
        raise RemoteServiceError(f'request-constructor/0-rb-submit: {message}') from cause
    except RemoteServiceError as error:
        return error


def _http_error(code: int, body: str) -> HTTPStatusError:
    """An HTTP error status at ``0-rb-submit``, as the session raises it."""
    return HTTPStatusError(f'request-constructor/0-rb-submit: HTTP {code} from '
                           f'http://127.0.0.1/api-user.php: {body}', code)


class BasketClient:
    """A client without a server: ``0-rb-submit`` meets ``submits`` in turn (an
    answer, or an exception to raise) and each listing the next of ``listings``
    (raw requests, or an exception)."""

    user = 'demo'
    _session_generation = 0

    def __init__(self, submits: list, listings: list):
        self.submits, self.listings = list(submits), list(listings)
        self.sent: list[str] = []

    def _require_login(self) -> None:
        pass

    def _api_call(self, module, request, params=None, *, idempotent=True,
                  allow_failure=False):
        self.sent.append(request)
        if request in ('0-rb-clear', '0-rb-set'):
            return {'success': True, 'status': 'OK'}
        if request == '0-rb-submit':
            assert idempotent is False and allow_failure
            item = self.submits.pop(0)
        else:
            assert request == '1-get-list-own'
            item = self.listings.pop(0)
            if isinstance(item, list):
                item = {'success': 1, 'status': 'OK',
                        'data': {'totalRequests': str(len(item)), 'requests': item}}
        if isinstance(item, BaseException):
            raise item
        return item


def test_the_queue_before_is_read_when_not_given():
    client = BasketClient([{'success': True, 'data': {'id': 12}}], [[_listed(11)]])
    assert submit_plan(client, _plan()) == 12
    assert client.sent == ['1-get-list-own', '0-rb-clear', '0-rb-set', '0-rb-submit']


def test_accepted_without_an_id_is_looked_up_not_sent_again():
    client = BasketClient([{'success': True, 'status': 'OK', 'data': {}}],
                          [[_listed(12), _listed(11)]])
    assert submit_plan(client, _plan(), before={11}) == 12
    assert client.sent.count('0-rb-submit') == 1


def test_accepted_without_an_id_the_queue_does_not_show_is_ambiguous():
    client = BasketClient([{'success': True, 'status': 'OK', 'data': {}}], [[_listed(11)]])
    with conf.set_temp('submit_rechecks', 0):
        with pytest.raises(SubmissionError, match='gave no request id') as info:
            submit_plan(client, _plan(), before={11})
    assert info.value.status == 'AMBIGUOUS' and client.sent.count('0-rb-submit') == 1


def test_accepted_without_an_id_and_an_unreadable_queue_is_ambiguous():
    client = BasketClient([{'success': True, 'status': 'OK', 'data': {'id': 'x'}}],
                          [RemoteServiceError('listing broken')])
    with pytest.raises(SubmissionError, match='queue could not be read.*could not be read') \
            as info:
        submit_plan(client, _plan(), before=set())
    assert info.value.status == 'AMBIGUOUS' and client.sent.count('0-rb-submit') == 1


def test_a_lost_answer_and_an_unreadable_queue_is_ambiguous():
    client = BasketClient([_lost(requests.exceptions.ChunkedEncodingError('short'))],
                          [RemoteServiceError('listing broken')])
    with pytest.raises(SubmissionError, match='could not be read') as info:
        submit_plan(client, _plan(), before=set())
    assert info.value.status == 'AMBIGUOUS' and client.sent.count('0-rb-submit') == 1
    assert isinstance(info.value.__cause__, RemoteServiceError)


def test_a_refill_and_every_attempt_make_three_sends_at_most():
    refused = {'success': False, 'status': 'ERR_BASKET_EMPTY'}
    client = BasketClient([refused, _lost(requests.ConnectTimeout('connect')),
                           {'success': True, 'data': {'id': '13'}}],
                          [[_listed(11)]])
    assert submit_plan(client, _plan(), before={11}) == 13
    assert client.sent.count('0-rb-submit') == 3 and client.sent.count('0-rb-set') == 3


def test_a_refusal_is_raised_as_the_basket_module_raised_it():
    client = BasketClient([{'success': False, 'status': 'ERR_QUEUE_FULL'}], [])
    with pytest.raises(QueueFullError, match="the account's queue is full"):
        submit_plan(client, _plan(), before=set())
    assert client.sent.count('1-get-list-own') == 0


def test_a_session_problem_at_the_final_call_is_not_a_lost_answer():
    client = BasketClient([LoginError('logged out')], [])
    with pytest.raises(LoginError):
        submit_plan(client, _plan(), before=set())
    assert client.sent.count('1-get-list-own') == 0


def test_an_unsettled_loss_looks_again_after_each_wait_and_finds_it(monkeypatch):
    # The site saves the request while the client waits: the third look finds it.
    waited: list[float] = []
    monkeypatch.setattr(send, 'time', SimpleNamespace(sleep=waited.append))
    client = BasketClient([_lost(requests.ReadTimeout('read'))],
                          [[_listed(11)], [_listed(11)], [_listed(12), _listed(11)]])
    with conf.set_temp('submit_recheck_wait', 4.0), conf.set_temp('submit_rechecks', 3):
        assert submit_plan(client, _plan(), before={11}) == 12
    assert waited == [4.0, 8.0]
    assert client.sent.count('0-rb-submit') == 1 and client.sent.count('1-get-list-own') == 3


def test_an_unsettled_loss_not_found_after_every_look_is_ambiguous(monkeypatch):
    waited: list[float] = []
    monkeypatch.setattr(send, 'time', SimpleNamespace(sleep=waited.append))
    client = BasketClient([_http_error(503, 'busy')],
                          [[_listed(11)]] * 4)
    with conf.set_temp('submit_recheck_wait', 1.5), conf.set_temp('submit_rechecks', 3):
        with pytest.raises(SubmissionError, match='4 times over 10.5 s') as info:
            submit_plan(client, _plan(), before={11})
    assert info.value.status == 'AMBIGUOUS' and waited == [1.5, 3.0, 6.0]
    assert client.sent.count('0-rb-submit') == 1
    assert 'api-user' not in str(info.value) and 'HTTP 503' in str(info.value)


def test_a_connection_closed_before_any_answer_is_never_sent_again(monkeypatch):
    # Sent, then closed without a status line (a proxy giving up on a slow site):
    # the site may still save it, so it is looked for and never sent again.
    monkeypatch.setattr(send, 'time', SimpleNamespace(sleep=lambda seconds: None))
    closed = requests.ConnectionError(ProtocolError(
        'Connection aborted.', http.client.RemoteDisconnected('closed')))
    client = BasketClient([_lost(closed)], [[_listed(11)]] * 4)
    with conf.set_temp('submit_rechecks', 3):
        with pytest.raises(SubmissionError, match='closed before any answer') as info:
            submit_plan(client, _plan(), before={11})
    assert info.value.status == 'AMBIGUOUS' and client.sent.count('0-rb-submit') == 1
    assert client.sent.count('1-get-list-own') == 4


def test_a_queue_that_cannot_tell_which_request_is_it_is_ambiguous():
    # Two new requests of the plan's name and position: one may be another client's.
    client = BasketClient([_http_error(500, 'x')],
                          [[_listed(13), _listed(12, 'offline_M'), _listed(11)]])
    with pytest.raises(SubmissionError, match='R13.*R12') as info:
        submit_plan(client, _plan(), before={11})
    assert info.value.status == 'AMBIGUOUS' and client.sent.count('0-rb-submit') == 1
    assert str(info.value).startswith("the request for 'Offline' may or may not have been "
                                      "made: its answer was lost (the server answered HTTP "
                                      "500), and the queue shows new requests that may be it")


@pytest.mark.parametrize('wait, rechecks, waits', [
    (5.0, 3, (5.0, 10.0, 20.0)), (0.0, 3, (0.0, 0.0, 0.0)), (2.0, 0, ()),
    (-1.0, 2, (0.0, 0.0)), (1.0, 99, tuple(2.0 ** n for n in range(send.MAX_RECHECKS)))])
def test_the_waits_come_from_conf_and_are_bounded(wait, rechecks, waits):
    with conf.set_temp('submit_recheck_wait', wait), conf.set_temp('submit_rechecks', rechecks):
        assert send.recheck_waits() == waits


# --- What the user reads -----------------------------------------------------------------

#: Words of the protocol a user must never read in a message.
JARGON = ('basket', 'rb-', 'request-constructor', 'api-user', 'ERR_', 'ticket',
          'telescope.org')


@pytest.mark.parametrize('case', ['refused', 'queue full', 'every attempt lost', 'gateway',
                                  'form refused', 'form gateway'])
def test_messages_say_what_happened_without_the_protocols_words(login_as, simulator,
                                                                monkeypatch, case):
    client = login_as('demo', legacy=True)
    name = unique('Plain words')
    target = '21:42:42.8 +43:35:10'
    if case == 'refused':
        monkeypatch.setitem(site.MAX_EXPOSURE_S, 'COAST', 20 * 60.0)
        call = lambda: client.submit(target, exposure=15 * u.min, name=name)   # noqa: E731
    else:
        call = lambda: client.submit(target, exposure=30, name=name)           # noqa: E731
    if case == 'queue full':
        simulator.archive.set_queue_limit('demo', 0)
    elif case == 'every attempt lost':
        simulator.faults.add('http_500', endpoint=SUBMIT, count=2)
    elif case == 'gateway':
        simulator.faults.add('http_error', endpoint=SUBMIT, status=504)
    elif case == 'form refused':
        simulator.archive.set_queue_limit('demo', 0)
        call = lambda: form_submit(client, name)                         # noqa: E731
    elif case == 'form gateway':
        simulator.faults.add('http_error', endpoint='request-constructor.php/main-submit',
                             status=503)
        call = lambda: form_submit(client, name)                         # noqa: E731
    try:
        with pytest.raises(SubmissionError) as info:
            call()
    finally:
        simulator.faults.clear()
        simulator.archive.set_queue_limit('demo', 1000)
    message = str(info.value)
    assert message.startswith('the request for') and name.strip() in message, message
    assert not any(word in message for word in JARGON), message
    assert info.value.status                    # the site's word, for programs


def form_submit(client, name):
    from telescope_query.submit.form import submit_form
    return submit_form(client, plan_submission('21:42:42.8 +43:35:10', name=name))


@pytest.mark.parametrize('fault, params', [('http_500', {}), ('non_json', {}),
                                           ('http_error', {'status': 503})])
def test_a_failure_before_the_final_call_is_said_in_words(telescope, simulator, fault, params):
    # 0-rb-set fails on every try: nothing was made, and the message says so
    # without the protocol's words, in submit and in a submit_missing row.
    from helpers import SET
    name = unique('Details lost')
    simulator.faults.add(fault, endpoint=SET, count=None, **params)
    try:
        with pytest.raises(RemoteServiceError) as info:
            telescope.submit('21:42:42.8 +43:35:10', name=name)
        row = telescope.submit_missing(Table({'target': ['21:40:00 +43:00:00'],
                                              'name': [name + ' row']}))
    finally:
        simulator.faults.clear()
    assert not isinstance(info.value, SubmissionError) or info.value.status != 'AMBIGUOUS'
    for message in (str(info.value), str(row['message'][0])):
        assert message.startswith('the request for') and 'was not made' in message, message
        assert not any(word in message for word in JARGON) and 'http://' not in message
    assert row['action'][0] == 'failed' and simulator.counters[SUBMIT] == 0
