"""HTML read in one pass, in time linear in the page, for pages a server could make hostile.

BeautifulSoup over Python's ``html.parser`` builds a tree first, and some pages
make that slow beyond any use: rows nested in rows (every row's search for its
first link walks all the rows inside it), thousands of unclosed comments or
attribute quotes (the parser's end-of-file pass, ``close()``, scans the rest
of the page again for each). Measured with the earlier job-search parser on
Python 3.11.7: four times the page took 14 to 18 times as long, 170 s for
400 kB of unclosed quotes.

`Scanner` reads a page with `html.parser.HTMLParser` (the standard library's
tokenizer) but builds no tree: a subclass handles each tag and text as it
comes, keeps only what it needs, and may `stop` once it has it. The page is fed
once and ``close()`` is never called, so an unfinished construct (a comment or
tag never closed) ends the reading where it starts instead of being scanned
again and again; nothing a well-formed page holds is lost. At most
``max_chars`` characters are read. The work is one pass: ``events`` counts the
handler calls, which the tests compare between pages of N and 4N rows.
"""
from __future__ import annotations

from html.parser import HTMLParser

__all__ = ['Scanner', 'Stop', 'VOID_TAGS']

#: Elements that never have an end tag (HTML's void elements).
VOID_TAGS = frozenset({'area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link',
                       'meta', 'param', 'source', 'track', 'wbr'})


class Stop(Exception):
    """Raised by a handler (through `Scanner.stop`) once it has what it needs."""


class Scanner(HTMLParser):
    """A single pass over a page: subclasses override ``start``, ``end`` and ``text``.

    ``start(tag, attrs)`` gets the lower-case tag name and a dict of its
    attributes, ``end(tag)`` the end tag's name, ``text(data)`` the text
    between tags (character references decoded).
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events = 0         # handler calls: the work done, for the tests

    def scan(self, html: str, max_chars: int) -> bool:
        """Read ``html`` (its first ``max_chars`` characters). Returns whether the
        page was longer than that (the rest is not read)."""
        try:
            self.feed(html[:max_chars])     # once: see the module's documentation
        except Stop:
            pass
        return len(html) > max_chars

    def stop(self) -> None:
        """End the reading here."""
        raise Stop

    # -- html.parser's handlers -----------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events += 1
        self.start(tag, {name: value or '' for name, value in attrs})

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        self.events += 1
        self.end(tag)

    def handle_data(self, data: str) -> None:
        self.events += 1
        self.text(data)

    # -- what subclasses override ----------------------------------------------------------
    def start(self, tag: str, attrs: dict[str, str]) -> None:
        """A start tag."""

    def end(self, tag: str) -> None:
        """An end tag."""

    def text(self, data: str) -> None:
        """Text between tags."""
