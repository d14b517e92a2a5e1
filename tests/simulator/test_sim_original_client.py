"""The original library's HTTP behaviour (original_client.py) works against the simulator.

Each documented call of the original, run unchanged, gives what its
documentation shows; expected values come from the simulator's archive.
"""
from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile
from pathlib import Path

import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits

sys.path.insert(0, str(Path(__file__).parent))
from original_client import Telescope  # noqa: E402
from helpers import time_words  # noqa: E402


@pytest.fixture
def scope(simulator):
    client = Telescope('demo', 'demo', simulator.url, poll_interval=0, processed_interval=0)
    yield client
    client.s.close()


def completed(sim, user='demo'):
    return [r for r in sim.archive.requests(user) if r.status == 8]


def test_login_is_one_call(simulator):
    client = Telescope('alice', 'alice-Secret-42', simulator.url)
    assert simulator.counters.snapshot() == {'login.php': 1}
    assert client.get_user_folders()[0]['name'] == 'Inbox'


def test_get_user_folders(scope, simulator):
    folders = scope.get_user_folders()
    assert folders[:4] == [
        {'id': '1', 'creationtime': '0', 'name': 'Inbox',
         'count': str(len(simulator.archive.requests('demo')))},
        {'id': '2', 'creationtime': '0', 'name': 'Favourites', 'count': None},
        {'id': '3', 'creationtime': '0', 'name': 'Archive',
         'count': str(simulator.archive.folder_count('demo', 3))},
        {'id': '4', 'creationtime': '0', 'name': 'Trash',
         'count': str(simulator.archive.folder_count('demo', 4))}]
    own = folders[4]
    assert int(own['id']) > 4 and int(own['creationtime']) > 0


def test_get_user_requests(scope, simulator):
    reqs = scope.get_user_requests(sort='completion')
    assert len(reqs) == len(simulator.archive.requests('demo'))
    assert simulator.counters['api-user.php/request-manager/1-get-list-own'] == 2
    # The documented loop: status texts by int(status) for every record.
    texts = [Telescope.REQUESTSTATUS_TEXTS[int(rq['status'])] for rq in reqs]
    assert 'Complete' in texts
    # By completion: unseen complete ones, then the queue, then the rest (as recorded).
    first_queued = next(i for i, rq in enumerate(reqs) if int(rq['status']) < 8)
    assert all(rq['seen'] == '0' and rq['status'] == '8' for rq in reqs[:first_queued])
    assert [rq['row'] for rq in reqs] == [str(n) for n in range(1, len(reqs) + 1)]
    # Queued ones are there too ('status != "8"' hides nothing it should not).
    assert {rq['status'] for rq in reqs} - {'8'}


def test_get_user_requests_when_the_first_page_holds_everything(simulator_factory):
    sim = simulator_factory(requests=30)
    client = Telescope('demo', 'demo', sim.url)
    reqs = client.get_user_requests()
    assert len(reqs) == 30 and len({rq['id'] for rq in reqs}) == 30
    assert sim.counters['api-user.php/request-manager/1-get-list-own'] == 2


def test_get_jid_for_req(scope, simulator):
    reqs = scope.get_user_requests(sort='completion')[:10]
    for rq in reqs:
        truth = simulator.archive.request('demo', int(rq['id']))
        assert scope.get_jid_for_req(rq) == (truth.jid if truth.status == 8 else False)
    waiting = next(rq for rq in scope.get_user_requests() if rq['status'] != '8')
    assert scope.get_jid_for_req(int(waiting['id'])) is False


def test_get_request(scope, simulator):
    req = completed(simulator)[0]
    obs = scope.get_request(req.rid)
    assert int(obs['jid']) == req.jid
    assert obs['oid'] == req.object_id and obs['name'] == req.object_name
    assert obs['exp'] == f'{req.exposure_ms} ms' and obs['status'] == 'Complete'
    assert 'flatid' not in obs     # as recorded since 2022: the job view has it


def test_get_job(scope, simulator):
    from telescope_query.simulator.archive import TELESCOPE_TYPES
    jobs = [simulator.archive.job(r.jid) for r in completed(simulator)]
    several = next(j for j in jobs if len(j.rids) > 1 and j.flat_id)
    obs = scope.get_job(several.jid)
    assert obs['rid'] == ' '.join(f'R{rid}' for rid in several.rids) + ' '
    assert obs['completion'] == time_words(several.completion_time)
    assert obs['status'] is True
    assert obs['flatid'] == several.flat_id
    assert (obs['type'], obs['oid'], obs['exp'], obs['filter'], obs['tele']) == (
        several.object_type, several.object_id, f'{several.exposure_ms} ms',
        several.filter_type, TELESCOPE_TYPES[several.telescope_id])
    single = next(j for j in jobs if len(j.rids) == 1)
    assert scope.get_job(single.jid)['rid'] == str(single.rids[0])


