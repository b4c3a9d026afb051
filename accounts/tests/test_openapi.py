"""The documented bodies of the accounts endpoints are the ones they send."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "anyOf" in schema:
        schema = next(s for s in schema["anyOf"] if s.get("type") != "null")
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = spec["components"]["schemas"][name]
    return schema


@pytest.mark.django_db
def test_me_documents_its_own_plan_shape_and_the_admin_api_its_own(user):
    spec = Client().get("/api/v1/openapi.json").json()
    me = spec["paths"]["/api/v1/me"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    me_plan = resolve(spec, resolve(spec, me)["properties"]["plan"])
    assert set(me_plan["properties"]) == {"code", "name", "credits", "max_credits"}
    admin_user = spec["paths"]["/api/v1/admin/users/{user_id}"]["get"]["responses"]["200"]["content"]
    admin_plan = resolve(spec, resolve(spec, admin_user["application/json"]["schema"])["properties"]["plan"])
    assert set(admin_plan["properties"]) == {"id", "code", "name", "description", "credits", "max_credits"}
    # And what /me sends matches what it documents.
    client = Client()
    client.force_login(user)
    assert set(client.get("/api/v1/me").json()["plan"]) == set(me_plan["properties"])
