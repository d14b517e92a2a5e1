"""The shapes of the records the parsers return: one `TypedDict` each.

A record is a plain dict of Python values (ids as ints, times as UTC
datetimes, None where the site gave nothing usable), so that it can be kept
as JSON in the record cache and turned into a Table by ``tables``.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

__all__ = ['FolderRecord', 'RequestRecord', 'RequestView', 'JobView', 'SearchRow',
           'SearchAnswer']


class FolderRecord(TypedDict):
    """A folder of ``0-get-my-folders`` (``user_api.folder_record``)."""

    folder_id: int
    name: str
    count: int | None           # None for an empty folder (the site sends null)
    created: datetime | None    # None for the four standard folders


class RequestRecord(TypedDict):
    """A request of the listing (``user_api.request_record``): its recorded keys only."""

    rid: int | None
    object_name: str
    status: int | None
    status_text: str
    requested: datetime | None
    object_type: str | None
    object_id: str | None
    comment: str | None
    seen: bool | None
    row: int | None


class RequestView(TypedDict):
    """A request's view (``pages.parse_request_view``)."""

    rid: int
    jid: int | None
    object_type: str | None
    object_id: str | None
    object_name: str | None
    telescope_type: str | None
    telescope: str | None
    filter: str | None
    dark_frame: bool | None
    exposure_ms: int | None
    exposure_text: str | None
    requested: datetime | None
    requested_words: list[str] | None
    completed: datetime | None
    completion_words: list[str] | None
    status_text: str | None
    status: int | None
    flat_id: int | None
    info: dict[str, Any] | None
    completion_check: str      # '' as parsed; see pages.check_completion
    comment: str | None        # [assumed] row; records cached before it lack the key


class JobView(TypedDict):
    """A job's view (``pages.parse_job_view``)."""

    jid: int
    rids: list[int]
    rid_text: str
    object_type: str | None
    object_id: str | None
    telescope_type: str | None
    telescope: str | None
    filter: str | None
    exposure_ms: int | None
    exposure_text: str | None
    completed: datetime | None
    completion_words: list[str] | None
    status: str | None
    success: bool
    flat_id: int | None
    completion_check: str


class SearchRow(TypedDict):
    """One job of the job search's answer (``pages.parse_job_search``): its id and
    what its row shows under a known heading (None where it shows nothing)."""

    jid: int
    object_name: str | None
    telescope: str | None       # as `pages.telescope_of_view` reads a name: None for 'Galaxy'
    filter: str | None
    exposure_ms: int | None
    completed: datetime | None
    user: str | None
    comment: str | None


class SearchAnswer(TypedDict):
    """The job search's answer (``pages.parse_job_search``)."""

    jids: list[int]
    parameters: list[str]
    rows: list[SearchRow]       # one per jid, in the same order
    columns: list[str]          # the SearchRow keys the page's headings give
    more: bool                  # the page lists more jobs than were read (the limit)
    cut: bool                   # the page is longer than was read (the size bound)
