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


def paginate(
    session: Session, statement: Select, page: Page = ALL, *, rows: bool = False
) -> tuple[list, int]:
    """The page's objects (or ``rows``) and the total, in two queries whatever the length."""
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    if page.limit == 0 or (total or 0) <= page.start:
        return [], total or 0
    statement = statement.offset(page.start) if page.start else statement
    if page.limit is not None:
        statement = statement.limit(page.limit)
    if rows:
        return list(session.execute(statement)), total or 0
    return list(session.scalars(statement).unique()), total or 0
