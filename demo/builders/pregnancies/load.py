"""One ``INSERT ... SELECT`` per case table and batch of women (``%(lo)s`` to ``%(hi)s``), from the plan in
``demo_seed_w`` and ``demo_seed_p`` (see ``plan.py``). Each SELECT gives the columns listed beside it;
``insert_statement`` adds every other column with its model default (Django keeps defaults in Python).

Timestamps: a visit, a delivery or a death "today" is never later than ``now`` (``pg_temp.at`` and
``pg_temp.later``), so its local date — from which the case services compute GA — stays the planned one.
"""

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import NOT_PROVIDED

from cases.models import (
    CareTask,
    Delivery,
    MaternalDeath,
    NearMissEvent,
    Newborn,
    Patient,
    Pregnancy,
    PregnancyDating,
    Visit,
)


def _columns(names: str) -> tuple[str, ...]:
    return tuple(names.split())


PATIENT_COLUMNS = _columns("""
    id external_id created_at updated_at record_number name id_number document_type document_number
    birth_date birth_date_estimated phone address emergency_contact_name emergency_contact_phone
    is_unidentified registered_facility_id residence_region_id
""")
PATIENTS = """
SELECT w.patient_id, gen_random_uuid(), f.booked_at, f.booked_at,
       pg_temp.record_number(CASE WHEN w.emergency THEN 'TMP' ELSE 'MS' END,
                             extract(year FROM f.booked_at AT TIME ZONE 'Asia/Shanghai')::int,
                             nextval('cases_record_number_seq')),
       CASE WHEN w.ident = 'unknown'
            THEN replace(%(unidentified_name)s, '{time}',
                         to_char(f.booked_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'))
            ELSE w.name END,
       w.id_number,
       CASE WHEN w.ident = 'passport' THEN 'passport' ELSE '' END,
       CASE WHEN w.ident = 'passport' THEN 'E' || lpad(w.patient_id::text, 8, '0') ELSE '' END,
       w.birth_date, w.ident = 'unknown', w.phone,
       CASE WHEN w.ident = 'unknown' THEN '' ELSE w.address END,
       w.contact_name, w.contact_phone, w.ident = 'unknown',
       f.booking_id,  -- registered where her first pregnancy in the registry was booked
       w.region_id
FROM demo_seed_w AS w
JOIN demo_seed_p AS f ON f.w = w.w AND f.cur = NOT w.two
WHERE w.w BETWEEN %(lo)s AND %(hi)s
"""

# The risk grade (colour, purple…) keeps its model defaults: grading comes later and creates real assessments.
PREGNANCY_COLUMNS = _columns("""
    id external_id created_at updated_at patient_id status outcome booking_facility_id
    managing_facility_id follow_up_facility_id responsible_clinician_id booked_on lmp dating_method edd
    gravida para fetuses ended_on closed_on next_visit_date hiv_status syphilis_status hbv_status
    is_emergency_registration arrived_at chief_complaint
""")
PREGNANCIES = """
SELECT p.pregnancy_id, gen_random_uuid(), p.booked_at,
       greatest(p.booked_at,
                pg_temp.at(greatest(p.lmp0 + p.last_visit_ga, p.ended_on, p.home_visit_on, p.closed_on),
                           1020)),
       p.patient_id, p.status,
       p.outcome,
       p.booking_id, p.managing_id, p.follow_up_id, p.clinician_id, p.booked_on,
       CASE WHEN p.dating_method = 'lmp' THEN p.lmp0 END, p.dating_method, p.edd, p.gravida, p.para,
       p.fetuses, p.ended_on, p.closed_on, p.next_visit_date, p.hiv, p.syphilis, p.hbv, p.emergency,
       CASE WHEN p.emergency THEN p.booked_at END, p.chief_complaint
FROM demo_seed_p AS p
WHERE p.w BETWEEN %(lo)s AND %(hi)s
"""

