"""A write the database refuses because of a concurrent one (deadlock, serialization failure) answers
503 with a translated "nothing was saved, try again", in the API's error shape or as a page, and saves
nothing; other database errors are not disguised as one."""

import pytest
from django.db import connection, transaction

from core.errors import WRITE_CONFLICT_MESSAGE
from referrals import services
from referrals.models import Referral

from .test_referrals import refer, step

pytestmark = pytest.mark.django_db


def refused_after_writing(real, sqlstate: str):
    """The service as a deadlock leaves it: its writes done, then the database refuses the transaction
    (a real PostgreSQL error with that SQLSTATE, raised inside the service's transaction)."""

    @transaction.atomic
    def service(**kwargs):
        real(**kwargs)
        with connection.cursor() as cursor:
            cursor.execute(f"DO $$ BEGIN RAISE EXCEPTION 'refused' USING ERRCODE = '{sqlstate}'; END $$")

    return service


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])  # deadlock detected, serialization failure
def test_an_api_step_refused_by_a_concurrent_write_answers_503_and_saves_nothing(
    api, obstetrician, centre_doctor, pregnancy, centre, monkeypatch, sqlstate
):
    referral_id = refer(api, obstetrician, pregnancy, centre).json()["id"]
    refused = refused_after_writing(services.referral_accept, sqlstate)
    monkeypatch.setattr(services, "referral_accept", refused)

    response = step(api, centre_doctor, referral_id, "accept")

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json() == {"message": str(WRITE_CONFLICT_MESSAGE), "errors": {}}
    referral = Referral.objects.get(external_id=referral_id)
    assert (referral.status, referral.accepted_by_id, referral.accepted_at) == ("requested", None, None)
    assert not centre_doctor.has_perm("cases.change_pregnancy", pregnancy)  # the accept's grant is gone too
    chinese = api.as_user(centre_doctor).post(
        f"/api/v1/referrals/{referral_id}/accept/", {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert chinese.status_code == 503 and "未保存" in chinese.json()["message"]


def test_a_page_step_refused_by_a_concurrent_write_says_so_and_offers_the_way_back(
    client, api, obstetrician, centre_doctor, pregnancy, centre, monkeypatch
):
    referral_id = refer(api, obstetrician, pregnancy, centre).json()["id"]
    monkeypatch.setattr(services, "referral_accept", refused_after_writing(services.referral_accept, "40P01"))
    client.force_login(centre_doctor)
    page = f"/referrals/{referral_id}/"

    response = client.post(f"{page}accept/", HTTP_REFERER=f"http://testserver{page}")

    assert response.status_code == 503 and response["Retry-After"] == "1"
    body = response.content.decode()
    assert str(WRITE_CONFLICT_MESSAGE) in body
    assert f'href="http://testserver{page}"' in body  # back to the referral
    assert Referral.objects.get(external_id=referral_id).status == "requested"
    # a referrer from elsewhere is not offered
    response = client.post(f"{page}accept/", HTTP_REFERER="https://evil.example/x")
    assert response.status_code == 503 and "evil.example" not in response.content.decode()


def test_other_database_errors_are_not_answered_as_a_conflict(
    client, api, obstetrician, centre_doctor, pregnancy, centre, monkeypatch
):
    referral_id = refer(api, obstetrician, pregnancy, centre).json()["id"]
    # query_canceled (a statement timeout): a server error, not "try again, nothing was saved"
    monkeypatch.setattr(services, "referral_accept", refused_after_writing(services.referral_accept, "57014"))
    client.force_login(centre_doctor)
    client.raise_request_exception = False
    assert client.post(f"/referrals/{referral_id}/accept/").status_code == 500
