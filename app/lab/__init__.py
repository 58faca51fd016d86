"""Lab control: how a test run drives the simulated arrays (checkpoints, faults,
the request journal). Plain functions over a database session, like
``app.array``; the control plane (``app.control``) and the CLI call them.
"""
