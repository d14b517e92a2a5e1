"""The original library's listings: requests, folders, jobs, the job search.

Thin wrappers over the Table API of `~telescope_query.core.TelescopeClass`,
returning the original shapes (lists of dicts with the site's keys and string
values, the dicts of ``get_job`` and ``get_request``).
"""
from __future__ import annotations

from typing import Any

from ..protocol.user_api import STATUS_TEXTS, TELESCOPE_IDS

__all__ = ['ListingsLegacy']


class ListingsLegacy:
    """Listing methods of the original ``Telescope`` class."""

    #: Text of each request status code, indexable by ``int(status)``.
    REQUESTSTATUS_TEXTS: dict[int, str] = dict(STATUS_TEXTS)
    #: Camera (telescope) name -> telescope id, as the job search and requests use.
    cameratypes: dict[str, int] = dict(TELESCOPE_IDS)


def _do_api_call(self, module: str, request: str, params: dict | None = None) -> dict[str, Any]:
    """Call the JSON user API and return its raw answer, failures included.

    The original's ``scope.__do_api_call(module, request, params)``: a name
    with two leading underscores used from outside a class is not mangled, so
    it is attached with ``setattr`` after the class body (inside the body it
    would become ``_ListingsLegacy__do_api_call``).
    """
    return self._api_call(module, request, params or None, allow_failure=True)


setattr(ListingsLegacy, '__do_api_call', _do_api_call)
