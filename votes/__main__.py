"""``python -m votes``: see :mod:`votes.cli`."""

import sys

from votes.cli import main

if __name__ == "__main__":
    sys.exit(main())
