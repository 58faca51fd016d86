"""The lab's dashboard at ``/mockarray/``: server-rendered pages over the lab.

Jinja templates and a little vanilla JavaScript (``static/``), shipped in the
package: no build step, nothing fetched from elsewhere (labs are often
offline). The pages read the lab through ``mockarray.lab.overview``; their
script follows long tasks and runs lab actions (checkpoints, finishing
tasks, clearing faults) through the control plane's own API. Who may see it
is who may call the control plane (``lab.api.core.check_token``); with
``MOCKARRAY_ADMIN_TOKEN`` set, a login form puts the token in a cookie.

May import: ``mockarray.lab`` (the overview, the journal, fault rules, the
clock, checkpoints), ``mockarray.lab.api`` (its access rule), ``mockarray.web``
and ``mockarray.array``.
"""

from __future__ import annotations

from flask import Flask

from mockarray.lab.dashboard.views import blp


def init_dashboard(app: Flask) -> None:
    app.register_blueprint(blp)
