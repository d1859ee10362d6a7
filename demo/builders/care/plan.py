"""Reference data and the plan of the care stage, computed in SQL before anything is inserted.

``demo_care_fac``: per demo facility, its tier checks (the grading service's ``tier_satisfies`` for each
colour, precomputed), its staff by role, and where an orange or red woman managed there is up-referred
(the first of her county people's hospital, her city's MCH hospital and the provincial MCH hospital that
satisfies her grade).

``demo_care_p``: one row per pregnancy of the demo cohort that has no grade, no referral, no consult and
no alert yet (so curated stories and anything a user did are never touched, and a re-run finds nothing
new): her grades, case management, reports, referral and consultation with every id and timestamp.
``n`` numbers the rows for the batches. Every draw is ``pg_temp.u(pregnancy id, channel)`` (channels
300+), so a re-run with the same seed plans the same rows.
"""

from . import mix

FACILITIES_SQL = """
SELECT f.id, f.tier, f.region_id,
       CASE f.tier WHEN 'primary' THEN 0 WHEN 'secondary' THEN 1 ELSE 2 END AS tier_rank,
       f.tier = 'tertiary' AND coalesce(f.critical_care_level IN ('city', 'province'), false) AS sat_red,
       f.critical_care_level IS NOT NULL AS sat_orange,
       f.tier IN ('secondary', 'tertiary') AS sat_yellow,
       'isolation_pmtct' = ANY(f.capabilities) AS pmtct,
       coalesce(s.obs, '{}') AS obs, coalesce(s.obs_senior, '{}') AS obs_senior,
       coalesce(s.clin, '{}') AS clin, coalesce(s.mdt, '{}') AS mdt, coalesce(s.admins, '{}') AS admins,
       coalesce(s.spec, '{}') AS spec, coalesce(s.spec_sp, '{}') AS spec_sp,
       (SELECT g.id FROM facilities_facility AS g WHERE g.code = 'DEMO-' || f.region_code
           || '-PH') AS county_ph,
       (SELECT g.id FROM facilities_facility AS g
        WHERE g.code = 'DEMO-' || left(f.region_code, 4) || '00-MCH') AS city_mch,
       (SELECT g.id FROM facilities_facility AS g
        WHERE g.code = 'DEMO-' || left(f.region_code, 2) || '0000-MCH') AS province_mch,
       NULL::bigint AS up_orange, NULL::bigint AS up_red, NULL::bigint AS up_orange_purple,
       NULL::bigint AS up_red_purple
FROM facilities_facility AS f
LEFT JOIN LATERAL (
    SELECT array_agg(u.id ORDER BY u.username) FILTER (WHERE 'obstetrician' = ANY(u.roles)) AS obs,
           array_agg(u.id ORDER BY u.username)
               FILTER (WHERE 'obstetrician' = ANY(u.roles) AND u.title IN ('chief', 'associate_chief'))
               AS obs_senior,
           array_agg(u.id ORDER BY u.username)
               FILTER (WHERE u.roles && ARRAY['obstetrician', 'midwife']::varchar[]) AS clin,
           array_agg(u.id ORDER BY u.username) FILTER (WHERE 'mdt_coordinator' = ANY(u.roles)) AS mdt,
           array_agg(u.id ORDER BY u.username) FILTER (WHERE 'facility_admin' = ANY(u.roles)) AS admins,
           array_agg(u.id ORDER BY u.username)
               FILTER (WHERE 'specialist' = ANY(u.roles) AND u.specialty <> '') AS spec,
           array_agg(u.specialty::text ORDER BY u.username)
               FILTER (WHERE 'specialist' = ANY(u.roles) AND u.specialty <> '') AS spec_sp
    FROM accounts_user AS u WHERE u.facility_id = f.id AND u.is_active
) AS s ON true
WHERE f.id = ANY(%(facility_ids)s) AND f.is_active
"""

