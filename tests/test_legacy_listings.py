"""The original library's listing methods, and the seed documentation's examples run
unchanged (after changing the import) against the simulator."""
from __future__ import annotations

import re

import pytest
from astropy.config import paths

from telescope_query import NoSuchJobError, NoSuchRequestError, TelescopeClass


@pytest.fixture
def seed_config(client_env, tmp_path):
    """``~/.config/telescope.ini`` as the original library's users keep it."""
    config = tmp_path / 'home' / '.config' / 'telescope.ini'
    config.parent.mkdir(parents=True)
    config.write_text('[telescope.org]\nuser = demo\npassword = demo\n')
    with paths.set_temp_cache(str(tmp_path / 'astropy-cache')):
        yield config


def one_request_job(simulator):
    """A job of demo's serving one request: it plays the seed's job 369256,
    which the synthetic archive does not have."""
    for request in simulator.archive.requests('demo'):
        job = simulator.archive.job_of_request('demo', request.rid)
        if job is not None and len(job.rids) == 1 and job.flat_id:
            return job.jid
    raise AssertionError('the simulator has no job of one request')


def test_seed_examples_run_unchanged(seed_config, simulator, capsys):
    SEED_JOB = one_request_job(simulator)
    # ---- the seed documentation's examples, verbatim but for the import -------
    from telescope_query import Telescope
    scope = Telescope(config='~/.config/telescope.ini')

    reqs = scope.get_user_requests(sort='completion')
    print(f'User {scope.user} has {len(reqs)} requests. Recent few:')
    for rq in reqs[:10]:
        print(f'{rq["id"]}: {rq["objectname"]:15}'
              f' ({Telescope.REQUESTSTATUS_TEXTS[int(rq["status"])]})')

    for rq in reqs[:10]:
        jid = scope.get_jid_for_req(rq)
        print(f'{rq["id"]}: {rq["objectname"]:15}'
              f' ({Telescope.REQUESTSTATUS_TEXTS[int(rq["status"])]})'
              f' jid: {jid if jid else ""}')

    print(scope.get_user_folders())

    dt = 1
    while True:
        jobs = scope.get_obs_list(dt=dt, verb=False)
        if jobs:
            break
        else:
            dt += 1
    jobs = scope.get_obs_list(dt=dt, verb=True)
    assert jobs
    print(jobs[0], f'... ({len(jobs)-2} jobs) ...', jobs[-1])

    obs = scope.get_job(jobs[-1])
    for k, v in obs.items():
        print(f'{k}: {v}')

    obs = scope.get_job(SEED_JOB)
    for k, v in obs.items():
        print(f'{k}: {v}')
    rsp1 = scope.__do_api_call("image-engine", "0-create-dlzip", {'jid': obs['jid'], })
    print(rsp1)
    rsp2 = scope.__do_api_call("image-engine", "0-is-job-ready",
                               {'ieid': rsp1['data']['ieID'], })
    print(rsp2)

    scope.get_request(int(obs['rid']))
    last_complete = int(scope.get_request(int(rq['id']))['jid'])
    print(f'Last complete jid: {last_complete}')
    scope.logout()
    # ---- end of the seed's examples -------------------------------------------

    out = capsys.readouterr().out
    total = len(simulator.archive.requests('demo', 1))
    assert f'User demo has {total} requests. Recent few:' in out
    assert re.search(r'^\d{6}: .{15} \(Complete\) jid: \d{6}$', out, re.M)
    assert "{'id': '1', 'creationtime': '0', 'name': 'Inbox', 'count': " in out
    assert re.search(r'^Params:\nEarliest completion time: \d\d/\d\d/\d\d 16:00:00\n'
                     r'Latest completion time: \d\d/\d\d/\d\d 16:00:59\n', out, re.M)
    assert re.search(r'^\d+ \.\.\. \(-?\d+ jobs\) \.\.\. \d+$', out, re.M)
    assert re.search(r"^completion: \['\d{1,2}', '[A-Z][a-z]+', '\d{4}', "
                     r"'\d\d:\d\d:\d\d', 'UTC'\]$", out, re.M)
    assert f'jid: {SEED_JOB}\n' in out and re.search(r'^exp: \d+ ms$', out, re.M)
    assert re.search(r"^\{'success': 1, 'status': 'OK_(READY|WAIT)', 'data': "
                     r"\{'ieID': '\d+'", out, re.M)
    assert f'Last complete jid: {last_complete}' in out
    assert not scope.authenticated()


