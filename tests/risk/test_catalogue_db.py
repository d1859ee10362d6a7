"""The catalogue in the database: the data migration, regional variants, version choice, disabling."""

import datetime as dt
import textwrap

import pytest
from django.core.management import call_command

from accounts.choices import Role
from risk.models import CatalogueCriterion, CatalogueVersion, RiskAssessment
from risk.selectors import catalogue_version_for, compiled_catalogue
from tests.factories import PregnancyFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_data_migration_loaded_the_national_catalogue():
    version = CatalogueVersion.objects.get(key="cn-nhc-2017@1")
    assert version.region is None
    assert CatalogueCriterion.objects.filter(version=version).count() == 199
    flagged = CatalogueCriterion.objects.get(version=version, code="R-CARDIO-NYHA34-EF40")
    assert flagged.needs_clinical_review and flagged.enabled
    assert CatalogueCriterion.objects.get(version=version, code="P-INF-HIV").sensitive


def test_data_migration_forward_is_idempotent():
    """Running the loader again (as a re-applied migration would) changes nothing."""
    from risk.catalogue import load_yaml
    from risk.loading import NATIONAL_EFFECTIVE_FROM, NATIONAL_KEY, load_catalogue

    _version, created = load_catalogue(
        CatalogueVersion,
        CatalogueCriterion,
        load_yaml(),
        key=NATIONAL_KEY,
        title="x",
        effective_from=NATIONAL_EFFECTIVE_FROM,
    )
    assert created is False
    assert CatalogueCriterion.objects.count() == 199


@pytest.fixture
def zhejiang_like_variant(tmp_path, county):
    path = tmp_path / "variant.yaml"
    path.write_text(
        textwrap.dedent(f"""
        key: test-county-2026@1
        title: County variant (test)
        region: "{county.code}"
        effective_from: "2026-01-01"
        based_on: cn-nhc-2017@1
        criteria:
          - code: Y-LOCAL-HEIGHT145
            stage: assessment
            color: yellow
            category: basic_condition
            name_en: Height 145 cm or less
            name_zh: 身高≤145cm
            rule: {{field: height_cm, op: "<=", value: 145}}
          - code: O-BASIC-AGE40
            rule: {{field: age_years, op: ">=", value: 38}}
        disable: [Y-BASIC-AGE35]
    """),
        encoding="utf-8",
    )
    return path


def test_regional_variant_adds_tightens_and_disables_without_code(zhejiang_like_variant, county, city):
    call_command("load_risk_catalogue", str(zhejiang_like_variant))
    version = catalogue_version_for(region_code=county.code, on=dt.date(2026, 6, 1))
    assert version.key == "test-county-2026@1"
    compiled = compiled_catalogue(version)
    from risk.engine import grade

    result = grade(compiled, [], {"height_cm": 144, "age_years": 38})
    assert {c.code for c in result.triggered} == {"Y-LOCAL-HEIGHT145", "O-BASIC-AGE40"}
    assert result.color == "orange"
    assert catalogue_version_for(region_code="450203", on=dt.date(2026, 6, 1)).key == "cn-nhc-2017@1"
    assert catalogue_version_for(region_code=county.code, on=dt.date(2025, 12, 31)).key == "cn-nhc-2017@1"
    call_command("load_risk_catalogue", str(zhejiang_like_variant))  # idempotent
    assert CatalogueVersion.objects.filter(key="test-county-2026@1").count() == 1


def test_every_assessment_records_the_version_used(api, zhejiang_like_variant, home_facility):
    call_command("load_risk_catalogue", str(zhejiang_like_variant))
    doctor = UserFactory(facility=home_facility, roles=[Role.OBSTETRICIAN])
    pregnancy = PregnancyFactory(managing_facility=home_facility)
    response = api.as_user(doctor).post(
        f"/api/v1/pregnancies/{pregnancy.external_id}/risk-assessments/",
        {"measurements": {"height_cm": 144}},
        format="json",
    )
    assert response.json()["catalogue_version"] == "test-county-2026@1"
    assert RiskAssessment.objects.get().catalogue_version.key == "test-county-2026@1"


def test_a_malformed_variant_is_refused(tmp_path, county):
    from django.core.management.base import CommandError

    path = tmp_path / "bad.yaml"
    path.write_text(
        textwrap.dedent(f"""
        key: broken@1
        title: broken
        region: "{county.code}"
        effective_from: "2026-01-01"
        based_on: cn-nhc-2017@1
        criteria:
          - code: Y-BAD
            stage: assessment
            color: yellow
            category: other
            name_en: bad
            name_zh: 坏
            rule: {{field: no_such_field, op: ">", value: 1}}
    """),
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="no_such_field"):
        call_command("load_risk_catalogue", str(path))
    assert not CatalogueVersion.objects.filter(key="broken@1").exists()


def test_disabling_a_criterion_is_audited_and_takes_effect(client, system_admin):
    from audit.models import AuditEvent

    criterion = CatalogueCriterion.objects.get(code="Y-BASIC-AGE35")
    client.force_login(system_admin)
    response = client.post(
        "/admin/risk/cataloguecriterion/", {"action": "disable_criteria", "_selected_action": [criterion.pk]}
    )
    assert response.status_code == 302
    criterion.refresh_from_db()
    assert criterion.enabled is False
    event = AuditEvent.objects.get(action="update", object_id=str(criterion.external_id))
    assert event.changes == {"enabled": False, "version": "cn-nhc-2017@1"}
    from risk.engine import grade

    compiled = compiled_catalogue(CatalogueVersion.objects.get(key="cn-nhc-2017@1"))
    assert "Y-BASIC-AGE35" not in {c.code for c in grade(compiled, [], {"age_years": 36}).triggered}
