"""Every public operation under every fault the simulator can inject.

The property: an operation hit by a fault either completes with exactly the
result a clean run gives (reads retried, sessions renewed, downloads resumed)
or raises a specific, named error; afterwards the cache holds nothing partial
or corrupt, and no submission exists twice.

Each case runs the operation once on a clean client (its own cache) for the
expected result, then arms one fault and runs it on a second client with an
empty cache, so that nothing cached can hide the fault. A case also checks
that its fault really fired: a test whose fault never met a call proves
nothing.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import numpy as np
import pytest

from telescope_query import conf
from telescope_query.exceptions import (DownloadError, LoginError, ProductNotReadyError,
                                        RemoteServiceError)

from helpers import cache_problems, demo_jids, unique

LOGIN = 'login.php'
DOWNLOAD = 'v3image-download.php'


# --- what the operations are run on -------------------------------------------------

@dataclass
class Ids:
    """Ids of the demo account that the operations use (picked from the archive)."""

    rids: list[int]
    done_rid: int
    jids: list[int]
    object_name: str
    window: tuple[datetime, datetime]


def pick_ids(sim) -> Ids:
    """Ids of the demo account in ``sim``'s archive."""
    requests = sorted(sim.archive.requests('demo'), key=lambda r: r.rid)
    done = [r for r in requests if r.status == 8 and r.jid]
    waiting = [r for r in requests if r.status != 8]
    names = {}
    for r in requests:
        names.setdefault(r.object_name, []).append(r)
    # An object with a completed request and few requests in all: query_object stays cheap.
    name = min((n for n, rs in names.items() if any(r.status == 8 for r in rs)),
               key=lambda n: (len(names[n]), n))
    # A window that ends an hour ago: the living queue cannot change it meanwhile.
    now = datetime.fromtimestamp(sim.archive.current_time(), timezone.utc)
    end = now.replace(second=0, microsecond=0) - timedelta(hours=1)
    return Ids(rids=[done[0].rid, done[1].rid, waiting[0].rid, waiting[1].rid],
               done_rid=done[0].rid, jids=demo_jids(sim)[:2], object_name=name,
               window=(end - timedelta(hours=12), end))


@pytest.fixture(scope='module')
def latency_simulator():
    """A simulator of its own for the latency faults.

    A delayed call goes on sleeping in the server after the client gave up on
    it, and is handled later: on the shared simulator it would meet the next
    test's faults (and use up an ``expire_session``). Here it meets only
    other latency tests.
    """
    from telescope_query.simulator.pytest_plugin import _small
    sim = _small()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def server_for(simulator, latency_simulator, monkeypatch):
    """``server_for(fault)``: the simulator a fault's case runs on, with clients pointed at it."""
    def choose(fault):
        if fault.kind != 'latency':
            return simulator
        monkeypatch.setenv('TELESCOPE_QUERY_SERVER', latency_simulator.url)
        latency_simulator.faults.clear()
        latency_simulator.counters.reset()
        return latency_simulator
    return choose


class ManifestError(Exception):
    """A download_data manifest with ERROR rows (download_data reports, never raises)."""


def _rows(table, *names) -> list[tuple]:
    return [tuple(np.ma.getdata(row[n]).item() if hasattr(row[n], 'item') else row[n]
                  for n in names) for row in table]


def _digest(hdul) -> tuple:
    return tuple(hashlib.sha256(np.ascontiguousarray(hdu.data).tobytes()).hexdigest()[:16]
                 for hdu in hdul if hdu.data is not None)


def _made(sim, name: str) -> list:
    return [r for r in sim.archive.requests('demo') if r.object_name == name]


def _coords() -> str:
    """Random coordinates well above Teide's horizon, so no two runs share a target."""
    rng = random.Random()
    return f'{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d} ' \
           f'+{rng.randrange(20, 60):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}'


def _submitted_once(sim, name: str, rid: int) -> bool:
    made = _made(sim, name)
    return len(made) == 1 and made[0].rid == rid


def op_login(client, ids, sim, tmp_path):
    return client.login('demo', password='demo')


def op_logout(client, ids, sim, tmp_path):
    client.logout()
    return client.user, client._authenticated


def op_get_folders(client, ids, sim, tmp_path):
    return _rows(client.get_folders(), 'folder_id', 'name')


