from __future__ import annotations

from pathlib import Path

from sekisho.idp.config import IdpSettings


def test_environment_then_flags() -> None:
    env = {"SEKISHO_IDP_PORT": "9300", "SEKISHO_IDP_HOST": "0.0.0.0", "SEKISHO_IDP_LEGACY_DISCOVERY": "true"}
    settings = IdpSettings.from_env(env, port=9400, data_dir="somewhere")
    assert settings.port == 9400 and settings.host == "0.0.0.0" and settings.legacy_discovery is True
    assert settings.data_dir == Path("somewhere")
    assert settings.base_url() == "http://127.0.0.1:9400"
    assert IdpSettings.from_env({}).port == 9229


def test_issuer_and_domain_urls() -> None:
    plain = IdpSettings(port=9229)
    assert plain.issuer("us-east-1_AbCdEf123") == "http://127.0.0.1:9229/us-east-1_AbCdEf123"
    assert plain.domain_url("kong") == "http://127.0.0.1:9229/domains/kong"
    assert IdpSettings(port=9229, domain_style="host").domain_url("kong") == "http://kong.auth.localhost:9229"
    tls = IdpSettings(issuer_base="https://127.0.0.1:9230/")
    assert tls.issuer("p_1") == "https://127.0.0.1:9230/p_1"
    assert tls.domain_url("kong") == "https://127.0.0.1:9230/domains/kong"
