"""``python -m rulebook`` — same as the ``rulebook`` console script."""

import sys

from rulebook.cli import main

sys.exit(main())
