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
    """One search: the jobs the page links to, and the parameters it echoes."""
    html = client._page(pages.JOB_SEARCH_PATH, data=pages.job_search_form(
        start, end, telescope_id=telescope_id, filter_name=filter_name))
    found = pages.parse_job_search(html)
    if not found['jids'] and 'jid=' in html:
        log.warning("The job search page links to jobs, but none is the first link of "
                    "its row, where this client reads them (docs/protocol.rst, "
                    "search-rows): no job is taken from it.")
    if len(found['jids']) >= pages.RESULTS_PER_PAGE:
        log.warning(f"The job search shows {len(found['jids'])} jobs, the most it shows "
                    f"at once ({pages.RESULTS_PER_PAGE}): narrow the time window.")
    return found


def by_telescope(client: Client, start: datetime, end: datetime, telescope_id: int,
                 filter_name: str | None) -> SearchAnswer:
    """The search for one of today's telescopes, not trusting the site's selector.

    Whether the selector (``searchtelescope=6``) finds the jobs of today's
    telescopes, whose views say ``Galaxy``, is not known [assumed]. When it
    finds nothing although the same window holds jobs, those are kept whose
    views show today's telescope type: COAST and PIRATE cannot be told apart
    there, so both are kept, with a warning.
    """
    found = job_search(client, start, end, telescope_id, filter_name)
    if found['jids']:
        return found
    wider = job_search(client, start, end, None, filter_name)
    if not wider['jids']:
        return found
    name = site.TELESCOPE_NAMES[telescope_id]
    kept = [view['jid'] for view in views.views(client, views.JOB, wider['jids'])
            if (view['telescope'] or '').upper() == name
            or (view['telescope'] is None and (view['telescope_type'] or '').lower()
                == site.TODAYS_TELESCOPE_TYPE.lower())]
    log.warning(f"The site's telescope selector found no {name} jobs in this window, "
                f"but {len(wider['jids'])} jobs of all telescopes completed in it. "
                f"Their views cannot tell COAST from PIRATE: the {len(kept)} jobs of "
                f"either are shown.")
    return {'jids': kept, 'parameters': wider['parameters']}


def search_jobs(client: Client, start: datetime, end: datetime, telescope_id: int | None,
                filter_name: str | None) -> SearchAnswer:
    """The search of `~telescope_query.TelescopeClass.query_jobs`."""
    if telescope_id is not None and site.TELESCOPE_NAMES[telescope_id] in site.IN_SERVICE:
        return by_telescope(client, start, end, telescope_id, filter_name)
    return job_search(client, start, end, telescope_id, filter_name)
