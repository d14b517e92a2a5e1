# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
telescope.org
-------------

Astroquery-style access to telescope.org, the Open University's robotic
telescopes COAST and PIRATE at the Observatorio del Teide: log in, list
observation requests and jobs, download their FITS images, and submit new
observations.

Configuration is read at call time from ``conf`` (astropy configuration
system: the file ``telescope_query.cfg`` in ``astropy.config.get_config_dir()``).
The environment variable ``TELESCOPE_QUERY_SERVER`` overrides ``conf.server``.
"""
from astropy import config as _config

__version__ = "0.1.0"


class Conf(_config.ConfigNamespace):
    """Configuration parameters for `telescope_query`."""

    server = _config.ConfigItem(
        'https://www.telescope.org/',
        'Base URL of telescope.org (or of a simulator). The environment '
        'variable TELESCOPE_QUERY_SERVER overrides it.')
    timeout = _config.ConfigItem(
        60.0, 'Time limit in seconds for each read of an answer from the server '
        '(fractions allowed).')
    max_call_time = _config.ConfigItem(
        300.0, 'Time limit in seconds for one HTTP call in all, retries included: '
        'a server that sends its answer a byte at a time is cut off after it. '
        'A download is bounded until its headers arrive.')
    username = _config.ConfigItem(
        '', 'Default telescope.org user name for login().')
    poll_interval = _config.ConfigItem(
        2.0, 'Longest wait in seconds between two polls of the image engine '
        '(polling starts faster and backs off up to this).')
    max_poll_time = _config.ConfigItem(
        600.0, 'Give up waiting for an image-engine product after this many seconds.')
    max_workers = _config.ConfigItem(
        8, 'Largest number of concurrent HTTP calls in batch operations.')
    retries = _config.ConfigItem(
        4, 'How many times an idempotent read is retried on connection '
        'errors and HTTP 5xx answers (with exponential backoff).')
    backoff_factor = _config.ConfigItem(
        0.5, 'Backoff factor in seconds for retried reads.')
    max_retry_after = _config.ConfigItem(
        30.0, 'Longest wait in seconds a Retry-After header of the server is honoured '
        'with before a retried read (a longer one is cut to this).')
    pirate_max_exposure = _config.ConfigItem(
        180.0, 'Longest exposure in seconds PIRATE takes. COAST takes 180 s at most; '
        "PIRATE's limit is not known, assumed the same until known.")
    submit_recheck_wait = _config.ConfigItem(
        5.0, 'When the final call of a submission got no clear answer and the server '
        'may still be saving the request (a timeout, HTTP 502/503/504, an answer '
        'that stalled), seconds to wait before looking in the queue again; each '
        'later wait is twice as long.')
    submit_rechecks = _config.ConfigItem(
        3, 'How many more times the queue is looked at in that case (at most 10) '
        "before the outcome is reported as unknown (SubmissionError 'AMBIGUOUS'); "
        'the request is never sent again.')
    queue_limit = _config.ConfigItem(
        10, 'Requests your account may have waiting in the queue: 10 for a standard '
        'account, 40 for a professional one (the site refuses more).')
    cache_limit = _config.ConfigItem(
        10.0, 'Largest size of the product cache of one server and account, in GB '
        '(10**9 bytes): beyond it, the products used least recently are removed. '
        '0 for no limit.')

    # --- The observer's loop: observability, cadence, waiting, the mirror ---
    observable_min_altitude = _config.ConfigItem(
        30.0, 'Degrees: a target is observable only above this altitude '
        '(observability, and the look-ahead of submit and submit_missing).')
    observable_moon_separation = _config.ConfigItem(
        30.0, 'Degrees: a target is observable only this far from the Moon.')
    observable_days = _config.ConfigItem(
        14.0, 'Days ahead that submit and submit_missing look for an observable night; '
        'a target without one warns (NotObservableWarning).')


conf = Conf()

from .exceptions import (LoginError, RemoteServiceError,  # noqa: E402
                         NoSuchRequestError, NoSuchJobError,
                         ProductNotReadyError, SubmissionError, QueueFullError,
                         DownloadError)
from .exceptions import HTTPStatusError, PlateSolveError  # noqa: E402
from .submit.target import LowAltitudeWarning  # noqa: E402
from .observe.observability import NotObservableWarning  # noqa: E402
from .core import Telescope, TelescopeClass  # noqa: E402

__all__ = ['Telescope', 'TelescopeClass', 'Conf', 'conf', '__version__',
           'LoginError', 'RemoteServiceError', 'NoSuchRequestError',
           'NoSuchJobError', 'ProductNotReadyError', 'SubmissionError',
           'QueueFullError', 'DownloadError', 'LowAltitudeWarning']
__all__ += ['PlateSolveError', 'NotObservableWarning', 'HTTPStatusError']
