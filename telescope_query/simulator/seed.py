"""The real records of the original library's documentation (``seed-telescope-api.txt``)
and of the recorded outputs of the live site, with their literal ids.

The account named ``demo`` (and only an account of that name) carries the
real records that the original library's documentation shows, with their
literal ids, so that its examples run unchanged: requests 766264-767380 (ten
variable stars, status 8, jobs 418581-419547, requested 23 September - 2
October 2024 and completed 24 September - 3 October 2024, dates of my
choosing that fit their ids) and request 706248 (job 369256, 22 December
2020), with the exposures and comments of the author's recorded requests,
and the recorded request 771144 (LX Cyg, requested 30 October 2024, job
422672, completed 11 November 2024), see :data:`SEED_REQUESTS`.  Other
users' public jobs 423183 (requests 771716 and 771970, M109) to 423342 are
the six jobs that the documented job search of 17/11/24 16:00 - 18/11/24
16:00:59 finds (:data:`SEED_SEARCH_WINDOW`); no generated job completes in
that window.  Job 336896 (EQ Lyr, 18 June 2019 23:45:04 UTC) is another
user's public job: its view shows the recorded summer date slip (19 June).
These records are added whatever ``requests_per_account`` is, once the
archive's ``now`` reaches :data:`SEED_EPOCH` (18 November 2024, 06:24:20
UTC); ``demo``'s history is then ``requests_per_account`` requests of which
twelve are the seed's (twelve when it asks for fewer).

The seed's ids are real and fixed; they are in time order, as on the site
(request ids by request time, job ids by allocation time, see
:data:`SEED_REQUEST_TIMES` and ``Job.allocation_time``), and generated ids
fit around them (:mod:`.ids`): never one of theirs, and in time order with
them.

This module is part of the simulator and imports nothing from the client.
"""
from __future__ import annotations

import calendar
import time

from . import catalog
from .catalog import Target
from .model import COMPLETE, Job, Request, month_flat_id

__all__ = ['SEED_ACCOUNT', 'SEED_REQUESTS', 'SEED_JOBS', 'SEED_REQUEST_TIMES',
           'SEED_EPOCH', 'SEED_SEARCH_WINDOW', 'SEED_ALLOCATION_DELAY']


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


#: Seconds from a seed job's first request to its allocation [assumed]: the
#: site allocates a job soon after the request (the recorded batches' jids
#: run parallel to their rids, and requests read "New" minutes after
#: submission, "Waiting" later).
SEED_ALLOCATION_DELAY = 600


