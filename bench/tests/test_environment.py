from __future__ import annotations

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from bench.harness.environment import AUDIENCE, BenchEnvironment
from bench.harness.procs import ProcessSet

from .conftest import require


def test_shared_environment_serves_upstream_jwks_and_provider_and_counts_identity_calls(procs: ProcessSet) -> None:
    require("nginx")
    env = BenchEnvironment.create(procs)
    try:
        assert httpx.get(env.upstream.base_url + "/").text == "hello from the upstream\n"
        start = env.identity_requests()
        keys = KeySet.import_key_set(httpx.get(env.jwks_uri, verify=False).json())
        discovery = httpx.get(env.provider.discovery_url, verify=False).json()
        assert env.identity_requests() == start + 2
        assert discovery["issuer"] == env.provider.issuer and discovery["jwks_uri"] == env.jwks_uri

        token = jwt.decode(env.bearer_token(), keys, algorithms=["RS256"])
        assert token.claims["aud"] == AUDIENCE and token.claims["iss"] == env.provider.issuer
    finally:
        env.close()
    assert not env.root.exists()
