"""``mockarray conformance``: checks any server of the Storage Plugin REST API against the guide.

A black box: the checks know only the guide (``guide``, the documented fields
and types as data; ``reads`` and ``writes``, the checks by the guide's
sections) and talk to the server through ``mockarray.client``, so they run
against a vendor's plugin as against mockarray. ``framework`` is what a check
is and the probe it calls through; ``runner`` runs a selection; ``report``
writes text, JSON and JUnit XML. docs/conformance.md is the user's guide.

May import: ``mockarray.client`` and the standard library only: nothing of
the server it checks.
"""

from mockarray.conformance.framework import FAIL, INFO, PASS, PREFIX, REGISTRY, SKIP, Login
from mockarray.conformance.runner import Run, run, select

__all__ = ["FAIL", "INFO", "PASS", "PREFIX", "REGISTRY", "SKIP", "Login", "Run", "run", "select"]
