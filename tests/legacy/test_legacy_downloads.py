"""The original library's download calls, against the simulator."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from telescope_query import conf
from telescope_query.images import cache
from telescope_query.images.product import Product

from helpers import demo_jids, own_simulator, served_bytes


@pytest.fixture
def telescope(login_as):
    """The original library's class, logged in to the simulator as demo."""
    return login_as('demo', legacy=True)


@pytest.fixture
def fresh(simulator_factory, login_as, monkeypatch):
    """A simulator where nothing is staged yet, so the engine says OK_WAIT first.
    Its staging is long enough (0.2 s of WAIT, then 0.2 s of PROCESSING) for polls
    every 10 ms to see both even on a loaded machine."""
    sim, client = own_simulator(simulator_factory, login_as, monkeypatch, legacy=True,
                                staging_seconds=0.4)
    with conf.set_temp('poll_interval', 0.01):
        yield sim, client


def test_download_obs_cube_and_zip_with_verbose_statuses(fresh, tmp_path, capsys):
    sim, scope = fresh
    jid = demo_jids(sim)[0]
    obs = scope.get_job(jid)
    assert scope.download_obs(obs, directory=str(tmp_path), cube=True, verbose=True) == \
        f'{jid}.fits'
    lines = capsys.readouterr().out.split()
    assert lines[0] == 'OK_WAIT' and lines[-1] == 'READY'
    assert (tmp_path / f'{jid}.fits').read_bytes() == served_bytes(sim, jid, flat=True)
    fn = scope.download_obs(obs, directory=tmp_path, cube=False, pbar=True, verbose=True)
    assert fn == f'{jid}.zip'
    lines = capsys.readouterr().out.split()
    assert lines[0] == 'OK_WAIT' and 'PROCESSING' in lines and lines[-1] == 'READY'
    assert (tmp_path / fn).read_bytes() == served_bytes(sim, jid, 'zip', flat=True)


# What the image engine answers [seen]: OK_* from create, the others from polls.
ENGINE_STATUSES = {'OK_WAIT', 'OK_READY', 'WAIT', 'PROCESSING', 'READY'}
ENGINE_CALLS = ('api-user.php/image-engine/0-create-dl3d',
                'api-user.php/image-engine/0-create-dlzip',
                'api-user.php/image-engine/0-is-job-ready')


@pytest.fixture
def slow_staging(simulator_factory, login_as, monkeypatch):
    """A simulator whose staging takes several polls (0.3 s, polled every 10 ms)."""
    sim, client = own_simulator(simulator_factory, login_as, monkeypatch, legacy=True,
                                staging_seconds=0.3)
    with conf.set_temp('poll_interval', 0.01), conf.set_temp('max_poll_time', 30):
        yield sim, client


@pytest.mark.parametrize('call', ['download_obs', 'get_obs'])
@pytest.mark.parametrize('cube', [True, False])
def test_verbose_prints_the_status_of_every_poll(slow_staging, tmp_path, capsys, call, cube):
    """As the original: the create answer's status, then each poll's, repeats
    included (its documentation shows OK_WAIT, PROCESSING, PROCESSING, READY)."""
    sim, scope = slow_staging
    jid = demo_jids(sim)[2 if cube else 3]
    sim.counters.reset()
    if call == 'download_obs':
        assert scope.download_obs(jid, directory=tmp_path, cube=cube, verbose=True)
    else:
        scope.get_obs(jid, cube=cube, verbose=True).close()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] in ('OK_WAIT', 'OK_READY') and lines[-1] == 'READY'
    assert set(lines) <= ENGINE_STATUSES, lines
    assert 'PROCESSING' in lines, lines
    # One line per answer of the image engine: the create call, then every poll.
    assert len(lines) == sum(sim.counters[name] for name in ENGINE_CALLS), lines
    assert sim.counters[ENGINE_CALLS[2]] >= 3      # staging took several polls...
    assert len(lines) > len(set(lines))             # ...and repeated statuses are printed


def test_verbose_prints_nothing_for_a_cached_product(slow_staging, tmp_path, capsys):
    sim, scope = slow_staging
    jid = demo_jids(sim)[4]
    scope.get_obs(jid).close()
    capsys.readouterr()
    assert scope.download_obs(jid, directory=tmp_path, verbose=True) == f'{jid}.fits'
    assert capsys.readouterr().out == ''


def test_download_obs_quiet_by_default_and_takes_a_jid(telescope, simulator, quick,
                                                       tmp_path, capsys):
    jid = demo_jids(simulator)[1]
    assert telescope.download_obs(jid, directory=tmp_path / 'new') == f'{jid}.fits'
    assert capsys.readouterr().out == ''
    assert (tmp_path / 'new' / f'{jid}.fits').exists()


def test_download_obs_failure_returns_none(telescope, simulator, quick, tmp_path,
                                           astroquery_log):
    out = tmp_path / 'out'
    out.mkdir()
    assert telescope.download_obs(9999999, directory=out) is None
    # A warning says why.
    assert any(r.levelname == 'WARNING' and 'No job J9999999 ' in r.getMessage()
               for r in astroquery_log)
    simulator.faults.add('never_ready', count=None, jid=demo_jids(simulator)[2])
    with conf.set_temp('max_poll_time', 0.05):
        assert telescope.download_obs(demo_jids(simulator)[2], directory=out) is None
    assert list(out.iterdir()) == []


@pytest.mark.parametrize('obs, error', [(None, TypeError), ({'rid': 5}, ValueError),
                                        ('abc', ValueError)])
