"""``python -m mockarray``: the ``mockarray`` command."""

from mockarray.cli import main

main(prog_name="mockarray")
