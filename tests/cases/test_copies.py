"""The woman's managing and follow-up facility copied onto her referrals, consults, care tasks, case
managements and follow-up windows by the database (``cases.copies``): set on insert, followed through
transfers and follow-up changes, re-read when a row is written whole from a stale instance or moved to
another pregnancy, left alone by an update of other columns."""

import pytest
from django.db import connection
from django.utils import timezone

from referrals.models import Referral
from tests.factories import FacilityFactory, PregnancyFactory, UserFactory
from tests.rows import care_task, case_management, consult, follow_up, referral

pytestmark = pytest.mark.django_db


def copies(model, pk) -> tuple:
    """The copies as stored (read with SQL, not through an instance)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pregnancy_managing_facility_id, pregnancy_follow_up_facility_id "  # noqa: S608
            f"FROM {model._meta.db_table} WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()


@pytest.mark.parametrize(
    "make",
    [referral, consult, care_task, case_management, follow_up],
    ids=["referral", "consult", "care task", "case management", "follow-up window"],
)
def test_the_copies_follow_the_woman(make):
    county, city, township = FacilityFactory(), FacilityFactory(), FacilityFactory()
    clinician = UserFactory(facility=county)
    pregnancy = PregnancyFactory(managing_facility=county, follow_up_facility=township)
    row = make(pregnancy, city, clinician)
    model = type(row)
    assert copies(model, row.pk) == (county.pk, township.pk)

    pregnancy.managing_facility = city  # a transfer
    pregnancy.save(update_fields=["managing_facility"])
    assert copies(model, row.pk) == (city.pk, township.pk)
    pregnancy.follow_up_facility = None
    pregnancy.save()
    assert copies(model, row.pk) == (city.pk, None)

    # the stale instance written whole (its copies as created or read, not the woman's now): re-read
    row.save()
    assert copies(model, row.pk) == (city.pk, None)
    model.objects.filter(pk=row.pk).update(pregnancy_managing_facility_id=township.pk)
    assert copies(model, row.pk) == (city.pk, None)
    model.objects.filter(pk=row.pk).update(updated_at=timezone.now())  # other columns only
    assert copies(model, row.pk) == (city.pk, None)

    other = PregnancyFactory(managing_facility=township, follow_up_facility=county)
    model.objects.filter(pk=row.pk).update(pregnancy=other)  # a merge moves her rows (she has none)
    assert copies(model, row.pk) == (township.pk, county.pk)
    pregnancy.managing_facility = county  # the first woman's changes no longer reach the moved row
    pregnancy.save()
    assert copies(model, row.pk) == (township.pk, county.pk)


def test_a_bulk_insert_and_a_raw_update_are_copied_too():
    county, city = FacilityFactory(), FacilityFactory()
    clinician = UserFactory(facility=county)
    women = [PregnancyFactory(managing_facility=county) for _ in range(3)]
    when = timezone.now()
    rows = Referral.objects.bulk_create(
        Referral(
            pregnancy=woman,
            from_facility=county,
            to_facility=city,
            direction="up",
            urgency="routine",
            reason="Twins",
            sending_clinician=clinician,
            requested_at=when,
            clock_started_at=when,
        )
        for woman in women
    )
    assert {copies(Referral, r.pk) for r in rows} == {(county.pk, None)}
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_pregnancy SET managing_facility_id = %s, follow_up_facility_id = %s WHERE id = %s",
            [city.pk, county.pk, women[0].pk],
        )
    assert [copies(Referral, r.pk) for r in rows] == [
        (city.pk, county.pk),
        (county.pk, None),
        (county.pk, None),
    ]