DATING_COLUMNS = _columns("""
    external_id created_at updated_at pregnancy_id method lmp scan_date ga_days_at_scan crl_mm
    transfer_date embryo_age_days computed_edd adopted reason recorded_by_id
""")
DATINGS = """
SELECT gen_random_uuid(), p.booked_at, p.booked_at, p.pregnancy_id, p.dating_method,
       CASE WHEN p.dating_method = 'lmp' THEN p.lmp0 END,
       CASE WHEN p.dating_method = 'ultrasound' THEN p.booked_on END,
       CASE WHEN p.dating_method = 'ultrasound' THEN p.b END,
       -- crown-rump length up to 13+6 (Robinson: GA days = 8.052 * sqrt(CRL mm) + 23.73)
       CASE WHEN p.dating_method = 'ultrasound' AND p.b <= 97
            THEN round((((p.b - 23.73) / 8.052) ^ 2)::numeric, 1) END,
       CASE WHEN p.dating_method = 'art' THEN p.edd - 266 + e.age END,
       CASE WHEN p.dating_method = 'art' THEN e.age END,
       p.edd, true, %(dating_reason)s, p.clinician_id
FROM demo_seed_p AS p
CROSS JOIN LATERAL (SELECT CASE WHEN pg_temp.u(p.pk, 53) < 0.6 THEN 5 ELSE 3 END AS age) AS e
WHERE p.w BETWEEN %(lo)s AND %(hi)s
"""

VISIT_COLUMNS = _columns("""
    external_id created_at updated_at pregnancy_id kind visited_at facility_id clinician_id ga_days
    sbp_mmhg dbp_mmhg pulse_bpm temperature_c respiratory_rate spo2_pct consciousness weight_kg
    height_cm hb_g_l platelets_10e9_l proteinuria glucose_mmol_l fundal_height_cm fetal_heart_rate
    presentation next_visit_date
""")

# The antenatal schedule (demo_seed_grid) from booking to the last possible visit, minus missed visits.
# Values stay inside the "usual" ranges of cases.services.encounters: nothing needs ``unusual_confirmed``.
ANTENATAL_VISITS = """
SELECT gen_random_uuid(), v.at, v.at, p.pregnancy_id,
       CASE WHEN g.j = 1 AND p.emergency THEN 'emergency' ELSE 'antenatal' END,
       v.at, v.facility_id, f.clin[1 + floor(pg_temp.u(v.vk, 61) * cardinality(f.clin))::int], g.ga,
       -- vital signs: BP, pulse, temperature, respiratory rate, SpO2, AVPU; weight gain from 13 weeks
       v.sbp, round(v.sbp * 0.62)::int + pg_temp.pick(v.vk, 65, -5, 5), pg_temp.pick(v.vk, 66, 68, 100),
       36.2 + pg_temp.pick(v.vk, 67, 0, 9) / 10.0, pg_temp.pick(v.vk, 74, 16, 20),
       pg_temp.pick(v.vk, 75, 96, 100), 'alert',
       round((p.weight0 + greatest(0, g.ga - 91) * 0.065 + pg_temp.u(v.vk, 68) - 0.5)::numeric, 1),
       -- height at booking; Hb and platelets at booking and every third visit; proteinuria; glucose
       CASE WHEN g.j = 1 THEN p.height END,
       CASE WHEN g.j %% 3 <> 1 THEN NULL WHEN p.anaemic THEN pg_temp.pick(v.vk, 69, 80, 94)
            ELSE pg_temp.pick(v.vk, 69, 95, 135) END,
       CASE WHEN g.j %% 3 <> 1 THEN NULL WHEN p.low_platelets THEN pg_temp.pick(v.vk, 70, 100, 149)
            ELSE pg_temp.pick(v.vk, 70, 150, 350) END,
       CASE WHEN p.hypertensive AND g.ga >= 140
                 THEN (ARRAY['trace', '1+', '2+'])[pg_temp.pick(v.vk, 76, 1, 3)]
            WHEN pg_temp.u(v.vk, 76) < 0.9 THEN 'negative' ELSE 'trace' END,
       CASE WHEN g.j = 1 THEN round((4.0 + pg_temp.u(v.vk, 77) * 1.4)::numeric, 1) END,
       -- fundal height from 20 weeks, fetal heart from 12, presentation from 28
       CASE WHEN g.ga >= 140 THEN least(40, g.ga / 7 + pg_temp.pick(v.vk, 71, -2, 2)) END,
       CASE WHEN g.ga >= 84 THEN pg_temp.pick(v.vk, 72, 120, 160) END,
       CASE WHEN g.ga < 196 THEN ''
            WHEN pg_temp.u(v.vk, 73) < 0.95 THEN 'cephalic'
            WHEN pg_temp.u(v.vk, 73) < 0.99 THEN 'breech' ELSE 'transverse' END,
       p.lmp0 + g.next_ga
FROM demo_seed_p AS p
JOIN demo_seed_grid AS g ON g.b = p.b AND g.ga <= p.visit_end
CROSS JOIN LATERAL (
    SELECT p.pk * 64 + g.j AS vk,
           CASE WHEN g.j = 1 THEN p.booking_id ELSE p.managing_id END AS facility_id,
           CASE WHEN g.j = 1 THEN p.booked_at
                ELSE pg_temp.later(p.day0, g.ga * 1440 + pg_temp.pick(p.pk * 64 + g.j, 62, 480, 1020))
           END AS at,
           least(175, p.sbp_base + pg_temp.pick(p.pk * 64 + g.j, 63, -6, 8)
                      + CASE WHEN p.hypertensive AND g.ga >= 140
                             THEN pg_temp.pick(p.pk * 64 + g.j, 64, 28, 50) ELSE 0 END) AS sbp
) AS v
JOIN demo_seed_fac AS f ON f.facility_id = v.facility_id
WHERE p.w BETWEEN %(lo)s AND %(hi)s AND (g.j = 1 OR pg_temp.u(v.vk, 60) >= %(missed)s)
"""

