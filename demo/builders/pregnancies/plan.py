"""The cohort as two staging tables, computed in SQL before anything is inserted.

``demo_seed_w``: one row per woman — ids taken from the tables' own sequences, residence, age, identity,
obstetric history, name and phones. Resident ID numbers are made unique here: within each (county,
birth date) a woman gets the next even sequence number after any already stored, so they never collide
with earlier runs or other patients.

``demo_seed_p``: one row per pregnancy (the current one; for one woman in 20 also an earlier, closed one) —
status, dates, facilities, clinicians, dating, infection results, and how it ended. The load step
(``load.py``) turns both into rows of the case tables batch by batch.

Every random draw is ``pg_temp.u(key, channel)``: the woman key ``wk``, the pregnancy key ``pk`` or a
visit key. Channel numbers only need to differ between draws of the same key.

Each layer is a ``MATERIALIZED`` CTE: otherwise PostgreSQL copies a layer's expressions into every later
reference (the status draw ended up evaluated dozens of times per row), which made planning 2–3× slower.
"""

import datetime as dt

from cases.choices import DeliveryComplication, PregnancyStatus

from ..names import FEMALE_GIVEN, GIVEN, SURNAMES
from . import mix
from .mix import cumulative

S = PregnancyStatus

WOMEN_SQL = """
WITH draw AS MATERIALIZED (
    SELECT g.w, g.wk, g.two,
           width_bucket(pg_temp.u(g.wk, 1), %(county_cum)s::float8[]) AS county_i,
           pg_temp.u(g.wk, 2) < %(emergency_share)s AND NOT g.two AS emergency,
           width_bucket(pg_temp.u(g.wk, 3), %(age_cum)s::float8[]) AS age_band,
           pg_temp.u(g.wk, 4) AS u_ident,
           width_bucket(pg_temp.u(g.wk, 5), %(prior_cum)s::float8[]) - 1 AS prior_draw
    FROM (
        -- exactly the requested number of women (spread evenly) also have an earlier pregnancy
        SELECT w, %(wbase)s::bigint + w AS wk,
               (w::bigint * %(two)s) / %(women)s > ((w - 1)::bigint * %(two)s) / %(women)s AS two
        FROM generate_series(1, %(women)s) AS w
    ) AS g
), person AS MATERIALIZED (
    SELECT d.*, c.region_id, c.code AS county_code,
           c.primary_ids[town.i] AS primary_id,
           c.primary_addr[town.i] || pg_temp.pick(d.wk, 11, 1, 200) || '号' AS address,
           CASE WHEN d.two THEN greatest(a.age, 24) ELSE a.age END AS age,
           CASE WHEN d.emergency THEN
                CASE WHEN d.u_ident < %(emergency_unidentified)s THEN 'unknown'
                     WHEN d.u_ident < %(emergency_unidentified)s + %(emergency_id)s THEN 'id'
                     ELSE 'none' END
                WHEN d.u_ident < %(resident_id)s THEN 'id'
                WHEN d.u_ident < %(resident_id)s + %(passport)s THEN 'passport'
                ELSE 'none' END AS ident
    FROM draw AS d
    JOIN demo_seed_county AS c ON c.county_i = d.county_i
    CROSS JOIN LATERAL (SELECT pg_temp.pick(d.wk, 6, 1, cardinality(c.primary_ids)) AS i) AS town
    CROSS JOIN LATERAL (
        SELECT pg_temp.pick(d.wk, 7, (%(age_lo)s::int[])[d.age_band], (%(age_hi)s::int[])[d.age_band]) AS age
    ) AS a
), history AS MATERIALIZED (
    SELECT p.*,
           CASE WHEN p.ident = 'unknown'  -- an estimated age: 1 January of the estimated birth year
                THEN make_date(extract(year FROM %(today)s::date)::int - p.age, 1, 1)
                ELSE (%(today)s::date - make_interval(years => p.age))::date - pg_temp.pick(p.wk, 8, 0, 364)
           END AS birth_date,
           CASE WHEN p.two THEN greatest(h.prior, 1) ELSE h.prior END AS prior,
           h.losses
    FROM person AS p
    CROSS JOIN LATERAL (
        SELECT least(p.prior_draw, greatest(0, (p.age - 16) / 2)) AS prior,
               (pg_temp.u(p.wk, 9) < %(one_loss)s)::int + (pg_temp.u(p.wk, 10) < %(second_loss)s)::int
                   AS losses
    ) AS h
), existing_ids AS MATERIALIZED (
    -- the highest sequence number already used per (county, birth date): new numbers go above it
    SELECT left(id_number, 14) AS grp, max(substr(id_number, 15, 3)::int) AS seq
    FROM cases_patient
    WHERE id_number ~ '^[0-9]{17}[0-9X]$' AND left(id_number, 6) = ANY(%(county_codes)s::text[])
    GROUP BY 1
), numbered AS MATERIALIZED (
    -- women with a resident ID, numbered within their (county, birth date)
    SELECT g.w, g.grp, row_number() OVER (PARTITION BY g.grp ORDER BY g.w) AS rn
    FROM (
        SELECT h.w, h.county_code || to_char(h.birth_date, 'YYYYMMDD') AS grp FROM history AS h
        WHERE h.ident = 'id'
    ) AS g
)
SELECT n.w, n.wk, n.two, n.emergency, n.county_i, n.region_id, n.age, n.birth_date,
       nextval(%(patient_sequence)s::regclass) AS patient_id, n.primary_id, n.address,
       CASE WHEN n.ident = 'id' AND seq.digits IS NULL THEN 'none' ELSE n.ident END AS ident,
       CASE WHEN n.ident = 'id' THEN seq.digits || pg_temp.id_check(seq.digits) END AS id_number,
       n.prior,
       greatest(0, n.prior - n.losses) + CASE WHEN n.two AND n.prior - n.losses < 1 THEN 1 ELSE 0 END AS para,
       substr(%(surnames)s, pg_temp.pick(n.wk, 12, 1, length(%(surnames)s)), 1)
           || substr(%(female_given)s, pg_temp.pick(n.wk, 13, 1, length(%(female_given)s)), 1)
           || CASE WHEN pg_temp.u(n.wk, 14) < 0.35 THEN ''
                   ELSE substr(%(female_given)s, pg_temp.pick(n.wk, 15, 1, length(%(female_given)s)), 1)
              END AS name,
       CASE WHEN n.ident = 'unknown' THEN '' ELSE pg_temp.phone(n.wk, 16) END AS phone,
       CASE WHEN n.ident <> 'unknown' AND pg_temp.u(n.wk, 18) < %(contact)s
            THEN substr(%(surnames)s, pg_temp.pick(n.wk, 19, 1, length(%(surnames)s)), 1)
                 || substr(%(given)s, pg_temp.pick(n.wk, 20, 1, length(%(given)s)), 1)
                 || substr(%(given)s, pg_temp.pick(n.wk, 21, 1, length(%(given)s)), 1)
            ELSE '' END AS contact_name,
       CASE WHEN pg_temp.u(n.wk, 18) < %(contact)s THEN pg_temp.phone(n.wk, 22) ELSE '' END AS contact_phone
FROM history AS n
LEFT JOIN numbered AS r ON r.w = n.w
LEFT JOIN existing_ids AS e ON e.grp = r.grp
CROSS JOIN LATERAL (  -- an even (female) sequence number; none left above 998 means no ID number
    SELECT CASE WHEN 2 * (coalesce(e.seq, 0) / 2 + r.rn::int) <= 998
                THEN r.grp || lpad((2 * (coalesce(e.seq, 0) / 2 + r.rn::int))::text, 3, '0') END AS digits
) AS seq
ORDER BY n.w
"""