# The up-referral target per facility and grade: the nearest centre of a higher tier that satisfies the grade
# (a red woman: the city or provincial centre, whatever the tier she is managed at).
TARGETS_SQL = """
UPDATE demo_care_fac AS f SET
    up_orange = (SELECT g.id FROM unnest(ARRAY[f.county_ph, f.city_mch,
        f.province_mch]) WITH ORDINALITY AS t(x, o)
                 JOIN demo_care_fac AS g ON g.id = t.x
                 WHERE g.id <> f.id AND g.sat_orange AND g.tier_rank > f.tier_rank ORDER BY t.o LIMIT 1),
    up_red = (SELECT g.id FROM unnest(ARRAY[f.city_mch, f.province_mch]) WITH ORDINALITY AS t(x, o)
              JOIN demo_care_fac AS g ON g.id = t.x WHERE g.id <> f.id AND g.sat_red ORDER BY t.o LIMIT 1),
    up_orange_purple = (SELECT g.id FROM unnest(ARRAY[f.county_ph, f.city_mch, f.province_mch])
                        WITH ORDINALITY AS t(x, o) JOIN demo_care_fac AS g ON g.id = t.x
                        WHERE g.id <> f.id AND g.sat_orange AND g.pmtct AND g.tier_rank > f.tier_rank
                        ORDER BY t.o LIMIT 1),
    up_red_purple = (SELECT g.id FROM unnest(ARRAY[f.city_mch, f.province_mch]) WITH ORDINALITY AS t(x, o)
                     JOIN demo_care_fac AS g ON g.id = t.x WHERE g.id <> f.id AND g.sat_red AND g.pmtct
                     ORDER BY t.o LIMIT 1)
"""

