"""The real records of the original library's documentation (``seed-telescope-api.txt``)
and of the recorded outputs of the live site, with their literal ids.

The account named ``demo`` (and only an account of that name) carries the
real records that the original library's documentation shows, with their
literal ids, so that its examples run unchanged: requests 766264-767380 (ten variable stars, status 8, jobs
418581-419547, completed 4-8 November 2024) and request 706248 (job 369256,
22 December 2020), with the exposures and comments of the author's recorded
requests, and the recorded request 771144 (LX Cyg, job 422672, 11 November
2024), see :data:`SEED_REQUESTS`.  Other users' public jobs 423183
(requests 771716 and 771970, M109) to 423342 are the six jobs that the
documented job search of 17/11/24 16:00 - 18/11/24 16:00:59 finds
(:data:`SEED_SEARCH_WINDOW`); no generated job completes in that window.
Job 336896 (EQ Lyr, 18 June 2019 23:45:04 UTC) is another user's public job:
its view shows the recorded summer date slip (19 June).  These records are
added whatever ``requests_per_account`` is, once the archive's ``now``
reaches :data:`SEED_EPOCH` (18 November 2024, 06:24:20 UTC); ``demo``'s
history is then ``requests_per_account`` requests of which twelve are the
seed's (twelve when it asks for fewer).  Generated ids skip theirs.
Generated ids grow with time; the seed's keep their real values.

This module is part of the simulator and imports nothing from the client.
"""
from __future__ import annotations

import calendar
import time

from . import catalog
from .catalog import Target
from .model import COMPLETE, Job, Request, month_flat_id

__all__ = ['SEED_ACCOUNT', 'SEED_REQUESTS', 'SEED_JOBS', 'SEED_EPOCH',
           'SEED_SEARCH_WINDOW']


#: The only account that carries the seed documentation's requests and jobs.
SEED_ACCOUNT = 'demo'


def _utc(text: str) -> int:
    """Unix seconds of a UTC time written ``'YYYY-MM-DD HH:MM:SS'``."""
    return calendar.timegm(time.strptime(text, '%Y-%m-%d %H:%M:%S'))


def _catalogue_target(name: str) -> Target:
    for pool in (catalog.VARIABLE_STARS, catalog.MESSIER, catalog.NGC, catalog.FIELDS):
        for target in pool:
            if target.name == name:
                return target
    raise KeyError(name)