def op_get_requests(client, ids, sim, tmp_path):
    return _rows(client.get_requests('Archive', sort='object'), 'rid', 'status')


def op_get_request_details(client, ids, sim, tmp_path):
    return _rows(client.get_request_details(ids.rids), 'rid', 'jid', 'status')


def op_get_job_details(client, ids, sim, tmp_path):
    table = client.get_job_details(ids.jids)
    return [(row['jid'], tuple(row['rids']), bool(row['success'])) for row in table]


def op_query_object(client, ids, sim, tmp_path):
    return _rows(client.query_object(ids.object_name), 'rid', 'jid')


def op_query_jobs(client, ids, sim, tmp_path):
    return list(client.query_jobs(*ids.window, telescope='COAST')['jid'])


def op_get_images(client, ids, sim, tmp_path):
    return [_digest(hdul) for hdul in client.get_images(ids.jids, cube=False,
                                                        show_progress=False)]


def op_download_data(client, ids, sim, tmp_path):
    folder = tmp_path / unique('files').replace(' ', '-')
    table = client.download_data(ids.jids, path=folder, show_progress=False)
    errors = [m for m, s in zip(table['message'], table['status']) if s == 'ERROR']
    if errors:
        raise ManifestError('; '.join(errors))
    return [(row['jid'], (folder / f"{row['jid']}.fits").stat().st_size) for row in table]


def op_submit(client, ids, sim, tmp_path):
    name = unique('Fault submit')
    rid = client.submit(_coords(), exposure=30, name=name)
    return _submitted_once(sim, name, rid)


def op_submit_missing(client, ids, sim, tmp_path):
    target = _coords()
    table = client.submit_missing([target], exposure=30)
    row = table[0]
    if row['action'] != 'submitted':
        return (row['action'], row['message'])
    return _submitted_once(sim, client.submit(target, exposure=30, get_query_payload=True)
                           ['objectname'], int(row['rid']))


def op_legacy_get_user_requests(client, ids, sim, tmp_path):
    return [r['id'] for r in client.get_user_requests(3, sort='object')]


def op_legacy_get_user_folders(client, ids, sim, tmp_path):
    return [(f['id'], f['name']) for f in client.get_user_folders()]


def op_legacy_get_job(client, ids, sim, tmp_path):
    job = client.get_job(ids.jids[0])
    return job['jid'], job['rid'], job['status']


def op_legacy_get_request(client, ids, sim, tmp_path):
    request = client.get_request(ids.done_rid)
    return request['rid'], request['jid'], request['status']


def op_legacy_get_jid_for_req(client, ids, sim, tmp_path):
    return client.get_jid_for_req(ids.done_rid)


def op_legacy_get_obs_list(client, ids, sim, tmp_path):
    end = ids.window[1]
    return client.get_obs_list(t=end.timestamp(), dt=0.5, camera='COAST', hour=end.hour,
                               minute=end.minute)


def op_legacy_submit_job_api(client, ids, sim, tmp_path):
    name = unique('Fault api')
    ok, rid = client.submit_job_api(_coords(), exposure=30000, name=name)
    return ok and _submitted_once(sim, name, rid)


def op_legacy_submit_RADEC_job(client, ids, sim, tmp_path):
    name = unique('Fault form')
    ok, rid = client.submit_RADEC_job(_coords(), exposure=30000, name=name)
    return ok and _submitted_once(sim, name, rid)


@dataclass(frozen=True)
class Operation:
    run: Callable
    api: bool = True          # calls api-user.php (non_json, truncated_json apply)
    pages: bool = False       # fetches HTML pages (login_page applies)
    creates: bool = False     # submits: a lost answer must never make two requests
    sessions: bool = False    # makes several authenticated calls (a session may expire midway)
    authenticated: bool = True    # needs the session it starts with (all but login)
    never_fails: bool = False     # reports trouble as a warning and completes anyway


