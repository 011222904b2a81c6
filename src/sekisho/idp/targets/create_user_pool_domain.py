"""CreateUserPoolDomain: a prefix domain, or a custom domain (served by Host header)."""

from __future__ import annotations

import re
from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.services import Services
from sekisho.idp.store import Conflict, Insert, Put
from sekisho.idp.targets._common import Request, optional_map, require_str

_PREFIX = r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?"
_FQDN = r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"


async def create_user_pool_domain(svc: Services, req: Request) -> dict[str, Any]:
    domain = require_str(req, "Domain", max_length=253)
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    custom = optional_map(req, "CustomDomainConfig")
    if custom:
        if not re.fullmatch(_FQDN, domain) or not custom.get("CertificateArn"):
            raise CognitoError.invalid_parameter("Domain must be a fully qualified name with a certificate ARN.")
    elif not re.fullmatch(_PREFIX, domain):
        raise CognitoError.invalid_parameter(
            f"1 validation error detected: Value '{domain}' at 'domain' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: ^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$"
        )
    slot = "CustomDomain" if custom else "Domain"
    if pool.get(slot):
        raise CognitoError.invalid_parameter(f"User pool {pool['Id']} already has a domain configured.")
    version = req.get("ManagedLoginVersion", 1)
    record = {
        "UserPoolId": pool["Id"],
        "AWSAccountId": "000000000000",
        "Domain": domain,
        "S3Bucket": "aws-cognito-prod-local-assets",
        "CloudFrontDistribution": f"{domain}.cloudfront.localhost",
        "Version": "20250101000000",
        "Status": "ACTIVE",
        "ManagedLoginVersion": version,
        **({"CustomDomainConfig": custom} if custom else {}),
    }
    pool[slot] = domain
    try:
        await svc.store.apply([Insert("domain", "", domain, record), Put("pool", "", pool["Id"], pool)])
    except Conflict as exc:
        raise CognitoError.invalid_parameter("Domain already associated with another user pool.") from exc
    response: dict[str, Any] = {"ManagedLoginVersion": version}
    if custom:
        response["CloudFrontDomain"] = record["CloudFrontDistribution"]
    return response
