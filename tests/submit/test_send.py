"""Telescope.submit: against the simulator over loopback HTTP, then `submit_plan`'s
loop against a client without a server, for the paths the simulator does not take.

Each test submits under names of its own, so the session's shared simulator
can hold what earlier tests made. Name resolution is switched off in astropy:
nothing here may leave this machine.
"""
import pytest
import requests
import astropy.units as u
from astropy.coordinates import SkyCoord

from telescope_query import LowAltitudeWarning, conf
from telescope_query.protocol import site
from telescope_query.core import TelescopeClass
from telescope_query.exceptions import (LoginError, QueueFullError, RemoteServiceError,
                                        SubmissionError)
from telescope_query.submit.plan import SubmissionPlan, plan_submission
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
    assert 'ERR_BAD_EXPOSURE' in str(info.value)
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


def test_timeout_is_never_resent(telescope, simulator):
    # The server sleeps before handling the call: the client gives up first,
    # finds nothing yet, and must not submit again (the server makes it later).
    simulator.faults.add('latency', endpoint=SUBMIT, count=1, ms=1300)
    name = unique('Slow')
    with conf.set_temp('timeout', 1):          # conf.timeout is whole seconds
        with pytest.raises(SubmissionError, match='may still make it') as info:
            telescope.submit('21:42:42.8 +43:35:10', name=name)
    assert info.value.status == 'AMBIGUOUS'
    assert simulator.counters[SUBMIT] == 1
    import time
    deadline = time.monotonic() + 5
    while not made(simulator, name) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(made(simulator, name)) == 1


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


def test_accepted_without_an_id_and_an_unreadable_queue_is_ambiguous():
    client = BasketClient([{'success': True, 'status': 'OK', 'data': {'id': 'x'}}],
                          [RemoteServiceError('listing broken')])
    with pytest.raises(SubmissionError, match='listing broken') as info:
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
    with pytest.raises(QueueFullError, match='queue of this account is full'):
        submit_plan(client, _plan(), before=set())
    assert client.sent.count('1-get-list-own') == 0


def test_a_session_problem_at_the_final_call_is_not_a_lost_answer():
    client = BasketClient([LoginError('logged out')], [])
    with pytest.raises(LoginError):
        submit_plan(client, _plan(), before=set())
    assert client.sent.count('1-get-list-own') == 0
