"""wait_for: the pure rules, then the loop against the simulator. Nothing sleeps:
the loop's ``sleep`` is replaced by the simulator's clock knob (a "sleep" that
completes the queue) and its ``clock`` by a counter that sleeping advances."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import astropy.units as u

from telescope_query import NoSuchRequestError
from telescope_query.monitor import loop
from telescope_query.monitor.wait import FIRST_WAIT, GROWTH, Progress, next_wait

from helpers import unique

LISTING = 'api-user.php/request-manager/1-get-list-own'


# --- pure ----------------------------------------------------------------------

def test_waits_grow_up_to_poll():
    waits, last = [], None
    for _ in range(8):
        last = next_wait(last, 5.0)
        waits.append(last)
    assert waits[:3] == [FIRST_WAIT, FIRST_WAIT * GROWTH, FIRST_WAIT * GROWTH ** 2]
    assert max(waits) == 5.0 and waits[-1] == 5.0
    assert next_wait(None, 0.2) == 0.2


def test_progress_reports_each_final_status_once():
    progress = Progress([1, 2, 3])
    assert progress.update({1: 3, 2: 3, 3: 8}) == [3]
    assert progress.update({1: 25, 2: 4, 3: 8}) == [1]
    assert progress.update({2: 8}) == [2]               # 1 and 3 not listed: kept
    assert progress.status == {1: 25, 2: 8, 3: 8} and progress.pending == []
    assert progress.missing([1, 3]) == [2]


# --- against the simulator ---------------------------------------------------------

class FakeTime:
    """The loop's clock and sleep: sleeping advances the clock and may run ``then``."""

    def __init__(self, monkeypatch):
        self.now = 0.0
        self.waits: list[float] = []
        self.then = lambda: None
        monkeypatch.setattr(loop, 'clock', lambda: self.now)
        monkeypatch.setattr(loop, 'sleep', self.sleep)

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        self.then()


@pytest.fixture
def fake_time(monkeypatch):
    return FakeTime(monkeypatch)


@pytest.fixture
def telescope(login_as):
    """A client of alice: the clock knob completes her queue, and the other
    tests' queued requests (demo's) stay queued."""
    return login_as('alice', 'alice-Secret-42')


def _submit(telescope, count, where='09'):
    return [telescope.submit(f'{where}:{minute:02d}:00 +35:00:00', name=unique('Wait'))
            for minute in range(count)]


def test_one_listing_call_per_round_until_complete(telescope, simulator, fake_time):
    rids = _submit(telescope, 3)
    rounds = iter([None, None, lambda: simulator.complete_queue('alice')])
    fake_time.then = lambda: (next(rounds) or (lambda: None))()
    simulator.counters.reset()
    table = telescope.wait_for(rids, poll=10)
    assert list(table['rid']) == rids
    assert list(table['status']) == [8, 8, 8] and all(table['final'])
    assert not any(np.ma.getmaskarray(table['jid']))
    assert table.meta['pending'] == 0
    assert fake_time.waits == [1.0, 1.5, 2.25]
    assert simulator.counters[LISTING] == len(fake_time.waits) + 1


def test_images_arrive_as_each_request_completes(telescope, simulator, fake_time, tmp_path):
    folder = tmp_path / 'frames'
    first = _submit(telescope, 1, '10')[0]
    simulator.complete_queue('alice')
    second = _submit(telescope, 1, '11')[0]
    seen_while_waiting = []

    def then():
        seen_while_waiting.append(sorted(p.name for p in folder.iterdir()))
        simulator.complete_queue('alice')
    fake_time.then = then
    table = telescope.wait_for([first, second], poll=1, download=folder)
    jids = list(table['jid'])
    assert seen_while_waiting == [[f'{jids[0]}.fits']]  # the first, while the second waited
    assert [Path(p).name for p in table['local_path']] == [f'{jid}.fits' for jid in jids]
    assert all(Path(p).stat().st_size > 0 for p in table['local_path'])


def test_a_timeout_returns_what_is_known(telescope, simulator, fake_time):
    rids = _submit(telescope, 2, '12')
    simulator.counters.reset()
    table = telescope.wait_for(rids, timeout=10 * u.s, poll=4)
    assert table.meta['pending'] == 2 and not any(table['final'])
    assert list(table['status_text']) == ['Waiting'] * 2
    assert sum(fake_time.waits) == pytest.approx(10.0)
    assert simulator.counters[LISTING] == len(fake_time.waits) + 1


def test_ctrl_c_returns_what_is_known(telescope, simulator, fake_time):
    done = _submit(telescope, 1, '13')
    simulator.complete_queue('alice')
    waiting = _submit(telescope, 1, '14')

    def interrupt():
        raise KeyboardInterrupt
    fake_time.then = interrupt
    table = telescope.wait_for(done + waiting)
    assert list(table['final']) == [True, False]
    assert table.meta['pending'] == 1


def test_a_session_that_expires_during_the_wait_is_renewed(telescope, simulator, fake_time):
    rids = _submit(telescope, 2, '15')

    def expire_then_complete():
        simulator.faults.add('expire_session', after_calls=0, count=1)
        simulator.complete_queue('alice')
    fake_time.then = expire_then_complete
    table = telescope.wait_for(rids)
    assert all(table['final']) and list(table['status']) == [8, 8]


def test_requests_already_final_cost_one_listing_call(telescope, simulator, fake_time):
    complete = telescope.get_requests(status='complete')['rid'][:3]
    simulator.counters.reset()
    table = telescope.wait_for(complete)
    assert all(table['final']) and fake_time.waits == []
    assert simulator.counters[LISTING] == 1


def test_an_unknown_request_is_named_before_any_wait(telescope, fake_time):
    with pytest.raises(NoSuchRequestError, match='R999999999'):
        telescope.wait_for([999999999])
    assert fake_time.waits == []


@pytest.mark.parametrize('kwargs, error, words', [
    ({'poll': 0}, ValueError, 'poll must be a number of seconds above 0'),
    ({'poll': 'often'}, TypeError, 'poll'),
    ({'timeout': -1}, ValueError, 'timeout must be'),
    ({'timeout': 5 * u.m}, ValueError, 'timeout'),
    ({'download': 42}, TypeError, 'download must be a folder'),
])
def test_bad_arguments_send_nothing(telescope, simulator, kwargs, error, words):
    simulator.counters.reset()
    with pytest.raises(error, match=words):
        telescope.wait_for([1], **kwargs)
    assert simulator.counters.total() == 0


def test_a_file_as_the_download_folder_is_refused(telescope, simulator, tmp_path):
    file = tmp_path / 'file'
    file.write_text('x')
    simulator.counters.reset()
    with pytest.raises(ValueError, match='is a file'):
        telescope.wait_for([1], download=file)
    assert simulator.counters.total() == 0
