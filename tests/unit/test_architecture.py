"""The import rules of docs/architecture.md, checked by parsing every module with `ast`."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "sekisho"

DB_DRIVERS = ("asyncpg", "sqlite3", "aiosqlite", "psycopg", "yaml")
WEB_FRAMEWORKS = ("starlette", "uvicorn", "httpx", "aiohttp", "fastapi", "jinja2")
PLUGIN_ALLOWED = (
    "sekisho.pdk",
    "sekisho.plugins.base",
    "sekisho.schema",
    "sekisho.errors",
    "sekisho.utils",
    "sekisho.oidc",
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                yield ".".join([*base, node.module] if node.module else base)
            elif node.module:
                yield node.module
                for alias in node.names:
                    yield f"{node.module}.{alias.name}"


def _modules() -> list[tuple[str, Path]]:
    return sorted((_module_name(p), p) for p in PACKAGE.rglob("*.py"))


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _violations() -> list[str]:
    found: list[str] = []
    for module, path in _modules():
        for imported in _imports(path):
            top = imported.split(".")[0]
            in_store = _under(module, "sekisho.store")
            in_idp = _under(module, "sekisho.idp")
            in_portal = _under(module, "sekisho.portal")
            in_plugin = _under(module, "sekisho.plugins") and module not in (
                "sekisho.plugins",
                "sekisho.plugins.base",
                "sekisho.plugins.registry",
            )
            # 1. The core never imports a plugin.
            if (
                not _under(module, "sekisho.plugins")
                and _under(imported, "sekisho.plugins")
                and imported != "sekisho.plugins"
                and not any(_under(imported, ok) for ok in ("sekisho.plugins.base", "sekisho.plugins.registry"))
            ):
                found.append(f"{module} imports plugin module {imported}")
            # 2. Plugins import only the PDK and shared helpers, never another plugin.
            if in_plugin and _under(imported, "sekisho") and imported != "sekisho":
                own = ".".join(module.split(".")[:3])
                if not (_under(imported, own) or any(_under(imported, ok) for ok in PLUGIN_ALLOWED)):
                    found.append(f"plugin module {module} imports {imported}")
            # 3. Only store/ touches database drivers or YAML (the IdP is a separate program with its own store).
            if top in DB_DRIVERS and not (in_store or in_idp or in_portal):
                found.append(f"{module} imports {top} outside store/")
            # 4. The hot path reads a snapshot: no framework, no store.
            hot = any(_under(module, p) for p in ("sekisho.proxy", "sekisho.router", "sekisho.pdk"))
            if hot and top in WEB_FRAMEWORKS:
                found.append(f"hot-path module {module} imports {top}")
            if hot and _under(imported, "sekisho.store"):
                found.append(f"hot-path module {module} imports {imported}")
            if hot and _under(imported, "sekisho.admin"):
                found.append(f"hot-path module {module} imports {imported}")
            # 5. The IdP imports nothing from the gateway.
            if (
                in_idp
                and _under(imported, "sekisho")
                and not (imported in ("sekisho", "sekisho.__version__") or _under(imported, "sekisho.idp"))
            ):
                found.append(f"IdP module {module} imports {imported}")
            # 6. The gateway reaches the IdP only over HTTP.
            if not in_idp and _under(imported, "sekisho.idp") and module != "sekisho.cli":
                found.append(f"{module} imports the IdP ({imported})")
    return found


def test_import_rules_hold() -> None:
    assert _violations() == []


@pytest.mark.slow
def test_every_module_imports_alone_without_warnings_or_side_effects() -> None:
    names = [m for m, _ in _modules() if not m.endswith("__main__")]
    script = (
        "import importlib, sys, threading\n"
        f"names = {names!r}\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "assert threading.active_count() == 1, 'a module started a thread at import time'\n"
    )
    result = subprocess.run([sys.executable, "-W", "error", "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
