"""``python -m trainlab``: the ``trainlab`` command (report, reproduce, evaluate) where the console script is not
on PATH (a venv not activated, ``python -m`` from a checkout)."""

import sys

from trainlab.cli import main

sys.exit(main())
