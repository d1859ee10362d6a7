"""Step (with ``--pregnancies N``): the care the bulk cohort received, in bulk SQL — five-colour grades,
case management, reports to the county supervisors, referrals with their access grants, MDT
consultations, and the alerts all of these raised.

Every pregnancy of the demo cohort that has no grade, no referral, no consultation and no alert yet is
planned in one statement (``plan.py``), then loaded in batches like the cohort itself (``run.py``): one
``INSERT ... SELECT`` per table and batch, in parallel connections when the command runs on its own.
A database seeded before this step existed is upgraded by running the command again; a second run finds
nothing new to plan and adds nothing. Curated stories and anything a user did (they have grades,
referrals or alerts) are never touched.

The rows are those the services would have written (``risk.services._apply_confirmed``,
``referrals.services``, ``consults.services``, ``cases.services.access``), without audit rows, for the
reason ``pregnancies`` gives. Mix and timing: ``mix.py``. Alerts are left in a final state (resolved,
acknowledged, pending until their due time, or delivered at the top of the escalation ladder) so the
workers' sweeps have nothing to deliver or escalate for old events; see ``load.ALERTS``.
"""

import json
import time
from collections import Counter

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext

from facilities.choices import Specialty
from facilities.services import facility_access_group
from notifications.recipients import MAX_LEVEL
from risk.catalogue import load_yaml
from risk.loading import NATIONAL_EFFECTIVE_FROM, NATIONAL_KEY, load_catalogue
from risk.models import CatalogueCriterion, CatalogueVersion, RiskPolicy
from risk.selectors import catalogue_version_for

from ...geography import PROVINCE
from ..context import SeedContext
from ..pregnancies import DEFAULT_JOBS
from ..pregnancies.load import insert_statement
from ..pregnancies.run import load_parallel, load_serial, prepare_session
from . import load, mix, plan

BATCH = 20_000
LOCK_KEY = 24_468_331  # one care load at a time (the work tables have fixed names)
WORK_TABLES = ("demo_care_p", "demo_care_fac")
COLOR_NAMES = {"green": "绿色", "yellow": "黄色", "orange": "橙色", "red": "红色"}


def _texts() -> dict:
    """Free text as the demo's clinicians write it, and the services' own strings (zh-Hans)."""
    with translation.override("zh-hans"):
        grants = {
            "grant_requested": gettext("Referral requested"),
            "grant_accepted": gettext("Referral accepted"),
            "grant_completed": gettext("Sender follows the outcome"),
        }
        specialties = {value: str(label) for value, label in Specialty.choices}
    opinions = {
        value: f"{label}：同意目前的诊疗方案，建议按计划监测相关指标，病情变化随时会诊。"
        for value, label in specialties.items()
    }
    opinions["obstetrics"] = "产科：目前母胎情况基本稳定，继续专案管理，加强产前监护，适时终止妊娠。"
    return {
        **grants,
        "color_names": COLOR_NAMES,
        "report_summary": "妊娠风险评估为",
        "report_purple": "（合并传染病，紫色）",
        "report_tail": "，已纳入专案管理并制定个案管理计划。",
        "report_plan": "专人负责，按专案管理计划随访，每次产检复评风险，必要时上转。",
        "reason_up": "妊娠风险评估为高风险，超出本院救治能力，转危重孕产妇救治中心进一步诊治。",
        "reason_down": "产后病情平稳，转回辖区卫生院完成产后访视和42天健康检查。",
        "treatments": "已建立静脉通路，监测生命体征及胎心。",
        "discharge_summary": "分娩经过顺利，产后恢复良好，已出院，请按规范完成产后访视。",
        "escort": "产科医生1名、护士1名",
        "cancel_reason": "孕妇及家属经沟通后暂不同意转诊，已签字并继续本院观察。",
        "decline_reason": "本中心近期无法安排产后访视人员，请转至其他卫生院。",
        "findings_up": "已接诊，完成评估，诊断明确。",
        "findings_down": "已接收，将按规范完成产后访视。",
        "treatment_up": "收入产科病房，多学科评估后制定治疗方案。",
        "disposition_up": "在本中心继续专案管理，计划在本院分娩。",
        "disposition_down": "纳入辖区产后访视管理。",
        "recommendations_up": "请基层继续随访，病情变化及时联系本中心。",
        "question_red": "红色预警孕妇，请多学科评估继续妊娠的风险及诊疗方案。",
        "question_orange": "橙色预警孕妇，请多学科会诊制定分娩计划（时机、方式、地点）。",
        "location": "产科示教室",
        "recommend_red": "多学科评估后可在严密监护下继续妊娠，每周复诊，出现病情变化立即住院。",
        "recommend_orange": "孕37周左右入院待产，做好输血及新生儿复苏准备。",
        "decision_red": "在严密监护下继续妊娠，孕34周后再次评估分娩时机。",
        "decision_orange": "孕37周入院，择期剖宫产，麻醉科、新生儿科到场。",
        "womans_choice": "孕妇及家属已知情，同意上述方案并签字。",
        "consult_cancel": "孕妇已转院，会诊取消。",
        "action_lead": "复查血常规、凝血功能及肝肾功能",
        "action_specialist": "专科门诊随访并评估用药",
        "action_done": "已完成",
        "opinions": opinions,
    }


