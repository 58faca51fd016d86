"""Lists: ``limit`` and ``start`` (0-based offset), the total in ``X-Total-Count``."""

from __future__ import annotations

from collections.abc import Sequence

import marshmallow as ma

from mockarray.fields import WholeNumber
from mockarray.queries import Page

TOTAL_HEADER = "X-Total-Count"


class PageQuery(ma.Schema):
    """``limit`` and ``start`` (0-based offset); without them, the whole list."""

    limit = WholeNumber(
        load_default=None,
        validate=ma.validate.Range(min=0),
        metadata={"description": "Largest number of items to return."},
    )
    start = WholeNumber(
        load_default=0,
        validate=ma.validate.Range(min=0),
        metadata={"description": "0-based offset of the first item to return."},
    )

    @ma.post_load
    def make_page(self, data, **_kwargs) -> Page:
        return Page(start=data["start"], limit=data["limit"])


def listing(key: str, items: Sequence, total: int):
    """A list body ``{key: [...]}`` with its total in ``X-Total-Count``."""
    return {key: items}, {TOTAL_HEADER: str(total)}
