"""Query helpers shared by the reads: pagination and counting in SQL."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from mockarray.prepared import Prepared


@dataclass(frozen=True)
class Page:
    """Which slice of a list to return: ``limit`` items from offset ``start``."""

    start: int = 0
    limit: int | None = None


ALL = Page()


@dataclass(frozen=True)
class Window:
    """Where a page lies in a list of known length: ``count`` items after
    skipping ``skip``, counted from the end when ``backwards``."""

    skip: int
    count: int
    backwards: bool


def window(page: Page, total: int) -> Window | None:
    """How to read ``page`` of a list of ``total`` items off an index in the
    list's order (``None``: the page is empty).

    A page costs what its distance from the nearer end of the list costs: a
    page past the middle is read backwards, so the last page is as cheap as
    the first.
    """
    if page.limit == 0 or total <= page.start:
        return None
    end = total if page.limit is None else min(total, page.start + page.limit)
    from_end = total - end
    if from_end < page.start:
        return Window(from_end, end - page.start, backwards=True)
    return Window(page.start, end - page.start, backwards=False)


def page_of(statement: Select, page: Page) -> Select:
    """``statement`` limited to ``page`` (what ``paginate`` reads of it)."""
    paged = statement.offset(page.start) if page.start else statement
    return paged.limit(page.limit) if page.limit is not None else paged


#: A page's ``LIMIT`` when it has none but starts further on (SQLite needs one with
#: ``OFFSET``, and PostgreSQL has no number that means "all").
_NO_LIMIT = 2**62


class PreparedList:
    """A list's ``statement``, prepared (``mockarray.prepared``) whole and by the
    page, for ``paginate``: the list's items are read-only rows of its columns."""

    def __init__(self, statement: Select) -> None:
        self.statement = statement
        self.whole = Prepared(statement)
        self.paged = Prepared(
            statement.limit(bindparam("page_limit")).offset(bindparam("page_start"))
        )

    def rows(self, session: Session, page: Page, params: dict) -> list:
        if page.start == 0 and page.limit is None:
            return self.whole.rows(session.connection(), params)
        limit = _NO_LIMIT if page.limit is None else page.limit
        paging = {**params, "page_limit": limit, "page_start": page.start}
        return self.paged.rows(session.connection(), paging)


def paginate(
    session: Session,
    statement: Select | PreparedList,
    page: Page = ALL,
    *,
    rows: bool = False,
    params: dict | None = None,
) -> tuple[list, int]:
    """The page's objects (or ``rows``; a ``PreparedList``'s are always rows) of
    ``statement`` (with its bound ``params``) and the total.

    The total is counted only when the page does not tell it: a whole list,
    or a page that ends before ``limit``, ends the list.
    """
    found: list = []
    if page.limit != 0:
        if isinstance(statement, PreparedList):
            found = statement.rows(session, page, params or {})
        elif rows:
            found = list(session.execute(page_of(statement, page), params))
        else:
            found = list(session.scalars(page_of(statement, page), params).unique())
        ended = page.limit is None or len(found) < page.limit
        if ended and (found or page.start == 0):
            return found, page.start + len(found)
    if isinstance(statement, PreparedList):
        statement = statement.statement
    counting = select(func.count()).select_from(statement.order_by(None).subquery())
    total = session.scalar(counting, params)
    return found, total or 0