# The postpartum home visit by her primary-care centre and, for closed pregnancies, the 42-day check
# (at primary care, or at the delivering hospital after a complicated birth).
POSTPARTUM_VISITS = """
SELECT gen_random_uuid(), v.at, v.at, p.pregnancy_id, x.kind, v.at, x.facility_id,
       f.clin[1 + floor(pg_temp.u(v.vk, 61) * cardinality(f.clin))::int], NULL::int,
       v.sbp, round(v.sbp * 0.62)::int + pg_temp.pick(v.vk, 65, -5, 5), pg_temp.pick(v.vk, 66, 64, 96),
       36.2 + pg_temp.pick(v.vk, 67, 0, 9) / 10.0, pg_temp.pick(v.vk, 74, 16, 20),
       pg_temp.pick(v.vk, 75, 96, 100), 'alert',
       round((p.weight0 + 3 + pg_temp.u(v.vk, 68) - 0.5)::numeric, 1), NULL::numeric,  -- weight, height
       CASE WHEN x.kind = 'check_42d' THEN pg_temp.pick(v.vk, 69, 95, 135) END, NULL::int,  -- Hb, platelets
       '', NULL::numeric, NULL::int, NULL::int, '',  -- no proteinuria, glucose or fetal findings
       CASE WHEN x.kind = 'postpartum' THEN p.ended_on + 42 END  -- the 42-day check is next
FROM demo_seed_p AS p
CROSS JOIN LATERAL (
    VALUES ('postpartum', p.home_visit_on, p.follow_up_id, 62),
           ('check_42d', p.check_42d_on, p.check_42d_facility_id, 63)
) AS x(kind, on_date, facility_id, n)
CROSS JOIN LATERAL (
    SELECT p.pk * 64 + x.n AS vk,
           pg_temp.at(x.on_date, pg_temp.pick(p.pk * 64 + x.n, 62, 480, 1020)) AS at,
           p.sbp_base + pg_temp.pick(p.pk * 64 + x.n, 63, -6, 8) AS sbp
) AS v
JOIN demo_seed_fac AS f ON f.facility_id = x.facility_id
WHERE p.w BETWEEN %(lo)s AND %(hi)s AND x.on_date IS NOT NULL
"""

DELIVERY_COLUMNS = _columns("""
    external_id created_at updated_at pregnancy_id delivered_at facility_id ga_days mode blood_loss_ml
    complications attended_by_id discharged_at
""")
DELIVERIES = """
SELECT gen_random_uuid(), p.delivered_at, coalesce(d.discharged_at, p.delivered_at), p.pregnancy_id,
       p.delivered_at, p.delivery_id, p.ga_end, p.mode, p.blood_loss_ml, p.complications, p.attendant_id,
       d.discharged_at
FROM demo_seed_p AS p
CROSS JOIN LATERAL (
    SELECT CASE WHEN p.discharged_after <= %(now)s::timestamptz THEN p.discharged_after END AS discharged_at
) AS d
WHERE p.w BETWEEN %(lo)s AND %(hi)s AND p.course = 'delivered'
"""

