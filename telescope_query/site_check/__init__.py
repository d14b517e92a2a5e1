"""``check_site``: does the live site still speak as the client expects?

Read-only: a handful of calls (folders, one listing page, one request view and
one job view, one job search, one image-engine create and its polls, a call
without a session, and a download only when asked), each answer kept as an
*exchange*. Then each protocol fact the client relies on is checked against
them: it holds, it differs (with what was seen), or it could not be checked.

``facts``
    pure: the facts and their checks over exchanges.
``capture``
    pure: exchanges redacted for a file (no cookie, password, user name or
    e-mail address; other users' names masked), written and read as JSON.
``run``
    the calls, through the logged-in client, recorded as exchanges.
"""
from .capture import load_capture, redact, save_capture
from .facts import FACTS, Fact, evaluate, report_table
from .run import check_site

__all__ = ['check_site', 'FACTS', 'Fact', 'evaluate', 'report_table', 'redact',
           'save_capture', 'load_capture']
