"""Lab control: how a test run drives the simulated arrays (checkpoints, faults,
the request journal). Plain functions over a database session, like
``mockarray.array``; the control plane (``mockarray.lab.api``) and the CLI call them.
"""