def women_params(*, women: int, two: int, wbase: int, today, county_cum, county_codes) -> dict:
    return {
        "women": women,
        "two": two,
        "wbase": wbase,
        "today": today,
        "county_cum": county_cum,
        "county_codes": county_codes,
        "emergency_share": mix.EMERGENCY_SHARE,
        "age_cum": cumulative(share for _, _, share in mix.AGE_BANDS),
        "age_lo": [lo for lo, _, _ in mix.AGE_BANDS],
        "age_hi": [hi for _, hi, _ in mix.AGE_BANDS],
        "prior_cum": cumulative(mix.PRIOR_PREGNANCY_SHARES),
        "emergency_unidentified": mix.EMERGENCY_UNIDENTIFIED_SHARE,
        "emergency_id": mix.EMERGENCY_ID_SHARE,
        "resident_id": mix.RESIDENT_ID_SHARE,
        "passport": mix.PASSPORT_SHARE,
        "one_loss": mix.ONE_LOSS_SHARE,
        "second_loss": mix.SECOND_LOSS_SHARE,
        "surnames": SURNAMES,
        "female_given": FEMALE_GIVEN,
        "given": GIVEN,
        "contact": mix.CONTACT_SHARE,
    }


# Pregnancies, in layers: fate (status, how it ended) → timeline (GA today or at the end, end date)
# → booking (GA at booking) → facilities and clinicians → everything else.
PREGNANCIES_SQL = """
WITH base AS MATERIALIZED (
    SELECT w.w, w.wk, w.patient_id, w.county_i, w.primary_id, w.ident, g.cur,
           w.emergency AND g.cur AS emergency,
           w.wk * 2 + g.cur::int AS pk,
           CASE WHEN g.cur THEN w.prior + 1 ELSE w.prior END AS gravida,
           CASE WHEN g.cur THEN w.para ELSE w.para - 1 END AS para
    FROM demo_seed_w AS w
    CROSS JOIN (VALUES (true), (false)) AS g(cur)
    WHERE g.cur OR w.two
), fate AS MATERIALIZED (
    SELECT b.*, f.status,
           CASE WHEN f.status IN ('active', 'lost_to_follow_up', 'transferred_out') THEN 'ongoing'
                WHEN f.status = 'postpartum' OR NOT b.cur THEN 'delivered'
                WHEN f.status = 'closed' THEN
                     CASE WHEN f.u_end < %(closed_delivered)s THEN 'delivered'
                          WHEN f.u_end < %(closed_delivered)s + %(closed_miscarriage)s THEN 'miscarriage'
                          ELSE 'termination' END
                WHEN f.u_end < %(death_postpartum)s THEN 'delivered'
                ELSE 'died_pregnant' END AS course,
           CASE WHEN pg_temp.u(b.pk, 12) < %(preterm)s THEN pg_temp.pick(b.pk, 13, 196, 258)
                ELSE 259 + floor((pg_temp.u(b.pk, 13) + pg_temp.u(b.pk, 14)) / 2 * 35)::int END AS ga_del
    FROM base AS b
    CROSS JOIN LATERAL (
        SELECT CASE WHEN b.cur
                    THEN (%(statuses)s::text[])[width_bucket(pg_temp.u(b.pk, 10), %(status_cum)s::float8[])]
                    ELSE 'closed' END AS status,
               pg_temp.u(b.pk, 11) AS u_end
    ) AS f
), timeline AS MATERIALIZED (
    -- ga_now: GA today (ongoing pregnancies); ended_on and ga_end: when and at what GA it ended
    SELECT f.*,
           CASE WHEN f.status = 'active' AND pg_temp.u(f.pk, 15) < %(active_late)s
                     THEN pg_temp.pick(f.pk, 16, 259, 293)
                WHEN f.status = 'active' THEN pg_temp.pick(f.pk, 16, 42, 258)
                WHEN f.status = 'lost_to_follow_up' THEN pg_temp.pick(f.pk, 16, 140, 308)
                WHEN f.status = 'transferred_out' THEN pg_temp.pick(f.pk, 16, 84, 287)
           END AS ga_now,
           %(today)s::date - CASE
                WHEN f.course = 'ongoing' THEN NULL
                WHEN f.course = 'died_pregnant' THEN pg_temp.pick(f.pk, 17, 1, 365)
                WHEN f.course <> 'delivered' THEN pg_temp.pick(f.pk, 17, 14, 365)
                WHEN f.status = 'postpartum' THEN pg_temp.pick(f.pk, 17, 0, 41)
                WHEN f.status = 'maternal_death' THEN pg_temp.pick(f.pk, 17, 8, 365)
                WHEN f.cur THEN pg_temp.pick(f.pk, 17, 49, 365)
                ELSE pg_temp.pick(f.pk, 17, 400, 2200) END AS ended_on,
           CASE f.course
                WHEN 'delivered' THEN f.ga_del
                WHEN 'miscarriage' THEN pg_temp.pick(f.pk, 18, 49, 90)
                WHEN 'termination' THEN pg_temp.pick(f.pk, 18, 60, 150)
                WHEN 'died_pregnant' THEN pg_temp.pick(f.pk, 18, 140, 266)
           END AS ga_end
    FROM fate AS f
), dates AS MATERIALIZED (
    SELECT t.*,
           coalesce(%(today)s::date - t.ga_now, t.ended_on - t.ga_end) + 280 AS edd,
           -- the last GA at which an antenatal visit could have happened
           CASE t.status
                WHEN 'active' THEN t.ga_now
                WHEN 'lost_to_follow_up' THEN t.ga_now - pg_temp.pick(t.pk, 19, 42, 84)
                WHEN 'transferred_out' THEN t.ga_now - pg_temp.pick(t.pk, 19, 0, 14)
                ELSE t.ga_end - 1 END AS last_ga,
           width_bucket(pg_temp.u(t.pk, 20), %(booking_cum)s::float8[]) AS band  -- of GA at booking
    FROM timeline AS t
), booking AS MATERIALIZED (
    -- b: GA at booking; an emergency arrival in labour or bleeding is "booked" on the day it ends
    SELECT d.*, d.edd - 280 AS lmp0,
           CASE WHEN d.emergency AND d.course IN ('delivered', 'miscarriage', 'termination') THEN d.ga_end
                WHEN d.emergency
                     THEN greatest(least(d.last_ga, 140), d.last_ga - pg_temp.pick(d.pk, 21, 0, 27))
                ELSE greatest(35, least(d.last_ga, pg_temp.pick(d.pk, 21, (%(booking_lo)s::int[])[d.band],
                                                                (%(booking_hi)s::int[])[d.band])))
           END AS b
    FROM dates AS d
), places AS MATERIALIZED (
    SELECT k.*, k.lmp0 + k.b AS booked_on,
           CASE WHEN k.emergency AND k.course NOT IN ('ongoing', 'died_pregnant') THEN k.b
                ELSE k.last_ga END AS visit_end,
           CASE WHEN r.route <> 0 THEN r.route WHEN k.emergency THEN c.ph_id ELSE k.primary_id END
               AS managing_id  -- route 0: her own primary-care centre (the county hospital in an emergency)
    FROM booking AS k
    JOIN demo_seed_county AS c ON c.county_i = k.county_i
    CROSS JOIN LATERAL (SELECT c.route_ids[width_bucket(pg_temp.u(k.pk, 30), c.route_cum)] AS route) AS r
), staffed AS MATERIALIZED (
    SELECT p.*,
           CASE WHEN p.emergency OR p.managing_id = p.primary_id THEN p.managing_id
                WHEN pg_temp.u(p.pk, 31) < %(booked_at_primary)s THEN p.primary_id
                ELSE p.managing_id END AS booking_id,
           m.obs[1 + floor(pg_temp.u(p.pk, 32) * cardinality(m.obs))::int] AS clinician_id,
           m.delivery_id,
           dl.clin[1 + floor(pg_temp.u(p.pk, 33) * cardinality(dl.clin))::int] AS attendant_id,
           CASE WHEN p.emergency THEN pg_temp.at(p.booked_on, pg_temp.pick(p.pk, 34, 0, 959))
                ELSE pg_temp.at(p.booked_on, pg_temp.pick(p.pk, 34, 480, 1020)) END AS booked_at
    FROM places AS p
    JOIN demo_seed_fac AS m ON m.facility_id = p.managing_id
    JOIN demo_seed_fac AS dl ON dl.facility_id = m.delivery_id
), ended AS MATERIALIZED (
    SELECT s.*,
           CASE WHEN s.course <> 'delivered' THEN NULL
                WHEN s.emergency THEN pg_temp.later(s.booked_at, pg_temp.pick(s.pk, 35, 60, 480))
                ELSE pg_temp.at(s.ended_on, pg_temp.pick(s.pk, 35, 0, 1439)) END AS delivered_at,
           CASE WHEN s.status <> 'closed' THEN NULL
                WHEN s.course = 'delivered' THEN s.ended_on + pg_temp.pick(s.pk, 36, 42, 48)
                ELSE s.ended_on + pg_temp.pick(s.pk, 36, 7, 13) END AS closed_on,
           CASE WHEN s.emergency THEN 'estimate'
                WHEN pg_temp.u(s.pk, 37) < %(dating_lmp)s THEN 'lmp'
                WHEN pg_temp.u(s.pk, 37) < %(dating_lmp)s + %(dating_ultrasound)s THEN 'ultrasound'
                ELSE 'art' END AS dating_method,
           CASE WHEN s.emergency THEN s.booked_at > %(now)s::timestamptz - %(emergency_results)s::interval
                ELSE s.booked_on > %(today)s::date - %(recent_booking_days)s
                     AND pg_temp.u(s.pk, 38) < %(recent_unknown)s END AS results_pending,
           (%(modes)s::text[])[width_bucket(pg_temp.u(s.pk, 39), %(mode_cum)s::float8[])] AS mode,
           pg_temp.u(s.pk, 40) AS u_pph,
           pg_temp.pick(s.pk, 41, 0, 11) AS cause_i  -- 12: a multiple of both cause lists
    FROM staffed AS s
), outcome AS MATERIALIZED (
    SELECT e.*,
           CASE WHEN e.status = 'maternal_death' AND e.course = 'delivered'
                     THEN (%(death_complications)s::text[])[1 + e.cause_i %% %(death_complication_count)s]
                WHEN e.u_pph >= 1 - %(severe_pph)s THEN 'severe_pph'
                WHEN e.u_pph >= 1 - %(severe_pph)s - %(pph)s THEN 'pph' END AS complication,
           CASE WHEN e.status <> 'maternal_death' THEN NULL
                WHEN e.course = 'delivered'
                     THEN pg_temp.later(e.delivered_at, pg_temp.pick(e.pk, 42, 30, 7 * 1440))
                ELSE pg_temp.at(e.ended_on, pg_temp.pick(e.pk, 42, 0, 1439)) END AS died_at
    FROM ended AS e
), visits_planned AS MATERIALIZED (
    -- the last antenatal visit that happened (planned visits are missed at random), and the next it planned
    SELECT o.*, last_visit.ga AS last_visit_ga, last_visit.next_ga AS last_visit_next_ga
    FROM outcome AS o
    LEFT JOIN LATERAL (
        SELECT g.ga, g.next_ga FROM demo_seed_grid AS g
        WHERE g.b = o.b AND g.ga <= o.visit_end AND (g.j = 1 OR pg_temp.u(o.pk * 64 + g.j, 60) >= %(missed)s)
        ORDER BY g.ga DESC LIMIT 1
    ) AS last_visit ON true
)
SELECT v.w, v.pk, v.cur, v.patient_id, v.ident, v.emergency, v.status, v.course,
       nextval(%(pregnancy_sequence)s::regclass) AS pregnancy_id,
       CASE v.course WHEN 'delivered' THEN 'delivery' WHEN 'miscarriage' THEN 'miscarriage'
                     WHEN 'termination' THEN 'termination' ELSE '' END AS outcome,
       v.managing_id, v.booking_id, v.primary_id AS follow_up_id, v.clinician_id, v.delivery_id,
       v.attendant_id, v.edd, v.lmp0, v.b, v.booked_on, v.booked_at, v.visit_end, v.ga_end, v.ended_on,
       v.closed_on, v.dating_method, v.gravida, v.para,
       CASE WHEN pg_temp.u(v.pk, 43) < %(twins)s THEN 2 ELSE 1 END AS fetuses,
       CASE WHEN v.results_pending THEN 'unknown' WHEN pg_temp.u(v.pk, 44) < %(hiv)s THEN 'positive'
            ELSE 'negative' END AS hiv,
       CASE WHEN v.results_pending THEN 'unknown' WHEN pg_temp.u(v.pk, 45) < %(syphilis)s THEN 'positive'
            ELSE 'negative' END AS syphilis,
       CASE WHEN v.results_pending THEN 'unknown' WHEN pg_temp.u(v.pk, 46) < %(hbv)s THEN 'positive'
            ELSE 'negative' END AS hbv,
       CASE WHEN NOT v.emergency THEN ''
            WHEN v.course IN ('miscarriage', 'termination') THEN %(complaint_loss)s
            WHEN v.course = 'delivered'
                 THEN (%(complaints_delivered)s::text[])[pg_temp.pick(v.pk, 47, 1, %(delivered_n)s)]
            ELSE (%(complaints_pregnant)s::text[])[pg_temp.pick(v.pk, 47, 1, %(pregnant_n)s)]
       END AS chief_complaint,
       CASE WHEN v.status IN ('active', 'lost_to_follow_up') THEN v.lmp0 + v.last_visit_next_ga
            WHEN v.status = 'postpartum' THEN v.ended_on + 42 END AS next_visit_date,
       v.delivered_at, v.mode,
       CASE WHEN v.course <> 'delivered' THEN NULL
            WHEN v.complication = 'pph' THEN pg_temp.pick(v.pk, 48, 1000, 1499)
            WHEN v.complication IS NOT NULL THEN pg_temp.pick(v.pk, 48, 1500, 3000)
            WHEN v.mode LIKE 'caesarean%%' THEN pg_temp.pick(v.pk, 48, 300, 600)
            ELSE pg_temp.pick(v.pk, 48, 200, 500) END AS blood_loss_ml,
       CASE WHEN v.course = 'delivered' AND v.complication IS NOT NULL THEN ARRAY[v.complication]
            ELSE '{}'::text[] END AS complications,
       -- discharge 1–3 days after a vaginal birth, 3–5 after a caesarean, 5–9 after a complication
       CASE WHEN v.course <> 'delivered' OR v.died_at IS NOT NULL THEN NULL
            ELSE v.delivered_at + make_interval(
                 days => CASE WHEN v.complication IS NOT NULL THEN pg_temp.pick(v.pk, 49, 5, 9)
                              WHEN v.mode LIKE 'caesarean%%' THEN pg_temp.pick(v.pk, 49, 3, 5)
                              ELSE pg_temp.pick(v.pk, 49, 1, 3) END,
                 mins => pg_temp.pick(v.pk, 50, 0, 600)) END AS discharged_after,
       v.course = 'delivered' AND v.status <> 'maternal_death' AND v.complication = 'severe_pph'
           AND pg_temp.u(v.pk, 51) < %(near_miss)s AS near_miss,
       v.died_at, v.cause_i,
       -- postpartum home visit by primary care (3–7 days after birth) and the 42-day check
       CASE WHEN v.course = 'delivered' AND v.status IN ('postpartum', 'closed')
                 AND v.ended_on + pg_temp.pick(v.pk, 52, 3, 7) <= %(today)s::date
            THEN v.ended_on + pg_temp.pick(v.pk, 52, 3, 7) END AS home_visit_on,
       CASE WHEN v.course = 'delivered' AND v.status = 'closed' THEN v.closed_on END AS check_42d_on,
       CASE WHEN v.complication IS NULL THEN v.primary_id ELSE v.delivery_id END AS check_42d_facility_id,
       v.last_visit_ga,
       -- per-woman constants for her visits; day0: local midnight at the start of the LMP (Asia/Shanghai
       -- has no daylight saving time, so day0 + n days is local midnight n days later)
       pg_temp.u(v.pk, 70) < %(hypertension)s AS hypertensive,
       100 + floor(pg_temp.u(v.pk, 71) * 26)::int AS sbp_base,
       45 + pg_temp.u(v.pk, 72) * 25 AS weight0,
       round((150 + pg_temp.u(v.pk, 73) * 18)::numeric, 1) AS height,
       pg_temp.u(v.pk, 74) < %(anaemia)s AS anaemic,
       pg_temp.u(v.pk, 75) < %(low_platelets)s AS low_platelets,
       v.lmp0::timestamp AT TIME ZONE 'Asia/Shanghai' AS day0
FROM visits_planned AS v
ORDER BY v.w, v.cur
"""


