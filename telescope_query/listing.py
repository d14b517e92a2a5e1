"""Folders and request listings, asked through a `~telescope_query.contract.Client`.

A thin layer of I/O: each function makes the calls of PROTOCOL.md section 2
(``request-manager``) and hands the answers to the pure parsers of
`telescope_query.protocol.user_api`. No Tables here (see ``tables``).
"""
from __future__ import annotations

import json
from typing import Any

from astroquery import log

from . import arguments
from .contract import Client
from .exceptions import RemoteServiceError
from .protocol import paging, user_api
from .protocol.shapes import FolderRecord, RequestRecord

__all__ = ['folders_raw', 'folders', 'resolve_folder', 'requests_raw', 'requests']


def folders_raw(client: Client) -> list[dict[str, Any]]:
    """The ``data`` of ``0-get-my-folders``: the site's folder dicts, as sent."""
    data = client._api_call('request-manager', '0-get-my-folders').get('data')
    if not isinstance(data, list) or not all(isinstance(f, dict) for f in data):
        raise RemoteServiceError(f"{client.server_url} answered the list of folders "
                                 f"(request-manager/0-get-my-folders) with no list of "
                                 f"folders: {user_api.quote_body(json.dumps(data))}")
    return data


def folders(client: Client) -> list[FolderRecord]:
    """The account's folders as records."""
    return user_api.parse_folders(folders_raw(client))


def resolve_folder(client: Client, folder: Any) -> tuple[int, str]:
    """A folder name or id -> ``(id, name)``; the standard folders need no call.

    Raises
    ------
    ValueError
        The account has no such folder (the message lists those it has).
    """
    folder_id, text = arguments.folder_argument(folder)
    if folder_id is not None:
        return folder_id, text
    known_folders = folders(client)
    record = arguments.match_folder(text, known_folders)
    if record is not None:
        return record['folder_id'], record['name']
    known = ', '.join(f"{r['name']!r} ({r['folder_id']})" for r in known_folders)
    raise ValueError(f"folder: {client.user!r} has no folder {folder!r} on "
                     f"{client.server_url}; the folders are {known}")


def requests_raw(client: Client, folder_id: int, sort: str) -> list[dict[str, Any]]:
    """Every request of a folder as the site sends them, in as few calls as possible.

    One big first page usually holds everything. ``totalRequests`` [seen] says
    whether more is left; a server that caps its pages (how it pages is partly
    [assumed]) is followed with ``startAfterRow`` as
    `~telescope_query.protocol.paging.ListingPager` decides. A listing that
    ends short of its total (the server sends no more, sends the same requests
    again, or never ends) is kept with a warning saying how many of how many.
    """
    pager = paging.ListingPager()
    while (call := pager.next_call()) is not None:
        limit, start_after = call
        answer = client._api_call('request-manager', '1-get-list-own',
                                  user_api.list_own_params(folder_id, sort, limit, start_after))
        pager.receive(*user_api.parse_request_list(answer.get('data')))
    if pager.shortfall is not None:
        log.warning(pager.shortfall.message(f"folder {folder_id} on {client.server_url}"))
    return pager.rows


def requests(client: Client, folder_id: int, sort: str) -> list[RequestRecord]:
    """Every request of a folder as records, in the order ``sort`` promises."""
    return user_api.in_listing_order(   # the rid/object direction is [assumed]
        [user_api.request_record(raw) for raw in requests_raw(client, folder_id, sort)], sort)
