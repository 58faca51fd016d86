"""Query helpers shared by the reads: pagination and counting in SQL."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Page:
    """Which slice of a list to return: ``limit`` items from offset ``start``."""

    start: int = 0
    limit: int | None = None


ALL = Page()


def page_of(session: Session, statement: Select, order: tuple, page: Page, total: int) -> list:
    """The page's objects of ``statement`` in ``order`` when the total is known.

    Read off an index in ``order``, a page costs what its distance from the
    nearer end of the list costs: a page past the middle is read backwards,
    so the last page is as cheap as the first.
    """
    if page.limit == 0 or total <= page.start:
        return []
    end = total if page.limit is None else min(total, page.start + page.limit)
    from_end = total - end
    if from_end < page.start:
        backwards = statement.order_by(*(column.desc() for column in order))
        backwards = backwards.offset(from_end) if from_end else backwards
        found = list(session.scalars(backwards.limit(end - page.start)).unique())
        found.reverse()
        return found
    forwards = statement.order_by(*order)
    forwards = forwards.offset(page.start) if page.start else forwards
    if page.limit is not None:
        forwards = forwards.limit(page.limit)
    return list(session.scalars(forwards).unique())


def paginate(
    session: Session, statement: Select, page: Page = ALL, *, rows: bool = False
) -> tuple[list, int]:
    """The page's objects (or ``rows``) and the total.

    The total is counted only when the page does not tell it: a whole list,
    or a page that ends before ``limit``, ends the list.
    """
    found: list = []
    if page.limit != 0:
        paged = statement.offset(page.start) if page.start else statement
        if page.limit is not None:
            paged = paged.limit(page.limit)
        found = list(session.execute(paged)) if rows else list(session.scalars(paged).unique())
        ended = page.limit is None or len(found) < page.limit
        if ended and (found or page.start == 0):
            return found, page.start + len(found)
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    return found, total or 0
