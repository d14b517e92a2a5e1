"""Pure: what a download does with each answer of the server.

No I/O: the functions take what was received so far (`Received`) and what
the server said (status, headers), and decide. `next_request` says how to
ask; `on_answer` whether to take the body from the first byte (`Accept`),
go on from where the last one stopped (`Resume`), drop what was kept and
take the whole product again (`Restart`), ask again (`AskAgain`), or give up
(`Refuse`, with the reason); `after_body` whether the product is complete;
`length_problem` whether its length is the one announced.
`telescope_query.images.transfer` carries the decisions out. Why: docs/internals.rst,
Images.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping, Union

__all__ = ['Received', 'Accept', 'Resume', 'Restart', 'AskAgain', 'Refuse', 'Complete',
           'Decision', 'next_request', 'on_answer', 'after_body', 'stall',
           'length_problem', 'MAX_STALLS', 'UNANNOUNCED_LIMIT']

#: Connections of one download in a row that may end without bringing it further
#: before it is given up.
MAX_STALLS = 3
#: The most bytes a product may have when the image engine announces no size
#: (processed products [seen]): 1 GiB, some 35 times the largest product the
#: site makes (a processed cube of 1536 x 1536 x 3 float32 pixels, 28 MB).
UNANNOUNCED_LIMIT = 1 << 30


@dataclass(frozen=True)
class Received:
    """What a download has so far: the state its decisions are made on."""

    offset: int = 0            # bytes kept, from the product's first byte
    ranges: bool = False       # the server offered byte ranges (Accept-Ranges: bytes)
    etag: str | None = None    # the product's ETag, sent back in If-Range
    total: int | None = None   # the product's full length, once an answer said it
    stalls: int = 0            # connections in a row that brought nothing new
    best: int = 0              # the most bytes kept after any connection


@dataclass(frozen=True)
class Accept:
    """Take the body: the product from its first byte."""

    received: Received


@dataclass(frozen=True)
class Resume:
    """Take the body: it goes on from ``received.offset``, the bytes kept so far."""

    received: Received


@dataclass(frozen=True)
class Restart:
    """The whole product again: drop the bytes kept, take the body from its first byte."""

    received: Received


@dataclass(frozen=True)
class AskAgain:
    """This connection brought nothing to keep: send the request again."""

    received: Received


@dataclass(frozen=True)
class Refuse:
    """Give up the download (`~telescope_query.exceptions.DownloadError`).

    ``quote_body``: the reason is an HTTP status, and the start of the
    answer's body says more.
    """

    reason: str
    quote_body: bool = False


@dataclass(frozen=True)
class Complete:
    """Every byte of the product is here."""


Decision = Union[Accept, Resume, Restart, AskAgain, Refuse, Complete]


def next_request(received: Received) -> tuple[dict[str, str], bool]:
    """The headers of the next request, and whether to drop the bytes kept first.

    Plain bytes always (``Accept-Encoding: identity``): lengths and ranges then
    count the file's own bytes. With bytes kept and ranges offered, a ``Range``
    from where they stop, guarded by ``If-Range`` with the ETag (the same file,
    or else the whole of it); without ranges, the download starts again.
    """
    headers = {'Accept-Encoding': 'identity'}
    if received.offset and received.ranges:
        headers['Range'] = f'bytes={received.offset}-'
        if received.etag:
            headers['If-Range'] = received.etag
        return headers, False
    return headers, received.offset > 0


def on_answer(received: Received, status: int, headers: Mapping[str, str],
              limit: int | None = None) -> Decision:
    """What to do with an answer, before its body is read.

    Parameters
    ----------
    received : `Received`
        The download so far (``offset``: the bytes kept when it was asked).
    status : int
        The answer's HTTP status.
    headers : mapping
        Its headers (any case): ``Content-Range``, ``Content-Length``,
        ``Accept-Ranges``, ``ETag``.
    limit : int, optional
        The size the image engine announced: an answer announcing more is
        refused. With none, an answer announcing more than `UNANNOUNCED_LIMIT`.

    Returns
    -------
    `Accept`, `Resume`, `Restart`, `AskAgain` or `Refuse`
        With the state that follows what the answer said.
    """
    said = {key.lower(): value for key, value in headers.items()}
    if status >= 500:
        return stall(received, f"the server answered HTTP {status}")
    if status not in (200, 206):
        return Refuse(f"the server answered HTTP {status}", quote_body=True)
    if status == 206 and content_range_start(said.get('content-range')) != received.offset:
        # Not the part asked for: start again, without ranges.
        return AskAgain(replace(received, ranges=False))
    offset = received.offset if status == 206 else 0
    total = total_length(status, said, offset) or received.total
    if limit is not None and total is not None and total > limit:
        return Refuse(f"the server announces {total} bytes (Content-Length), more than "
                      f"the {limit} the image engine announced; not downloaded")
    if limit is None and total is not None and total > UNANNOUNCED_LIMIT:
        return Refuse(f"the server announces {total} bytes (Content-Length), more than "
                      f"the {UNANNOUNCED_LIMIT} a product may have when the image engine "
                      f"announces no size; not downloaded")
    after = replace(received, offset=offset, total=total,
                    ranges=received.ranges or said.get('accept-ranges', '').lower() == 'bytes',
                    etag=said.get('etag') or received.etag)
    if status == 206:
        return Resume(after)
    return Restart(after) if received.offset else Accept(after)


def after_body(received: Received, cut: str | None) -> Complete | AskAgain | Refuse:
    """Whether the download is complete once a body has ended.

    ``received.offset`` is the bytes kept now; ``cut`` names what broke the
    body off (None: it ended normally). Complete when it ended normally with
    every byte announced. Else ask again: a connection that brought bytes is
    not held against the download; one that got no further is a stall.
    """
    if cut is None and (received.total is None or received.offset >= received.total):
        return Complete()
    if received.offset > received.best:
        return AskAgain(replace(received, best=received.offset, stalls=0))
    return stall(received, f"the connection broke ({cut or 'short body'})")


def stall(received: Received, reason: str) -> AskAgain | Refuse:
    """A connection that got no further (``reason``): ask again, or give up after
    `MAX_STALLS` of them in a row."""
    stalls = received.stalls + 1
    if stalls >= MAX_STALLS:
        return Refuse(f"{reason}; gave up after {stalls} tries ({received.offset} of "
                      f"{received.total or '?'} bytes received)")
    return AskAgain(replace(received, stalls=stalls))


def length_problem(written: int, total: int | None, announced: int | None) -> str | None:
    """What is wrong with the length of a complete download, or None.

    ``total``: the length the server announced; ``announced``: the image
    engine's size [seen]. When it gave none, ``Content-Length`` and the format
    check are what is left.
    """
    if total is not None and written != total:
        return f"received {written} bytes, the server announced {total} (Content-Length)"
    if announced is not None and written != announced:
        return f"received {written} bytes, the image engine announced {announced}"
    return None


def content_range_start(value: str | None) -> int | None:
    """The first byte of a ``Content-Range`` (``'bytes 1000-1999/2000'`` -> 1000)."""
    try:
        unit, _, rest = (value or '').partition(' ')
        return int(rest.split('-', 1)[0]) if unit.strip().lower() == 'bytes' else None
    except ValueError:
        return None


def total_length(status: int, headers: Mapping[str, str], offset: int) -> int | None:
    """The product's full length from one answer (headers in lower case), when it says.

    A 206 says it after the ``/`` of ``Content-Range``, or as ``Content-Length``
    plus the bytes it skips; a 200 as ``Content-Length``.
    """
    if status == 206:
        total = (headers.get('content-range') or '').rpartition('/')[2]
        if total.isdigit():
            return int(total)
    length = headers.get('content-length')
    if length is not None and length.isdigit():
        return int(length) + (offset if status == 206 else 0)
    return None
