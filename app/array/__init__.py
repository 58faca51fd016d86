"""The array: its tables (``models``) and its behaviour.

Plain functions over a database session, one module per kind of object with
its lookups beside its rules (``volumes``, ``snapshots``, ``hosts``,
``groups``, ``replication``…). Each public function is one call of the
array; it enforces the rules a real array enforces and raises
``mockarray.errors`` when it refuses. The caller owns the transaction (one
per call); "now" comes from the injected clock (``clock``).

May import: the ground floor only (``mockarray.database``, ``errors``,
``queries``, ``identity``, ``units``). Nothing of HTTP, Flask, the lab or
the command line.
"""

# Session listeners every use of the array relies on: new rows stamped with the
# clock's "now" (clock), each server's volume count kept (counting).
from mockarray.array import clock, counting  # noqa: F401
