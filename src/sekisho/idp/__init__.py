"""A local identity provider that behaves like Amazon Cognito User Pools.

It serves the AWS JSON 1.1 control-plane API (`POST /` with `X-Amz-Target`), the OIDC discovery and JWKS
documents, the hosted-domain OAuth2 endpoints and the hosted UI pages. It imports nothing from the gateway:
the gateway and the portal reach it over HTTP, as they would reach Cognito.
"""

from __future__ import annotations

__all__: list[str] = []
