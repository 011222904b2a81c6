"""A proxy worker loads what its configuration uses: with no openid-connect route, no certificate to check
and no Redis, it never imports the JOSE stack (joserfc, cryptography), httpx or redis — each costs every
worker megabytes of memory (issue #2's 100 MB per worker with 10,000 routes)."""

from __future__ import annotations

import json
import subprocess
import sys

_WORKER = """
import json, sys
import sekisho.app, sekisho.node.worker, sekisho.proxy
from sekisho.plugins.registry import PluginRegistry
from sekisho.runtime.runtime import Runtime

runtime = Runtime(PluginRegistry.load(["bundled"]))
service = {"id": "7f2c3c1e-0d7e-4b7a-9a53-1a5f4a2a0c01", "name": "s", "protocol": "http", "host": "127.0.0.1",
           "port": 80, "path": None, "retries": 5, "connect_timeout": 60000, "write_timeout": 60000,
           "read_timeout": 60000, "enabled": True}
route = {"id": "0b6d2a9e-3f1c-4e8e-8d6a-2c9b1f0e7a11", "name": "r", "paths": ["/"], "service": {"id": service["id"]},
         "protocols": ["http", "https"], "strip_path": True, "preserve_host": False, "regex_priority": 0,
         "https_redirect_status_code": 426, "path_handling": "v0", "request_buffering": True,
         "response_buffering": True}
runtime.load({"services": [service], "routes": [route]})
print(json.dumps(sorted(m for m in ("cryptography", "joserfc", "httpx", "redis") if m in sys.modules)))
"""


def test_a_worker_without_such_configuration_loads_no_jose_httpx_or_redis() -> None:
    done = subprocess.run([sys.executable, "-c", _WORKER], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_openid_connect_plugin_loads_them_when_a_configuration_needs_it() -> None:
    code = _WORKER.replace(
        'runtime.load({"services": [service], "routes": [route]})',
        'schema = runtime.registry.config_schema("openid-connect")\n'
        'config, errors = schema.validate({"issuer": "https://idp.example/"})\n'
        "assert not errors, errors\n"
        'runtime.instances["openid-connect"].prepare(config)',
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "joserfc" in json.loads(done.stdout.strip().splitlines()[-1])
