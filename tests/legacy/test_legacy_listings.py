"""The original library's listing methods, and the seed documentation's examples run
against the simulator with their literal ids (the simulator's ``demo`` account
carries the documented records) and give the documented outputs."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from astropy.config import paths

from telescope_query import NoSuchJobError, NoSuchRequestError
from telescope_query.legacy import Telescope as LegacyTelescope


@pytest.fixture
def telescope(login_as):
    """The original library's class, logged in to the simulator as demo."""
    return login_as('demo', legacy=True)


@pytest.fixture
def seed_config(client_env, tmp_path):
    """``~/.config/telescope.ini`` as the original library's users keep it."""
    config = tmp_path / 'home' / '.config' / 'telescope.ini'
    config.parent.mkdir(parents=True)
    config.write_text('[telescope.org]\nuser = demo\npassword = demo\n')
    with paths.set_temp_cache(str(tmp_path / 'astropy-cache')):
        yield config


#: The seed's get_obs_list example ran on 18 November 2024 (t = 16:00 UTC that day).
SEED_T = datetime(2024, 11, 18, 16, 0, tzinfo=timezone.utc).timestamp()
#: The seed's "Recent few" requests, with the jids it printed for them.
SEED_REQUESTS = [(767380, 'EQ Lyr', 419547), (767374, 'SS Cyg', 419541),
                 (767376, 'V686 Cyg', 419543), (767375, 'IP Cyg', 419542),
                 (767373, 'CH Cyg', 419540), (766438, 'DX Vul', 418739),
                 (766436, 'CH Cyg', 418737), (766435, 'T CrB', 418736),
                 (766437, 'SS Cyg', 418738), (766264, 'T CrB_M', 418581)]


def test_seed_examples_run_unchanged(seed_config, simulator, capsys):
    # The simulator's account demo carries the seed's records with their
    # literal ids. Two departures from the verbatim text: its newest ten are
    # the simulator's own recent requests, so the loops take the seed's ten
    # (in the listing's order); and the job search looks at the documented
    # day (t = 18 Nov 2024 16:00 UTC) instead of today.
    seed_rids = {str(rid) for rid, _, _ in SEED_REQUESTS}
    # ---- the seed documentation's examples, verbatim but for the import -------
    from telescope_query.legacy import Telescope
    scope = Telescope(config='~/.config/telescope.ini')

    reqs = scope.get_user_requests(sort='completion')
    print(f'User {scope.user} has {len(reqs)} requests. Recent few:')
    reqs = [rq for rq in reqs if rq['id'] in seed_rids]          # (departure)
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
        jobs = scope.get_obs_list(t=SEED_T, dt=dt, verb=False)   # (departure: t)
        if jobs:
            break
        else:
            dt += 1
    jobs = scope.get_obs_list(t=SEED_T, dt=dt, verb=True)       # (departure: t)
    assert jobs
    print(jobs[0], f'... ({len(jobs)-2} jobs) ...', jobs[-1])

    obs = scope.get_job(jobs[-1])
    for k, v in obs.items():
        print(f'{k}: {v}')

    obs = scope.get_job(369256)
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
    assert f'User demo has {total} requests. Recent few:\n' in out
    listing = ''.join(f'{rid}: {name:15} (Complete)\n' for rid, name, _ in SEED_REQUESTS)
    assert listing in out
    with_jids = ''.join(f'{rid}: {name:15} (Complete) jid: {jid}\n'
                        for rid, name, jid in SEED_REQUESTS)
    assert with_jids in out
    assert "[{'id': '1', 'creationtime': '0', 'name': 'Inbox', 'count': " \
           f"'{total}'}}, {{'id': '2', 'creationtime': '0', 'name': 'Favourites', " \
           "'count': None}" in out
    assert ('Params:\nEarliest completion time: 17/11/24 16:00:00\n'
            'Latest completion time: 18/11/24 16:00:59\n'
            'Job status values of:\n') in out
    assert 'Sorted by Completion time in descending order\nPrivate jobs excluded\n' \
           '1000 results per page\n423342 ... (4 jobs) ... 423183\n' in out
    assert ('jid: 423183\nrid: R771716 R771970\ntype: MESSIER\noid: 109\n'
            'exp: 120000 ms\nfilter: BVR\ntele: Galaxy\n'
            "completion: ['18', 'November', '2024', '05:41:09', 'UTC']\n"
            'status: True\nflatid: 31\n') in out
    assert ('jid: 369256\nrid: 706248\ntype: RADEC\noid: 00:42:58.58 +36:28:18.97\n'
            'exp: 120000 ms\nfilter: BVR\ntele: Galaxy\n'
            "completion: ['22', 'December', '2020', '23:34:10', 'UTC']\n"
            'status: True\nflatid: 24\n') in out
    # OK_READY echoes the flat id sent (0: none); OK_WAIT has no flatID [seen].
    assert re.search(r"^\{'success': 1, 'status': 'OK_(READY', 'data': \{'ieID': '\d+', "
                     r"'flatID': 0\}|WAIT', 'data': \{'ieID': '\d+'\})\}$", out, re.M)
    assert re.search(r"^\{'success': 1, 'status': '[A-Z_]+', 'data': "
                     r"\{'flatID': '0', 'fitsbzsize': '\d+', 'fitssize': '\d+'\}\}$",
                     out, re.M)
    assert 'Last complete jid: 418581\n' in out
    assert not scope.authenticated()


def test_seed_records_are_demos_only(login_as):
    alice = login_as('alice', legacy=True)
    assert not {int(r['id']) for r in alice.get_user_requests()} & {
        rid for rid, _, _ in SEED_REQUESTS}
    with pytest.raises(NoSuchRequestError):
        alice.get_request(706248)
    with pytest.raises(NoSuchJobError):
        alice.get_job(369256)                   # demo's own, private
    assert alice.get_job(423183)['rid'] == 'R771716 R771970'      # public


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
    # PIRATE's name of a COAST filter is translated, as for a submission.
    assert telescope.get_obs_list(t=now, dt=30, camera='coast', filtertype='Colour') == jobs
    for bad in ({'camera': 'hubble'}, {'dt': 0}, {'hour': 24}, {'filtertype': 'U',
                                                                'camera': 'coast'}):
        with pytest.raises(ValueError):
            telescope.get_obs_list(**bad)


@pytest.mark.parametrize('kwargs, text', [
    ({'t': 0}, r"t must be on or after 1993-12-01 \(UTC\).*got 1970-01-01 16:00"),
    ({'t': -1e10}, r"t must be on or after 1993-12-01"),
    ({'dt': 20000}, r"dt must reach no further back than 1993-12-01.*20000 days reach"),
    ({'dt': 1e7}, r"dt must reach no further back than 1993-12-01"),
])
def test_get_obs_list_refuses_windows_before_the_site(telescope, simulator, kwargs, text):
    simulator.counters.reset()
    with pytest.raises(ValueError, match=text):
        telescope.get_obs_list(**kwargs)
    assert simulator.counters.total() == 0


def test_legacy_attributes(telescope):
    assert LegacyTelescope.REQUESTSTATUS_TEXTS[8] == "Complete"
    assert telescope.REQUESTSTATUS_TEXTS[int('25')] == 'Never rises'
    assert telescope.cameratypes['coast'] == 6 and telescope.cameratypes['pirate'] == 7
    answer = getattr(telescope, '__do_api_call')('request-manager', '0-get-my-folders')
    assert answer['success'] and answer['data'][0]['name'] == 'Inbox'
    failed = getattr(telescope, '__do_api_call')('request-manager', '0-no-such-call', {})
    assert not failed['success'] and 'status' in failed
