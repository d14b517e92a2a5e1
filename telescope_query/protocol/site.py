"""Facts about telescope.org itself: telescopes, filters, statuses, limits, the site.

Every fact of this kind has its home here, and the rest of the package reads it
from here. Each is marked as ``docs/protocol.rst`` explains: [seen] in the live
site's recorded answers, or [assumed] (a reasonable guess the client must not
depend on). No I/O, no configuration: where a limit can be changed by the user
(PIRATE's exposure, the queue), ``telescope_query.conf`` holds the setting and
this module its default.
"""
from __future__ import annotations

from datetime import datetime, timezone

__all__ = ['STATUS_TEXTS', 'STATUS_COMPLETE', 'FINAL_STATUSES', 'is_queued', 'status_text', 'status_code',
           'TELESCOPE_IDS', 'TELESCOPE_NAMES', 'IN_SERVICE', 'TODAYS_TELESCOPE_TYPE',
           'STANDARD_FILTERS', 'OTHER_FILTERS', 'FILTER_PLANES', 'MAX_EXPOSURE_S', 'MIN_EXPOSURE_S',
           'DEFAULT_QUEUE_LIMIT', 'LISTING_SORTS', 'STANDARD_FOLDERS', 'SITE_LATITUDE', 'SITE_LONGITUDE',
           'SITE_HEIGHT', 'NEVER_RISES_BELOW_DEC', 'ARCHIVE_START']

#: Request status codes and texts [seen].
STATUS_TEXTS: dict[int, str] = {
    1: 'New', 2: 'New, allocated', 3: 'Waiting', 4: 'In progress', 5: 'Reallocate',
    6: 'Waiting again', 7: 'Complete on site', 8: 'Complete', 9: 'Hold', 10: 'Frozen',
    20: 'Expired', 21: 'Expired w/CJobs', 22: 'Cancelled', 23: 'Cancelled w/CJobs',
    24: 'Invalid', 25: 'Never rises', 26: 'Other error',
}
#: The only status with a job and images [seen].
STATUS_COMPLETE = 8
#: Statuses a request never leaves: complete, and the ends without images
#: (expired, cancelled, invalid, never rises, other error).
FINAL_STATUSES = frozenset({STATUS_COMPLETE, 20, 21, 22, 23, 24, 25, 26})


def is_queued(code: int | None) -> bool:
    """Codes below 8 are still in the queue [seen]."""
    return code is not None and code < STATUS_COMPLETE


def status_text(code: int | None) -> str:
    """The text of a request status code; unknown codes say so."""
    if code is None:
        return 'Unknown'
    return STATUS_TEXTS.get(code, f'Unknown status {code}')


def status_code(text: str) -> int | None:
    """The code of a status text (case and spacing ignored), None when unknown."""
    wanted = ' '.join(text.split()).lower()
    for code, name in STATUS_TEXTS.items():
        if name.lower() == wanted:
            return code
    return None


#: ``telescopeid`` values, also the camera selector of the job search [seen].
TELESCOPE_IDS: dict[str, int] = {'constellation': 1, 'galaxy': 2, 'cluster': 3,
                                 'planet': 5, 'coast': 6, 'pirate': 7}
#: Display names of the ids.
TELESCOPE_NAMES: dict[int, str] = {1: 'Constellation', 2: 'Galaxy', 3: 'Cluster',
                                   5: 'Planet', 6: 'COAST', 7: 'PIRATE'}
#: The telescopes that take requests since 2017; the others are the retired
#: cameras of the Bradford Robotic Telescope, seen only on old jobs.
IN_SERVICE: tuple[str, ...] = ('COAST', 'PIRATE')
#: What views show as ``Telescope Type Name`` for COAST and PIRATE [seen]: a job
#: view alone therefore does not tell the two apart; a request view's
#: ``Telescope Name`` does.
TODAYS_TELESCOPE_TYPE = 'Galaxy'

#: The same four filters under each telescope's own names [seen], in the same
#: order (three colours, blue, green or V, red): the client translates between them.
STANDARD_FILTERS: dict[str, tuple[str, ...]] = {
    'COAST': ('BVR', 'B', 'V', 'R'),
    'PIRATE': ('Colour', 'Blue', 'Green', 'Red'),
}
#: Other filters on both telescopes [seen on public jobs' views, 2020-2023]. Their
#: spelling in the basket is [assumed] to be the views'; ``SHO`` is the 2017
#: pipeline's name of the narrowband three-colour product.
OTHER_FILTERS: tuple[str, ...] = ('Clear', 'HAlpha', 'Luminance', 'SHO')
#: The planes (cube) or files (zip) of a three-colour filter [seen].
FILTER_PLANES: dict[str, tuple[str, ...]] = {
    'BVR': ('B', 'V', 'R'), 'Colour': ('Blue', 'Green', 'Red'),
    'SHO': ('SII', 'Halpha', 'OIII'),
}

#: Longest exposure in seconds [seen for COAST: "180s is max exp", Dec 2023];
#: PIRATE's is unknown and [assumed] the same (``conf.pirate_max_exposure``).
MAX_EXPOSURE_S: dict[str, float] = {'COAST': 180.0, 'PIRATE': 180.0}

#: Shortest exposure in seconds: the site's is unknown; [assumed] 0.1 s (the
#: shortest the cameras' old request forms offered was in that range).
MIN_EXPOSURE_S = 0.1

#: Requests a standard account may have in the queue [seen on the FAQ; a
#: professional account 40]: ``conf.queue_limit``.
DEFAULT_QUEUE_LIMIT = 10

#: The sort orders of a listing [seen].
LISTING_SORTS = ('rid', 'object', 'completion')

#: Folders 1-4 exist for every user [seen].
STANDARD_FOLDERS: dict[str, int] = {'inbox': 1, 'favourites': 2, 'archive': 3, 'trash': 4}

#: The Observatorio del Teide.
SITE_LATITUDE = 28.30      # degrees north
SITE_LONGITUDE = -16.51    # degrees east
SITE_HEIGHT = 2390.0       # metres
#: A target south of this declination never rises there (status 25 exists for it).
NEVER_RISES_BELOW_DEC = SITE_LATITUDE - 90.0

#: No job of the site can be older than this [assumed]: the site's own history
#: page says its first telescope (Bradford's, at Oxenhope) was "the first robot
#: on the Web in December 1993"; today's archive began with the Tenerife
#: telescope of 2004, as far as can be told. The oldest dates in the recorded
#: outputs are later: a folder created 2014-08-05 and job J295541, completed
#: 2017-07-14 [seen]. The job search refuses times before it.
ARCHIVE_START = datetime(1993, 12, 1, tzinfo=timezone.utc)

# Not sent by telescope.org: a server that names its archive in this header of
# its login answer (the simulator does, new for every instance) gets a cache of
# its own, so that another archive answering at the same address later (a
# simulator restarted with other settings) is never served the first one's
# views or products. Without it, the cache is per address.
ARCHIVE_ID_HEADER = 'X-Archive-Id'
