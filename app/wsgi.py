"""The WSGI application, for gunicorn or any WSGI server: ``mockarray.wsgi:app``."""

from mockarray import create_app

app = create_app()