OPERATIONS = {
    'login': Operation(op_login, authenticated=False),
    'logout': Operation(op_logout, api=False, authenticated=False, never_fails=True),
    'get_folders': Operation(op_get_folders),
    'get_requests': Operation(op_get_requests),
    'get_request_details': Operation(op_get_request_details, api=False, pages=True,
                                     sessions=True),
    'get_job_details': Operation(op_get_job_details, api=False, pages=True, sessions=True),
    'query_object': Operation(op_query_object, pages=True, sessions=True),
    'query_jobs': Operation(op_query_jobs, api=False, pages=True),
    'get_images': Operation(op_get_images, pages=True, sessions=True),
    'download_data': Operation(op_download_data, pages=True, sessions=True),
    'submit': Operation(op_submit, creates=True, sessions=True),
    'submit_missing': Operation(op_submit_missing, creates=True, sessions=True),
    'legacy get_user_requests': Operation(op_legacy_get_user_requests),
    'legacy get_user_folders': Operation(op_legacy_get_user_folders),
    'legacy get_job': Operation(op_legacy_get_job, api=False, pages=True),
    'legacy get_request': Operation(op_legacy_get_request, api=False, pages=True),
    'legacy get_jid_for_req': Operation(op_legacy_get_jid_for_req, api=False, pages=True),
    'legacy get_obs_list': Operation(op_legacy_get_obs_list, api=False, pages=True),
    'legacy submit_job_api': Operation(op_legacy_submit_job_api, creates=True,
                                       sessions=True),
    'legacy submit_RADEC_job': Operation(op_legacy_submit_RADEC_job, pages=True,
                                         creates=True, sessions=True),
}


# --- the faults ----------------------------------------------------------------------

SAME = 'same result'


@dataclass(frozen=True)
class Fault:
    kind: str
    count: int | None
    params: dict = field(default_factory=dict)
    expect: Any = SAME                 # SAME, or the error class(es) allowed
    settings: dict = field(default_factory=dict)    # conf while the operation runs
    needs: str = ''                    # an Operation flag that must be set


FAULTS = {
    'HTTP 500 burst': Fault('http_500', 2),
    'HTTP 500 until cleared': Fault('http_500', None, expect=RemoteServiceError),
    'latency beyond the timeout, once': Fault('latency', 1, {'ms': 1500},
                                              settings={'timeout': 0.5}),
    'latency beyond the timeout, always': Fault('latency', None, {'ms': 500},
                                                expect=RemoteServiceError,
                                                settings={'timeout': 0.15, 'retries': 1}),
    'connection cut mid-answer, once': Fault('cut_connection', 1, {'after_bytes': 40}),
    'body shorter than Content-Length, once': Fault('short_body', 1, {'missing_bytes': 3}),
    'connection cut mid-answer, always': Fault('cut_connection', None, {'after_bytes': 40},
                                               expect=RemoteServiceError),
    'non-JSON answer': Fault('non_json', 1, expect=RemoteServiceError, needs='api'),
    'truncated JSON': Fault('truncated_json', 1, expect=RemoteServiceError, needs='api'),
    'session expired before the call': Fault('expire_session', 1, needs='authenticated'),
    'session expires midway': Fault('expire_session', 1, {'after_calls': 1},
                                    needs='sessions'),
    'login page instead of a page, once': Fault('login_page', 1, needs='pages'),
    'login page instead of a page, always': Fault('login_page', None, expect=LoginError,
                                                  needs='pages'),
}


def _cases():
    for op_name, op in OPERATIONS.items():
        for fault_name, fault in FAULTS.items():
            if fault.needs and not getattr(op, fault.needs):
                continue
            yield pytest.param(op_name, fault_name, id=f'{op_name}-{fault_name}')


def _outcome(run: Callable) -> tuple[str, Any]:
    try:
        return 'ok', run()
    except Exception as exc:       # judged by the caller
        return 'error', exc


def _with_subclasses(kind: type) -> list[type]:
    return [kind] + [sub for direct in kind.__subclasses__() for sub in _with_subclasses(direct)]


