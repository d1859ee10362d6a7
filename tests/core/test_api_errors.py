"""One error shape for every error status."""

import pytest

from core.errors import Conflict, InvalidTransition

pytestmark = pytest.mark.django_db


def test_unknown_api_url_is_json_404(api, midwife):
    response = api.as_user(midwife).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"message": "Not found.", "errors": {}}


def test_validation_errors_are_named_by_field(api, outsider, pregnancy):
    response = api.as_user(outsider).post(
        f"/api/v1/pregnancies/{pregnancy.external_id}/break-glass/", {"reason": "short"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["message"] and list(body["errors"]) == ["reason"]


def test_conflict_is_409_in_the_error_shape(api, outsider, pregnancy, facility_admin):
    from cases.services import break_glass_open

    access = break_glass_open(
        actor=outsider, pregnancy_id=pregnancy.external_id, reason="Collapsed in clinic"
    )
    admin = facility_admin
    admin.facility = outsider.facility
    admin.save()
    client = api.as_user(admin)
    assert (
        client.post(
            f"/api/v1/break-glass/{access.external_id}/review/", {"note": "ok"}, format="json"
        ).status_code
        == 200
    )
    response = client.post(
        f"/api/v1/break-glass/{access.external_id}/review/", {"note": "again"}, format="json"
    )
    assert response.status_code == 409
    assert set(response.json()) == {"message", "errors"}


def test_error_classes_map_to_statuses():
    assert Conflict.status_code == InvalidTransition.status_code == 409
    assert issubclass(InvalidTransition, Conflict)


def test_error_messages_follow_the_request_language(api):
    response = api.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 401
    assert response.json()["message"] != "Authentication credentials were not provided."


def test_api_docs_render_offline_from_local_assets(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "http://" not in html.replace("http://testserver", "") and "https://" not in html
    assert "<script>" not in html, "no inline script: the CSP forbids it"
    assert client.get("/api/schema/").status_code == 200
