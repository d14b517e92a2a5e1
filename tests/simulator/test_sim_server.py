"""The Simulator handle, its threading, the image engine's clock and the command line."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests

from telescope_query.simulator import Simulator
from telescope_query.simulator.engine import ImageEngine


def test_context_manager_serves_on_a_free_loopback_port():
    with Simulator({'demo': 'demo'}, requests=10, image_size=32) as sim:
        assert re.fullmatch(r'http://127\.0\.0\.1:\d+/', sim.url)
        assert requests.get(sim.url + 'login.php', timeout=30).status_code == 200
        url = sim.url
    assert not sim.running
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url + 'login.php', timeout=5)
    with pytest.raises(RuntimeError):
        sim.start()
    with pytest.raises(RuntimeError):
        sim.url


def test_start_and_stop_by_hand(simulator_factory):
    sim = simulator_factory(requests=10)
    other = simulator_factory(requests=10, accounts={'bob': 'b'})
    assert sim.url != other.url
    answer = requests.post(other.url + 'login.php', timeout=30, data={
        'action': 'login', 'username': 'bob', 'password': 'b'})
    assert answer.cookies.get('PHPSESSID')
    sim.stop()
    sim.stop()  # twice is harmless
    assert requests.get(other.url + 'login.php', timeout=30).status_code == 200


def test_default_account_is_demo():
    sim = Simulator(requests=5, image_size=32)
    try:
        assert sim.archive.users() == ['demo']
        assert sim.archive.check_password('demo', 'demo')
    finally:
        sim.stop()


def test_run_time_knobs(simulator_factory):
    sim = simulator_factory(requests=10, staging_seconds=2, latency_ms=5)
    assert (sim.staging_seconds, sim.latency_ms) == (2, 5)
    sim.staging_seconds, sim.latency_ms = 0.5, 0
    assert sim.engine.staging_seconds == 0.5 and sim.app.latency_ms == 0


def test_concurrent_clients_are_not_serialised(simulator_factory):
    sim = simulator_factory(requests=10, latency_ms=400)
    calls = 6

    def one_call(_):
        return requests.get(sim.url + 'login.php', timeout=30).status_code

    start = time.perf_counter()
    with ThreadPoolExecutor(calls) as pool:
        codes = list(pool.map(one_call, range(calls)))
    elapsed = time.perf_counter() - start
    assert codes == [200] * calls
    # Serialised, they would take calls * 0.4 = 2.4 s.
    assert 0.4 <= elapsed < 1.2, elapsed


def test_archive_of_2000_requests_starts_serving_quickly():
    start = time.perf_counter()
    with Simulator({'demo': 'demo', 'alice': 'a'}, requests=2000) as sim:
        answer = requests.post(sim.url + 'login.php', timeout=30, data={
            'action': 'login', 'username': 'demo', 'password': 'demo'})
        listing = requests.post(sim.url + 'api-user.php', cookies=answer.cookies, timeout=30,
                                data={'module': 'request-manager', 'request': '1-get-list-own',
                                      'params': json.dumps({'limit': 100})}).json()
        first_answer = time.perf_counter() - start
        assert listing['data']['totalRequests'] == '2000'
        # Reported, not asserted: timing on a shared machine is not a test.
        print(f'\n2000-request archive (2 accounts): serving after '
              f'{sim.startup_seconds:.3f} s, first listing after {first_answer:.3f} s')
    assert sim.startup_seconds is not None


# -- the image engine, on a clock of its own ------------------------------------------------
@dataclass(frozen=True)
class FakeJob:
    jid: int


class FakeProducts:
    def __init__(self):
        self.made = []

    def size(self, job, kind, processed=False, flat_id=0):
        self.made.append((job.jid, kind, processed, flat_id))
        return 1000 + job.jid + flat_id

    def path(self, job, kind, processed=False, flat_id=0):
        raise AssertionError('not used')


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_engine_stagings_progress_by_time_concurrently():
    clock, products = Clock(), FakeProducts()
    engine = ImageEngine(products, staging_seconds=10, clock=clock)
    try:
        stagings = [engine.create(FakeJob(jid), 'zip')[0] for jid in range(1, 6)]
        assert [engine.status(s) for s in stagings] == [('WAIT', 0)] * 5
        clock.now += 6
        assert [engine.status(s) for s in stagings] == [('PROCESSING', 0)] * 5
        clock.now += 4
        # All five are ready together: processed at the same time, not one by one.
        assert [engine.status(s) for s in stagings] == [('READY', 1000 + j)
                                                        for j in range(1, 6)]
    finally:
        engine.close()


def test_engine_create_answer_is_never_ready():
    clock, products = Clock(), FakeProducts()
    engine = ImageEngine(products, staging_seconds=0, clock=clock)
    try:
        staging, status = engine.create(FakeJob(7), 'cube')
        assert status == 'OK_WAIT'
        assert engine.status(staging) == ('READY', 1007)
        again, status = engine.create(FakeJob(7), 'cube')
        assert status == 'OK_READY' and again.ieid != staging.ieid
        assert engine.status(again) == ('READY', 1007)
        # Another kind, or the processed product, is a product of its own.
        assert engine.create(FakeJob(7), 'zip')[1] == 'OK_WAIT'
        assert engine.create(FakeJob(7), 'cube', processed=True)[1] == 'OK_WAIT'
        # So is a product with a flat field.
        flat, status = engine.create(FakeJob(7), 'cube', flat_id=24)
        assert status == 'OK_WAIT' and engine.status(flat) == ('READY', 1031)
        assert engine.create(FakeJob(7), 'cube', flat_id=24)[1] == 'OK_READY'
        assert engine.get(staging.ieid) is staging and engine.get(1) is None
        assert engine.latest(FakeJob(7), 'cube', False) is again
    finally:
        engine.close()
    assert products.made.count((7, 'cube', False, 0)) == 1  # made once, reused
    assert products.made.count((7, 'cube', False, 24)) == 1


def test_prepared_product_is_ready_at_once_even_with_staging_time():
    clock, products = Clock(), FakeProducts()
    engine = ImageEngine(products, staging_seconds=0, clock=clock)
    try:
        first, _ = engine.create(FakeJob(3), 'zip')
        engine.status(first)
        engine.staging_seconds = 30
        again, status = engine.create(FakeJob(3), 'zip')
        assert status == 'OK_READY' and engine.status(again)[0] == 'READY'
    finally:
        engine.close()


def test_staging_over_http_takes_staging_seconds(simulator_factory, login, api):
    sim = simulator_factory(requests=30, staging_seconds=3600)
    http = login(sim)
    jids = sorted({r.jid for r in sim.archive.requests('demo') if r.status == 8})[:3]
    ieids = [api(http, sim, 'image-engine', '0-create-dl3d', {'jid': j}).json()['data']['ieID']
             for j in jids]
    polls = [api(http, sim, 'image-engine', '0-is-job-ready', {'ieid': i}).json()['status']
             for i in ieids]
    assert polls == ['WAIT'] * 3
    # The clock knob, instead of waiting: the staging time, changed at run time,
    # applies to the stagings under way.
    sim.staging_seconds = 0
    polls = [api(http, sim, 'image-engine', '0-is-job-ready', {'ieid': i}).json()['status']
             for i in ieids]
    assert polls == ['READY'] * 3


# -- the command line -------------------------------------------------------------------
def test_command_line(tmp_path):
    env = {**os.environ, 'PYTHONUNBUFFERED': '1'}
    process = subprocess.Popen(
        [sys.executable, '-m', 'telescope_query.simulator', '--port', '0',
         '--account', 'carol:Pass:word-9', '--account', 'dave:d', '--requests', '15',
         '--image-size', '32', '--staging-seconds', '0', '--latency-ms', '0',
         '--seed', '3', '--now', '2024-11-18T16:00'],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = process.stdout.readline().strip()
        assert re.fullmatch(r'http://127\.0\.0\.1:\d+/', url), url
        http = requests.Session()
        http.post(url + 'login.php', timeout=30, data={
            'action': 'login', 'username': 'carol', 'password': 'Pass:word-9'})
        listing = http.post(url + 'api-user.php', timeout=30, data={
            'module': 'request-manager', 'request': '1-get-list-own'}).json()
        assert listing['data']['totalRequests'] == '15'
        newest = max(int(r['requesttime']) for r in listing['data']['requests'])
        assert newest <= 1731945600 + 60  # anchored to --now
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0
    assert 'carol' in err and 'Pass:word-9' not in out + err


def test_command_line_rejects_a_bad_account():
    from telescope_query.simulator.__main__ import main
    with pytest.raises(SystemExit):
        main(['--account', 'no-colon'])


def test_command_line_queue_limit():
    from telescope_query.simulator.__main__ import parser
    assert parser().parse_args(['--queue-limit', '40']).queue_limit == 40
    assert parser().parse_args([]).queue_limit is None


def test_simulator_queue_limit_knobs():
    with Simulator({'demo': 'demo', 'bob': 'b'}, requests=5, image_size=8,
                   queue_limits={'bob': 40}) as sim:
        assert sim.archive.queue_limit('demo') == 10 and sim.archive.queue_limit('bob') == 40
        sim.set_queue_limit('demo', 3)
        assert sim.archive.queue_limit('demo') == 3