NEWBORN_COLUMNS = _columns("""
    external_id created_at updated_at delivery_id order outcome sex weight_g apgar_1 apgar_5 died_at
""")
NEWBORNS = """
SELECT gen_random_uuid(), d.created_at, d.created_at, d.id, n.n, o.outcome,
       CASE WHEN pg_temp.u(k.nk, 83) < %(male)s THEN 'male' ELSE 'female' END,
       greatest(500, ((3400 - (280 - p.ga_end) * 27 + pg_temp.pick(k.nk, 81, -400, 400))
                      * CASE WHEN p.fetuses > 1 THEN 0.85 ELSE 1 END)::int),
       a.apgar_1,
       CASE WHEN o.outcome = 'stillbirth' THEN 0 ELSE least(10, a.apgar_1 + pg_temp.pick(k.nk, 84, 0, 2)) END,
       CASE WHEN o.outcome = 'neonatal_death'
            THEN pg_temp.later(d.delivered_at, pg_temp.pick(k.nk, 85, 60, 167 * 60))
       END
FROM demo_seed_p AS p
JOIN cases_delivery AS d ON d.pregnancy_id = p.pregnancy_id
CROSS JOIN LATERAL generate_series(1, p.fetuses) AS n(n)
CROSS JOIN LATERAL (SELECT p.pk * 8 + n.n AS nk) AS k
CROSS JOIN LATERAL (
    SELECT CASE WHEN pg_temp.u(k.nk, 80) < %(stillbirth)s THEN 'stillbirth'
                WHEN pg_temp.u(k.nk, 80) < %(stillbirth)s + %(neonatal_death)s THEN 'neonatal_death'
                ELSE 'live_birth' END AS outcome
) AS o
CROSS JOIN LATERAL (
    SELECT CASE WHEN o.outcome = 'stillbirth' THEN 0
                WHEN o.outcome = 'neonatal_death' THEN pg_temp.pick(k.nk, 82, 1, 6)
                WHEN pg_temp.u(k.nk, 86) < 0.05 THEN pg_temp.pick(k.nk, 82, 4, 7)
                ELSE pg_temp.pick(k.nk, 82, 8, 10) END AS apgar_1
) AS a
WHERE p.w BETWEEN %(lo)s AND %(hi)s AND p.course = 'delivered'
"""

NEAR_MISS_COLUMNS = _columns("""
    external_id created_at updated_at pregnancy_id occurred_at criteria facility_id recorded_by_id
""")
NEAR_MISSES = """
SELECT gen_random_uuid(), t.at, t.at, p.pregnancy_id, t.at,
       CASE pg_temp.pick(p.pk, 87, 1, 3) WHEN 1 THEN ARRAY['shock', 'transfusion_5u']
                                          WHEN 2 THEN ARRAY['hysterectomy', 'transfusion_5u']
                                          ELSE ARRAY['clotting_failure', 'transfusion_5u'] END,
       p.delivery_id, p.attendant_id
FROM demo_seed_p AS p
CROSS JOIN LATERAL (SELECT pg_temp.later(p.delivered_at, 60) AS at) AS t
WHERE p.w BETWEEN %(lo)s AND %(hi)s AND p.near_miss AND p.attendant_id IS NOT NULL
"""

DEATH_COLUMNS = _columns("""
    external_id created_at updated_at pregnancy_id died_at facility_id cause icd10 is_late
    recorded_by_id
""")
MATERNAL_DEATHS = """
SELECT gen_random_uuid(), p.died_at, p.died_at, p.pregnancy_id, p.died_at, c.facility_id, c.cause, c.icd10,
       false, c.recorded_by
FROM demo_seed_p AS p
CROSS JOIN LATERAL (
    SELECT CASE WHEN p.course = 'delivered' THEN p.delivery_id ELSE p.managing_id END AS facility_id,
           CASE WHEN p.course = 'delivered'
                THEN (%(causes_postpartum)s::text[])[1 + p.cause_i %% %(causes_postpartum_n)s]
                ELSE (%(causes_antenatal)s::text[])[1 + p.cause_i %% %(causes_antenatal_n)s]
           END AS cause,
           CASE WHEN p.course = 'delivered'
                THEN (%(icd_postpartum)s::text[])[1 + p.cause_i %% %(causes_postpartum_n)s]
                ELSE (%(icd_antenatal)s::text[])[1 + p.cause_i %% %(causes_antenatal_n)s]
           END AS icd10,
           CASE WHEN p.course = 'delivered' THEN coalesce(p.attendant_id, p.clinician_id)
                ELSE p.clinician_id END
               AS recorded_by
) AS c
WHERE p.w BETWEEN %(lo)s AND %(hi)s AND p.status = 'maternal_death' AND c.recorded_by IS NOT NULL
"""

