"""Admin API: /developers, /workspaces and /files over a real SQLite database and a real server."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.portal.harness import admin_with_portal

SEED_AUTH_CONF = {
    "leeway": 100,
    "consumer_by": ["username", "custom_id", "id"],
    "scopes": ["openid", "profile", "email"],
    "logout_query_arg": "logout",
    "client_id": ["1pf00c5or942c2hm37mgv0u509"],
    "login_action": "redirect",
    "logout_redirect_uri": [
        "https://kongdemo.auth.ap-southeast-1.amazoncognito.com/logout?client_id=1pf00c5or942c2hm37mgv0u509&logout_uri=kong-ee:8446/default"
    ],
    "login_tokens": {},
    "login_redirect_uri": ["https://kong-ee:8446/default"],
    "forbidden_redirect_uri": ["https://kong-ee:8446/default/unauthorized"],
    "ssl_verify": False,
    "issuer": "https://cognito-idp.ap-southeast-1.amazonaws.com/ap-southeast-1_ie577myCv/.well-known/openid-configuration",
    "logout_methods": ["GET"],
    "consumer_claim": ["email"],
    "login_redirect_mode": "query",
    "redirect_uri": ["https://kong-ee:8447/default/auth"],
}


async def test_developer_lifecycle(tmp_path: Path, pg_dsn: str | None) -> None:
    async with admin_with_portal(tmp_path, pg_dsn=pg_dsn) as p:
        created = await p.admin.post(
            "/developers", json={"email": "Ada@Example.com", "meta": '{"full_name":"Ada"}', "password": "s3cret-pass"}
        )
        assert created.status_code == 201, created.text
        dev = created.json()
        assert dev["email"] == "ada@example.com"
        assert dev["status"] == 1
        consumer = (await p.admin.get(f"/consumers/{dev['consumer']['id']}")).json()
        assert consumer["username"] == "ada@example.com"
        assert consumer["type"] == 1
        basic = (await p.admin.get(f"/consumers/{consumer['id']}/basic-auth")).json()["data"]
        assert [c["username"] for c in basic] == ["ada@example.com"]
        assert basic[0]["password"] != "s3cret-pass"

        await p.admin.post("/developers", data={"email": "bob@example.com", "status": "0"})
        pending = (await p.admin.get("/developers", params={"status": 1})).json()["data"]
        approved = (await p.admin.get("/developers", params={"status": "0"})).json()["data"]
        assert [d["email"] for d in pending] == ["ada@example.com"]
        assert [d["email"] for d in approved] == ["bob@example.com"]
        assert (await p.admin.get("/developers")).json()["total"] == 2
        assert (await p.admin.get("/developers", params={"status": 1})).json()["total"] == 1
        paged = (await p.admin.get("/developers", params={"size": 1})).json()
        assert len(paged["data"]) == 1
        assert paged["next"].startswith("/developers?offset=")
        assert len((await p.admin.get(paged["next"])).json()["data"]) == 1

        by_email = await p.admin.get("/developers/ada@example.com")
        assert by_email.json()["id"] == dev["id"]
        patched = await p.admin.patch(f"/developers/{dev['id']}", json={"status": 0})
        assert patched.status_code == 200
        assert patched.json()["developer"]["status"] == 0
        revoked = await p.admin.patch("/developers/ada@example.com", data={"status": "3"})
        assert revoked.json()["developer"]["status"] == 3
        bad_status = await p.admin.patch("/developers/ada@example.com", json={"status": 4})
        assert bad_status.status_code == 400

        export = await p.admin.get("/developers/export")
        lines = export.text.splitlines()
        assert lines[0] == "Email,Status"
        assert sorted(lines[1:]) == ["ada@example.com,REVOKED", "bob@example.com,APPROVED"]

        assert (await p.admin.delete(f"/developers/{dev['id']}")).status_code == 204
        assert (await p.admin.get(f"/developers/{dev['id']}")).status_code == 404
        assert (await p.admin.get(f"/consumers/{consumer['id']}")).status_code == 404
        assert (await p.admin.delete(f"/developers/{dev['id']}")).status_code == 204


async def test_developer_bad_input(tmp_path: Path, pg_dsn: str | None) -> None:
    async with admin_with_portal(tmp_path, pg_dsn=pg_dsn) as p:
        assert (await p.admin.post("/developers", json={"email": "a@example.com"})).status_code == 201
        duplicate = await p.admin.post("/developers", json={"email": "A@example.com"})
        assert duplicate.status_code == 409
        body = duplicate.json()
        assert body["name"] == "unique constraint violation"
        assert "a@example.com" in body["fields"]["email"]
        no_at = await p.admin.post("/developers", json={"email": "nobody"})
        assert no_at.status_code == 400
        assert no_at.json()["fields"] == {"email": "missing '@' symbol"}
        missing = await p.admin.post("/developers", json={"meta": "{}"})
        assert missing.json()["fields"] == {"email": "required field missing"}
        unknown = await p.admin.post("/developers", json={"email": "c@example.com", "role": "x"})
        assert unknown.json()["fields"] == {"role": "unknown field"}
        assert (await p.admin.get("/consumers/c@example.com")).status_code == 404
        assert (await p.admin.get("/developers/ghost@example.com")).status_code == 404


async def test_workspace_default_with_seed_auth_conf(tmp_path: Path, pg_dsn: str | None) -> None:
    async with admin_with_portal(tmp_path, pg_dsn=pg_dsn) as p:
        ws = await p.admin.get("/workspaces/default")
        assert ws.status_code == 200
        assert ws.json()["config"]["portal"] is True
        patch = {"config": {"portal_auth": "openid-connect", "portal_auth_conf": json.dumps(SEED_AUTH_CONF)}}
        patched = await p.admin.patch("/workspaces/default", json=patch)
        assert patched.status_code == 200, patched.text
        assert json.loads(patched.json()["config"]["portal_auth_conf"]) == SEED_AUTH_CONF
        assert patched.json()["config"]["portal_auth"] == "openid-connect"
        form = await p.admin.patch("/workspaces/default", data={"config.portal_auto_approve": "true"})
        assert form.status_code == 200, form.text
        assert form.json()["config"]["portal_auto_approve"] is True
        assert form.json()["config"]["portal_auth"] == "openid-connect"
        listed = (await p.admin.get("/workspaces")).json()["data"]
        assert [w["name"] for w in listed] == ["default"]


async def test_workspace_bad_input(tmp_path: Path, pg_dsn: str | None) -> None:
    async with admin_with_portal(tmp_path, pg_dsn=pg_dsn) as p:
        malformed = await p.admin.patch(
            "/workspaces/default", json={"config": {"portal_auth_conf": '{"issuer": "https://x", '}}
        )
        assert malformed.status_code == 400
        message = malformed.json()["fields"]["config"]["portal_auth_conf"]
        assert message.startswith("invalid JSON:")
        not_object = await p.admin.patch("/workspaces/default", json={"config": {"portal_auth_conf": "[1]"}})
        assert not_object.json()["fields"]["config"]["portal_auth_conf"] == "expected a JSON object"
        wrong_plugin_conf = await p.admin.patch(
            "/workspaces/default",
            json={"config": {"portal_auth": "openid-connect", "portal_auth_conf": '{"issuer": 5}'}},
        )
        assert wrong_plugin_conf.status_code == 400
        assert "issuer" in wrong_plugin_conf.json()["fields"]["config"]["portal_auth_conf"]
        bad_auth = await p.admin.patch("/workspaces/default", json={"config": {"portal_auth": "ldap"}})
        assert bad_auth.status_code == 400
        assert (await p.admin.get("/workspaces/nowhere")).status_code == 404
        unknown_ws = await p.admin.get("/nowhere/developers")
        assert unknown_ws.status_code == 404
        assert unknown_ws.json()["message"] == "Workspace 'nowhere' not found"
        assert (await p.admin.delete("/workspaces/default")).status_code == 400
        # nothing was stored by the failed requests
        config = (await p.admin.get("/workspaces/default")).json()["config"]
        assert config["portal_auth_conf"] is None
        assert config["portal_auth"] is None


async def test_files(tmp_path: Path, pg_dsn: str | None) -> None:
    async with admin_with_portal(tmp_path, pg_dsn=pg_dsn) as p:
        seeded = (await p.admin.get("/files")).json()["data"]
        assert "specs/echo.yaml" in [f["path"] for f in seeded]
        spec = "openapi: 3.0.0\ninfo: {title: Pets, version: '1'}\npaths: {}\n"
        created = await p.admin.post("/files", json={"path": "specs/pets.yaml", "contents": spec})
        assert created.status_code == 201
        assert len(created.json()["checksum"]) == 64
        got = await p.admin.get("/files/specs/pets.yaml")
        assert got.json()["contents"] == spec
        patched = await p.admin.patch("/files/specs/pets.yaml", json={"contents": spec + "# v2\n"})
        assert patched.json()["checksum"] != created.json()["checksum"]
        dup = await p.admin.post("/files", json={"path": "specs/pets.yaml", "contents": "x"})
        assert dup.status_code == 409
        outside = await p.admin.post("/files", json={"path": "../etc/passwd", "contents": "x"})
        assert outside.status_code == 400
        traversal = await p.admin.post("/files", json={"path": "content/../../x", "contents": "x"})
        assert traversal.status_code == 400
        assert (await p.admin.delete("/files/specs/pets.yaml")).status_code == 204
        assert (await p.admin.get("/files/specs/pets.yaml")).status_code == 404
        # the generated Admin API keeps working behind the portal routes
        assert (await p.admin.get("/services")).status_code == 200
        service = await p.admin.post("/services", json={"name": "files", "url": "http://127.0.0.1:9"})
        assert service.status_code == 201
        assert (await p.admin.get("/services/files")).json()["id"] == service.json()["id"]


def test_seed_conf_builder_matches_the_seed_page() -> None:
    from sekisho.portal.seed_conf import seed_portal_auth_conf

    built = seed_portal_auth_conf(
        issuer="https://cognito-idp.ap-southeast-1.amazonaws.com/ap-southeast-1_ie577myCv",
        client_id="1pf00c5or942c2hm37mgv0u509",
        idp_domain_url="https://kongdemo.auth.ap-southeast-1.amazoncognito.com",
        gui_url="https://kong-ee:8446",
        api_url="https://kong-ee:8447",
    )
    assert set(built) == set(SEED_AUTH_CONF)
    for key, value in SEED_AUTH_CONF.items():
        if key != "logout_redirect_uri":  # the seed's logout_uri lacks a scheme; ours is a full, encoded URL
            assert built[key] == value, key
    assert built["logout_redirect_uri"] == [
        "https://kongdemo.auth.ap-southeast-1.amazoncognito.com/logout?client_id=1pf00c5or942c2hm37mgv0u509"
        "&logout_uri=https%3A%2F%2Fkong-ee%3A8446%2Fdefault"
    ]


async def test_developer_roles(tmp_path: Path, pg_dsn: str | None) -> None:
    async with admin_with_portal(tmp_path, pg_dsn=pg_dsn) as p:
        created = await p.admin.post("/developers/roles", json={"name": "partners", "comment": "paying"})
        assert created.status_code == 201
        assert (await p.admin.post("/developers/roles", json={"name": "partners"})).status_code == 409
        assert (await p.admin.post("/developers/roles", json={"name": "*"})).status_code == 400
        assert [r["name"] for r in (await p.admin.get("/developers/roles")).json()["data"]] == ["partners"]
        assert (await p.admin.get("/developers/roles/partners")).json()["comment"] == "paying"

        unknown = await p.admin.post("/developers", json={"email": "r@example.com", "roles": ["ghosts"]})
        assert unknown.status_code == 400
        assert unknown.json()["fields"] == {"roles": "role 'ghosts' does not exist"}
        dev = await p.admin.post("/developers", json={"email": "r@example.com", "roles": ["partners"]})
        assert dev.json()["roles"] == ["partners"]

        renamed = await p.admin.patch("/developers/roles/partners", json={"name": "resellers"})
        assert renamed.json()["name"] == "resellers"
        assert (await p.admin.get("/developers/r@example.com")).json()["roles"] == ["resellers"]

        spec = "openapi: 3.0.0\ninfo: {title: P, version: '1'}\nx-headmatter: {readable_by: [nobody]}\npaths: {}\n"
        refused = await p.admin.post("/files", json={"path": "specs/p.yaml", "contents": spec})
        assert refused.status_code == 400
        assert refused.json()["fields"] == {"contents": "role 'nobody' does not exist"}
        page = "---\ntitle: Deals\nreadable_by: [resellers]\n---\nSecret deals"
        assert (await p.admin.put("/files/content/deals.txt", json={"contents": page})).status_code == 200

        assert (await p.admin.delete("/developers/roles/resellers")).status_code == 204
        assert (await p.admin.get("/developers/r@example.com")).json()["roles"] == []
