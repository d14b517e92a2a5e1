"""Eight threads sharing one logged-in instance.

Each thread runs the same mix of listings, views, searches and downloads, in
its own order, at the same time as the seven others, on one client and one
cache; all download into one shared folder too. Every thread's results must
equal those of one run after another on a fresh client; no call may crash;
every product must be downloaded once, and every file be whole and present
once. A second run adds faults (session expiries and HTTP 500 bursts) to the
crowd.
"""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from helpers import cache_problems, demo_jids

DOWNLOAD = 'v3image-download.php'
THREADS = 8
EXPIRE_EVERY = 4        # calls a session answers before it expires, in 'expiring'


def tasks(simulator, folder: Path):
    """The operations each thread runs: name -> call(client) -> comparable value."""
    jids = demo_jids(simulator)[40:44]
    requests = sorted(simulator.archive.requests('demo'), key=lambda r: r.rid)
    rids = [r.rid for r in requests[:6]]
    name = requests[0].object_name

    def rows(table, *columns):
        return [tuple(np.ma.getdata(row[c]).item() if hasattr(row[c], 'item') else row[c]
                      for c in columns) for row in table]

    def images(client):
        result = []
        for hdul in client.get_images(jids[:2], show_progress=False):
            with hdul:
                result.append(float(np.asarray(hdul[0].data, dtype=float).sum()))
        return result

    def download(client):
        table = client.download_data(jids, path=folder, show_progress=False)
        return sorted(zip(table['jid'].tolist(), [s != 'ERROR' for s in table['status']],
                          table['size'].filled(-1).tolist()))

    return {
        'folders': lambda c: rows(c.get_folders(), 'folder_id', 'name', 'count'),
        'requests': lambda c: rows(c.get_requests('Archive', sort='object'), 'rid', 'status'),
        'request views': lambda c: rows(c.get_request_details(rids), 'rid', 'jid', 'status'),
        'job views': lambda c: rows(c.get_job_details(jids), 'jid', 'success', 'flat_id'),
        'object': lambda c: rows(c.query_object(name), 'rid', 'jid'),
        'legacy folders': lambda c: c.get_user_folders(),
        'legacy job': lambda c: sorted(c.get_job(jids[0]).items()),
        'images': images,
        'download': download,
    }


@pytest.mark.parametrize('weather', ['calm', 'stormy', 'expiring'])
def test_eight_threads_on_one_instance_match_a_sequential_run(weather, make_client,
                                                             simulator, tmp_path):
    """Same results as one after another, no crash, no corrupt or doubled file,
    each product downloaded once."""
    expected_folder, shared_folder = tmp_path / 'sequential', tmp_path / 'shared'
    sequential = make_client(cache=tmp_path / 'cache-sequential')
    expected = {name: call(sequential)
                for name, call in tasks(simulator, expected_folder).items()}

    client = make_client(cache=tmp_path / 'cache-shared')
    work = tasks(simulator, shared_folder)
    names = list(work)
    results = [dict() for _ in range(THREADS)]
    crashes: list[tuple[int, str, BaseException]] = []
    start = threading.Barrier(THREADS)
    simulator.counters.reset()
    if weather == 'stormy':
        simulator.faults.add('expire_session', count=2, after_calls=15)
        simulator.faults.add('http_500', count=2)     # fewer than conf.retries: all retried
    if weather == 'expiring':       # the session expires every few calls, to the end
        simulator.faults.add('expire_session', count=None, after_calls=EXPIRE_EVERY)

    def run(index: int) -> None:
        order = names[index % len(names):] + names[:index % len(names)]
        start.wait()
        for name in order:
            try:
                results[index][name] = work[name](client)
            except BaseException as exc:       # every crash is reported below
                crashes.append((index, name, exc))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if weather == 'expiring':
        assert simulator.counters['login.php'] > 10, 'the session hardly expired'
    else:
        assert not simulator.faults.active(), 'a fault never fired: the storm proves nothing'
    simulator.faults.clear()

    assert not crashes, crashes[:3]
    for index, got in enumerate(results):
        for name in names:
            assert got[name] == expected[name], f'thread {index}: {name} differs'
    products = {p.name for p in expected_folder.iterdir()}
    assert sorted(p.name for p in shared_folder.iterdir()) == sorted(products)
    for name in products:
        assert (shared_folder / name).read_bytes() == (expected_folder / name).read_bytes()
    assert not cache_problems(tmp_path / 'cache-shared')
    if weather == 'calm':
        # get_images fetches 2 of the 4 products, download_data all 4: 4 in all, once each.
        assert simulator.counters[DOWNLOAD] == len(products)



ROUNDS = 6


def test_account_switch_never_files_a_read_under_the_other_account(client_env, simulator,
                                                                  tmp_path):
    """One instance logs in as alice and back as demo, in the main thread, while
    a reader thread reads demo's request views and job views. The switches land
    at the worst moment, which the reader asks for: right after a view arrived
    and before it is kept. No view of demo's may end up in alice's record
    cache: the cache an answer is kept in is chosen when its call is sent."""
    import json
    import queue
    from telescope_query.legacy import Telescope
    from helpers import PASSWORDS

    orders: queue.Queue = queue.Queue()
    switched = threading.Event()
    reader: list[threading.Thread] = []

    def switch(user: str) -> None:
        """Have the main thread log in as ``user``; wait until it has."""
        switched.clear()
        orders.put(user)
        assert switched.wait(timeout=60), 'the main thread never switched'

    client = Telescope()
    client.cache_location = tmp_path / 'shared'
    client.login('demo', password=PASSWORDS['demo'])
    demo = simulator.archive.requests('demo')
    alice_rids = {r.rid for r in simulator.archive.requests('alice')}
    rids = sorted(r.rid for r in demo if r.jid)[:ROUNDS]
    private = sorted(r.jid for r in demo if r.jid and not simulator.archive.job(r.jid).public)
    assert len(rids) == ROUNDS and len(private) >= ROUNDS
    due: list[str] = []             # whom to switch to at the next view's answer

    def at_answer(response, *args, **kwargs):
        if threading.current_thread() in reader and due and \
                'v4request-view.php' in response.url:
            switch(due.pop())

    client._session.hooks['response'].append(at_answer)
    outcomes: list = []

    def read() -> None:
        for i in range(ROUNDS):
            for call in (client.get_request_details, client.get_job_details):
                if client.user != 'demo':
                    switch('demo')
                due[:] = ['alice']
                try:
                    call(rids[i] if call == client.get_request_details else private[i])
                    outcomes.append(call.__name__)
                except Exception as exc:    # alice cannot see it: fine
                    outcomes.append(exc)
        orders.put(None)

    reader.append(threading.Thread(target=read))
    reader[0].start()
    for _ in range(ROUNDS * 4):            # ends: the reader says so, or in time
        user = orders.get(timeout=60)
        if user is None:
            break
        client.login(user, password=PASSWORDS[user])
        switched.set()
    reader[0].join(timeout=60)
    assert len(outcomes) == 2 * ROUNDS, outcomes
    assert simulator.counters['login.php'] >= 4 * ROUNDS      # it did switch

    client.login('alice', password=PASSWORDS['alice'])
    filed = []
    for path in client._records.folder.glob('*.json'):
        record = json.loads(path.read_text())
        if isinstance(record, dict) and (record.get('rid') not in alice_rids | {None}
                                         or record.get('jid') in private):
            filed.append(path.name)
    assert not filed, filed