# Layers: candidates → colour → timeline of grades → referral → case management, reports, consult.
PLAN_SQL = """
WITH cand AS MATERIALIZED (
    SELECT p.id, p.external_id AS ext, p.status, p.created_at AS booked_at, p.booked_on, p.ended_on,
           p.closed_on, p.is_emergency_registration AS emergency, p.managing_facility_id AS m0,
           p.follow_up_facility_id AS fu, p.responsible_clinician_id AS rc, p.fetuses, p.edd,
           p.dating_method = 'art' AS art, p.hiv_status = 'positive' AS hiv,
           p.syphilis_status = 'positive' AS syphilis, p.hbv_status = 'positive' AS hbv,
           w.birth_date, p.status IN ('active', 'postpartum') AS open
    FROM cases_pregnancy AS p
    JOIN cases_patient AS w ON w.id = p.patient_id
    WHERE w.registered_facility_id = ANY(%(facility_ids)s) AND p.managing_facility_id = ANY(%(facility_ids)s)
      AND p.status <> 'merged' AND p.booked_on IS NOT NULL AND w.birth_date IS NOT NULL
      AND NOT EXISTS (SELECT FROM risk_riskassessment AS a WHERE a.pregnancy_id = p.id)
      AND NOT EXISTS (SELECT FROM referrals_referral AS r WHERE r.pregnancy_id = p.id)
      AND NOT EXISTS (SELECT FROM consults_consult AS c WHERE c.pregnancy_id = p.id)
      AND NOT EXISTS (SELECT FROM notifications_alert AS x WHERE x.pregnancy_id = p.id)
), graded AS MATERIALIZED (
    SELECT c.*, mf.tier_rank AS m0_rank,
           coalesce(CASE WHEN mf.tier <> 'primary' THEN c.m0 END, mf.county_ph, mf.city_mch) AS gf,
           extract(year FROM age(c.booked_on, c.birth_date))::int AS age,
           -- grades and referrals happen while she is in care: before the day her pregnancy ended
           least(%(now)s::timestamptz - interval '5 minutes',
                 CASE WHEN c.ended_on IS NOT NULL THEN pg_temp.at(c.ended_on, 0) END) AS cap,
           c.hbv AND pg_temp.u(c.id, 304) < %(hep_purple)s AS hep,
           CASE WHEN pg_temp.u(c.id, 301) < %(red)s THEN 3
                WHEN pg_temp.u(c.id, 301) < %(red)s + %(orange)s THEN 2
                WHEN pg_temp.u(c.id, 302) < %(yellow_extra)s THEN 1 ELSE 0 END AS rand_rank
    FROM cand AS c
    JOIN demo_care_fac AS mf ON mf.id = c.m0
    WHERE NOT (c.status = 'active' AND c.booked_on >= %(today)s::date - %(pending_days)s
               AND pg_temp.u(c.id, 300) < %(pending_share)s)
), codes AS MATERIALIZED (
    SELECT g.*,
           array_remove(ARRAY[CASE WHEN g.age >= 35 THEN 'Y-BASIC-AGE35' END,
                              CASE WHEN g.age <= 18 THEN 'Y-BASIC-AGE18' END,
                              CASE WHEN g.fetuses = 2 THEN 'Y-PREG-TWINS' END,
                              CASE WHEN g.art THEN 'Y-BASIC-ART' END,
                              CASE WHEN g.hbv AND NOT g.hep THEN 'Y-HEP-HBV-CARRIER' END,
                              CASE WHEN g.age >= 40 THEN 'O-BASIC-AGE40' END], NULL)::text[] AS rec,
           array_remove(ARRAY[CASE WHEN g.hep THEN 'P-INF-VIRAL-HEPATITIS' END,
                              CASE WHEN g.syphilis THEN 'P-INF-SYPHILIS' END,
                              CASE WHEN g.hiv THEN 'P-INF-HIV' END], NULL)::text[] AS pur,
           CASE g.rand_rank
                WHEN 3 THEN (%(red_codes)s::text[])[pg_temp.pick(g.id, 303, 1,
                    cardinality(%(red_codes)s::text[]))]
                WHEN 2 THEN (%(orange_codes)s::text[])[pg_temp.pick(g.id, 303, 1,
                    cardinality(%(orange_codes)s::text[]))]
                WHEN 1 THEN (%(yellow_codes)s::text[])[pg_temp.pick(g.id, 303, 1,
                    cardinality(%(yellow_codes)s::text[]))]
           END AS rand_code,
           CASE WHEN g.age >= 40 THEN 2 WHEN g.age >= 35 OR g.age <= 18 OR g.fetuses = 2 OR g.art
                     OR (g.hbv AND NOT g.hep) THEN 1 ELSE 0 END AS rec_rank
    FROM graded AS g
), grades AS MATERIALIZED (
    SELECT k.*, greatest(k.rec_rank, k.rand_rank) AS rank, cardinality(k.pur) > 0 AS purple, t.t1, t.t2_raw
    FROM codes AS k
    CROSS JOIN LATERAL (
        SELECT least(k.cap, greatest(k.booked_at + interval '10 minutes',
                    CASE WHEN k.emergency THEN k.booked_at + make_interval(mins => pg_temp.pick(k.id,
                        305, 20, 120))
                         ELSE pg_temp.at(k.booked_on + pg_temp.pick(k.id, 306, 0, 10), pg_temp.pick(k.id,
                             307, 480, 1020))
                    END)) AS t1
    ) AS t0
    CROSS JOIN LATERAL (
        SELECT t0.t1,
               CASE WHEN pg_temp.u(k.id, 308) < %(regrade)s
                    THEN pg_temp.at((t0.t1 AT TIME ZONE 'Asia/Shanghai')::date + pg_temp.pick(k.id, 309,
                        28, 84),
                                    pg_temp.pick(k.id, 310, 480, 1020)) END AS t2_raw
    ) AS t
), chain AS MATERIALIZED (
    SELECT g.*, coalesce(g.t2_raw < g.cap, false) AS has_a2,
           CASE WHEN coalesce(g.t2_raw < g.cap, false) AND g.rand_rank > g.rec_rank
                     AND pg_temp.u(g.id, 311) < %(rise)s THEN g.rec_rank ELSE g.rank END AS rank1
    FROM grades AS g
), colours AS MATERIALIZED (
    SELECT c.*, (ARRAY['green', 'yellow', 'orange', 'red'])[c.rank + 1] AS color,
           (ARRAY['green', 'yellow', 'orange', 'red'])[c.rank1 + 1] AS color1,
           CASE WHEN c.has_a2 THEN c.t2_raw ELSE c.t1 END AS tg,  -- the grade a referral follows
           c.rec || CASE WHEN c.rand_code IS NOT NULL THEN ARRAY[c.rand_code] ELSE '{}' END || c.pur AS trig,
           c.rec || CASE WHEN c.rank1 = c.rank
               AND c.rand_code IS NOT NULL THEN ARRAY[c.rand_code] ELSE '{}' END
                 || c.pur AS trig1,
           gfa.obs[1 + floor(pg_temp.u(c.id, 312) * cardinality(gfa.obs))::int] AS assessor,
           gfa.obs[1 + floor(pg_temp.u(c.id, 313) * cardinality(gfa.obs))::int] AS assessor2,
           NOT ((CASE c.rank WHEN 3 THEN mf.sat_red WHEN 2 THEN mf.sat_orange WHEN 1
               THEN mf.sat_yellow ELSE true END)
                AND (cardinality(c.pur) = 0 OR mf.pmtct)) AS nr0,
           CASE WHEN c.rank = 3
               AND cardinality(c.pur) > 0 THEN mf.up_red_purple WHEN c.rank = 3 THEN mf.up_red
                WHEN c.rank = 2
                    AND cardinality(c.pur) > 0 THEN mf.up_orange_purple WHEN c.rank = 2 THEN mf.up_orange
           END AS up_to,
           mf.clin[1 + floor(pg_temp.u(c.id, 314) * cardinality(mf.clin))::int] AS m0_clin,
           mf.region_id AS m0_region
    FROM chain AS c
    JOIN demo_care_fac AS gfa ON gfa.id = c.gf
    JOIN demo_care_fac AS mf ON mf.id = c.m0
    WHERE cardinality(gfa.obs) > 0
), referral AS MATERIALIZED (
    SELECT c.*,
           -- a referral needs someone to send it and someone to receive it
           CASE WHEN c.rank >= 2 AND c.nr0 AND cardinality(ut.obs) > 0 AND coalesce(c.rc,
               c.m0_clin) IS NOT NULL
                     AND pg_temp.u(c.id, 320) < %(up_share)s THEN 'up'
                WHEN c.rank = 1 AND cardinality(c.pur) = 0 AND c.status IN ('postpartum', 'closed')
                     AND c.ended_on IS NOT NULL AND c.m0_rank > 0 AND cardinality(ft.clin) > 0
                         AND c.fu <> c.m0
                     AND coalesce(c.rc, c.m0_clin) IS NOT NULL AND pg_temp.u(c.id,
                         321) < %(down_share)s THEN 'down'
           END AS ref_kind
    FROM colours AS c
    LEFT JOIN demo_care_fac AS ut ON ut.id = c.up_to
    LEFT JOIN demo_care_fac AS ft ON ft.id = c.fu
), ref_draw AS MATERIALIZED (
    SELECT r.*, CASE r.ref_kind WHEN 'up' THEN r.up_to WHEN 'down' THEN r.fu END AS ref_to,
           CASE WHEN r.ref_kind = 'down'
                     THEN CASE WHEN pg_temp.u(r.id,
                         322) < %(down_declined)s THEN 'declined' ELSE 'completed' END
                WHEN r.ref_kind = 'up' AND r.open
                     THEN (%(open_statuses)s::text[])[width_bucket(pg_temp.u(r.id, 322),
                         %(open_cum)s::float8[])]
                WHEN r.ref_kind = 'up'
                     THEN (%(closed_statuses)s::text[])[width_bucket(pg_temp.u(r.id, 322),
                         %(closed_cum)s::float8[])]
           END AS ref_status
    FROM referral AS r
), ref_times AS MATERIALIZED (
    SELECT d.*, rt.tier_rank AS to_rank,
           rt.obs[1 + floor(pg_temp.u(d.id, 323) * cardinality(rt.obs))::int] AS receiver,
           rt.clin[1 + floor(pg_temp.u(d.id, 323) * cardinality(rt.clin))::int] AS receiver_clin,
           CASE WHEN d.ref_kind = 'down' THEN 'routine'
                WHEN d.ref_status IN ('requested', 'departed') THEN 'routine'  -- clocks not run out (see mix)
                WHEN d.rank = 3 THEN CASE WHEN pg_temp.u(d.id, 324) < 0.3 THEN 'emergency' ELSE 'urgent' END
                ELSE CASE WHEN pg_temp.u(d.id, 324) < 0.4 THEN 'urgent' ELSE 'routine' END END AS urgency,
           CASE
                WHEN d.ref_kind = 'down'
                     THEN least(%(now)s::timestamptz - interval '2 hours',
                                CASE WHEN d.closed_on IS NOT NULL THEN pg_temp.at(d.closed_on, 0) END,
                                pg_temp.at(d.ended_on + pg_temp.pick(d.id, 325, 2, 6), pg_temp.pick(d.id,
                                    326, 480, 1020)))
                WHEN d.ref_status = 'requested'
                     THEN greatest(d.tg + interval '5 minutes',
                                   %(now)s::timestamptz - make_interval(mins => pg_temp.pick(d.id, 325,
                                       30, 900)))
                WHEN d.ref_status IN ('accepted', 'departed')
                     THEN greatest(d.tg + interval '5 minutes',
                                   %(now)s::timestamptz - make_interval(mins => pg_temp.pick(d.id, 325,
                                       240, 1200)))
                WHEN d.ref_status = 'arrived'
                     THEN greatest(d.tg + interval '5 minutes',
                                   %(now)s::timestamptz - make_interval(mins => pg_temp.pick(d.id, 325,
                                       600, 4000)))
                WHEN d.ref_kind = 'up'
                     THEN least(d.cap, d.tg + make_interval(mins => pg_temp.pick(d.id, 325, 60, 2880)))
           END AS req_at
    FROM ref_draw AS d
    LEFT JOIN demo_care_fac AS rt ON rt.id = CASE d.ref_kind WHEN 'up' THEN d.up_to WHEN 'down' THEN d.fu END
), ref_steps AS MATERIALIZED (
    SELECT t.*, s.acc_at, s.dep_at, s.arr_at, s.done_at, s.closed_at
    FROM ref_times AS t
    CROSS JOIN LATERAL (
        SELECT CASE WHEN t.ref_status IN ('accepted', 'departed', 'arrived', 'completed')
                    THEN least(%(now)s::timestamptz, t.req_at + make_interval(mins => pg_temp.pick(t.id,
                        327, 5, 90)))
               END AS acc_at
    ) AS a
    CROSS JOIN LATERAL (
        SELECT CASE WHEN t.ref_status = 'departed'
                    THEN greatest(a.acc_at,
                        %(now)s::timestamptz - make_interval(mins => pg_temp.pick(t.id, 328, 10, 180)))
                    WHEN t.ref_status IN ('arrived', 'completed')
                    THEN least(%(now)s::timestamptz, a.acc_at + make_interval(mins => pg_temp.pick(t.id,
                        328, 30, 300)))
               END AS dep_at
    ) AS b
    CROSS JOIN LATERAL (
        SELECT CASE WHEN t.ref_status IN ('arrived', 'completed')
                    THEN least(%(now)s::timestamptz, b.dep_at + make_interval(mins => pg_temp.pick(t.id,
                        329, 20, 180)))
               END AS arr_at
    ) AS c
    CROSS JOIN LATERAL (
        SELECT a.acc_at, b.dep_at, c.arr_at,
               CASE WHEN t.ref_status = 'completed'
                    THEN least(%(now)s::timestamptz, c.arr_at + make_interval(mins => pg_temp.pick(t.id,
                        330, 60, 2880)))
               END AS done_at,
               CASE WHEN t.ref_status IN ('cancelled', 'declined')
                    THEN least(%(now)s::timestamptz, t.req_at + make_interval(mins => pg_temp.pick(t.id,
                        331, 30, 720)))
               END AS closed_at
    ) AS s
), after AS MATERIALIZED (
    -- the receiving centre re-grades her once she is theirs (a completed up-referral moves management)
    SELECT s.*,
           CASE WHEN s.ref_kind = 'up' AND s.ref_status = 'completed'
                     AND s.done_at + interval '10 hours' < s.cap
                THEN s.done_at + make_interval(mins => pg_temp.pick(s.id, 332, 60, 600)) END AS t3,
           CASE WHEN s.ref_kind = 'up' AND s.ref_status = 'completed' THEN s.up_to ELSE s.m0 END AS m_final
    FROM ref_steps AS s
), managed AS MATERIALIZED (
    SELECT a.*, a.t3 IS NOT NULL AS has_a3,
           CASE WHEN a.t3 IS NOT NULL THEN false ELSE a.nr0 END AS nr_final,
           coalesce(a.t3, a.tg) AS t_last,
           -- case management from the first orange / red / purple grade
           CASE WHEN a.rank1 >= 2 OR cardinality(a.pur) > 0 THEN a.t1 WHEN a.rank >= 2 THEN a.tg END AS cm_at,
           CASE WHEN a.rank1 >= 2 OR cardinality(a.pur) > 0
                THEN array_remove(ARRAY[CASE WHEN a.rank1 >= 2 THEN a.color1 END,
                                        CASE WHEN cardinality(a.pur) > 0 THEN 'purple' END], NULL)
                WHEN a.rank >= 2 THEN ARRAY[a.color] END AS cm_reasons,
           CASE WHEN a.status IN ('closed', 'maternal_death')
                THEN least(%(now)s::timestamptz, pg_temp.at(coalesce(a.closed_on, a.ended_on + 1), 600)) END
               AS cm_closed_at
    FROM after AS a
), consult AS MATERIALIZED (
    SELECT m.*, cf.obs AS cf_obs, cf.spec, cf.spec_sp,
           CASE WHEN m.rank >= 2 AND cf.tier_rank > 0 AND (m.m_final = m.m0 OR m.has_a3)
               AND cardinality(cf.obs) > 0 AND cardinality(cf.spec) >= 2
                     AND pg_temp.u(m.id,
                         340) < CASE WHEN m.rank = 3 THEN %(consult_red)s ELSE %(consult_orange)s END
                THEN CASE WHEN m.open
                          THEN (%(c_open_statuses)s::text[])[width_bucket(pg_temp.u(m.id, 341),
                              %(c_open_cum)s::float8[])]
                          ELSE (%(c_closed_statuses)s::text[])[width_bucket(pg_temp.u(m.id, 341),
                              %(c_closed_cum)s::float8[])]
                     END
           END AS con_draw
    FROM managed AS m
    JOIN demo_care_fac AS cf ON cf.id = m.m_final
), consult_times AS MATERIALIZED (
    SELECT c.*,
           -- a concluded or cancelled consultation needs two days of care after her last grade
           CASE WHEN c.con_draw IN ('concluded',
               'cancelled') AND c.t_last + interval '2 days' >= c.cap THEN NULL
                ELSE c.con_draw END AS con_status,
           c.cf_obs[1 + floor(pg_temp.u(c.id, 342) * cardinality(c.cf_obs))::int] AS lead,
           1 + floor(pg_temp.u(c.id, 343) * cardinality(c.spec))::int AS s1,
           CASE WHEN cardinality(c.spec) >= 2
                THEN 1 + (floor(pg_temp.u(c.id, 343) * cardinality(c.spec))::int + 1
                          + pg_temp.pick(c.id, 344, 0,
                              cardinality(c.spec) - 2)) %% cardinality(c.spec) END AS s2
    FROM consult AS c
)
SELECT row_number() OVER (ORDER BY t.id) AS n, t.id, t.ext, t.status, t.open, t.booked_at, t.booked_on,
    t.ended_on,
       t.birth_date,
       t.emergency, t.m0, t.m0_region, t.fu, t.rc, t.fetuses, t.edd, t.age, t.gf, t.assessor, t.assessor2,
       t.color, t.color1, t.rank, t.rank1, t.purple, t.trig, t.trig1, t.t1, t.has_a2,
       CASE WHEN t.has_a2 THEN t.t2_raw END AS t2, t.tg, t.t3, t.has_a3, t.t_last, t.nr0, t.nr_final,
       t.m_final, t.cap,
       nextval(pg_get_serial_sequence('risk_riskassessment', 'id')) AS a1_id,
       CASE WHEN t.has_a2 THEN nextval(pg_get_serial_sequence('risk_riskassessment', 'id')) END AS a2_id,
       CASE WHEN t.has_a3 THEN nextval(pg_get_serial_sequence('risk_riskassessment', 'id')) END AS a3_id,
       gen_random_uuid() AS a1_ext, gen_random_uuid() AS a2_ext, gen_random_uuid() AS a3_ext,
       t.cm_at, t.cm_reasons, t.cm_closed_at, gen_random_uuid() AS cm_ext,
       gen_random_uuid() AS r1_ext, gen_random_uuid() AS r2_ext,
       t.ref_kind, t.ref_to, t.ref_status, t.urgency, t.to_rank, t.m0_rank, t.receiver, t.receiver_clin,
       coalesce(t.rc, t.m0_clin) AS sender, t.req_at, t.acc_at, t.dep_at, t.arr_at, t.done_at, t.closed_at,
       CASE WHEN t.ref_kind IS NOT NULL THEN nextval(pg_get_serial_sequence('referrals_referral', 'id')) END
           AS ref_id,
       gen_random_uuid() AS ref_ext,
       t.con_status, t.lead, t.spec[t.s1] AS spec1, t.spec_sp[t.s1] AS spec1_sp,
       -- a second specialist, another one than the first
       t.spec[t.s2] AS spec2, t.spec_sp[t.s2] AS spec2_sp,
       CASE WHEN t.con_status IS NOT NULL THEN nextval(pg_get_serial_sequence('consults_consult', 'id')) END
           AS con_id,
       gen_random_uuid() AS con_ext
FROM consult_times AS t
"""