def test_bad_obs_is_refused(telescope, simulator, quick, obs, error):
    with pytest.raises(error, match='obs'):
        telescope.download_obs(obs)
    assert simulator.counters.total() == 0


def test_get_obs_cube_is_an_open_file_from_the_cache(telescope, simulator, quick):
    jid = demo_jids(simulator)[3]
    with telescope.get_obs(telescope.get_job(jid)) as handle:
        assert isinstance(handle, io.BufferedReader)
        assert Path(handle.name) == cache.cached_path(telescope, Product(jid, flat=True))
        assert handle.read() == served_bytes(simulator, jid, flat=True)
    simulator.counters.reset()
    with telescope.get_obs(jid) as handle:       # from the cache: no HTTP call
        assert handle.read(9) == b'SIMPLE  ='
    assert simulator.counters.total() == 0


def test_get_obs_zip_is_a_zipfile(telescope, simulator, quick):
    jid = demo_jids(simulator)[4]
    with telescope.get_obs(jid, cube=False, verbose=False) as archive:
        assert isinstance(archive, zipfile.ZipFile)
        names = archive.namelist()
        assert names and all(name.endswith('.fits') for name in names)
        assert all(archive.read(n).startswith(b'SIMPLE') for n in names)


def test_get_obs_without_recurse_only_looks_in_the_cache(telescope, simulator, quick):
    jid = demo_jids(simulator)[5]
    assert telescope.get_obs(jid, recurse=False) is None
    assert simulator.counters.total() == 0
    telescope.download_obs(jid, directory=telescope.cache_location / 'elsewhere')
    with telescope.get_obs(jid, recurse=False) as handle:
        assert handle.read() == served_bytes(simulator, jid, flat=True)


def test_get_obs_failure_returns_none(telescope, simulator, quick):
    assert telescope.get_obs(9999999) is None


def test_processed_downloads(telescope, simulator, quick, tmp_path):
    jid = demo_jids(simulator)[6]
    obs = telescope.get_job(jid)
    assert telescope.download_obs_processed(obs, directory=tmp_path, cube=True, pbar=True) \
        == f'art_{jid}.fits'
    assert telescope.download_obs_processed(obs, directory=tmp_path) == f'art_{jid}.zip'
    assert (tmp_path / f'art_{jid}.zip').read_bytes() == \
        served_bytes(simulator, jid, 'zip', processed=True)
    data = telescope.get_obs_processed(obs, cube=True)
    assert isinstance(data, io.BytesIO)
    assert data.getvalue() == served_bytes(simulator, jid, 'cube', processed=True)
    archive = telescope.get_obs_processed(obs)
    assert isinstance(archive, zipfile.ZipFile) and isinstance(archive.fp, io.BytesIO)
    assert archive.testzip() is None


def test_processed_failure_returns_none(telescope, simulator, quick, tmp_path):
    assert telescope.download_obs_processed(9999999, directory=tmp_path) is None
    assert telescope.get_obs_processed(9999999) is None


def test_constructor_cache_folder_holds_the_products(client_env, simulator, tmp_path):
    """The original's ``cache=``, given: this instance's products live in that folder
    (``<server>/<account>/raw|processed/<file>``), not in astroquery's cache."""
    from telescope_query.legacy import Telescope
    jobs = tmp_path / 'jobs'
    jids = demo_jids(simulator)[20:22]
    with conf.set_temp('poll_interval', 0.01):
        scope = Telescope(user='demo', passwd='demo', cache=str(jobs))
        scope.cache_location = tmp_path / 'astroquery'
        assert scope.legacy_cache == jobs
        with scope.get_obs(jids[0]) as handle:
            assert handle.read() == served_bytes(simulator, jids[0], flat=True)
        obs_path = Path(handle.name)
        hdul, = scope.get_images(jids[1], cube=False, show_progress=False)
        hdul.close()
    zip_path = cache.cached_path(scope, Product(jids[1], cube=False))
    for path in (obs_path, zip_path):
        assert jobs in path.parents and path.is_file()
    assert obs_path.relative_to(jobs).parts[2:] == ('raw', f'{jids[0]}_flat.fits')
    assert scope.product_cache.parent.parent == jobs
    assert not (tmp_path / 'astroquery' / 'products').exists()

    # Another instance on the same folder and account: served from it, no HTTP call.
    again = Telescope(user='demo', passwd='demo', cache=jobs)
    simulator.counters.reset()
    with again.get_obs(jids[0], recurse=False) as handle:
        assert Path(handle.name) == obs_path
    again.get_images(jids[1], cube=False, show_progress=False)[0].close()
    assert simulator.counters.total() == 0


def test_constructor_cache_layout_is_the_default_one(client_env, simulator, tmp_path,
                                                     monkeypatch):
    """Below its root, a ``cache=`` folder has the layout of the default product
    cache (per server and account); the original default, passed explicitly,
    counts as given (relative to the folder the instance was made in)."""
    from telescope_query.legacy import Telescope
    monkeypatch.chdir(tmp_path)
    scope = Telescope(user='demo', passwd='demo', cache='.cache/jobs')
    monkeypatch.chdir('/')
    default = Telescope(user='demo', passwd='demo')      # no cache=: astroquery's
    default.cache_location = tmp_path / 'astroquery'
    root = tmp_path / '.cache' / 'jobs'
    assert scope.product_cache.relative_to(root) == \
        default.product_cache.relative_to(tmp_path / 'astroquery' / 'products')
    assert default.legacy_cache == Path('.cache/jobs')
