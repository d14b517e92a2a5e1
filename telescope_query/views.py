"""Request and job views, asked through a `~telescope_query.contract.Client` and cached.

A view is one page per request or job (``v4request-view.php``, PROTOCOL.md
section 3), read by `telescope_query.protocol.pages`. What may be kept:

- a view that can no longer change (a complete request with its job, a request
  that ended without images, a job with its completion time) is kept in the
  record cache of the server and account, and never asked again;
- any other request view is kept too, but used again only when the listing
  shows the request's status unchanged: what a request view shows changes only
  with its status [assumed].

Many views are fetched in the bounded thread pool (``conf.max_workers``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from astroquery import log

from . import conf
from .contract import Client
from .exceptions import NoSuchJobError, NoSuchRequestError
from .protocol import pages, site
from .protocol.shapes import JobView, RequestRecord, RequestView
from .utils import run_batch

__all__ = ['Page', 'REQUEST', 'JOB', 'view', 'views', 'listed_views', 'request_view',
           'job_view', 'PROGRESS_FROM']

#: Batches of more views than this show a progress bar.
PROGRESS_FROM = 20


@dataclass(frozen=True)
class Page:
    """What differs between the views of requests and of jobs (one code serves both)."""

    id_name: str                                # 'rid' or 'jid': the page's parameter
    what: str                                   # 'request' or 'job'
    parse: Callable[[str, int], Any]            # a protocol.pages parser: None, no such id
    missing: type[LookupError]                  # raised for a view without values
    where: Callable[[Client], str]              # where the id was looked for, for messages
    unchanging: Callable[[Mapping[str, Any]], bool]   # can no longer change: cache it


REQUEST = Page(
    'rid', 'request', pages.parse_request_view, NoSuchRequestError,
    where=lambda client: f"in the account of {client.user!r} on {client.server_url}",
    # A complete request with its job, or one that ended without images.
    unchanging=lambda record: record['status'] in site.FINAL_STATUSES and (
        record['status'] != site.STATUS_COMPLETE or record['jid'] is not None))
JOB = Page(
    'jid', 'job', pages.parse_job_view, NoSuchJobError,
    where=lambda client: f"on {client.server_url} that {client.user!r} may see",
    unchanging=lambda record: record['completed'] is not None)


def view(client: Client, page: Page, number: int, listed_status: int | None = None, *,
         fresh: bool = False) -> Any:
    """One view as a record, from the record cache when it cannot have changed.

    ``fresh``: asked of the server whatever the cache holds; the answer then
    replaces the cached record (it is kept as any answer is), so the cache
    never serves an older view than the last one read.

    Raises ``page.missing`` (`NoSuchRequestError`, `NoSuchJobError`) when the
    page shows no values.
    """
    key = (f'{page.what}-view', int(number))
    records = client._records       # chosen before the call: an answer on this account
    cached = None if fresh else records.get(key)
    if isinstance(cached, dict) and (page.unchanging(cached) or (
            listed_status is not None and cached.get('status') == listed_status)):
        return cached
    html = client._page(pages.VIEW_PATH, params={page.id_name: number})
    record = page.parse(html, number)
    if record is None:
        raise page.missing(_no_such(client, page, [number]))
    if page.unchanging(record) or page is REQUEST:
        records.put(key, record)
    return record


def _results(client: Client, page: Page, ids: Sequence[int],
             listed: Mapping[int, int | None] | None = None, fresh: bool = False
             ) -> list[Any]:
    """Each id's view, or the exception it raised, in order."""
    listed = listed or {}
    return run_batch(lambda number: view(client, page, number, listed.get(number),
                                         fresh=fresh), ids,
                     max_workers=int(conf.max_workers),
                     show_progress=len(ids) > PROGRESS_FROM,
                     description=f'{page.what} views', unit='view')


def views(client: Client, page: Page, ids: Sequence[int], *, fresh: bool = False
          ) -> list[Any]:
    """The views of ``ids`` in order (``fresh``: see `view`); every missing id is
    named in one error."""
    results = _results(client, page, ids, fresh=fresh)
    missing = [i for i, r in zip(ids, results) if isinstance(r, page.missing)]
    if len(missing) == 1:
        raise results[list(ids).index(missing[0])]
    if missing:
        raise page.missing(_no_such(client, page, missing))
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def _no_such(client: Client, page: Page, numbers: Sequence[int]) -> str:
    """``No request R1 in the account of 'demo' on http://...``; several named at
    once (the first 20)."""
    letter = page.id_name[0].upper()
    named = ', '.join(f'{letter}{n}' for n in numbers[:20]) + (
        f' and {len(numbers) - 20} more' if len(numbers) > 20 else '')
    what = page.what if len(numbers) == 1 else f'{page.what}s'
    return f"No {what} {named} {page.where(client)}."


def listed_views(client: Client, records: Sequence[RequestRecord], *, fresh: bool = False
                 ) -> list[RequestView | None]:
    """The view of each request of a listing (a cached one reused while the listing
    shows its status unchanged, unless ``fresh``: see `view`); None, with a
    warning, where the site shows no values although it listed the request."""
    ids = [int(r['rid'] or 0) for r in records]
    results = _results(client, REQUEST, ids, {int(r['rid'] or 0): r['status'] for r in records},
                       fresh)
    missing = [i for i, r in zip(ids, results) if isinstance(r, NoSuchRequestError)]
    if missing:
        log.warning(f"{client.server_url} shows no details of {len(missing)} of the "
                    f"requests it lists, so their detail columns are masked: "
                    f"{', '.join(f'R{i}' for i in missing[:10])}"
                    + (' ...' if len(missing) > 10 else ''))
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, NoSuchRequestError):
            raise result
    return [None if isinstance(r, BaseException) else r for r in results]


def request_view(client: Client, rid: int, *, fresh: bool = False) -> RequestView:
    """A request's view; a complete request's from the cache (unless ``fresh``)."""
    record: RequestView = view(client, REQUEST, rid, fresh=fresh)
    return record


def job_view(client: Client, jid: int, *, fresh: bool = False) -> JobView:
    """A job's view; from the cache once it shows its completion time (unless ``fresh``)."""
    record: JobView = view(client, JOB, jid, fresh=fresh)
    return record
