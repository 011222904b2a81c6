"""Which hosted domain (and so which user pool) a request addresses, and URLs on that domain."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from sekisho.idp.models import Pool
from sekisho.idp.services import Services

__all__ = ["DOMAIN_SCOPE_KEY", "DomainContext", "domain_context"]

DOMAIN_SCOPE_KEY = "sekisho.idp.domain"


@dataclass(frozen=True, slots=True)
class DomainContext:
    pool: Pool
    domain: str
    # Absolute URL of the domain root as the caller addressed it (host routing or the /domains/<prefix> form).
    base_url: str
    # Cookie path: "/" under host routing, "/domains/<prefix>" under the path form.
    cookie_path: str
    secure: bool

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


async def domain_context(svc: Services, request: Request) -> DomainContext | None:
    domain = request.scope.get(DOMAIN_SCOPE_KEY)
    if not domain:
        return None
    record = await svc.repo.domain(domain)
    if record is None:
        return None
    pool = await svc.store.get("pool", "", record["UserPoolId"])
    if pool is None:
        return None
    root = request.scope.get("root_path", "")
    host = request.headers.get("host", "")
    scheme = request.url.scheme
    return DomainContext(pool, domain, f"{scheme}://{host}{root}", root or "/", scheme == "https")
