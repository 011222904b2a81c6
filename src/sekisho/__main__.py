from __future__ import annotations

from sekisho.cli import main

raise SystemExit(main())
