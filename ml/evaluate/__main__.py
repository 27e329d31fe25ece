"""``python -m ml.evaluate ...`` (same as ``python -m ml evaluate ...``)."""

import sys

from ml.evaluate.cli import main

sys.exit(main(sys.argv[1:]))