# Consultation and report timestamps, from the plan (a second pass keeps the plan's SELECT readable).
TIMES_SQL = """
UPDATE demo_care_p AS p SET
    con_urgency = x.urgency, con_req = x.req, con_sched = x.sched, con_start = x.start,
    con_end = x.start + interval '1 hour', con_done = x.done, con_cancel = x.cancel,
    r1 = p.rank1 >= 2 OR p.purple, r1_due = r.due1,
    r2 = p.has_a2 AND p.rank >= 2 AND p.rank > p.rank1, r2_due = r.due2
FROM demo_care_p AS q
CROSS JOIN LATERAL (
    SELECT CASE q.con_status WHEN 'requested' THEN 'scheduled' ELSE 'routine' END AS urgency,
           CASE WHEN q.con_status = 'requested'
                THEN greatest(q.t_last + interval '5 minutes',
                              %(now)s::timestamptz - make_interval(mins => pg_temp.pick(q.id, 345, 30, 1200)))
                WHEN q.con_status = 'scheduled'
                THEN greatest(q.t_last + interval '5 minutes',
                              %(now)s::timestamptz - make_interval(mins => pg_temp.pick(q.id, 345, 60, 2880)))
                ELSE q.t_last + make_interval(mins => pg_temp.pick(q.id, 345, 60, 1440)) END AS req
) AS c0
CROSS JOIN LATERAL (
    SELECT c0.urgency, c0.req,
           CASE WHEN q.con_status = 'scheduled'
                THEN least(%(now)s::timestamptz, c0.req + make_interval(mins => pg_temp.pick(q.id, 346,
                    10, 600)))
                WHEN q.con_status = 'concluded'
                THEN c0.req + make_interval(mins => pg_temp.pick(q.id, 346, 10, 300)) END AS sched,
           CASE WHEN q.con_status = 'scheduled'
                THEN (%(today)s::date + pg_temp.pick(q.id, 347, 1, 7)
                      + make_interval(mins => pg_temp.pick(q.id, 348, 480, 960))) AT TIME ZONE 'Asia/Shanghai'
                WHEN q.con_status = 'concluded'
                THEN c0.req + make_interval(mins => pg_temp.pick(q.id, 346, 10, 300) + pg_temp.pick(q.id,
                    347, 60, 900))
           END AS start,
           CASE WHEN q.con_status = 'concluded'
                THEN c0.req + make_interval(mins => pg_temp.pick(q.id, 346, 10, 300) + pg_temp.pick(q.id,
                    347, 60, 900)
                                                     + 60 + pg_temp.pick(q.id, 349, 0, 60)) END AS done,
           CASE WHEN q.con_status = 'cancelled'
                THEN c0.req + make_interval(mins => pg_temp.pick(q.id, 346, 60, 1440)) END AS cancel
) AS x
CROSS JOIN LATERAL (
    SELECT least(CASE WHEN q.color1 = 'red' THEN q.t1 + %(red_hours)s * interval '1 hour' END,
                 CASE WHEN q.purple THEN q.t1 + %(purple_hours)s * interval '1 hour' END,
                 CASE WHEN q.color1 = 'orange'
                      THEN (((q.t1 AT TIME ZONE 'Asia/Shanghai')::date + %(orange_days)s) + time '23:59:59')
                           AT TIME ZONE 'Asia/Shanghai' END) AS due1,
           least(CASE WHEN q.color = 'red' THEN q.t2 + %(red_hours)s * interval '1 hour' END,
                 CASE WHEN q.color = 'orange'
                      THEN (((q.t2 AT TIME ZONE 'Asia/Shanghai')::date + %(orange_days)s) + time '23:59:59')
                           AT TIME ZONE 'Asia/Shanghai' END) AS due2
) AS r
WHERE p.id = q.id
"""

