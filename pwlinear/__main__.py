"""``python -m pwlinear``: the same program as the ``pwlinear`` command."""

import sys

from pwlinear.cli import main

sys.exit(main())