def _seed_records() -> tuple[tuple[Request, ...], tuple[Job, ...]]:
    # demo's requests: the documented rids, names, status 8 and jids; the
    # documented job 369256 of request 706248.  The ten November requests were
    # sent in batches by the author's script (hence the consecutive rids) and
    # observed with COAST; their completions are in the documented newest-first
    # order 767380, 767374, 767376, 767375, 767373, 766438, 766436, 766435,
    # 766437, 766264.  Exposures and comments are the script's (submit_batch.py,
    # Dec 2023 to Nov 2024): 180 s 'Mira' for the Miras, 60 s 'Symbiotic AAVSO'
    # for CH Cyg; T CrB's 180 s 'AAVSO' is [assumed].  Their flat, 31, is the
    # one recorded on COAST jobs of November 2024.  771144 (LX Cyg, J422672) is
    # a recorded request (row 113 of the listing on 17 November 2024).
    demo = (
        # rid, object name, target, telescope, filter, exposure (ms), comment,
        # requested, jid, completed, flat, first frame's lead (s) when recorded
        (706248, 'RaDec object', 'RaDec object', 6, 'BVR', 120000, 'AutoSubmit',
         '2020-12-21 11:27:45', 369256, '2020-12-22 23:34:10', 24, None),
        (766264, 'T CrB_M', 'T CrB', 6, 'BVR', 180000, 'AAVSO',
         '2024-11-03 18:52:07', 418581, '2024-11-04 19:47:31', 31, None),
        (766435, 'T CrB', 'T CrB', 6, 'BVR', 180000, 'AAVSO',
         '2024-11-05 20:14:02', 418736, '2024-11-06 19:31:20', 31, None),
        (766436, 'CH Cyg', 'CH Cyg', 6, 'BVR', 60000, 'Symbiotic AAVSO',
         '2024-11-05 20:14:05', 418737, '2024-11-06 20:05:53', 31, None),
        (766437, 'SS Cyg', 'SS Cyg', 6, 'BVR', 180000, 'Mira',
         '2024-11-05 20:14:08', 418738, '2024-11-06 19:12:44', 31, None),
        (766438, 'DX Vul', 'DX Vul', 6, 'BVR', 180000, 'Mira',
         '2024-11-05 20:14:11', 418739, '2024-11-06 20:40:16', 31, None),
        (767373, 'CH Cyg', 'CH Cyg', 6, 'BVR', 60000, 'Symbiotic AAVSO',
         '2024-11-07 19:03:40', 419540, '2024-11-08 19:50:27', 31, None),
        (767374, 'SS Cyg', 'SS Cyg', 6, 'BVR', 180000, 'Mira',
         '2024-11-07 19:03:43', 419541, '2024-11-08 21:02:35', 31, None),
        (767375, 'IP Cyg', 'IP Cyg', 6, 'BVR', 180000, 'Mira',
         '2024-11-07 19:03:46', 419542, '2024-11-08 20:14:09', 31, None),
        (767376, 'V686 Cyg', 'V686 Cyg', 6, 'BVR', 180000, 'Mira',
         '2024-11-07 19:03:49', 419543, '2024-11-08 20:37:58', 31, None),
        (767380, 'EQ Lyr', 'EQ Lyr', 6, 'BVR', 180000, 'Mira',
         '2024-11-07 19:26:12', 419547, '2024-11-08 21:25:50', 31, None),
        (771144, 'LX Cyg', 'LX Cyg', 6, 'BVR', 180000, 'AAVSO',
         '2024-10-30 20:53:23', 422672, '2024-11-11 00:25:33', 31, 480.5),
    )
    # Other users' public successful jobs: what the documented job search of
    # 17/11/24 16:00 - 18/11/24 16:00:59 finds, 423342 first and 423183 last;
    # and J336896 (EQ Lyr, request 664342, recorded: its view reads 19 June
    # 2019 23:45:04 UTC, its first frame 2019-06-18T23:38:22, the summer date
    # slip), here another user's public job.
    public = (
        # jid, rids, owner, target, telescope, filter, exposure (ms), completed,
        # flat, first frame's lead (s) when recorded
        (336896, (664342,), 'observer03', 'EQ Lyr', 6, 'BVR', 180000,
         '2019-06-18 23:45:04', None, 401.05),
        (423183, (771716, 771970), 'observer17', 'M109', 6, 'BVR', 120000,
         '2024-11-18 05:41:09', 31, None),
        (423219, (771808,), 'observer05', 'M1', 6, 'BVR', 60000, '2024-11-18 05:49:52',
         None, None),
        (423256, (771874,), 'observer31', 'Algol', 7, 'Colour', 10000,
         '2024-11-18 05:58:36', None, None),
        (423297, (771925,), 'observer05', 'M42', 6, 'R', 30000, '2024-11-18 06:07:03',
         None, None),
        (423318, (771951,), 'observer22', 'NGC 891', 7, 'Colour', 180000,
         '2024-11-18 06:15:47', None, None),
        (423342, (771989,), 'observer09', 'M45', 6, 'BVR', 20000, '2024-11-18 06:24:20',
         None, None),
    )
    requests, jobs = [], []
    for (rid, name, target_name, tele, filt, exposure, comment, asked, jid, done, flat,
         lead) in demo:
        t = _catalogue_target(target_name)
        completed = _utc(done)
        jobs.append(Job(
            jid=jid, rids=[rid], owner=SEED_ACCOUNT, public=False, object_name=name,
            object_type=t.object_type, object_id=t.object_id, ra_deg=t.ra_deg,
            dec_deg=t.dec_deg, telescope_id=tele, filter_type=filt, exposure_ms=exposure,
            completion_time=completed, success=True,
            flat_id=flat or month_flat_id(tele, filt, completed), frame_lead=lead))
        requests.append(Request(
            rid=rid, owner=SEED_ACCOUNT, object_name=name, object_type=t.object_type,
            object_id=t.object_id, ra_deg=t.ra_deg, dec_deg=t.dec_deg, telescope_id=tele,
            filter_type=filt, exposure_ms=exposure, dark_frame=True, status=COMPLETE,
            request_time=_utc(asked), completion_time=completed, comments=comment,
            folder_id=1, jid=jid, seen=True))
    for (jid, rids, owner, target_name, tele, filt, exposure, done, flat, lead) in public:
        t = _catalogue_target(target_name)
        completed = _utc(done)
        jobs.append(Job(
            jid=jid, rids=list(rids), owner=owner, public=True, object_name=t.name,
            object_type=t.object_type, object_id=t.object_id, ra_deg=t.ra_deg,
            dec_deg=t.dec_deg, telescope_id=tele, filter_type=filt, exposure_ms=exposure,
            completion_time=completed, success=True,
            flat_id=flat or month_flat_id(tele, filt, completed), frame_lead=lead))
    return tuple(requests), tuple(jobs)


#: ``demo``'s documented requests, and the documented jobs (``demo``'s, private,
#: and other users' public ones).
SEED_REQUESTS, SEED_JOBS = _seed_records()
#: The archive's ``now`` from which the seed records are present.
SEED_EPOCH = max(job.completion_time for job in SEED_JOBS)
#: The documented job search's window (inclusive): only seed jobs complete in it.
SEED_SEARCH_WINDOW = (_utc('2024-11-17 16:00:00'), _utc('2024-11-18 16:00:59'))
