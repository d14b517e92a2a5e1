"""Submissions to the live telescope.org: they put REAL requests in the account's queue.

Marked ``remote_data`` and ``changes_live_account``: they run only with
``pytest --remote-data=any --live-submit`` and credentials for the live site
(``TELESCOPE_QUERY_USER`` and a password in the keyring or
``TELESCOPE_QUERY_PASSWORD``); skipped without them, before any network call
(``tests/test_remote_guard.py``). Targets are given as coordinates, so no name
resolver is needed; exposures are short. There is no API to cancel a request:
cancel the ones made here on the site if they are not wanted.
"""
import pytest
import astropy.units as u
from astropy.coordinates import SkyCoord

pytestmark = [pytest.mark.remote_data, pytest.mark.changes_live_account]

COMMENT = 'telescope_query live test'
# Vega: bright, high above Teide for much of the year.
VEGA = SkyCoord('18h36m56.34s +38d47m01.3s')


def _listed(client, rid):
    table = client.get_requests(sort='rid')
    rows = table[table['rid'] == rid]
    assert len(rows) == 1, f'R{rid} is not in the Inbox listing'
    return rows[0]


def test_live_submit_appears_in_the_listing(live):
    rid = live.submit(VEGA, exposure=5 * u.s, telescope='PIRATE', filter='V',
                      name='TQ live Vega', comment=COMMENT)
    row = _listed(live, rid)
    assert row['object_name'] == 'TQ live Vega'
    assert row['status'] < 8
    # [assumed] columns: checked only when the site sends them.
    if 'filter' in row.colnames:
        assert row['filter'] == 'Green'
    if 'exposure' in row.colnames:
        assert row['exposure'] == 5
    if 'coord' in row.colnames:
        assert row['coord'].separation(VEGA) < 1 * u.arcsec


def test_live_submit_missing_leaves_the_queued_one_alone(live):
    table = live.submit_missing(['TQ live Vega'], telescope='PIRATE', dry_run=True)
    assert table['action'][0] == 'queued'


def test_live_legacy_submit_job_api(live):
    ok, rid = live.submit_job_api(VEGA, exposure=5000, tele='COAST', filt='V',
                                  name='TQ live legacy', comment=COMMENT)
    assert ok is True, rid
    assert _listed(live, rid)['object_name'] == 'TQ live legacy'