def _catalogue():
    """The catalogue version grading in the demo province uses; the national one is loaded as its data
    migration does when a database lost it (a flushed test database)."""
    try:
        return catalogue_version_for(region_code=PROVINCE.code)
    except CatalogueVersion.DoesNotExist:
        load_catalogue(
            CatalogueVersion,
            CatalogueCriterion,
            load_yaml(),
            key=NATIONAL_KEY,
            title="孕产妇妊娠风险评估与管理工作规范 (NHC 2017) — national table",
            effective_from=NATIONAL_EFFECTIVE_FROM,
        )
        return catalogue_version_for(region_code=PROVINCE.code)


def _params(ctx: SeedContext) -> dict:
    version = _catalogue()
    criteria = CatalogueCriterion.objects.filter(version=version, stage="assessment")
    categories = sorted(set(criteria.exclude(category="overall").values_list("category", flat=True)))
    rule_codes = list(criteria.filter(rule__isnull=False).values_list("code", flat=True))
    return {
        **_texts(),
        **_policy_params(),
        "now": ctx.now,
        "today": ctx.local_today,
        "version_id": version.pk,
        "categories": categories,
        "rule_codes": rule_codes,
        "max_level": MAX_LEVEL,
        "ack_after": mix.ALERT_ACKNOWLEDGED_AFTER_HOURS,
        "grant_days": settings.CONSULT_GRANT_DAYS_AFTER,
        "view_perm": Permission.objects.get(content_type__app_label="cases", codename="view_pregnancy").pk,
        "change_perm": Permission.objects.get(
            content_type__app_label="cases", codename="change_pregnancy"
        ).pk,
    }


def _statements(params: dict) -> list[tuple[str, str, dict]]:
    statements = []
    base = {k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v for k, v in params.items()}
    for label, model, columns, sql in load.STATEMENTS:
        if model is None:
            statements.append((label, sql, base))
        else:
            insert, defaults = insert_statement(model, columns, sql)
            statements.append((label, insert, {**base, **defaults}))
    return statements