@pytest.mark.parametrize('op_name, fault_name', list(_cases()))
def test_operation_under_fault(op_name, fault_name, make_client, server_for, tmp_path):
    """The operation completes as a clean run does, or raises the named error;
    the cache stays sound; a submission never exists twice."""
    op, fault = OPERATIONS[op_name], FAULTS[fault_name]
    simulator = server_for(fault)
    ids = pick_ids(simulator)
    if (fault.expect is SAME or op.never_fails) and not op.creates:
        expected = op.run(make_client(), ids, simulator, tmp_path)
    else:
        expected = True            # a submission op reports whether it made exactly one
    client = make_client()
    before = len(simulator.archive.requests('demo'))
    logins = simulator.counters[LOGIN]
    armed = simulator.faults.add(fault.kind, count=fault.count, **fault.params)
    with conf.set_temp('timeout', fault.settings.get('timeout', 5.0)), \
            conf.set_temp('retries', fault.settings.get('retries', 2)):
        kind, value = _outcome(lambda: op.run(client, ids, simulator, tmp_path))
    simulator.faults.clear()
    if fault.count is not None:
        assert armed.remaining < fault.count, 'the fault never fired: the case proves nothing'

    if fault.expect is SAME or op.never_fails:
        assert kind == 'ok', f'{op_name} failed under {fault_name}: {value!r}'
        assert value == expected
        if fault.kind == 'expire_session':
            assert simulator.counters[LOGIN] == logins + 1, 'the session was not renewed once'
    else:
        assert kind == 'error', f'{op_name} returned {value!r} under {fault_name}'
        if isinstance(value, ManifestError):       # download_data reports in its manifest
            # The row names the exception's class: the one expected, or a subclass.
            named = str(value).split(':')[0]
            assert named == 'DownloadError' or any(
                named == kind.__name__ for kind in _with_subclasses(fault.expect)), value
        else:
            assert isinstance(value, fault.expect), repr(value)
        if op.creates:
            assert len(simulator.archive.requests('demo')) == before
    assert not cache_problems(client.cache_location)
    assert not cache_problems(tmp_path)


# --- downloads: faults of the product itself -----------------------------------------

def _served(sim, jid: int, kind: str, processed: bool = False, flat: bool = False) -> bytes:
    from pathlib import Path
    job = sim.archive.job(jid)
    return Path(sim.products.path(job, kind, processed,
                                  (job.flat_id or 0) if flat else 0)).read_bytes()


def dl_get_images(client, jid, tmp_path):
    """get_images of a zip: the HDUList's pixel digests."""
    (hdul,) = client.get_images([jid], cube=False, show_progress=False)
    return ('zip', False, False), _digest(hdul)


def dl_download_data(client, jid, tmp_path):
    table = client.download_data([jid], path=tmp_path / 'files', show_progress=False)
    if table['status'][0] == 'ERROR':
        raise ManifestError(table['message'][0])
    return ('cube', False, False), (tmp_path / 'files' / f'{jid}.fits').read_bytes()


def dl_legacy_download_obs(client, jid, tmp_path):
    name = client.download_obs(jid, directory=tmp_path / 'legacy', cube=True)
    # The original asked for the raw frames with the job's flat field.
    return ('cube', False, True), None if name is None else (tmp_path / 'legacy' / name).read_bytes()


def dl_legacy_get_obs(client, jid, tmp_path):
    archive = client.get_obs(jid, cube=False)
    if archive is None:
        return ('zip', False, True), None
    with archive:
        return ('zip', False, True), sorted((i.filename, archive.read(i)) for i in archive.infolist())


def dl_legacy_download_obs_processed(client, jid, tmp_path):
    name = client.download_obs_processed(jid, directory=tmp_path / 'art', cube=False)
    return ('zip', True, False), None if name is None else (tmp_path / 'art' / name).read_bytes()


DOWNLOADS = {'get_images': dl_get_images, 'download_data': dl_download_data,
             'legacy download_obs': dl_legacy_download_obs,
             'legacy get_obs': dl_legacy_get_obs,
             'legacy download_obs_processed': dl_legacy_download_obs_processed}

DOWNLOAD_FAULTS = {
    'cut mid-download, once': Fault('cut_connection', 1, {'after_bytes': 5000}),
    'body shorter than Content-Length': Fault('short_body', 1, {'missing_bytes': 100}),
    'HTTP 500 burst on the download': Fault('http_500', 2),
    'latency beyond the timeout on the download': Fault('latency', 1, {'ms': 1500},
                                                        settings={'timeout': 0.5}),
    'corrupt product, once': Fault('corrupt_product', 1, {'offset': 0, 'nbytes': 64}),
    'cut before the first byte, always': Fault('cut_connection', None, {'after_bytes': 0},
                                               expect=DownloadError),
    'corrupt product, always': Fault('corrupt_product', None, {'offset': 0, 'nbytes': 64},
                                     expect=DownloadError),
}


