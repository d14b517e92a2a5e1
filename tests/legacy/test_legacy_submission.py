"""The original library's submission calls against the simulator.

``submit_job_api`` (JSON basket), ``submit_RADEC_job`` (ticketed forms) and
``submit_variable_star`` / ``submitVarStar`` (by name, through a local Sesame
stand-in). Nothing here leaves this machine.
"""
import pytest
from astropy.coordinates import SkyCoord
from astropy.utils import data as astropy_data

from telescope_query.exceptions import RemoteServiceError
from telescope_query.submit.target import format_objectid
from telescope_query.protocol import site

from helpers import SUBMIT as BASKET_SUBMIT, unique
from sesame_stub import KNOWN, local_sesame

FORM = 'request-constructor.php'

pytestmark = pytest.mark.usefixtures('no_internet')


@pytest.fixture
def telescope(login_as):
    """The original library's class, logged in to the simulator as demo."""
    return login_as('demo', legacy=True)


def stored(simulator, rid: int):
    request = simulator.archive.request('demo', rid)
    assert request is not None, f'R{rid} was not made'
    return request


def test_submit_job_api_defaults(telescope, simulator):
    target = SkyCoord('20h42m59.6s +43d35m10s')
    ok, rid = telescope.submit_job_api(target)
    assert ok is True and isinstance(rid, int)
    request = stored(simulator, rid)
    assert (request.object_name, request.comments) == ('RaDec object', 'AutoSubmit')
    assert (request.telescope_id, request.filter_type, request.exposure_ms) == (6, 'BVR', 30000)
    assert request.object_id == '20:42:59.60 +43:35:10.00' and request.dark_frame
    assert simulator.counters[BASKET_SUBMIT] == 1


def test_submit_job_api_translates_filters(telescope, simulator):
    ok, rid = telescope.submit_job_api('05:35:17.3 -05:23:28', exposure=45000,
                                       tele='PIRATE', filt='BVR', darkframe=False,
                                       name=unique('Orion'), comment='x')
    assert ok
    request = stored(simulator, rid)
    assert (request.telescope_id, request.filter_type) == (7, 'Colour')
    assert request.exposure_ms == 45000 and request.dark_frame is False
    assert telescope.get_request_details(rid)['filter'][0] == 'Colour'


def test_submit_job_api_refusal_returns_the_status(telescope, simulator, monkeypatch):
    monkeypatch.setitem(site.MAX_EXPOSURE_S, 'COAST', 20 * 60.0)
    ok, status = telescope.submit_job_api('05:35:17.3 -05:23:28', exposure=900000)
    assert (ok, status) == (False, 'ERR_BAD_EXPOSURE')
    assert simulator.counters[BASKET_SUBMIT] == 0


@pytest.mark.parametrize('kwargs, error', [
    ({'tele': 'Galaxy'}, ValueError), ({'filt': 'Ha'}, ValueError),
    ({'exposure': 0}, ValueError), ({'exposure': '30000'}, TypeError),
    ({'exposure': 700000}, ValueError), ({'obj': '12:00:00 -80:00:00'}, ValueError),
])
def test_legacy_bad_input_raises_and_sends_nothing(telescope, simulator, kwargs, error):
    arguments = {'obj': '12:00:00 +10:00:00', **kwargs}
    for call in (telescope.submit_job_api, telescope.submit_RADEC_job):
        simulator.counters.reset()
        with pytest.raises(error):
            call(**arguments)
        assert simulator.counters.total() == 0


@pytest.mark.parametrize('call', ['submit_job_api', 'submit_RADEC_job'])
@pytest.mark.parametrize('exposure, said', [
    (50, 'exposure 50 ms is too short'), (99.9, 'exposure 99.9 ms is too short'),
    (180001, 'exposure 180001 ms is too long')])
def test_legacy_exposure_bounds_are_said_in_milliseconds(telescope, simulator, call,
                                                        exposure, said):
    simulator.counters.reset()
    with pytest.raises(ValueError, match=rf'^{said}: must be a time from 100 ms to 180000 '
                                         rf'ms on COAST, as a Quantity or milliseconds$'):
        getattr(telescope, call)('12:00:00 +10:00:00', exposure=exposure)
    assert simulator.counters.total() == 0


@pytest.mark.parametrize('expos, said', [(0.05, 'expos 0.05 s is too short'),
                                         (240, 'expos 240 s is too long')])
def test_submit_var_star_exposure_bounds_name_expos(telescope, simulator, expos, said):
    simulator.counters.reset()
    with pytest.raises(ValueError, match=rf'^{said}: must be a time from 0.1 s to 180 s '
                                         rf'on COAST'):
        telescope.submitVarStar('SS Cyg', expos=expos)
    assert simulator.counters.total() == 0


@pytest.mark.parametrize('target, objectid', [
    ('20:42:59.6 -05:35:10', '20:42:59.60 -05:35:10.00'),
    (SkyCoord('12h00m00s -00d30m00s'), '12:00:00.00 -00:30:00.00'),
])
def test_submit_radec_job_through_the_forms(telescope, simulator, target, objectid):
    name = unique('Form')
    ok, rid = telescope.submit_RADEC_job(target, exposure=20000, tele='pirate', filt='V',
                                         darkframe=False, name=name, comment='by form')
    assert ok is True
    request = stored(simulator, rid)
    assert request.object_name == name and request.object_id == objectid
    assert (request.telescope_id, request.filter_type) == (7, 'Green')
    assert request.exposure_ms == 20000 and request.dark_frame is False
    assert request.comments == 'by form'
    assert simulator.counters[FORM] == 9                # GET ?action=new, then 8 steps
    assert simulator.counters[BASKET_SUBMIT] == 0
    listing = telescope.get_requests()
    assert listing[listing['rid'] == rid]['object_id'][0] == objectid


