"""The public job search (``v3job-search-query.php``), asked through a `Client`.

One page per search (PROTOCOL.md section 3), read by
`telescope_query.protocol.pages.parse_job_search`. The site's telescope
selector is in doubt for today's telescopes: `search_jobs` does not trust it
alone (see `by_telescope`).
"""
from __future__ import annotations

from datetime import datetime

from astroquery import log

from . import views
from .contract import Client
from .protocol import pages, site
from .protocol.shapes import SearchAnswer

__all__ = ['search_jobs', 'job_search', 'by_telescope']


def job_search(client: Client, start: datetime, end: datetime, telescope_id: int | None,
               filter_name: str | None) -> SearchAnswer:
    """One search: the jobs the page links to, their rows, and the parameters it echoes.

    The page is read up to the `~telescope_query.protocol.pages.RESULTS_PER_PAGE`
    jobs asked for and `~telescope_query.protocol.pages.MAX_PAGE_CHARS`
    characters; a warning says when it holds more.
    """
    html = client._page(pages.JOB_SEARCH_PATH, data=pages.job_search_form(
        start, end, telescope_id=telescope_id, filter_name=filter_name))
    found = pages.parse_job_search(html)
    count, most = len(found['jids']), pages.RESULTS_PER_PAGE
    if not found['jids'] and 'jid=' in html:
        log.warning(f"The answer of {client.server_url} to the job search links to jobs, "
                    f"but none is the first link of its row, where telescope.org puts "
                    f"them (the fact search-rows of docs/protocol.rst): no job is taken "
                    f"from it.")
    if found['cut']:
        log.warning(f"The answer of {client.server_url} to the job search is longer than "
                    f"the {pages.MAX_PAGE_CHARS // 2**20} MiB a page of {most} jobs needs: "
                    f"only its first {pages.MAX_PAGE_CHARS // 2**20} MiB were read "
                    f"({count} jobs). Narrow the time window.")
    elif found['more']:
        log.warning(f"The answer of {client.server_url} to the job search lists more jobs "
                    f"than the {most} asked for: only the first {most} are read. Narrow "
                    f"the time window.")
    elif count >= most:
        log.warning(f"The job search of {client.server_url} shows {count} jobs, the most "
                    f"it shows at once: narrow the time window.")
    return found


def by_telescope(client: Client, start: datetime, end: datetime, telescope_id: int,
                 filter_name: str | None) -> SearchAnswer:
    """The search for one of today's telescopes, not trusting the site's selector.

    Whether the selector (``searchtelescope=6``) finds the jobs of today's
    telescopes, whose views say ``Galaxy``, is not known [assumed]. When it
    finds nothing although the same window holds jobs, those are kept whose
    rows name the telescope ([assumed]: a rows' telescope column), or, where
    the row does not say, whose views show today's telescope type: COAST and
    PIRATE cannot be told apart there, so both are kept, with a warning.
    """
    found = job_search(client, start, end, telescope_id, filter_name)
    if found['jids']:
        return found
    wider = job_search(client, start, end, None, filter_name)
    if not wider['jids']:
        return found
    name = site.TELESCOPE_NAMES[telescope_id]
    unnamed = [row['jid'] for row in wider['rows'] if row['telescope'] is None]
    either = {view['jid'] for view in (views.views(client, views.JOB, unnamed) if unnamed else [])
              if (view['telescope'] or '').upper() == name
              or (view['telescope'] is None and (view['telescope_type'] or '').lower()
                  == site.TODAYS_TELESCOPE_TYPE.lower())}
    rows = [row for row in wider['rows']
            if (row['telescope'] or '').upper() == name or row['jid'] in either]
    if either:
        log.warning(f"The telescope selector of {client.server_url} found no {name} jobs "
                    f"in this window, but {len(wider['jids'])} jobs of all telescopes "
                    f"completed in it. For {len(either)} of them neither the search nor "
                    f"their views tell COAST from PIRATE: they are shown as jobs of either.")
    return {**wider, 'jids': [row['jid'] for row in rows], 'rows': rows}


def search_jobs(client: Client, start: datetime, end: datetime, telescope_id: int | None,
                filter_name: str | None) -> SearchAnswer:
    """The search of `~telescope_query.TelescopeClass.query_jobs`."""
    if telescope_id is not None and site.TELESCOPE_NAMES[telescope_id] in site.IN_SERVICE:
        return by_telescope(client, start, end, telescope_id, filter_name)
    return job_search(client, start, end, telescope_id, filter_name)
