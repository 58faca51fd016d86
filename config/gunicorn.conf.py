"""gunicorn settings for mockarray: ``gunicorn -c config/gunicorn.conf.py wsgi:app``.

The same settings as ``mockarray serve`` (``mockarray.config.serving``): bind
address, workers, TLS and log level from ``MOCKARRAY_*`` variables, the
control socket in the data directory. Unlike ``mockarray serve`` it neither
migrates nor seeds: run ``mockarray db upgrade`` first.
"""

from mockarray.config import from_env
from mockarray.config.serving import gunicorn_settings

globals().update(gunicorn_settings(from_env()))
