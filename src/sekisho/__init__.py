"""sekisho: a Kong-compatible, OpenID-Connect-first API gateway."""

from __future__ import annotations

__all__ = ["KONG_COMPAT_VERSION", "__version__"]

__version__ = "0.1.0"
# The Kong version whose Admin API and behaviour we mirror; reported where Kong clients expect a Kong version.
KONG_COMPAT_VERSION = "2.8.4"
