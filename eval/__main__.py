"""``python -m eval``: the same as ``nianbao eval``."""

from __future__ import annotations

import sys

from eval.runner import main

if __name__ == "__main__":
    sys.exit(main())
