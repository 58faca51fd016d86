"""WSGI entry point of a source checkout: ``gunicorn wsgi:app`` (same as ``mockarray.wsgi:app``)."""

from mockarray.wsgi import app

__all__ = ["app"]
