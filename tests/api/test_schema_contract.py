"""The schema tells the truth: a client built from /api/schema/ can upload a photo, the new reads work,
the docs load nothing from other hosts, and the forecast API starts one run at a time."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shelfai.visits.models import Photo


@pytest.fixture(autouse=True)
def _no_worker(monkeypatch):
    monkeypatch.setattr("shelfai.pipeline.dispatch.send", lambda stage, photo_ids: True)


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def request_from_schema(schema: dict, path: str, method: str, *, values: dict) -> dict:
    """What a generated client would send: every property of the operation's multipart body, typed as the
    schema says (binary -> a file part; array -> one part per item), from ``values`` by name."""
    operation = schema["paths"][path][method]
    body = resolve(schema, operation["requestBody"]["content"]["multipart/form-data"]["schema"])
    form = {}
    for name, prop in body["properties"].items():
        prop = resolve(schema, prop)
        if name not in values:
            assert name not in body.get("required", []), f"the schema requires {name}"
            continue
        value = values[name]
        if prop.get("type") == "array":
            item = resolve(schema, prop["items"])
            assert isinstance(value, list) and prop.get("minItems", 0) <= len(value) <= prop.get("maxItems", 99)
            form[name] = [_typed(item, v) for v in value]
        else:
            form[name] = _typed(prop, value)
    return form


def _typed(prop: dict, value):
    if prop.get("format") == "binary":
        name, data = value
        return SimpleUploadedFile(name, data, content_type="application/octet-stream")
    if prop.get("type") == "integer":
        return int(value)
    assert prop.get("type") == "string", prop
    return str(value)


def test_a_client_generated_from_the_schema_uploads_a_photo(site, api_for, make_jpeg):
    client = api_for(site.users["rep"])
    schema = client.get("/api/schema/", {"format": "json"}).json()
    path = "/api/visits/{public_id}/photos/"
    operation = schema["paths"][path]["post"]
    assert list(operation["requestBody"]["content"]) == ["multipart/form-data"]
    assert resolve(schema, operation["requestBody"]["content"]["multipart/form-data"]["schema"]
                   )["properties"]["photos"]["items"]["format"] == "binary"
    visit = client.post("/api/visits/", {"store": "s1"}, format="json").json()
    task = visit["tasks"][0]["id"] if visit["tasks"] else None
    values = {"photos": [("shelf.jpg", make_jpeg(seed=11))], "client_upload_ids": ["phone-1"]}
    if task is not None and "task" in resolve(schema, operation["requestBody"]["content"]["multipart/form-data"]
                                              ["schema"])["properties"]:
        values["task"] = task
    url = path.replace("{public_id}", visit["id"])
    response = client.post(url, request_from_schema(schema, path, "post", values=values), format="multipart")
    assert response.status_code == 202, response.json()
    photo = Photo.objects.get(client_upload_id="phone-1")
    # The answer has what the schema's 202 says it has.
    answer = resolve(schema, operation["responses"]["202"]["content"]["application/json"]["schema"]["items"])
    assert set(answer["required"]) <= set(response.json()[0])
    listed = client.get(url).json()  # the visit's photos_url also lists them (it was a 405)
    assert [p["id"] for p in listed] == [str(photo.public_id)]


def test_the_schema_says_the_claims_list_is_paginated_and_coordinates_are_bounded(site, api_for):
    schema = api_for(site.users["finance"]).get("/api/schema/", {"format": "json"}).json()
    listing = schema["paths"]["/api/claims/"]["get"]
    page = resolve(schema, listing["responses"]["200"]["content"]["application/json"]["schema"])
    assert {"count", "next", "previous", "results"} <= set(page["properties"])
    assert {p["name"] for p in listing["parameters"]} >= {"limit", "offset", "status"}
    lat = next(p for p in schema["paths"]["/api/stores/"]["get"]["parameters"] if p["name"] == "lat")
    assert (lat["schema"]["minimum"], lat["schema"]["maximum"]) == (-90, 90)
    lines = resolve(schema, schema["components"]["schemas"]["ClaimSubmitInputRequest"])["properties"]["lines"]
    assert lines["minItems"] == 1
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert {"401", "429"} <= set(operation["responses"]), (method, path)


def test_the_new_reads_answer_with_what_the_rep_may_see(site, api_for):
    rep = api_for(site.users["rep"])
    results = rep.get(f"/api/visits/{site.visit.public_id}/results/").json()
    assert results["results"][0]["score"] == "82.0" and results["placement_checks"][0]["verdict"] == "executed"
    assert rep.get("/api/skus/").json()["results"][0]["sku"] == "gold-900"
    planogram = rep.get(f"/api/planograms/{site.planogram.pk}/").json()
    assert planogram["shelves"] == [{"level": 1, "facings": [{"position": 1, "sku": "gold-900", "facings": 3}]}]
    assert [c["name"] for c in rep.get("/api/campaigns/").json()["results"]] == ["Spring end-caps"]
    assert [p["id"] for p in rep.get("/api/placements/").json()["results"]] == [site.placement.pk]
    other = api_for(site.users["other_rep"])
    assert other.get("/api/placements/").json()["results"] == []  # not at their stores
    assert other.get(f"/api/visits/{site.visit.public_id}/results/").status_code == 404


def test_the_api_docs_load_nothing_from_other_hosts(site, client):
    for page in ("/api/redoc/", "/api/docs/"):
        html = client.get(page).content.decode()
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources and all(s.startswith("/") for s in sources), (page, sources)
        assert "fonts.googleapis.com" not in html and "cdn" not in html.lower()
        for source in sources:
            assert client.get(source.split("?")[0] if "static" in source else source).status_code == 200, source


def test_the_forecast_api_starts_one_run_at_a_time(site, api_for):
    from forecasting.models import ForecastRun

    planner = api_for(site.users["planning"])
    first = planner.post("/api/forecasting/runs/", {"horizon": 7}, format="json")
    assert first.status_code == 202
    second = planner.post("/api/forecasting/runs/", {"horizon": 7}, format="json")
    assert second.status_code == 409 and second.json()["run"] == first.json()["id"]
    assert ForecastRun.objects.filter(status=ForecastRun.Status.QUEUED).count() == 1
    marketing = api_for(site.users["marketing"]).post("/api/forecasting/runs/", {"horizon": 7}, format="json")
    assert marketing.status_code == 403  # marketing reads forecasts, planners start runs
