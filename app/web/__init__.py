"""The shared HTTP kit of both APIs (the plugin API and the lab's control plane).

Holds: the blueprint with its 400 parser (``blueprint``), the unit of work
(``transaction``), media types (``media``), pagination with ``X-Total-Count``
(``pagination``), answers without a body (``responses``), the
``?action=`` dispatcher (``actions``), the one JSON error shape
(``errors``) and each API's docs page, Swagger UI from files installed with
mockarray (``docs_ui``).

May import: Flask and its kin, and the ground floor (``mockarray.database``,
``errors``, ``queries``, ``units``). Nothing of the array, the plugin API or
the lab.
"""
