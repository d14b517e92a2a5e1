"""Two accounts in one process with one cache folder never see each other's data.

``demo`` and ``alice`` are used one after the other and at once, in two
instances and in one instance that logs in as one and then the other, all
with the same cache folder. Neither may see the other's folders, requests,
details, queue or images: not from the site, and not from the cache (views of
completed requests and jobs, and products, are cached; a cache that ignored
the account would serve one user's private data to the other with no call).
"""
from __future__ import annotations

import threading

import pytest

from telescope_query.images import staging
from telescope_query.images.cache import find_cached
from telescope_query.exceptions import NoSuchJobError, NoSuchRequestError

from helpers import PASSWORDS, cache_problems, unique


def own(sim, user):
    """What the archive says belongs to ``user``: request ids, private job ids, folders."""
    requests = sim.archive.requests(user)
    jobs = {r.jid for r in requests if r.jid}
    private = sorted(j for j in jobs if not sim.archive.job(j).public)
    return {r.rid for r in requests}, private, {f.name for f in sim.archive.folders(user)}


def everything(client, jids, rids):
    """Everything an account can ask for, as comparable values (errors included)."""
    seen = {'folders': sorted(client.get_folders()['name']),
            'requests': sorted(client.get_requests()['rid']),
            'queue': sorted(client.get_requests(status='queued')['rid'])}
    for jid in jids:
        try:
            seen[f'job {jid}'] = int(client.get_job_details(jid)['jid'][0])
        except NoSuchJobError:
            seen[f'job {jid}'] = 'no such job'
        try:
            (hdul,) = client.get_images(jid, show_progress=False)
            with hdul:
                seen[f'images {jid}'] = hdul[0].header.get('OBJECT', 'image')
        except NoSuchJobError:
            seen[f'images {jid}'] = 'no such job'
    for rid in rids:
        try:
            seen[f'request {rid}'] = int(client.get_request_details(rid)['rid'][0])
        except NoSuchRequestError:
            seen[f'request {rid}'] = 'no such request'
    return seen


@pytest.fixture
def accounts(simulator):
    demo_rids, demo_private, demo_folders = own(simulator, 'demo')
    alice_rids, alice_private, alice_folders = own(simulator, 'alice')
    assert demo_private and alice_private and not demo_rids & alice_rids
    return {'demo': (demo_rids, demo_private, demo_folders),
            'alice': (alice_rids, alice_private, alice_folders)}


def check_sees_only_own(seen, user, accounts, probe_jids, probe_rids):
    rids, private, folders = accounts[user]
    other = accounts['alice' if user == 'demo' else 'demo']
    assert set(seen['requests']) <= rids and set(seen['queue']) <= rids
    assert set(seen['folders']) == folders
    for jid in probe_jids:
        if jid in other[1]:
            assert seen[f'job {jid}'] == 'no such job', f'{user} saw the private job {jid}'
            assert seen[f'images {jid}'] == 'no such job', \
                f"{user} got the images of another account's private job {jid}"
        else:
            assert seen[f'job {jid}'] == jid
    for rid in probe_rids:
        expected = rid if rid in rids else 'no such request'
        assert seen[f'request {rid}'] == expected, f'{user} saw request {rid}'


def probes(accounts):
    """A private job and a request of each account: what the other must not see."""
    jids = [accounts['demo'][1][0], accounts['alice'][1][0]]
    rids = [min(accounts['demo'][0]), min(accounts['alice'][0])]
    return jids, rids


def test_one_after_the_other_with_one_cache(make_client, simulator, accounts, tmp_path):
    """demo fills the shared cache with its views and images; alice, on the
    same cache folder, then sees none of them (and the other way round)."""
    cache = tmp_path / 'shared-cache'
    jids, rids = probes(accounts)
    demo = make_client('demo', cache=cache)
    check_sees_only_own(everything(demo, jids, rids), 'demo', accounts, jids, rids)
    alice = make_client('alice', cache=cache)
    check_sees_only_own(everything(alice, jids, rids), 'alice', accounts, jids, rids)
    # Again, now that both accounts' views and products are in the cache.
    check_sees_only_own(everything(demo, jids, rids), 'demo', accounts, jids, rids)
    assert not cache_problems(cache)


