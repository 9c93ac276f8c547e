"""``python -m scenefill.server [serve] [options]``: the daemon alone (same options as ``scenefill serve``)."""

import sys

from .cli import main

sys.exit(main())
