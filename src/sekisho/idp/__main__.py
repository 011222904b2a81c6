from __future__ import annotations

import sys

from sekisho.idp.cli import main

raise SystemExit(main(sys.argv[1:]))