def test_one_instance_switching_accounts(make_client, simulator, accounts, tmp_path):
    """One instance logged in as demo, then as alice, then logged out: the cache
    of the first account is never served to the second, nor to nobody."""
    jids, rids = probes(accounts)
    client = make_client('demo', cache=tmp_path / 'one-cache')
    check_sees_only_own(everything(client, jids, rids), 'demo', accounts, jids, rids)
    client.login('alice', password=PASSWORDS['alice'])
    check_sees_only_own(everything(client, jids, rids), 'alice', accounts, jids, rids)
    demo_private = accounts['demo'][1][0]
    assert client.get_obs(demo_private, recurse=False) is None, \
        "the legacy cache lookup handed alice demo's private product"


def test_two_instances_at_once_with_one_cache(make_client, simulator, accounts, tmp_path):
    """demo and alice work at the same time, in two threads, on one cache
    folder: each sees exactly what it sees alone, every time."""
    cache = tmp_path / 'shared-cache'
    jids, rids = probes(accounts)
    clients = {user: make_client(user, cache=cache) for user in ('demo', 'alice')}
    results, errors = {user: [] for user in clients}, []

    def work(user):
        try:
            for _ in range(3):
                results[user].append(everything(clients[user], jids, rids))
        except Exception as exc:        # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(user,)) for user in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    for user, seen in results.items():
        assert len(seen) == 3
        for one in seen:
            check_sees_only_own(one, user, accounts, jids, rids)
            assert one == seen[0]
    assert not cache_problems(cache)


def test_queue_of_one_account_is_not_the_others(make_client, simulator, tmp_path):
    """A request demo submits is in demo's queue and never in alice's."""
    cache = tmp_path / 'shared-cache'
    demo, alice = make_client('demo', cache=cache), make_client('alice', cache=cache)
    name = unique('Private target')
    rid = demo.submit('10:00:00 +40:00:00', exposure=30, name=name)
    assert rid in list(demo.get_requests(status='queued')['rid'])
    assert rid not in list(alice.get_requests(status='queued')['rid'])
    assert name not in list(alice.get_requests()['object_name'])
    assert len(alice.query_object(name)) == 0
    with pytest.raises(NoSuchRequestError):
        alice.get_request_details(rid)
    table = alice.submit_missing(['10:00:00 +40:00:00'], dry_run=True)
    assert table['action'][0] == 'would submit', 'alice took demo\'s request as queued'


def test_product_cache_is_per_account(make_client, simulator, accounts, tmp_path):
    """The products' folder of two accounts on one cache folder differs."""
    cache = tmp_path / 'shared-cache'
    demo, alice = make_client('demo', cache=cache), make_client('alice', cache=cache)
    jid = accounts['demo'][1][0]
    fetched = staging.fetch_one(demo, staging.Product(jid))
    assert find_cached(alice, staging.Product(jid)) is None
    found = find_cached(demo, staging.Product(jid))
    assert found is not None and found.path == fetched.path
    assert demo.product_cache != alice.product_cache


def test_another_archive_at_the_same_address_is_never_served_the_first_ones(
        simulator_factory, login_as, monkeypatch, tmp_path):
    """A simulator restarted on the same port with other settings (other product
    bytes): a client logging in to it, with the same cache folder, gets the new
    archive's product and views, never the cached ones of the first; so does the
    instance that was logged in to the first, once its session is renewed."""
    import numpy as np
    from urllib.parse import urlsplit
    from helpers import demo_jids

    def pixels(client, jid):
        with client.get_images(jid, show_progress=False)[0] as hdul:
            return np.asarray(hdul[0].data).shape

    first = simulator_factory(image_size=64)
    monkeypatch.setenv('TELESCOPE_QUERY_SERVER', first.url)
    cache = tmp_path / 'shared'
    old = login_as('demo', cache=cache)
    jid = demo_jids(first)[0]
    assert pixels(old, jid)[-1] == 64
    old.get_job_details(jid)
    url = first.url
    first.stop()
    second = simulator_factory(image_size=32, port=urlsplit(url).port)
    assert second.url == url

    new = login_as('demo', cache=cache)
    assert pixels(new, jid)[-1] == 32
    assert second.counters['v3image-download.php'] == 1
    new.get_job_details(jid)
    assert second.counters['v4request-view.php'] >= 1     # not the first's cached view

    second.counters.reset()
    old.get_folders()                   # the first's session is gone: renewed here
    assert second.counters['login.php'] == 1
    assert pixels(old, jid)[-1] == 32
