"""Architecture rule 4: the IdP imports nothing from the gateway (only `sekisho.__version__`)."""

from __future__ import annotations

import ast
from pathlib import Path

import sekisho.idp

IDP_ROOT = Path(sekisho.idp.__file__).parent


def test_idp_imports_only_itself_from_sekisho() -> None:
    offenders = []
    for path in sorted(IDP_ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
                if node.module == "sekisho" and [a.name for a in node.names] == ["__version__"]:
                    continue
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                if (name == "sekisho" or name.startswith("sekisho.")) and not name.startswith("sekisho.idp"):
                    offenders.append(f"{path.relative_to(IDP_ROOT)}: {name}")
    assert offenders == []
