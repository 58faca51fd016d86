"""The lab: everything that drives the simulated arrays from outside.

Holds: the lab's tables (``models``), the simulated clock (``clock``),
checkpoints, fault rules, the request journal, host writes, the health
check, Prometheus metrics, seeding from YAML fixtures with the demo lab
(``seeding``), what bulk jobs share (progress, the garbage collector held
off: ``bulk``), and the control plane's HTTP API under ``/mockarray/api``
(``api``), which also attaches the fault gate, the journal and the call
metrics to every plugin call, and the dashboard at ``/mockarray/``
(``dashboard``) over what ``overview`` reads of the lab. The command line
calls the same functions.

May import: ``mockarray.array`` and the ground floor; ``lab.api`` also
``mockarray.web`` and the plugin API's hooks; ``lab.dashboard`` also
``mockarray.web`` and ``lab.api``'s access rule. The rest of the lab knows
no HTTP.
"""
