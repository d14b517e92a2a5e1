"""Read-only tests against the live telescope.org.

Run with ``pytest --remote-data=any -m remote_data`` (or ``tox -e remote``) and
credentials: ``TELESCOPE_QUERY_USER`` plus the password in the keyring
(service ``astroquery:telescope.org``) or in ``TELESCOPE_QUERY_PASSWORD``.
Skipped otherwise. Nothing here changes the account: tests that would carry
the ``changes_live_account`` marker as well and need ``--live-submit``.
"""
from __future__ import annotations

import numpy as np
import pytest

from telescope_query import NoSuchJobError

pytestmark = pytest.mark.remote_data


def test_folders(live):
    folders = live.get_folders()
    assert list(folders['folder_id'][:4]) == [1, 2, 3, 4]
    assert folders['name'][0] == 'Inbox'


def test_inbox_is_complete_and_matches_the_folder_count(live):
    inbox = live.get_folders()['count'][0]
    requests = live.get_requests()
    assert len(requests) == (0 if np.ma.is_masked(inbox) else inbox)
    assert set(requests['status_text']) <= set(live.REQUESTSTATUS_TEXTS.values()) | {
        f'Unknown status {code}' for code in requests['status']}


def test_views_of_a_completed_request_and_its_job(live):
    done = live.get_requests(sort='completion', status='complete')
    if len(done) == 0:
        pytest.skip('the account has no completed request')
    details = live.get_request_details(done['rid'][0])
    jid = details['jid'][0]
    assert not np.ma.is_masked(jid)
    job = live.get_job_details(jid)
    assert done['rid'][0] in job['rids'][0]
    assert not np.any(job['completed'].mask)


def test_public_job_search(live):
    jobs = live.query_jobs()
    assert jobs.colnames == ['jid']
    assert jobs.meta['parameters'], 'the site echoes the search parameters'


def test_a_job_that_does_not_exist(live):
    with pytest.raises(NoSuchJobError):
        live.get_job_details(1)
