"""Fill the config templates in ./templates: `{{name}}` placeholders, every one required, none left over."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["TEMPLATE_DIR", "TemplateError", "render", "render_to"]

TEMPLATE_DIR = Path(__file__).with_name("templates")
_PLACEHOLDER = re.compile(r"\{\{([a-z_][a-z0-9_]*)\}\}")


class TemplateError(ValueError):
    """A placeholder without a value, or a value the template does not use."""


def render(template_name: str, values: dict[str, object], *, optional: frozenset[str] = frozenset()) -> str:
    """The template with its placeholders filled; names in `optional` may go unused."""
    text = (TEMPLATE_DIR / template_name).read_text()
    wanted = set(_PLACEHOLDER.findall(text))
    missing = wanted - values.keys()
    unused = values.keys() - wanted - optional
    if missing or unused:
        raise TemplateError(f"{template_name}: missing {sorted(missing)}, unused {sorted(unused)}")
    return _PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), text)


def render_to(template_name: str, destination: Path, values: dict[str, object]) -> Path:
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(render(template_name, values))
    return destination