def test_get_user_requests_and_folders_are_the_sites_dicts(telescope, simulator):
    reqs = telescope.get_user_requests()
    assert len(reqs) == len(simulator.archive.requests('demo', 1))
    assert all(isinstance(v, str) for rq in reqs for k, v in rq.items()
               if k in ('id', 'status', 'requesttime'))
    archived = telescope.get_user_requests(folder=3, sort='object')
    assert {int(r['id']) for r in archived} == {
        r.rid for r in simulator.archive.requests('demo', 3)}
    folders = telescope.get_user_folders()
    assert folders[0] == {'id': '1', 'creationtime': '0', 'name': 'Inbox',
                          'count': str(len(reqs))}
    assert folders[1]['count'] is None          # empty Favourites: null, as on the site
    with pytest.raises(ValueError, match='sort must be one of'):
        telescope.get_user_requests(sort='date')


def test_get_jid_for_req_takes_a_dict_or_an_id(telescope, simulator):
    done = next(r for r in simulator.archive.requests('demo') if r.status == 8)
    queued = next(r for r in simulator.archive.requests('demo') if r.status < 8)
    assert telescope.get_jid_for_req(done.rid) == done.jid
    assert telescope.get_jid_for_req(str(done.rid)) == done.jid
    assert telescope.get_jid_for_req({'id': str(done.rid), 'status': '8'}) == done.jid
    simulator.counters.reset()
    assert telescope.get_jid_for_req({'id': str(queued.rid), 'status': str(queued.status)}) \
        is False
    assert simulator.counters.total() == 0           # known from the status alone
    assert telescope.get_jid_for_req(queued.rid) is False
    with pytest.raises(TypeError, match='req must be'):
        telescope.get_jid_for_req()


def test_get_job_shapes(telescope, simulator):
    several = next(j for j in (simulator.archive.job_of_request('demo', r.rid)
                               for r in simulator.archive.requests('demo'))
                   if j is not None and len(j.rids) > 1)
    obs = telescope.get_job(several.jid)
    assert list(obs) == ['jid', 'rid', 'type', 'oid', 'exp', 'filter', 'tele',
                         'completion', 'status', 'flatid']
    assert obs['jid'] == several.jid and isinstance(obs['jid'], int)
    assert obs['rid'] == ' '.join(f'R{r}' for r in several.rids)
    assert obs['exp'] == f'{several.exposure_ms} ms'
    assert obs['status'] is several.success and len(obs['completion']) == 5
    assert obs['flatid'] == (several.flat_id or None)
    with pytest.raises(NoSuchJobError):
        telescope.get_job(5)


def test_get_request_shape(telescope, simulator):
    done = next(r for r in simulator.archive.requests('demo') if r.status == 8)
    record = telescope.get_request(done.rid)
    assert record['rid'] == done.rid and record['jid'] == done.jid
    assert record['name'] == done.object_name and record['status'] == 'Complete'
    assert record['exp'] == f'{done.exposure_ms} ms' and record['completion'][-1] == 'UTC'
    with pytest.raises(NoSuchRequestError):
        telescope.get_request(3)
    with pytest.raises(ValueError, match='rid'):
        telescope.get_request('R-x')


def test_get_obs_list_window_and_checks(telescope, simulator, capsys):
    now = simulator.archive.current_time()
    jobs = telescope.get_obs_list(t=now, dt=30, camera='coast', filtertype='BVR')
    assert all(isinstance(j, int) for j in jobs) and jobs
    assert all(simulator.archive.job(j).telescope_id == 6 for j in jobs)
    assert capsys.readouterr().out == ''
    for bad in ({'camera': 'hubble'}, {'dt': 0}, {'hour': 24}, {'filtertype': 'Colour',
                                                                'camera': 'coast'}):
        with pytest.raises(ValueError):
            telescope.get_obs_list(**bad)


def test_legacy_attributes(telescope):
    assert TelescopeClass.REQUESTSTATUS_TEXTS[8] == 'Complete'
    assert telescope.REQUESTSTATUS_TEXTS[int('25')] == 'Never rises'
    assert telescope.cameratypes['coast'] == 6 and telescope.cameratypes['pirate'] == 7
    answer = getattr(telescope, '__do_api_call')('request-manager', '0-get-my-folders')
    assert answer['success'] and answer['data'][0]['name'] == 'Inbox'
    failed = getattr(telescope, '__do_api_call')('request-manager', '0-no-such-call', {})
    assert not failed['success'] and 'status' in failed