def _expected_bytes(sim, kind, processed, flat, jid, op_name):
    if op_name == 'get_images':
        return None                 # compared with a clean run instead
    data = _served(sim, jid, kind, processed, flat)
    if op_name == 'legacy get_obs':
        import io
        import zipfile
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sorted((i.filename, archive.read(i)) for i in archive.infolist())
    return data


@pytest.mark.parametrize('fault_name', list(DOWNLOAD_FAULTS))
@pytest.mark.parametrize('op_name', list(DOWNLOADS))
def test_download_under_fault(op_name, fault_name, make_client, server_for, tmp_path,
                              astroquery_log):
    """A product cut, shortened, delayed or corrupted in transit arrives intact
    (resumed or fetched again) or not at all, with a named error; the cache
    and the target folder never hold a partial or corrupt file."""
    op, fault = DOWNLOADS[op_name], DOWNLOAD_FAULTS[fault_name]
    simulator = server_for(fault)
    jid = demo_jids(simulator)[3 + list(DOWNLOADS).index(op_name)]
    client = make_client()
    if op_name == 'get_images':
        expected = op(make_client(cache=tmp_path.parent / f'{tmp_path.name}-clean'), jid,
                      tmp_path)[1]
    armed = simulator.faults.add(fault.kind, endpoint=DOWNLOAD, count=fault.count,
                                 **fault.params)
    with conf.set_temp('timeout', fault.settings.get('timeout', 5.0)):
        kind, value = _outcome(lambda: op(client, jid, tmp_path))
    simulator.faults.clear()
    if fault.count is not None:
        assert armed.remaining < fault.count, 'the fault never fired: the case proves nothing'
    if kind == 'ok':
        (product_kind, processed, flat), got = value
        if op_name != 'get_images':
            expected = _expected_bytes(simulator, product_kind, processed, flat, jid, op_name)
    if fault.expect is SAME:
        assert kind == 'ok', f'{op_name} failed under {fault_name}: {value!r}'
        assert got == expected
    elif op_name.startswith('legacy'):
        # The original's calls return None on failure; a warning says why.
        assert kind == 'ok' and got is None
        assert any('failed' in r.getMessage() and str(jid) in r.getMessage()
                   for r in astroquery_log if r.levelname == 'WARNING')
    else:
        assert kind == 'error', f'{op_name} returned {value!r} under {fault_name}'
        assert isinstance(value, fault.expect) or (
            isinstance(value, ManifestError) and fault.expect.__name__ in str(value))
    assert not cache_problems(client.cache_location)
    assert not cache_problems(tmp_path)
    if fault.expect is not SAME:
        assert not [p for p in tmp_path.rglob(f'*{jid}*') if p.is_file()], \
            'a failed download left a file behind'


@pytest.mark.parametrize('op_name', ['get_images', 'download_data'])
def test_never_ready_product_is_a_named_timeout(op_name, make_client, simulator, tmp_path):
    """An image engine that never says READY ends in ProductNotReadyError naming
    the job (a manifest row for download_data), within conf.max_poll_time, and
    nothing is downloaded."""
    jid = demo_jids(simulator)[9]
    client = make_client()
    simulator.faults.add('never_ready', count=None, jid=jid)
    with conf.set_temp('max_poll_time', 0.2):
        if op_name == 'get_images':
            with pytest.raises(ProductNotReadyError, match=str(jid)):
                client.get_images(jid, show_progress=False)
        else:
            table = client.download_data(jid, path=tmp_path / 'files', show_progress=False)
            assert list(table['status']) == ['ERROR']
            assert 'ProductNotReadyError' in table['message'][0]
    assert simulator.counters[DOWNLOAD] == 0
    assert not cache_problems(client.cache_location)
    assert not [p for p in tmp_path.rglob(f'*{jid}*') if p.is_file()]


def test_session_expiring_in_the_middle_of_a_bulk_download(make_client, simulator, tmp_path):
    """Sessions that expire again and again during a bulk download are renewed;
    every product arrives intact, each file once."""
    jids = demo_jids(simulator)[10:16]
    client = make_client()
    logins = simulator.counters[LOGIN]
    simulator.faults.add('expire_session', count=3, after_calls=6)
    table = client.download_data(jids, path=tmp_path / 'bulk', show_progress=False)
    simulator.faults.clear()
    assert list(table['status']) == ['COMPLETE'] * len(jids), list(table['message'])
    for jid in jids:
        assert (tmp_path / 'bulk' / f'{jid}.fits').read_bytes() == _served(simulator, jid,
                                                                           'cube')
    assert simulator.counters[LOGIN] - logins == 3
    assert sorted(p.name for p in (tmp_path / 'bulk').iterdir()) == sorted(
        f'{jid}.fits' for jid in jids), 'a product is missing or doubled'
    assert not cache_problems(client.cache_location)


