import sys

from scenefill.cli import main

sys.exit(main())
