"""gunicorn settings for mockarray: ``gunicorn -c config/gunicorn.conf.py wsgi:app``.

Bind address and worker count come from ``MOCKARRAY_BIND`` and
``MOCKARRAY_WORKERS``, the log level from ``MOCKARRAY_LOG_LEVEL``; every
other setting is the application's own (``config/__init__.py``).
"""

from mockarray.config import from_env
from mockarray.config.logging import logging_config

_settings = from_env()

bind = str(_settings["BIND"])
workers = int(_settings["WORKERS"])
# Sync workers: each request is one short database transaction.
worker_class = "sync"
timeout = 60
graceful_timeout = 10
# The application logs every API call itself (GET /log); no access log here.
accesslog = None
logconfig_dict = logging_config(str(_settings["LOG_LEVEL"]))
