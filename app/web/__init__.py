"""The shared HTTP kit of both APIs (the plugin API and the lab's control plane).

Holds: the blueprint with its 400 parser (``blueprint``), the unit of work
(``transaction``), media types (``media``), pagination with ``X-Total-Count``
(``pagination``), answers without a body (``responses``), the
``?action=`` dispatcher (``actions``) and the one JSON error shape
(``errors``).

May import: Flask and its kin, and the ground floor (``mockarray.database``,
``errors``, ``queries``, ``units``). Nothing of the array, the plugin API or
the lab.
"""