def test_get_obs_list(scope, simulator, capsys):
    now = simulator.archive.current_time()
    dt_days = 1
    while not (jobs := scope.get_obs_list(t=now, dt=dt_days, verb=False)):
        dt_days += 1
        assert dt_days < 30
    jobs = scope.get_obs_list(t=now, dt=dt_days, verb=True)
    printed = capsys.readouterr().out
    assert 'Earliest completion time:' in printed and 'Private jobs excluded' in printed
    assert ':59' in printed.split('Latest completion time:')[1].splitlines()[0]
    end = dt.datetime.fromtimestamp(now, dt.timezone.utc).replace(
        hour=16, minute=0, second=0, microsecond=0).timestamp()
    expected = [j.jid for j in simulator.archive.search_jobs(end - dt_days * 86400,
                                                              end + 59)]
    assert jobs == expected
    coast = scope.get_obs_list(t=now, dt=30, camera='6', filtertype='BVR')
    assert coast and all(simulator.archive.job(j).telescope_id == 6 and
                         simulator.archive.job(j).filter_type == 'BVR' for j in coast)


@pytest.mark.parametrize('cube', [True, False])
def test_download_obs(scope, simulator, tmp_path, capsys, cube):
    job = simulator.archive.job(completed(simulator)[-1].jid)
    simulator.counters.reset()
    fname = scope.download_obs(scope.get_job(job.jid), directory=str(tmp_path), cube=cube,
                               verbose=True)
    assert fname == f'{job.jid}.{"fits" if cube else "zip"}'
    data = (tmp_path / fname).read_bytes()
    # get_job gave the flat id, which the original sends: the flat-fielded product.
    assert data == simulator.products.path(job, 'cube' if cube else 'zip',
                                           flat_id=job.flat_id or 0).read_bytes()
    if cube:
        with fits.open(io.BytesIO(data)) as hdul:
            assert hdul[0].header['NAXIS'] == 3
    else:
        assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    assert capsys.readouterr().out.split()[-1] == 'READY'
    assert simulator.counters['v3image-download.php'] == 1


def test_download_obs_polls_until_ready(scope, simulator, tmp_path):
    job = simulator.archive.job(completed(simulator)[-2].jid)
    simulator.faults.add('never_ready', jid=job.jid, count=2)
    fname = scope.download_obs(scope.get_job(job.jid), directory=str(tmp_path), cube=False)
    assert fname is not None
    assert simulator.counters['api-user.php/image-engine/0-is-job-ready'] == 3


def test_download_obs_gives_up(scope, simulator, tmp_path):
    job = simulator.archive.job(completed(simulator)[-3].jid)
    simulator.faults.add('never_ready', count=None)
    assert scope.download_obs(scope.get_job(job.jid), directory=str(tmp_path)) is None
    assert simulator.counters['api-user.php/image-engine/0-is-job-ready'] == 31
    assert list(tmp_path.iterdir()) == []


def test_download_obs_size_check(scope, simulator, tmp_path):
    job = simulator.archive.job(completed(simulator)[-1].jid)
    simulator.faults.add('short_body', endpoint='v3image-download.php', missing_bytes=100)
    assert scope.download_obs(scope.get_job(job.jid), directory=str(tmp_path),
                              cube=False) is None
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize('cube', [True, False])
def test_download_obs_processed(scope, simulator, tmp_path, cube):
    job = simulator.archive.job(completed(simulator)[-4].jid)
    fname = scope.download_obs_processed(scope.get_job(job.jid), directory=str(tmp_path),
                                         cube=cube)
    assert fname == f'art_{job.jid}.{"fits" if cube else "zip"}'
    assert (tmp_path / fname).read_bytes() == simulator.products.path(
        job, 'cube' if cube else 'zip', processed=True).read_bytes()


def test_download_obs_processed_gives_up(scope, simulator, tmp_path):
    job = simulator.archive.job(completed(simulator)[-5].jid)
    simulator.faults.add('never_ready', jid=job.jid, count=None)
    assert scope.download_obs_processed({'jid': job.jid}, directory=str(tmp_path)) is None
    assert simulator.counters['imageengine-request.php'] == 4


def test_submit_job_api(scope, simulator):
    target = SkyCoord('20h42m59.6s +43d35m10s')
    answer = scope.submit_job_api(target, exposure=60000, tele='COAST', filt='V',
                                  name='NGC 7000 API', comment='AutoSubmit')
    assert answer['success'] is True
    req = simulator.archive.request('demo', int(answer['data']['id']))
    assert (req.object_name, req.object_id, req.status) == (
        'NGC 7000 API', '20:42:59.60 +43:35:10.00', 3)
    assert (req.telescope_id, req.filter_type, req.exposure_ms) == (6, 'V', 60000)
    listed = {rq['id'] for rq in scope.get_user_requests()}
    assert str(req.rid) in listed


def test_submit_RADEC_job(scope, simulator):
    before = {r.rid for r in simulator.archive.requests('demo')}
    target = SkyCoord('05h35m17.3s -05d23m28s')
    answer = scope.submit_RADEC_job(target, exposure=45000, tele='PIRATE', filt='Red',
                                    darkframe=False, name='M42 form')
    assert answer.status_code == 200
    new = [r for r in simulator.archive.requests('demo') if r.rid not in before]
    assert len(new) == 1
    req = new[0]
    assert (req.object_name, req.object_id) == ('M42 form', '05:35:17.30 -05:23:28.00')
    assert (req.telescope_id, req.filter_type, req.exposure_ms, req.dark_frame) == (
        7, 'Red', 45000, False)
    assert simulator.counters['request-constructor.php'] == 9


def test_logout(scope, simulator):
    assert scope.get_user_folders()
    scope.logout()
    assert scope.do_api_call('request-manager', '0-get-my-folders') == {
        'success': 0, 'status': 'ERR_NOT_LOGGED_IN', 'data': None}
