"""Targets under their upstream, addressed by id or `host:port`, and node-local health."""

from __future__ import annotations

import uuid

from sekisho.admin.health import RuntimeHealth
from sekisho.runtime import Runtime
from tests.integration.admin.support import Admin, AdminFactory


async def _upstream(admin: Admin, **fields: object) -> dict:
    res = await admin.client.post("/upstreams", json={"name": "backend.internal", **fields})
    assert res.status_code == 201, res.text
    return res.json()


async def test_target_crud_by_host_port_or_id(admin: Admin) -> None:
    upstream = await _upstream(admin)
    res = await admin.client.post("/upstreams/backend.internal/targets", data={"target": "10.0.0.1", "weight": "50"})
    assert res.status_code == 201
    target = res.json()
    assert target["target"] == "10.0.0.1:8000"  # Kong's default target port
    assert target["weight"] == 50 and target["upstream"] == {"id": upstream["id"]}
    assert (await admin.client.get("/upstreams/backend.internal/targets/10.0.0.1:8000")).json() == target
    assert (await admin.client.get("/upstreams/backend.internal/targets/10.0.0.1")).json() == target
    assert (await admin.client.get(f"/upstreams/{upstream['id']}/targets/{target['id']}")).json() == target
    listed = (await admin.client.get("/upstreams/backend.internal/targets")).json()
    assert listed == {"data": [target], "next": None}
    assert (await admin.client.get("/upstreams/backend.internal/targets/all")).json()["data"] == [target]
    res = await admin.client.patch("/upstreams/backend.internal/targets/10.0.0.1:8000", json={"weight": 0})
    assert res.status_code == 200 and res.json()["weight"] == 0 and res.json()["id"] == target["id"]
    res = await admin.client.put(f"/upstreams/backend.internal/targets/{target['id']}", json={"weight": 7})
    assert res.status_code == 200 and res.json()["weight"] == 7
    assert (await admin.client.delete("/upstreams/backend.internal/targets/10.0.0.1:8000")).status_code == 204
    assert (await admin.client.get(f"/upstreams/backend.internal/targets/{target['id']}")).status_code == 404


async def test_targets_are_scoped_to_their_upstream(admin: Admin) -> None:
    await _upstream(admin)
    await admin.client.post("/upstreams", json={"name": "other.internal"})
    target = (await admin.client.post("/upstreams/backend.internal/targets", json={"target": "a.test:80"})).json()
    assert (await admin.client.get(f"/upstreams/other.internal/targets/{target['id']}")).status_code == 404
    assert (await admin.client.get("/upstreams/other.internal/targets/a.test:80")).status_code == 404
    assert (await admin.client.delete("/upstreams/other.internal/targets/a.test:80")).status_code == 404
    assert (await admin.client.get("/upstreams/nope.internal/targets")).status_code == 404
    assert (await admin.client.get("/targets")).status_code == 404
    res = await admin.client.post("/upstreams/backend.internal/targets", json={"target": "a.test:80"})
    assert res.status_code == 409
    res = await admin.client.post("/upstreams/backend.internal/targets", json={"target": "bad target"})
    assert res.status_code == 400 and res.json()["fields"]["target"].startswith("Invalid target ('bad target")


async def test_health_without_health_checks(admin: Admin) -> None:
    await _upstream(admin)
    target = (await admin.client.post("/upstreams/backend.internal/targets", json={"target": "a.test:80"})).json()
    body = (await admin.client.get("/upstreams/backend.internal/health")).json()
    assert body["node_id"] == admin.ctx.node_id
    assert body["data"] == [{**target, "health": "HEALTHCHECKS_OFF"}]
    body = (await admin.client.get("/upstreams/backend.internal/health?balancer_health=1")).json()
    assert body["data"]["health"] == "HEALTHCHECKS_OFF"
    # without a health provider, the override is accepted and has no effect
    res = await admin.client.post("/upstreams/backend.internal/targets/a.test:80/unhealthy")
    assert res.status_code == 204
    assert (await admin.client.post(f"/upstreams/backend.internal/targets/{uuid.uuid4()}/healthy")).status_code == 404


async def test_health_overrides_with_a_runtime(admin_factory: AdminFactory) -> None:
    runtime = Runtime()
    async with admin_factory(health=RuntimeHealth(runtime)) as admin:
        passive = {"unhealthy": {"http_failures": 3}}
        upstream = await _upstream(admin, healthchecks={"passive": passive})
        first = (await admin.client.post("/upstreams/backend.internal/targets", json={"target": "a.test:80"})).json()
        await admin.client.post("/upstreams/backend.internal/targets", json={"target": "b.test:80"})

        async def states() -> dict[str, str]:
            body = (await admin.client.get("/upstreams/backend.internal/health")).json()
            return {row["target"]: row["health"] for row in body["data"]}

        assert await states() == {"a.test:80": "HEALTHY", "b.test:80": "HEALTHY"}
        res = await admin.client.post(f"/upstreams/backend.internal/targets/{first['id']}/unhealthy")
        assert res.status_code == 204
        assert await states() == {"a.test:80": "UNHEALTHY", "b.test:80": "HEALTHY"}
        assert runtime.health(upstream["id"], "a.test:80").healthy is False
        balancer = (await admin.client.get("/upstreams/backend.internal/health?balancer_health=1")).json()
        assert balancer["data"] == {"id": upstream["id"], "health": "HEALTHY"}
        await admin.client.post("/upstreams/backend.internal/targets/b.test:80/unhealthy")
        balancer = (await admin.client.get("/upstreams/backend.internal/health?balancer_health=1")).json()
        assert balancer["data"]["health"] == "UNHEALTHY"
        await admin.client.post("/upstreams/backend.internal/targets/a.test:80/10.0.0.1:80/healthy")
        assert (await states())["a.test:80"] == "HEALTHY"