TIMES_COLUMNS = (
    "con_urgency text, con_req timestamptz, con_sched timestamptz, con_start timestamptz,"
    " con_end timestamptz,"
    " con_done timestamptz, con_cancel timestamptz, r1 boolean, r1_due timestamptz, r2 boolean,"
    " r2_due timestamptz"
)


def plan_params(*, now, today, facility_ids: list[int]) -> dict:
    from ..pregnancies.mix import cumulative

    return {
        "now": now,
        "today": today,
        "facility_ids": facility_ids,
        "pending_days": mix.GRADING_PENDING_DAYS,
        "pending_share": mix.GRADING_PENDING_SHARE,
        "red": mix.RED_SHARE,
        "orange": mix.ORANGE_SHARE,
        "yellow_extra": mix.YELLOW_EXTRA_SHARE,
        "hep_purple": mix.HEPATITIS_PURPLE_SHARE,
        "red_codes": list(mix.RED_CODES),
        "orange_codes": list(mix.ORANGE_CODES),
        "yellow_codes": list(mix.YELLOW_CODES),
        "regrade": mix.REGRADE_SHARE,
        "rise": mix.REGRADE_RISE_SHARE,
        "up_share": mix.UP_REFERRAL_SHARE,
        "down_share": mix.DOWN_REFERRAL_SHARE,
        "down_declined": mix.DOWN_DECLINED_SHARE,
        "open_statuses": [s for s, _ in mix.REFERRAL_OPEN_STATUSES],
        "open_cum": cumulative(share for _, share in mix.REFERRAL_OPEN_STATUSES),
        "closed_statuses": [s for s, _ in mix.REFERRAL_CLOSED_STATUSES],
        "closed_cum": cumulative(share for _, share in mix.REFERRAL_CLOSED_STATUSES),
        "consult_red": mix.CONSULT_RED_SHARE,
        "consult_orange": mix.CONSULT_ORANGE_SHARE,
        "c_open_statuses": [s for s, _ in mix.CONSULT_OPEN_STATUSES],
        "c_open_cum": cumulative(share for _, share in mix.CONSULT_OPEN_STATUSES),
        "c_closed_statuses": [s for s, _ in mix.CONSULT_CLOSED_STATUSES],
        "c_closed_cum": cumulative(share for _, share in mix.CONSULT_CLOSED_STATUSES),
    }


