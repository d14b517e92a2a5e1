"""Exceptions raised by telescope_query.

They build on astroquery's exceptions so that code written for other
astroquery modules catches them too.
"""
from astroquery.exceptions import LoginError, RemoteServiceError

__all__ = ['LoginError', 'RemoteServiceError', 'NoSuchRequestError',
           'NoSuchJobError', 'ProductNotReadyError', 'SubmissionError',
           'QueueFullError', 'DownloadError']


class HTTPStatusError(RemoteServiceError):
    """The server answered a call with an HTTP error status, ``status_code``."""

    def __init__(self, message: str, status_code: int):
        super().__init__(message)
        self.status_code = status_code


class NoSuchRequestError(LookupError):
    """The account has no request with this id (the view came back empty)."""


class NoSuchJobError(LookupError):
    """There is no job with this id (the view came back empty)."""


class ProductNotReadyError(TimeoutError):
    """The image engine did not make a product ready within ``conf.max_poll_time``."""


class SubmissionError(RemoteServiceError):
    """The server refused or failed a submission; ``status`` holds its word."""

    def __init__(self, message: str, status: str | None = None):
        super().__init__(message)
        self.status = status


class QueueFullError(SubmissionError):
    """The account's queue is full: the site takes no more requests until some
    are observed (``conf.queue_limit``; 10 for a standard account [seen])."""


class DownloadError(RemoteServiceError):
    """A product could not be downloaded and verified; nothing was left behind."""


class PlateSolveError(RemoteServiceError):
    """A frame could not be plate-solved: no astrometry.net key, no network, or no
    solution (`~telescope_query.TelescopeClass.solve_wcs`)."""


__all__ += ['PlateSolveError', 'HTTPStatusError']