# PMTCT: any unknown HIV / syphilis / hepatitis B result of an open pregnancy is a "tests pending" task,
# as cases.services.pregnancies opens it; an unidentified emergency arrival also has "complete the record".
TASK_COLUMNS = _columns("""
    external_id created_at updated_at pregnancy_id kind status facility_id due_at details
""")
CARE_TASKS = """
SELECT gen_random_uuid(), p.booked_at, p.booked_at, p.pregnancy_id, t.kind, 'open', p.managing_id,
       p.booked_at + interval '24 hours', t.details
FROM demo_seed_p AS p
CROSS JOIN LATERAL (
    SELECT 'pmtct_tests_pending' AS kind,
           jsonb_build_object('unknown', to_jsonb(array_remove(ARRAY[
               CASE WHEN p.hiv = 'unknown' THEN 'hiv' END,
               CASE WHEN p.syphilis = 'unknown' THEN 'syphilis' END,
               CASE WHEN p.hbv = 'unknown' THEN 'hbv' END], NULL))) AS details
    WHERE 'unknown' IN (p.hiv, p.syphilis, p.hbv)
    UNION ALL
    SELECT 'backfill_record', '{}'::jsonb WHERE p.emergency AND p.ident = 'unknown'
) AS t
WHERE p.w BETWEEN %(lo)s AND %(hi)s AND p.status IN ('active', 'postpartum')
"""

# (label for the report, model, columns the SELECT gives, SELECT), in foreign-key order.
STATEMENTS = (
    ("patients", Patient, PATIENT_COLUMNS, PATIENTS),
    ("pregnancies", Pregnancy, PREGNANCY_COLUMNS, PREGNANCIES),
    ("pregnancy datings", PregnancyDating, DATING_COLUMNS, DATINGS),
    ("visits", Visit, VISIT_COLUMNS, ANTENATAL_VISITS),
    ("visits", Visit, VISIT_COLUMNS, POSTPARTUM_VISITS),
    ("deliveries", Delivery, DELIVERY_COLUMNS, DELIVERIES),
    ("newborns", Newborn, NEWBORN_COLUMNS, NEWBORNS),
    ("near misses", NearMissEvent, NEAR_MISS_COLUMNS, NEAR_MISSES),
    ("maternal deaths", MaternalDeath, DEATH_COLUMNS, MATERNAL_DEATHS),
    ("care tasks", CareTask, TASK_COLUMNS, CARE_TASKS),
)


def insert_statement(model, columns: tuple[str, ...], select: str) -> tuple[str, dict]:
    """``INSERT INTO <table> (columns + the others) SELECT s.*, <their defaults> FROM (select) AS s``.

    Every other concrete field gets its model default (a parameter), or NULL when nullable, so a field added
    to a case model with a default does not break the seed; a new required field without one stops it with a
    message saying where to fill it.
    """
    extra_columns, values, params = [], [], {}
    for field in model._meta.concrete_fields:
        if field.column in columns or field.primary_key or field.db_default is not NOT_PROVIDED:
            continue
        if field.null and not field.has_default():
            continue
        default = field.get_default()  # a blank CharField without a default gives ""
        if default is None:
            raise ImproperlyConfigured(
                f"{model.__name__}.{field.name} is required and has no default: "
                "give it a value in demo/builders/pregnancies/load.py."
            )
        name = f"default__{field.column}"
        params[name] = field.get_db_prep_save(default, connection)
        extra_columns.append(field.column)
        values.append(f", %({name})s::{field.db_type(connection)}")
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in (*columns, *extra_columns))
    sql = f"INSERT INTO {table} ({quoted})\nSELECT s.*{''.join(values)}\nFROM ({select}) AS s"  # noqa: S608
    return sql, params


TABLES = tuple(dict.fromkeys(model._meta.db_table for _, model, _, _ in STATEMENTS))