# Reports: submitted on time (most), late, or still due (deadline not passed yet, or a few overdue).
REPORTS_SQL = """
UPDATE demo_care_p AS p SET r1_sub = CASE WHEN p.r1 THEN s.sub1 END, r2_sub = CASE WHEN p.r2 THEN s.sub2 END
FROM demo_care_p AS q
CROSS JOIN LATERAL (
    SELECT CASE WHEN q.sender IS NULL OR NOT q.r1 THEN NULL
                WHEN q.r1_due > %(now)s::timestamptz AND pg_temp.u(q.id, 351) < 0.5 THEN NULL
                WHEN pg_temp.u(q.id, 351) < %(report_due)s THEN NULL
                WHEN pg_temp.u(q.id, 352) < %(report_late)s
                     THEN q.r1_due + make_interval(mins => pg_temp.pick(q.id, 353, 60, 4320))
                ELSE q.t1 + (q.r1_due - q.t1) * (0.1 + 0.8 * pg_temp.u(q.id, 353)) END AS raw1,
           CASE WHEN q.sender IS NULL OR NOT q.r2 THEN NULL
                WHEN q.r2_due > %(now)s::timestamptz AND pg_temp.u(q.id, 354) < 0.5 THEN NULL
                WHEN pg_temp.u(q.id, 354) < %(report_due)s THEN NULL
                WHEN pg_temp.u(q.id, 355) < %(report_late)s
                     THEN q.r2_due + make_interval(mins => pg_temp.pick(q.id, 356, 60, 4320))
                ELSE q.t2 + (q.r2_due - q.t2) * (0.1 + 0.8 * pg_temp.u(q.id, 356)) END AS raw2
) AS r
CROSS JOIN LATERAL (
    SELECT CASE WHEN r.raw1 <= %(now)s::timestamptz THEN r.raw1 END AS sub1,
           CASE WHEN r.raw2 <= %(now)s::timestamptz THEN r.raw2 END AS sub2
) AS s
WHERE p.id = q.id
"""
REPORT_COLUMNS = "r1_sub timestamptz, r2_sub timestamptz"