def test_submit_variable_star_by_name(telescope, simulator):
    with astropy_data.conf.set_temp('allow_internet', True), local_sesame() as calls:
        ok, rid = telescope.submit_variable_star('SS Cyg', expos=120, comm='Mira',
                                                 tele='PIRATE')
        ok2, rid2 = telescope.submitVarStar('V1223 Sgr', expos=180, comm='AAVSO')
    assert ok and ok2 and calls == ['SS Cyg', 'V1223 Sgr']
    request = stored(simulator, rid)
    assert request.object_name == 'SS Cyg' and request.comments == 'Mira'
    assert request.exposure_ms == 120000 and request.filter_type == 'Colour'
    ra, dec = KNOWN['SS Cyg']
    assert request.object_id == format_objectid(SkyCoord(ra, dec, unit='deg'))
    assert stored(simulator, rid2).exposure_ms == 180000


def test_submit_variable_star_offline(telescope, simulator):
    simulator.counters.reset()
    with pytest.raises(ValueError, match='pass coordinates'):
        telescope.submit_variable_star('SS Cyg')
    assert simulator.counters.total() == 0


# --- A lost answer of the final step: AMBIGUOUS, never a second request -------------------

FINAL_STEP = 'request-constructor.php/main-submit'


def named(simulator, name: str) -> list:
    return [r for r in simulator.archive.requests('demo') if r.object_name == name]


@pytest.mark.parametrize('status', [502, 503, 504, 500])
def test_submit_radec_job_lost_final_answer_is_ambiguous_not_sent_again(telescope, simulator,
                                                                       status):
    simulator.faults.add('http_error', endpoint=FINAL_STEP, status=status)
    name = unique('Form gateway')
    simulator.counters.reset()
    ok, status_word = telescope.submit_RADEC_job('20:42:59.6 +43:35:10', name=name)
    assert (ok, status_word) == (False, 'AMBIGUOUS')
    assert simulator.counters[FORM] == 9 and named(simulator, name) == []


@pytest.mark.parametrize('status', [502, 504])
def test_submit_radec_job_lost_final_answer_of_a_made_request_finds_it(telescope, simulator,
                                                                      status):
    simulator.faults.add('http_error', endpoint=FINAL_STEP, status=status, after=True)
    name = unique('Form made')
    ok, rid = telescope.submit_RADEC_job('20:42:59.6 +43:35:10', name=name)
    assert ok is True and [r.rid for r in named(simulator, name)] == [rid]


def test_submit_radec_job_stalled_while_saving_makes_one_request(telescope, simulator):
    from telescope_query import conf
    simulator.faults.add('stall_body', endpoint=FINAL_STEP, ms=1000, still_saving=True)
    name = unique('Form saving')
    simulator.counters.reset()
    with conf.set_temp('timeout', 0.3):
        assert telescope.submit_RADEC_job('20:42:59.6 +43:35:10', name=name) == \
            (False, 'AMBIGUOUS')
    assert simulator.counters[FORM] == 9
    saved = simulator.archive.wait_for_requests(    # the site is still saving it
        'demo', lambda r: r.object_name == name)
    assert len(saved) == 1


def test_submit_radec_job_finds_a_request_listed_with_a_suffix(telescope, simulator):
    simulator.faults.add('name_suffix')
    simulator.faults.add('http_500', endpoint=FINAL_STEP, after=True)
    name = unique('Form T CrB')
    ok, rid = telescope.submit_RADEC_job('15:59:30.16 +25:55:12.6', name=name)
    assert ok is True and [r.rid for r in named(simulator, f'{name}_M')] == [rid]


@pytest.mark.parametrize('status', [503, 504])
def test_submit_job_api_gateway_error_is_ambiguous(telescope, simulator,
                                                                      status):
    simulator.faults.add('http_error', endpoint=BASKET_SUBMIT, status=status)
    name = unique('Api gateway')
    assert telescope.submit_job_api('20:42:59.6 +43:35:10', name=name) == (False, 'AMBIGUOUS')
    assert simulator.counters[BASKET_SUBMIT] == 1 and named(simulator, name) == []


def test_submit_radec_job_a_failed_step_before_the_last_is_said_in_words(telescope, simulator):
    # An intermediate step fails on every try: nothing was made, and the error
    # says so without the form's words.
    simulator.faults.add('http_500', endpoint='request-constructor.php/part2-save', count=None)
    name = unique('Form step lost')
    try:
        with pytest.raises(RemoteServiceError) as info:
            telescope.submit_RADEC_job('20:42:59.6 +43:35:10', name=name)
    finally:
        simulator.faults.clear()
    message = str(info.value)
    assert message.startswith(f'the request for {name!r} was not made') and 'HTTP 500' in message
    assert not any(word in message for word in ('request-constructor', 'part2', 'ticket'))
    assert named(simulator, name) == []
