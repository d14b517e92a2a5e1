"""The product cache is per server and account.

Two accounts sharing one cache folder never see each other's products from
the cache: a product demo fetched is, for alice, not in the cache at all. The
simulator then decides as the site does: a job alice may not see (demo's
private job) is `NoSuchJobError`; a public job of demo is downloaded afresh
for alice (with HTTP calls). Nobody logged in has no cache: `LoginError`.
"""
from __future__ import annotations

import pytest
from astroquery.exceptions import LoginError

from telescope_query import conf
from telescope_query.images import cache
from telescope_query.exceptions import NoSuchJobError
from telescope_query.images.product import Product

from helpers import CREATE_CUBE, DOWNLOAD, PASSWORDS, demo_jids


def demo_jobs(sim, public):
    return [j for j in demo_jids(sim) if sim.archive.job(j).public == public
            and sim.archive.job(j).owner == 'demo']


@pytest.fixture
def quick(simulator):
    with conf.set_temp('poll_interval', 0.01), conf.set_temp('max_poll_time', 30):
        yield


@pytest.fixture
def demo_and_alice(login_as):
    """Two instances, logged in as demo and as alice, on ONE cache folder."""
    demo = login_as('demo')
    alice = login_as('alice', legacy=True)
    assert demo.cache_location == alice.cache_location
    return demo, alice


def test_demo_private_product_is_not_alices(demo_and_alice, simulator, quick, tmp_path):
    demo, alice = demo_and_alice
    jid = demo_jobs(simulator, public=False)[0]
    hdul, = demo.get_images(jid, show_progress=False)
    hdul.close()
    assert cache.find_cached(demo, Product(jid)) is not None
    simulator.counters.reset()
    assert cache.find_cached(alice, Product(jid)) is None
    # Not served from the cache: the site is asked, and says alice may not see it.
    with pytest.raises(NoSuchJobError, match=str(jid)):
        alice.get_images(jid, show_progress=False)
    assert simulator.counters.total() > 0 and simulator.counters[DOWNLOAD] == 0
    manifest = alice.download_data(jid, path=tmp_path / 'alice')
    assert manifest['status'][0] == 'ERROR' and 'NoSuchJobError' in manifest['message'][0]
    assert list((tmp_path / 'alice').iterdir()) == []
    assert alice.get_obs(jid, recurse=False) is None
    # demo still has it, with no HTTP call.
    simulator.counters.reset()
    hdul, = demo.get_images(jid, show_progress=False)
    hdul.close()
    assert simulator.counters.total() == 0


def test_demo_public_product_is_fetched_afresh_for_alice(demo_and_alice, simulator, quick,
                                                         tmp_path):
    demo, alice = demo_and_alice
    public = demo_jobs(simulator, public=True)
    if not public:
        pytest.skip('demo has no public job in this archive')
    jid = public[0]
    demo.download_data(jid, path=tmp_path / 'demo')
    simulator.counters.reset()
    manifest = alice.download_data(jid, path=tmp_path / 'alice')
    assert manifest['status'][0] == 'COMPLETE'        # not CACHED
    assert simulator.counters[CREATE_CUBE] == 1 and simulator.counters[DOWNLOAD] == 1
    assert (tmp_path / 'alice' / f'{jid}.fits').read_bytes() == \
        (tmp_path / 'demo' / f'{jid}.fits').read_bytes()
    mine = cache.find_cached(alice, Product(jid))
    theirs = cache.find_cached(demo, Product(jid))
    assert mine is not None and theirs is not None and mine.path != theirs.path
    # From now on, each from its own cache with no call.
    simulator.counters.reset()
    for client in (alice, demo):
        assert client.download_data(jid, path=tmp_path / 'again')['status'][0] == 'CACHED'
    assert simulator.counters.total() == 0


def test_one_instance_switching_accounts(login_as, simulator, quick):
    """demo, then logged out (nobody: LoginError, no call), then alice on the
    same instance: demo's product is not in alice's cache."""
    client = login_as('demo', legacy=True)
    jid = demo_jobs(simulator, public=False)[1]
    client.get_images(jid, show_progress=False)[0].close()
    client.logout()
    simulator.counters.reset()
    for call in (lambda: client.get_images(jid), lambda: client.get_obs(jid),
                 lambda: cache.find_cached(client, Product(jid))):
        with pytest.raises(LoginError):
            call()
    assert simulator.counters.total() == 0
    client.login('alice', password=PASSWORDS['alice'])
    assert client.get_obs(jid, recurse=False) is None
    with pytest.raises(NoSuchJobError):
        client.get_images(jid, show_progress=False)
    client.login('demo', password=PASSWORDS['demo'])
    simulator.counters.reset()
    client.get_images(jid, show_progress=False)[0].close()
    assert simulator.counters.total() == 0          # demo's own cache, again


def test_cache_folder_is_per_server_and_account(demo_and_alice):
    demo, alice = demo_and_alice
    assert demo.product_cache.parent == alice.product_cache.parent
    assert demo.product_cache != alice.product_cache
    assert demo.product_cache.parent.parent.name == 'products'
