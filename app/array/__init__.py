"""The array's behaviour: plain functions over a database session.

Each public function is one call of the array; it enforces the rules a real
array enforces and raises ``mockarray.errors`` when it refuses. The caller owns the
transaction (one per call). Nothing here knows about HTTP or Flask.
"""