def pregnancies_params(*, today, now, earlier_share: float) -> dict:
    shares = mix.current_status_shares(earlier_share)
    modes = list(mix.DELIVERY_MODE_SHARES)
    assert 12 % len(mix.DEATH_CAUSES_POSTPARTUM) == 0 and 12 % len(mix.DEATH_CAUSES_ANTENATAL) == 0
    death_complications = {
        "O72.1": DeliveryComplication.SEVERE_PPH,
        "O88.1": DeliveryComplication.AMNIOTIC_FLUID_EMBOLISM,
        "O71.1": DeliveryComplication.UTERINE_RUPTURE,
    }
    return {
        "today": today,
        "now": now,
        "statuses": [str(s) for s in shares],
        "status_cum": cumulative(shares.values()),
        "closed_delivered": mix.CLOSED_DELIVERED_SHARE,
        "closed_miscarriage": mix.CLOSED_MISCARRIAGE_SHARE,
        "death_postpartum": mix.MATERNAL_DEATH_POSTPARTUM_SHARE,
        "preterm": mix.PRETERM_SHARE,
        "active_late": mix.ACTIVE_LATE_SHARE,
        "booking_cum": cumulative(share for _, _, share in mix.BOOKING_GA_BANDS),
        "booking_lo": [lo for lo, _, _ in mix.BOOKING_GA_BANDS],
        "booking_hi": [hi for _, hi, _ in mix.BOOKING_GA_BANDS],
        "booked_at_primary": mix.BOOKED_AT_PRIMARY_SHARE,
        "dating_lmp": mix.DATING_LMP_SHARE,
        "dating_ultrasound": mix.DATING_ULTRASOUND_SHARE,
        "emergency_results": dt.timedelta(days=mix.EMERGENCY_RESULTS_DAYS),
        "recent_booking_days": mix.RECENT_BOOKING_DAYS,
        "recent_unknown": mix.RECENT_BOOKING_UNKNOWN_SHARE,
        "modes": [str(m) for m in modes],
        "mode_cum": cumulative(mix.DELIVERY_MODE_SHARES.values()),
        "death_complications": [str(death_complications[icd]) for _, icd in mix.DEATH_CAUSES_POSTPARTUM],
        "death_complication_count": len(mix.DEATH_CAUSES_POSTPARTUM),
        "pph": mix.PPH_SHARE,
        "severe_pph": mix.SEVERE_PPH_SHARE,
        "missed": mix.MISSED_VISIT_SHARE,
        "twins": mix.TWIN_SHARE,
        "hiv": mix.HIV_POSITIVE,
        "syphilis": mix.SYPHILIS_POSITIVE,
        "hbv": mix.HBV_POSITIVE,
        "complaints_delivered": list(mix.EMERGENCY_COMPLAINTS_DELIVERED),
        "complaints_pregnant": list(mix.EMERGENCY_COMPLAINTS_PREGNANT),
        "delivered_n": len(mix.EMERGENCY_COMPLAINTS_DELIVERED),
        "pregnant_n": len(mix.EMERGENCY_COMPLAINTS_PREGNANT),
        "complaint_loss": mix.EMERGENCY_COMPLAINT_LOSS,
        "near_miss": mix.NEAR_MISS_AFTER_SEVERE_PPH,
        "hypertension": mix.HYPERTENSION_SHARE,
        "anaemia": mix.ANAEMIA_SHARE,
        "low_platelets": mix.LOW_PLATELETS_SHARE,
    }
