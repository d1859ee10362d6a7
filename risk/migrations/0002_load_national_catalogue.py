"""Load the bundled national five-colour catalogue and the default regional policy.

Data migration: historical models via apps.get_model; tested in tests/risk/test_catalogue_db.py.
"""

from django.db import migrations


def forward(apps, schema_editor):
    from risk.catalogue import load_yaml
    from risk.loading import NATIONAL_EFFECTIVE_FROM, NATIONAL_KEY, load_catalogue

    version_model = apps.get_model("risk", "CatalogueVersion")
    criterion_model = apps.get_model("risk", "CatalogueCriterion")
    load_catalogue(
        version_model, criterion_model, load_yaml(), key=NATIONAL_KEY,
        title="孕产妇妊娠风险评估与管理工作规范 (NHC 2017) — national table",
        effective_from=NATIONAL_EFFECTIVE_FROM,
    )
    policy_model = apps.get_model("risk", "RiskPolicy")
    if not policy_model.objects.filter(region__isnull=True).exists():
        policy_model.objects.create(
            region=None, report_red_hours=24, report_purple_hours=24, report_orange_days=3,
            visit_interval_days={"yellow": 28, "orange": 14, "red": 7}, proposal_alert_hours=24,
        )


def backward(apps, schema_editor):
    apps.get_model("risk", "RiskPolicy").objects.filter(region__isnull=True).delete()
    version_model = apps.get_model("risk", "CatalogueVersion")
    version_model.objects.filter(key="cn-nhc-2017@1").delete()


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