# --- the final submission call: never twice --------------------------------------------

RB_SUBMIT = 'api-user.php/request-constructor/0-rb-submit'

SUBMIT_FAULTS = {
    'HTTP 500 before it is handled': Fault('http_500', 1),
    'HTTP 500 after it is handled': Fault('http_500', 1, {'after': True}),
    'HTTP 500 after it is handled, always': Fault('http_500', None, {'after': True}),
    'answer cut': Fault('cut_connection', 1, {'after_bytes': 5}),
    'answer short': Fault('short_body', 1),
    'answer not JSON': Fault('non_json', 1),
    'answer truncated JSON': Fault('truncated_json', 1),
    'session expired at the final call': Fault('expire_session', 1),
    'answer later than the timeout': Fault('latency', 1, {'ms': 1200},
                                           settings={'timeout': 0.4}),
    'HTTP 503 before it is handled': Fault('http_error', 1, {'status': 503}),
    'HTTP 502 before it is handled, always': Fault('http_error', None, {'status': 502}),
    'HTTP 504 after it is handled': Fault('http_error', 1, {'status': 504, 'after': True}),
    'answer stalled after it is handled': Fault('stall_body', 1,
                                                {'ms': 1200, 'after_bytes': 5},
                                                settings={'timeout': 0.4}),
    'answer stalled while the site is still saving': Fault(
        'stall_body', 1, {'ms': 1200, 'still_saving': True}, settings={'timeout': 0.4}),
}


def _submit_via(how: str, client, name: str):
    target = _coords()
    if how == 'submit':
        return client.submit(target, exposure=30, name=name)
    if how == 'legacy submit_job_api':
        ok, value = client.submit_job_api(target, exposure=30000, name=name)
        if not ok:
            raise LookupError(value)       # the original's (False, status)
        return value
    from astropy.table import Table
    table = client.submit_missing(Table({'target': [target], 'comment': [name]}), exposure=30)
    if table['action'][0] != 'submitted':
        raise LookupError('AMBIGUOUS' if table['action'][0] == 'ambiguous'
                          else table['message'][0])
    return int(table['rid'][0])


@pytest.mark.parametrize('fault_name', list(SUBMIT_FAULTS))
@pytest.mark.parametrize('how', ['submit', 'legacy submit_job_api', 'submit_missing'])
def test_lost_answer_of_the_final_submission_never_makes_two(how, fault_name, make_client,
                                                             server_for):
    """Whatever happens to the answer of ``0-rb-submit``, the request exists at
    most once; a returned id is that request; otherwise the error says what
    happened (the server's status, or AMBIGUOUS)."""
    fault = SUBMIT_FAULTS[fault_name]
    simulator = server_for(fault)
    client = make_client()
    name = unique('Never twice')
    armed = simulator.faults.add(fault.kind, endpoint=RB_SUBMIT, count=fault.count,
                                 **fault.params)
    with conf.set_temp('timeout', fault.settings.get('timeout', 5.0)):
        kind, value = _outcome(lambda: _submit_via(how, client, name))
    simulator.faults.clear()
    assert armed.remaining is None or armed.remaining < fault.count

    def made_now() -> list:
        return [r for r in simulator.archive.requests('demo')
                if name in (r.object_name, r.comments)]

    if fault.params.get('still_saving'):    # the site makes it after the client gave up
        simulator.archive.wait_for_requests(
            'demo', lambda r: name in (r.object_name, r.comments))
        assert made_now(), 'the site never saved the request: the case proves nothing'
    made = made_now()
    assert len(made) <= 1, f'{len(made)} requests made by one call'
    if kind == 'ok':
        assert [r.rid for r in made] == [value]
    else:
        assert isinstance(value, (RemoteServiceError, LookupError)), repr(value)
        assert 'AMBIGUOUS' in str(getattr(value, 'status', value)) or not made
