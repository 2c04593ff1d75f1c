"""Ids in console URLs: only a number that can be a row's id reaches a view.

Every ``<int:…>`` route names an Integer primary key (32 bits on PostgreSQL). A larger number,
or 0, is no row at all and is answered 404 like any unknown id, instead of overflowing in
the database driver and answering 500.
"""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map

ROW_ID_MAX = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """``int`` in console routes: 1 to ``ROW_ID_MAX`` unless a route asks otherwise."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = 1,
        max: int | None = ROW_ID_MAX,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
