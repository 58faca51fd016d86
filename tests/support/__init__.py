"""The code the test modules share (their fixtures are in ``tests/conftest.py``).

``api``: the plugin API's client (``Api``, ``login``) and the control plane's
(``control``). ``checks``: what an answer must be (``ok``, ``assert_error``),
lists and the state they show (``listed``, ``ids``, ``state``, ``unchanged``).
``lab``: fixture documents built in Python (``array_doc``, ``standard_server``)
and ``Lab``, which seeds them and puts a lab seeded before back from a snapshot.
``db``: what only the database knows. ``live``: a real gunicorn (``Gunicorn``).

No test module imports another; what two of them need lives here.
"""