def _seed_records() -> tuple[tuple[Request, ...], tuple[Job, ...], dict[int, int]]:
    # demo's requests: the documented rids, names, status 8 and jids; the
    # documented job 369256 of request 706248.  The ten requests 766264-767380
    # were sent in batches by the author's script (hence the consecutive rids,
    # and jids consecutive with them) and observed with COAST; their
    # completions are in the documented newest-first order 767380, 767374,
    # 767376, 767375, 767373, 766438, 766436, 766435, 766437, 766264.
    # Exposures and comments are the script's (submit_batch.py, Dec 2023 to
    # Nov 2024): 180 s 'Mira' for the Miras, 60 s 'Symbiotic AAVSO' for CH
    # Cyg; T CrB's 180 s 'AAVSO' is [assumed].  Their flat, 31, is the one
    # recorded on COAST jobs of November 2024 (30 in December 2023).  771144
    # (LX Cyg, J422672) is a recorded request (row 113 of the listing on 17
    # November 2024).
    # Dates: only 706248's and 771144's are recorded.  The ten others are
    # [assumed] (my choice), fitted to the ids: requests and jobs are numbered
    # in time order [seen], so 766264-767380 were requested before 771144
    # (30 October 2024) and their jobs allocated before J422672.  At the
    # site's pace of about 130 requests a day then, 766264 falls in late
    # September; each batch followed the completion of the previous one (the
    # script resubmits a target once its request is done), completed the next
    # night, and none completes between 23:00 and 24:00 UTC (whose views
    # show the next day's date from March to October).  A batch's requests
    # are a second apart (the recorded batches: 8 requests in 6 s).
    demo = (
        # rid, object name, target, telescope, filter, exposure (ms), comment,
        # requested, jid, completed, flat, first frame's lead (s) when recorded
        (706248, 'RaDec object', 'RaDec object', 6, 'BVR', 120000, 'AutoSubmit',
         '2020-12-21 11:27:45', 369256, '2020-12-22 23:34:10', 24, None),
        (766264, 'T CrB_M', 'T CrB', 6, 'BVR', 180000, 'AAVSO',
         '2024-09-23 18:47:12', 418581, '2024-09-24 20:41:37', 31, None),
        (766435, 'T CrB', 'T CrB', 6, 'BVR', 180000, 'AAVSO',
         '2024-09-25 19:12:05', 418736, '2024-09-26 20:44:15', 31, None),
        (766436, 'CH Cyg', 'CH Cyg', 6, 'BVR', 60000, 'Symbiotic AAVSO',
         '2024-09-25 19:12:06', 418737, '2024-09-26 21:03:52', 31, None),
        (766437, 'SS Cyg', 'SS Cyg', 6, 'BVR', 180000, 'Mira',
         '2024-09-25 19:12:07', 418738, '2024-09-26 20:29:48', 31, None),
        (766438, 'DX Vul', 'DX Vul', 6, 'BVR', 180000, 'Mira',
         '2024-09-25 19:12:08', 418739, '2024-09-26 21:31:26', 31, None),
        (767373, 'CH Cyg', 'CH Cyg', 6, 'BVR', 60000, 'Symbiotic AAVSO',
         '2024-10-02 18:36:40', 419540, '2024-10-03 20:26:22', 31, None),
        (767374, 'SS Cyg', 'SS Cyg', 6, 'BVR', 180000, 'Mira',
         '2024-10-02 18:36:41', 419541, '2024-10-03 21:44:30', 31, None),
        (767375, 'IP Cyg', 'IP Cyg', 6, 'BVR', 180000, 'Mira',
         '2024-10-02 18:36:42', 419542, '2024-10-03 20:51:09', 31, None),
        (767376, 'V686 Cyg', 'V686 Cyg', 6, 'BVR', 180000, 'Mira',
         '2024-10-02 18:36:43', 419543, '2024-10-03 21:17:45', 31, None),
        # 767377-767379 were the batch's BI Her, DX Vul and DQ Vul (not kept).
        (767380, 'EQ Lyr', 'EQ Lyr', 6, 'BVR', 180000, 'Mira',
         '2024-10-02 18:36:47', 419547, '2024-10-03 22:12:58', 31, None),
        (771144, 'LX Cyg', 'LX Cyg', 6, 'BVR', 180000, 'AAVSO',
         '2024-10-30 20:53:23', 422672, '2024-11-11 00:25:33', 31, 480.5),
    )
    # Other users' public successful jobs: what the documented job search of
    # 17/11/24 16:00 - 18/11/24 16:00:59 finds, 423342 first and 423183 last;
    # and J336896 (EQ Lyr, request 664342, recorded: its view reads 19 June
    # 2019 23:45:04 UTC, its first frame 2019-06-18T23:38:22, the summer date
    # slip), here another user's public job.  Their requests' times are
    # [assumed]: 664342's batch was sent before its J336897 completed
    # (2019-06-17 02:54:09, recorded); the 7717xx-7719xx ones at the site's
    # pace between the recorded 771144 (2024-10-30 20:53:23) and 771974
    # (2024-11-17 16:26:46), 46.6 requests a day; 771989 after 771981
    # (16:26:52).  J423183's 771970 joined the job of 771716 (one job serving
    # two requests keeps the id of its first request's time).
    public = (
        # jid, (rid, requested)..., owner, target, telescope, filter, exposure
        # (ms), completed, flat, first frame's lead (s) when recorded
        (336896, ((664342, '2019-06-16 20:31:15'),), 'observer03', 'EQ Lyr', 6, 'BVR',
         180000, '2019-06-18 23:45:04', None, 401.05),
        (423183, ((771716, '2024-11-12 03:32:34'), (771970, '2024-11-17 14:23:08')),
         'observer17', 'M109', 6, 'BVR', 120000, '2024-11-18 05:41:09', 31, None),
        (423219, ((771808, '2024-11-14 02:56:05'),), 'observer05', 'M1', 6, 'BVR', 60000,
         '2024-11-18 05:49:52', None, None),
        (423256, ((771874, '2024-11-15 12:55:59'),), 'observer31', 'Algol', 7, 'Colour',
         10000, '2024-11-18 05:58:36', None, None),
        (423297, ((771925, '2024-11-16 15:12:17'),), 'observer05', 'M42', 6, 'R', 30000,
         '2024-11-18 06:07:03', None, None),
        (423318, ((771951, '2024-11-17 04:35:53'),), 'observer22', 'NGC 891', 7,
         'Colour', 180000, '2024-11-18 06:15:47', None, None),
        (423342, ((771989, '2024-11-17 20:34:07'),), 'observer09', 'M45', 6, 'BVR',
         20000, '2024-11-18 06:24:20', None, None),
    )
    requests, jobs, asked_at = [], [], {}
    for (rid, name, target_name, tele, filt, exposure, comment, asked, jid, done, flat,
         lead) in demo:
        t = _catalogue_target(target_name)
        completed = _utc(done)
        asked_at[rid] = _utc(asked)
        jobs.append(Job(
            jid=jid, rids=[rid], owner=SEED_ACCOUNT, public=False, object_name=name,
            object_type=t.object_type, object_id=t.object_id, ra_deg=t.ra_deg,
            dec_deg=t.dec_deg, telescope_id=tele, filter_type=filt, exposure_ms=exposure,
            completion_time=completed, success=True,
            flat_id=flat or month_flat_id(tele, filt, completed), frame_lead=lead,
            allocation_time=asked_at[rid] + SEED_ALLOCATION_DELAY))
        requests.append(Request(
            rid=rid, owner=SEED_ACCOUNT, object_name=name, object_type=t.object_type,
            object_id=t.object_id, ra_deg=t.ra_deg, dec_deg=t.dec_deg, telescope_id=tele,
            filter_type=filt, exposure_ms=exposure, dark_frame=True, status=COMPLETE,
            request_time=asked_at[rid], completion_time=completed, comments=comment,
            folder_id=1, jid=jid, seen=True))
    for (jid, requested, owner, target_name, tele, filt, exposure, done, their_flat,
         lead) in public:
        t = _catalogue_target(target_name)
        completed = _utc(done)
        asked_at.update((rid, _utc(when)) for rid, when in requested)
        first = min(asked_at[rid] for rid, _ in requested)
        jobs.append(Job(
            jid=jid, rids=[rid for rid, _ in requested], owner=owner, public=True,
            object_name=t.name, object_type=t.object_type, object_id=t.object_id,
            ra_deg=t.ra_deg, dec_deg=t.dec_deg, telescope_id=tele, filter_type=filt,
            exposure_ms=exposure, completion_time=completed, success=True,
            flat_id=their_flat or month_flat_id(tele, filt, completed), frame_lead=lead,
            allocation_time=first + SEED_ALLOCATION_DELAY))
    return tuple(requests), tuple(jobs), asked_at


#: ``demo``'s documented requests, the documented jobs (``demo``'s, private,
#: and other users' public ones), and the request time of every request of
#: theirs (other users' requests appear only as ids in job views).
SEED_REQUESTS, SEED_JOBS, SEED_REQUEST_TIMES = _seed_records()
#: The archive's ``now`` from which the seed records are present.
SEED_EPOCH = max(job.completion_time for job in SEED_JOBS)
#: The documented job search's window (inclusive): only seed jobs complete in it.
SEED_SEARCH_WINDOW = (_utc('2024-11-17 16:00:00'), _utc('2024-11-18 16:00:59'))
