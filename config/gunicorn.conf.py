"""gunicorn settings for mockarray: ``gunicorn -c config/gunicorn.conf.py wsgi:app``.

Bind address and worker count come from ``MOCKARRAY_BIND`` and
``MOCKARRAY_WORKERS``; every other setting is the application's own.
"""

import os

bind = os.environ.get("MOCKARRAY_BIND") or "127.0.0.1:8080"
workers = int(os.environ.get("MOCKARRAY_WORKERS") or 2)
# Sync workers: each request is one short database transaction.
worker_class = "sync"
timeout = 60
graceful_timeout = 10
# The application logs every API call itself; gunicorn logs errors only.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("MOCKARRAY_LOG_LEVEL", "info").lower()