def _plan(cursor, ctx: SeedContext, kind: str, facility_ids: list[int]) -> int:
    """Create the work tables; return the number of planned pregnancies."""
    params = plan.plan_params(now=ctx.now, today=ctx.local_today, facility_ids=facility_ids)
    cursor.execute(f"CREATE {kind} TABLE demo_care_fac AS {plan.FACILITIES_SQL}", params)
    cursor.execute("ALTER TABLE demo_care_fac ADD PRIMARY KEY (id), ADD COLUMN group_id int")
    cursor.execute(plan.TARGETS_SQL)
    for facility in ctx.facilities.values():  # each facility's access group (created if missing)
        group = facility_access_group(facility=facility)
        cursor.execute("UPDATE demo_care_fac SET group_id = %s WHERE id = %s", [group.pk, facility.pk])
    cursor.execute("ANALYZE demo_care_fac")
    cursor.execute(f"CREATE {kind} TABLE demo_care_p AS {plan.PLAN_SQL}", params)
    columns = _split(plan.TIMES_COLUMNS) + _split(plan.REPORT_COLUMNS)
    cursor.execute("ALTER TABLE demo_care_p ADD " + ", ADD ".join(columns))
    cursor.execute("CREATE UNIQUE INDEX ON demo_care_p (n)")
    cursor.execute("CREATE UNIQUE INDEX ON demo_care_p (id)")
    extra = {"now": ctx.now, "today": ctx.local_today, **_policy_params()}
    cursor.execute(plan.TIMES_SQL, extra)
    cursor.execute(plan.REPORTS_SQL, extra)
    cursor.execute("ANALYZE demo_care_p")
    cursor.execute("SELECT count(*) FROM demo_care_p")
    return cursor.fetchone()[0]


def _split(columns: str) -> list[str]:
    return [c.strip() for c in columns.split(",")]


def _policy_params() -> dict:
    """Reporting deadlines (the default policy: the demo region has none of its own) and report mix."""
    policy = RiskPolicy.objects.filter(region__isnull=True).first() or RiskPolicy()
    return {
        "red_hours": policy.report_red_hours,
        "purple_hours": policy.report_purple_hours,
        "orange_days": policy.report_orange_days,
        "report_due": mix.REPORT_DUE_SHARE,
        "report_late": mix.REPORT_LATE_SHARE,
    }


def _drop(cursor) -> None:
    for table in WORK_TABLES:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")


def build_care(ctx: SeedContext) -> None:
    jobs = ctx.options.get("jobs") or DEFAULT_JOBS
    started = time.monotonic()
    facility_ids = [f.pk for f in ctx.facilities.values()]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        if not cursor.fetchone()[0]:
            raise CommandError("Another seed_demo is grading this database's cohort.")
    seconds, rows, planned = Counter(), Counter(), 0
    try:
        jobs = jobs if not connection.in_atomic_block else 1
        kind = "UNLOGGED" if jobs > 1 else "TEMP"
        statements = _statements(_params(ctx))
        with connection.cursor() as cursor:
            _drop(cursor)
            try:
                with transaction.atomic():
                    prepare_session(cursor, ctx, local=True)
                    planned = _plan(cursor, ctx, kind, facility_ids)
                    seconds["planning"] = time.monotonic() - started
                    batches = [(lo, min(lo + BATCH - 1, planned)) for lo in range(1, planned + 1, BATCH)]
                    desc = f"care ({planned:,} pregnancies, {len(batches)} batches, {jobs} jobs)"
                    if jobs == 1:
                        for done, spent in ctx.progress(load_serial(statements, batches), desc):
                            rows.update(done)
                            seconds.update(spent)
                if jobs > 1 and batches:
                    for done, spent in ctx.progress(load_parallel(ctx, statements, batches, jobs), desc):
                        rows.update(done)
                        seconds.update(spent)
            finally:
                _drop(cursor)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
    for label, n in rows.items():
        ctx.count(label, "created" if "removed" not in label else "updated", n)
    if not planned:
        ctx.count("graded pregnancies", "unchanged", 0)
        return
    ctx.analyze_tables.update(load.TABLES)
    spent = ", ".join(f"{label} {s:.0f} s" for label, s in seconds.items())
    ctx.note(
        f"Graded and cared for {rows['graded pregnancies']:,} of {planned:,} planned pregnancies in "
        f"{time.monotonic() - started:.1f} s with {jobs} job{'s' if jobs > 1 else ''} (time in statements, "
        f"summed over jobs: {spent})."
    )
