"""Bad input to every public method is refused before anything is sent.

A property-based suite: hypothesis draws wrong types, NaN and infinities, zero
and negative exposures, unknown telescopes, filters, folders and sort orders,
malformed and out-of-range coordinates, huge and unicode strings, bad dates
and windows, and ids that are not integers. For every draw the method must
raise `ValueError` or `TypeError` whose message names the parameter, and the
simulator's counters must show that not a single HTTP call was made.

Each case is one (method, parameter, class of bad values); `CASES` lists them
and ``docs/reliability.rst`` tabulates the classes.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

import numpy as np
import pytest
import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.table import Table
from astropy.time import Time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telescope_query.legacy import Telescope

EXAMPLES = settings(max_examples=20, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


# --- classes of bad values -------------------------------------------------------
#
# Each class is a `Bad`: edge values that are always tried, one by one, plus a
# hypothesis strategy that draws more of the same kind.

@dataclass(frozen=True)
class Bad:
    """A class of bad values: fixed edges (always tried) and a strategy for more."""

    edges: tuple
    more: Any = None

    @property
    def strategy(self):
        parts = [st.sampled_from(self.edges)] if self.edges else []
        return st.one_of(*parts, *([self.more] if self.more is not None else []))

    def __or__(self, other: 'Bad') -> 'Bad':
        more = [m for m in (self.more, other.more) if m is not None]
        return Bad(self.edges + other.edges, st.one_of(*more) if more else None)

    def without(self, keep: Callable[[Any], bool]) -> 'Bad':
        """The same class less the values ``keep`` rejects (valid in some context)."""
        return Bad(tuple(v for v in self.edges if keep(v)),
                   None if self.more is None else self.more.filter(keep))


def _valid_id_text(text: str) -> bool:
    body = text.strip()
    if body[:1] in 'RJrj' and body[1:].isdigit():
        body = body[1:]
    return body.isascii() and body.isdigit() and 0 < int(body) < 2 ** 63


def _parses_as_time(text: str) -> bool:
    try:
        Time(text.strip(), scale='utc')
    except Exception:
        return False
    return True


WEIRD = Bad((object(), {'a': 1}, b'\x00\xff', 1j, Ellipsis, None, True, False),
            st.dictionaries(st.text(max_size=3), st.integers(), min_size=1, max_size=2)
            | st.binary(min_size=1, max_size=8))
NON_FINITE = (math.nan, math.inf, -math.inf)
HUGE_TEXT = Bad(('x' * 100_000, '\u00e9\u4e2d\U0001f52d' * 30_000),
                st.text(min_size=300, max_size=600))
UNICODE_TEXT = st.text(alphabet=st.characters(min_codepoint=0x80, blacklist_categories=['Cs']),
                       min_size=1, max_size=40)
UNICODE_DIGITS = Bad(('\u00b2', '\u0661\u0662', '\uff11\uff12', '\u2460'),
                     st.text(alphabet='\u0660\u0661\u0662\u00b2\u00b3\u2460\uff11\u0967',
                             min_size=1, max_size=6))

#: Ids that are not positive integers of the site's range.
BAD_ID = Bad((0, -1, 2 ** 63, 10 ** 30, 1.5, *NON_FINITE, '', ' ', 'abc', '1e5', '0x1F', 'R-5',
              'J', '12 34', '9' * 5000, '-7'),
             st.integers(max_value=0) | st.integers(min_value=2 ** 63, max_value=2 ** 200)
             | st.floats(allow_nan=True).filter(lambda f: not (math.isfinite(f)
                                                               and f.is_integer()
                                                               and 0 < f < 2 ** 63))
             | st.text(max_size=30).filter(lambda s: not _valid_id_text(s))) \
    | UNICODE_DIGITS | WEIRD
BAD_IDS = BAD_ID | Bad(([], [1, None], [3, 'x'], [[1, 2]], np.array([[1, 2]]),
                        Table({'other': [1]})),
                       st.lists(BAD_ID.strategy, min_size=1, max_size=3))

NOT_A_FLAG = Bad((None, 0, 1, 'yes', 'True', math.nan, [True], object()),
                 st.integers() | st.text(max_size=5) | st.floats(allow_nan=True))

SORTS = ('rid', 'object', 'completion')
BAD_SORT = Bad(('RID', ' rid', '', None, 1, ['rid'], np.array(['rid', 'object']),
                np.array(['rid'])),
               st.text(max_size=20).filter(lambda s: s not in SORTS)) | HUGE_TEXT | WEIRD

STATUS_WORDS = {'new', 'new, allocated', 'waiting', 'in progress', 'reallocate',
                'waiting again', 'complete on site', 'complete', 'hold', 'frozen',
                'expired', 'expired w/cjobs', 'cancelled', 'cancelled w/cjobs', 'invalid',
                'never rises', 'other error', 'queued', 'completed'}
STATUS_CODES = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 21, 22, 23, 24, 25, 26}
BAD_STATUS = Bad((0, 11, 27, -8, '99', 'Completed!', '', 8.0, math.nan, True, [],
                  np.array([8, 3])),
                 st.integers().filter(lambda n: n not in STATUS_CODES)
                 | st.text(max_size=20).filter(
                     lambda s: ' '.join(s.split()).lower() not in STATUS_WORDS
                     and not (s.strip().isascii() and s.strip().isdigit()
                              and int(s) in STATUS_CODES))) | UNICODE_DIGITS \
    | WEIRD.without(lambda v: v is not None)          # None: every status

#: Folders refused without asking the site. Any other text may be the name of
#: one of the user's folders: see `test_unknown_folder_asks_only_for_the_folders`.
BAD_FOLDER = Bad((0, -3, np.int64(-1), '0', '000', '', '   ', '\t\n', 1.0, math.nan, [1],
                  np.array(['Inbox', 'Archive'])),
                 st.integers(max_value=0)) | WEIRD

CAMERA_IDS = (1, 2, 3, 5, 6, 7)
TELESCOPE_NAMES = {'coast', 'pirate', 'galaxy', 'constellation', 'cluster', 'planet'}
#: Telescopes of the job search (names or ids of the site's six cameras).
BAD_CAMERA = Bad(('Hubble', 'COAST PIRATE', '4', 4, 0, -6, 6.0, math.nan, ['coast'],
                  np.array(['coast', 'pirate'])),
                 st.text(max_size=20).filter(
                     lambda s: s.strip().lower() not in TELESCOPE_NAMES and s != ''
                     and not (s.strip().isascii() and s.strip().isdigit()
                              and int(s) in CAMERA_IDS))
                 | st.integers().filter(lambda n: n not in CAMERA_IDS)) \
    | UNICODE_DIGITS | HUGE_TEXT | WEIRD.without(lambda v: v is not None)
#: Telescopes of a submission: only the two in service, by name.
# A telescope of a new request: COAST or PIRATE, by name or id, not a retired camera.
BAD_TELESCOPE = BAD_CAMERA | Bad(('Galaxy', 'planet', '2', 2, 3, None, ''))

FILTER_NAMES = {'bvr', 'b', 'v', 'r', 'colour', 'color', 'blue', 'green', 'red', 'clear',
                'halpha', 'luminance', 'sho'}
BAD_FILTER = Bad(('U', 'BV', 'I', 'H-alpha', 3, math.nan, ['B'], np.array(['B', 'V'])),
                 st.text(max_size=20).filter(lambda s: s.strip().lower() not in FILTER_NAMES
                                             and s != '')
                 | UNICODE_TEXT.filter(lambda s: s.strip().lower() not in FILTER_NAMES)) \
    | HUGE_TEXT | WEIRD.without(lambda v: v is not None)
#: A filter of the job search: also a filter of the other telescope than the one given.
BAD_SEARCH_FILTER = BAD_FILTER

BAD_TIME = Bad(('nan', 'inf', '2024-13-01', '2024-02-30 10:00', '2024-11-18 25:00',
                '18/11/2024', 'yesterday', '99999-01-01', '', 1.5, 1700000000, b'2024-01-01',
                np.datetime64('2024-01-01'), Time(['2024-01-01', '2024-01-02']),
                Time(1e10, format='jd'), Time(-1e6, format='jd'),
                # Before the site's first telescope went on the web (1993-12-01):
                '1990-01-01', '0024-11-18 16:00', Time(0, format='mjd'), datetime(1970, 1, 1)),
               st.text(max_size=30).filter(lambda s: not _parses_as_time(s)) | UNICODE_TEXT
               | st.floats(allow_nan=True) | st.integers()
               | st.datetimes(max_value=datetime(1993, 11, 30))) | HUGE_TEXT \
    | WEIRD.without(lambda v: v is not None)          # None: the default window

BAD_EXPOSURE = Bad((0, -1, -0.5, *NON_FINITE, 600.5, 601, 1e300, math.nan * u.s, -30 * u.s,
                    0 * u.s, 30 * u.m, [30, 60] * u.s, 0.0001 * u.ms, '30', '30 s', None,
                    True, [30]),
                   st.floats(max_value=0) | st.integers(max_value=0)
                   | st.floats(min_value=600.001, max_value=1e300) | st.integers(min_value=601)
                   | st.builds(lambda v: v * u.s, st.floats(max_value=0)
                               | st.sampled_from(NON_FINITE))
                   | st.builds(lambda v: v * u.m, st.floats(1, 100))) | WEIRD


def _sexagesimal(h, m, s, sign, d, dm, ds):
    return f'{h:02d}:{m:02d}:{s:05.2f} {sign}{d:02d}:{dm:02d}:{ds:05.2f}'


#: Coordinates out of range, malformed, never rising at Teide, or not one position.
BAD_TARGET = Bad(
    ('24:00:00 +10:00:00', '25:00:00 +10:00:00', '12:00:00 +91:00:00', '12:00:00 -95:00:00',
     '12:60:00 +10:00:00', '12:00:00 +10:00:60', '12:00:00', '12:00:00 +10:00:00 +3',
     '-01:00:00 +10:00:00', '', '   ', '12 34 56.7', '1e400 10', 'nan nan', 'inf 10',
     '360 10', '-10 10', '10 -91', '10 -70', '12:00:00.00 10.5', '12:00:00 -70:00:00',
     SkyCoord(10 * u.deg, -75 * u.deg), SkyCoord([1, 2] * u.deg, [3, 4] * u.deg),
     SkyCoord(np.nan * u.deg, 10 * u.deg), 12, 12.5, math.nan, [10.0, 20.0]),
    st.builds(_sexagesimal, st.integers(24, 99), st.integers(0, 59), st.floats(0, 59),
              st.sampled_from('+-'), st.integers(0, 60), st.integers(0, 59), st.floats(0, 59))
    | st.builds(_sexagesimal, st.integers(0, 23), st.integers(0, 59), st.floats(0, 59),
                st.sampled_from('+-'), st.integers(91, 99), st.integers(0, 59), st.floats(0, 59))
    | st.builds(_sexagesimal, st.integers(0, 23), st.integers(60, 99), st.floats(0, 59),
                st.just('+'), st.integers(0, 60), st.integers(0, 59), st.floats(0, 59))
    | st.builds(lambda ra, dec: f'{ra} {dec}', st.floats(360, 1e6), st.floats(-90, 90))
    | st.builds(lambda ra, dec: f'{ra} {dec}', st.floats(0, 359), st.floats(90.001, 1e6))
    | st.builds(lambda ra, dec: f'{ra} {dec}', st.floats(0, 359), st.floats(-90, -62))
    | st.builds(lambda dec: SkyCoord(10 * u.deg, dec * u.deg), st.floats(-90, -62))) \
    | HUGE_TEXT | WEIRD

CONTROLS = st.text(alphabet=st.sampled_from('\x00\x07\x1b\x7f'), min_size=1, max_size=3)
BAD_NAME = Bad(('', '  ', 'Star\x00', 'Star\x1b[31m', 'N' * 65, 12, math.nan),
               st.text(min_size=65, max_size=200).filter(lambda s: len(s.strip()) > 64)
               | st.builds(lambda a, c: 'Star' + c + a, st.text(max_size=5), CONTROLS)) \
    | HUGE_TEXT | WEIRD.without(lambda v: v is not None)
BAD_COMMENT = Bad(('c' * 256, 'note\x00', 'note\x1b', None, 12, math.nan),
                  st.text(min_size=256, max_size=600).filter(lambda s: len(s.strip()) > 255)
                  | st.builds(lambda c: 'note' + c, CONTROLS)) | HUGE_TEXT | WEIRD

BAD_USERNAME = Bad((12, math.nan, True, ['demo'], b'demo', object()))
BAD_PASSWORD = Bad(('', 12, math.nan, True, ['demo'], b'demo', object()))
BAD_CONFIG = Bad((12, math.nan, True, ['telescope.ini'], object()))
BAD_PATH = Bad((None, 12, math.nan, True, ['files'], object()))
# Folder names no file system takes, checked before it is asked anything.
BAD_FOLDER_NAME = Bad(('files\x00', '\x00', '', '   ', b'files'))
BAD_POSITIVE = Bad((0, -1, math.nan, math.inf, -math.inf, '8', True, None, [8.0]))

BAD_EPOCH_SECONDS = Bad((*NON_FINITE, 1e20, -1e20, 10 ** 30, '1700000000', True, [1.0],
                         0, 7e8),                 # before the site (1993-12-01)
                        st.floats(min_value=1e12, max_value=1e300)
                        | st.floats(max_value=-1e12, min_value=-1e300)
                        | st.floats(min_value=-1e11, max_value=754_000_000))
BAD_DAYS = Bad((*NON_FINITE, 0, -1, -0.5, 1e20, 10 ** 30, '1', None, True, 20000),
               st.floats(max_value=0) | st.integers(max_value=0)
               | st.floats(min_value=20000, max_value=1e300))    # back before the site
BAD_HOUR = Bad((24, -1, 10.5, math.nan, '10', None, True),
               st.integers().filter(lambda n: not 0 <= n <= 23))
BAD_MINUTE = Bad((60, -1, 10.5, math.nan, '10', None, True),
                 st.integers().filter(lambda n: not 0 <= n <= 59))
BAD_TARGETS = Bad((None, 12, math.nan, 'SS Cyg', b'SS Cyg', True, [], Table({'ra': [1.0]}),
                   object()))


def _not_a_valid_ms_exposure(value) -> bool:
    return not (isinstance(value, (int, float)) and not isinstance(value, bool)
                and math.isfinite(value) and 0 < value <= 600_000)


def _not_a_valid_s_exposure(value) -> bool:
    return not (isinstance(value, (int, float)) and not isinstance(value, bool)
                and math.isfinite(value) and 0.001 <= value <= 600)


# --- the cases ------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """One parameter of one method and the bad values it must refuse."""

    method: str
    parameter: str
    values: Bad
    call: Callable                   # call(client, value, tmp_path)
    names: tuple[str, ...] = ()      # other words that name it (legacy spellings)
    logged_in: bool = True

    @property
    def id(self) -> str:
        return f'{self.method}-{self.parameter}'


WINDOW = {'start': '2024-11-17 16:00', 'end': '2024-11-18 16:00'}
TARGET = '20:42:59.6 +43:35:10'

#: A product for the calls that take one (an empty frame: no request can follow).
HDULIST = fits.HDUList([fits.PrimaryHDU()])
#: Targets of frame_times: names (no lookup), out of range, several, not a position.
BAD_SKY_TARGET = Bad(('Vega', '', '  ', '00:00:00 +95:00:00', 12, math.nan,
                      ['19:19:02 +41:06:34'], SkyCoord([1, 2], [3, 4], unit='deg')))


CASES = [
    Case('login', 'username', BAD_USERNAME,
         lambda c, v, p: c.login(v, password='demo'), logged_in=False),
    Case('login', 'password', BAD_PASSWORD,
         lambda c, v, p: c.login('demo', password=v), logged_in=False),
    Case('login', 'config', BAD_CONFIG,
         lambda c, v, p: c.login('demo', config=v), logged_in=False),
    Case('get_requests', 'folder', BAD_FOLDER, lambda c, v, p: c.get_requests(v)),
    Case('get_requests', 'sort', BAD_SORT, lambda c, v, p: c.get_requests(sort=v)),
    Case('get_requests', 'status', BAD_STATUS, lambda c, v, p: c.get_requests(status=v)),
    Case('get_requests', 'cache', NOT_A_FLAG,
         lambda c, v, p: c.get_requests(details=True, cache=v)),
    Case('get_request_details', 'rids', BAD_IDS, lambda c, v, p: c.get_request_details(v)),
    Case('get_request_details', 'cache', NOT_A_FLAG,
         lambda c, v, p: c.get_request_details(1, cache=v)),
    Case('get_job_details', 'jids', BAD_IDS, lambda c, v, p: c.get_job_details(v)),
    Case('get_job_details', 'cache', NOT_A_FLAG, lambda c, v, p: c.get_job_details(1, cache=v)),
    Case('query_object', 'name', Bad(('', '  \t', 12, math.nan, ['SS Cyg'])) | WEIRD,
         lambda c, v, p: c.query_object(v)),
    Case('query_object', 'status', BAD_STATUS, lambda c, v, p: c.query_object('SS Cyg',
                                                                           status=v)),
    Case('query_object', 'cache', NOT_A_FLAG, lambda c, v, p: c.query_object('SS Cyg',
                                                                          cache=v)),
    Case('query_jobs', 'start', BAD_TIME, lambda c, v, p: c.query_jobs(v, WINDOW['end'])),
    Case('query_jobs', 'end', BAD_TIME, lambda c, v, p: c.query_jobs(WINDOW['start'], v)),
    Case('query_jobs (window)', 'start',
         Bad((('2024-11-18 16:00', '2024-11-18 16:00'), ('2024-11-18', '2023-11-18')),
             st.builds(lambda d: ('2024-11-18 16:00', f'2024-11-{18 - d:02d} 16:00'),
                       st.integers(0, 17))),
         lambda c, v, p: c.query_jobs(*v)),         # windows that end before they start
    Case('query_jobs', 'telescope', BAD_CAMERA,
         lambda c, v, p: c.query_jobs(**WINDOW, telescope=v)),
    Case('query_jobs', 'filter', BAD_SEARCH_FILTER,
         lambda c, v, p: c.query_jobs(**WINDOW, telescope='COAST', filter=v)),
    Case('query_jobs', 'details', NOT_A_FLAG, lambda c, v, p: c.query_jobs(**WINDOW, details=v)),
    Case('query_jobs', 'cache', NOT_A_FLAG,
         lambda c, v, p: c.query_jobs(**WINDOW, details=True, cache=v)),
    Case('get_images', 'jids', BAD_IDS, lambda c, v, p: c.get_images(v, show_progress=False)),
    Case('get_images', 'cube', NOT_A_FLAG, lambda c, v, p: c.get_images(1, cube=v)),
    Case('get_images', 'processed', NOT_A_FLAG, lambda c, v, p: c.get_images(1, processed=v)),
    Case('get_images', 'show_progress', NOT_A_FLAG,
         lambda c, v, p: c.get_images(1, show_progress=v)),
    Case('download_data', 'jids', BAD_IDS,
         lambda c, v, p: c.download_data(v, path=p, show_progress=False)),
    Case('download_data', 'path', BAD_PATH, lambda c, v, p: c.download_data(1, path=v)),
    Case('download_data', 'cube', NOT_A_FLAG, lambda c, v, p: c.download_data(1, path=p, cube=v)),
    Case('get_images', 'cache', NOT_A_FLAG, lambda c, v, p: c.get_images(1, cache=v)),
    Case('download_data', 'path', BAD_FOLDER_NAME,
         lambda c, v, p: c.download_data(1, path=v)),
    Case('download_data', 'overwrite', NOT_A_FLAG,
         lambda c, v, p: c.download_data(1, path=p, overwrite=v)),
    Case('download_data', 'cache', NOT_A_FLAG,
         lambda c, v, p: c.download_data(1, path=p, cache=v)),
    Case('preview', 'jid_or_hdul', BAD_ID, lambda c, v, p: c.preview(v)),
    Case('preview', 'q', BAD_POSITIVE, lambda c, v, p: c.preview(1, q=v)),
    Case('preview', 'stretch', BAD_POSITIVE, lambda c, v, p: c.preview(1, stretch=v)),
    Case('preview', 'crop_overscan', NOT_A_FLAG, lambda c, v, p: c.preview(1, crop_overscan=v)),
    Case('preview', 'title', Bad((12, b'title', ['a'])), lambda c, v, p: c.preview(1, title=v)),
    Case('preview', 'figsize', Bad(((-1, 4), (4,), 'big', (math.nan, 4))),
         lambda c, v, p: c.preview(1, figsize=v)),
    Case('clear_cache', 'products', NOT_A_FLAG, lambda c, v, p: c.clear_cache(products=v)),
    Case('clear_cache', 'records', NOT_A_FLAG, lambda c, v, p: c.clear_cache(records=v)),
    Case('get_images', 'wcs', NOT_A_FLAG, lambda c, v, p: c.get_images(1, wcs=v)),
    Case('add_wcs', 'path_or_hdul', BAD_PATH | Bad(('',)), lambda c, v, p: c.add_wcs(v)),
    Case('add_wcs', 'telescope', BAD_TELESCOPE.without(lambda v: v is not None),
         lambda c, v, p: c.add_wcs(HDULIST, telescope=v)),
    Case('frame_times', 'jid_or_hdul', BAD_ID, lambda c, v, p: c.frame_times(v)),
    Case('frame_times', 'target', BAD_SKY_TARGET, lambda c, v, p: c.frame_times(1, target=v)),
    Case('solve_wcs', 'hdul', BAD_PATH | Bad(('369256.fits', 369256)),
         lambda c, v, p: c.solve_wcs(v)),
    Case('solve_wcs', 'api_key', Bad(('', '  ', 12, math.nan, ['key'], b'key')),
         lambda c, v, p: c.solve_wcs(HDULIST, api_key=v)),
    Case('submit', 'target', BAD_TARGET, lambda c, v, p: c.submit(v)),
    Case('submit', 'exposure', BAD_EXPOSURE, lambda c, v, p: c.submit(TARGET, exposure=v)),
    Case('submit', 'telescope', BAD_TELESCOPE, lambda c, v, p: c.submit(TARGET, telescope=v)),
    Case('submit', 'filter', BAD_FILTER, lambda c, v, p: c.submit(TARGET, filter=v)),
    Case('submit', 'dark_frame', NOT_A_FLAG, lambda c, v, p: c.submit(TARGET, dark_frame=v)),
    Case('submit', 'name', BAD_NAME, lambda c, v, p: c.submit(TARGET, name=v)),
    Case('submit', 'comment', BAD_COMMENT, lambda c, v, p: c.submit(TARGET, comment=v)),
    Case('submit_missing', 'targets', BAD_TARGETS, lambda c, v, p: c.submit_missing(v)),
    Case('submit_missing', 'exposure', BAD_EXPOSURE,
         lambda c, v, p: c.submit_missing([TARGET], exposure=v)),
    Case('submit_missing', 'telescope', BAD_TELESCOPE,
         lambda c, v, p: c.submit_missing([TARGET], telescope=v)),
    Case('submit_missing', 'filter', BAD_FILTER,
         lambda c, v, p: c.submit_missing([TARGET], filter=v)),
    Case('submit_missing', 'dry_run', NOT_A_FLAG,
         lambda c, v, p: c.submit_missing([TARGET], dry_run=v)),
    Case('legacy get_user_requests', 'folder', BAD_FOLDER,
         lambda c, v, p: c.get_user_requests(v)),
    Case('legacy get_user_requests', 'sort', BAD_SORT,
         lambda c, v, p: c.get_user_requests(1, sort=v)),
    Case('legacy get_request', 'rid', BAD_ID, lambda c, v, p: c.get_request(v)),
    Case('legacy get_job', 'jid', BAD_ID, lambda c, v, p: c.get_job(v)),
    Case('legacy get_jid_for_req', 'req', BAD_ID, lambda c, v, p: c.get_jid_for_req(v)),
    Case('legacy get_obs_list', 't', BAD_EPOCH_SECONDS, lambda c, v, p: c.get_obs_list(t=v)),
    Case('legacy get_obs_list', 'dt', BAD_DAYS, lambda c, v, p: c.get_obs_list(dt=v)),
    Case('legacy get_obs_list', 'hour', BAD_HOUR, lambda c, v, p: c.get_obs_list(hour=v)),
    Case('legacy get_obs_list', 'minute', BAD_MINUTE, lambda c, v, p: c.get_obs_list(minute=v)),
    Case('legacy get_obs_list', 'camera', BAD_CAMERA, lambda c, v, p: c.get_obs_list(camera=v)),
    Case('legacy get_obs_list', 'filtertype', BAD_SEARCH_FILTER,
         lambda c, v, p: c.get_obs_list(camera='COAST', filtertype=v)),
    Case('legacy submit_job_api', 'obj', BAD_TARGET, lambda c, v, p: c.submit_job_api(v),
         names=('target',)),
    Case('legacy submit_job_api', 'exposure', BAD_EXPOSURE.without(_not_a_valid_ms_exposure),
         lambda c, v, p: c.submit_job_api(TARGET, exposure=v)),
    Case('legacy submit_job_api', 'tele', BAD_TELESCOPE,
         lambda c, v, p: c.submit_job_api(TARGET, tele=v), names=('telescope',)),
    Case('legacy submit_job_api', 'filt', BAD_FILTER,
         lambda c, v, p: c.submit_job_api(TARGET, filt=v), names=('filter',)),
    Case('legacy submit_RADEC_job', 'obj', BAD_TARGET, lambda c, v, p: c.submit_RADEC_job(v),
         names=('target',)),
    Case('legacy submit_variable_star', 'name', BAD_NAME,
         lambda c, v, p: c.submit_variable_star(v)),
    Case('legacy submit_variable_star', 'expos', BAD_EXPOSURE.without(_not_a_valid_s_exposure),
         lambda c, v, p: c.submit_variable_star('SS Cyg', expos=v), names=('exposure',)),
    Case('legacy download_obs', 'obs', BAD_ID, lambda c, v, p: c.download_obs(v, directory=p)),
    Case('legacy download_obs', 'directory', BAD_PATH,
         lambda c, v, p: c.download_obs(1, directory=v)),
    Case('legacy download_obs', 'cube', NOT_A_FLAG,
         lambda c, v, p: c.download_obs(1, directory=p, cube=v)),
    Case('legacy get_obs', 'obs', BAD_ID, lambda c, v, p: c.get_obs(v)),
    Case('legacy get_obs_processed', 'obs', BAD_ID, lambda c, v, p: c.get_obs_processed(v)),
]


def _names_parameter(message: str, case: Case) -> bool:
    """Whether an error message names the parameter (as a word, or a legacy spelling's)."""
    for name in (case.parameter, *case.names):
        if len(name) <= 2:          # 't', 'dt': must open the message
            if re.match(rf'{re.escape(name)}\b', message):
                return True
        elif re.search(rf'(?<![\w-]){re.escape(name)}(?![\w-])', message):
            return True
    return False


@pytest.fixture
def logged_in(login_as, simulator):
    """The original library's class: it has every call of the tables, new and legacy."""
    return login_as('demo', legacy=True)


@pytest.mark.parametrize('case', CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_before_anything_is_sent(case, logged_in, simulator, tmp_path):
    """Every bad value raises ValueError/TypeError naming the parameter, and
    the simulator saw no HTTP call at all."""
    client = logged_in if case.logged_in else Telescope()    # the legacy class: every call
    client.cache_location = tmp_path / 'cache'

    def check(value):
        simulator.counters.reset()
        with pytest.raises((ValueError, TypeError)) as caught:
            case.call(client, value, tmp_path / 'files')
        message = str(caught.value)
        assert _names_parameter(message, case), \
            f'{type(caught.value).__name__} does not name {case.parameter!r}: {message[:300]}'
        assert simulator.counters.total() == 0, \
            f'{simulator.counters.total()} HTTP call(s) made for a bad {case.parameter}'

    for value in case.values.edges:
        try:
            check(value)
        except BaseException as exc:
            raise AssertionError(f'{case.id} with {_short(value)}: {exc}') from exc
    if case.values.more is not None:
        EXAMPLES(given(value=case.values.more)(check))()


def _short(value) -> str:
    text = repr(value)
    return text if len(text) < 80 else text[:77] + '...'



@EXAMPLES
@given(name=st.one_of(st.sampled_from(['Nope', '-3', '\u00b2', 'x' * 100_000, '99999']),
                      UNICODE_TEXT, st.integers(min_value=5, max_value=2 ** 62)))
def test_unknown_folder_asks_only_for_the_folders(logged_in, simulator, name):
    """A folder the site may know by that name or id costs one call for the
    folder list, never a listing; it is refused with ValueError naming 'folder'."""
    if isinstance(name, str) and name.strip().lower() in {
            'inbox', 'favourites', 'archive', 'trash', '1', '2', '3', '4'}:
        return
    simulator.counters.reset()
    known = {f['name'] for f in logged_in.get_user_folders()}
    if name in known or str(name) in known:
        return
    simulator.counters.reset()
    with pytest.raises(ValueError, match='folder'):
        logged_in.get_requests(name)
    assert simulator.counters['api-user.php/request-manager/0-get-my-folders'] == 1
    assert simulator.counters.total() == 1


@EXAMPLES
@given(targets=st.lists(BAD_TARGET.without(lambda v: isinstance(v, (str, SkyCoord)))
                        .strategy | st.sampled_from(BAD_TARGET.edges[:21]),
                        min_size=1, max_size=4))
def test_submit_missing_with_only_bad_targets_sends_nothing(logged_in, simulator, targets):
    """submit_missing reports a bad target in its row ('failed', naming the
    target) rather than raising, so that one bad row never stops a batch; a
    batch of nothing but bad rows must not reach the site at all."""
    simulator.counters.reset()
    table = logged_in.submit_missing(targets)
    assert list(table['action']) == ['failed'] * len(targets)
    assert all('target' in message for message in table['message'])
    assert simulator.counters.total() == 0
