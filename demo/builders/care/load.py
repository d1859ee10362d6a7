"""One ``INSERT ... SELECT`` (or UPDATE / DELETE) per table and batch of planned pregnancies (``%(lo)s`` to
``%(hi)s`` of ``demo_care_p.n``), writing what the services would have written (see ``__init__``).

Free text is Chinese, as the demo's clinicians write it; the grant reasons are the services' own
(translated) strings, passed in as parameters.
"""

from cases.models import PregnancyGrant
from consults.models import ActionItem, Consult, Opinion, Participant, Signature
from notifications.models import Alert
from referrals.models import Referral
from risk.models import CaseManagement, RiskAssessment, RiskReport

from ..pregnancies.load import _columns

ASSESSMENT_COLUMNS = _columns("""
    id external_id created_at updated_at pregnancy_id catalogue_version_id stage status proposed_color
    override_color color purple screening_positive triggered proposed unknown ticked unticked measurements
    measurement_sources reviewed_categories complete provisional reason facility_id assessed_by_id
    confirmed_at superseded_by_id
""")
# Initial grade (a1), a later re-grade (a2) and the receiving centre's grade after a referral (a3); each
# earlier one superseded by the next. Measurements: what the record gives (age, fetuses, GA).
ASSESSMENTS = """
SELECT x.id, x.ext, x.at, coalesce(x.next_at, x.at), p.id, %(version_id)s::bigint, 'assessment',
       CASE WHEN x.superseded_by IS NULL THEN 'confirmed' ELSE 'superseded' END,
       x.color, '', x.color, p.purple, x.color <> 'green' OR p.purple, x.trig, '{}'::varchar[],
           '{}'::varchar[],
       ARRAY(SELECT c FROM unnest(x.trig) AS c WHERE c <> ALL(%(rule_codes)s::text[]) ORDER BY c),
       '{}'::jsonb,
       jsonb_build_object('age_years', extract(year FROM age((x.at AT TIME ZONE 'Asia/Shanghai')::date,
           p.birth_date))::int,
                          'fetal_count', p.fetuses)
           || CASE WHEN p.ended_on IS NULL OR (x.at AT TIME ZONE 'Asia/Shanghai')::date < p.ended_on
                   THEN jsonb_build_object('ga_weeks',
                        round((((x.at AT TIME ZONE 'Asia/Shanghai')::date - (p.edd - 280)) /
                            7.0)::numeric, 1))
                   ELSE jsonb_build_object('postpartum_days',
                       (x.at AT TIME ZONE 'Asia/Shanghai')::date - p.ended_on)
              END,
       jsonb_build_object('age_years', 'patient', 'fetal_count', 'pregnancy')
           || CASE WHEN p.ended_on IS NULL OR (x.at AT TIME ZONE 'Asia/Shanghai')::date < p.ended_on
                   THEN jsonb_build_object('ga_weeks', 'pregnancy')
                   ELSE jsonb_build_object('postpartum_days', 'pregnancy') END,
       %(categories)s::varchar[], true, x.provisional, '', x.facility, x.by, x.at, x.superseded_by
FROM demo_care_p AS p
CROSS JOIN LATERAL (VALUES
    (p.a1_id, p.a1_ext, p.t1, p.color1, p.trig1, p.gf, p.assessor, p.emergency, coalesce(p.a2_id, p.a3_id),
     coalesce(p.t2, p.t3)),
    (p.a2_id, p.a2_ext, p.t2, p.color, p.trig, p.gf, p.assessor2, false, p.a3_id, p.t3),
    (p.a3_id, p.a3_ext, p.t3, p.color, p.trig, p.m_final, p.receiver, false, NULL::bigint, NULL::timestamptz)
) AS x(id, ext, at, color, trig, facility, by, provisional, superseded_by, next_at)
WHERE p.n BETWEEN %(lo)s AND %(hi)s AND x.id IS NOT NULL
"""

CASE_COLUMNS = _columns("""
    external_id created_at updated_at pregnancy_id status manager_id reasons plan opened_at closed_at
""")
CASES = """
SELECT p.cm_ext, p.cm_at, coalesce(p.cm_closed_at, p.cm_at), p.id,
       CASE WHEN p.cm_closed_at IS NULL THEN 'open' ELSE 'closed' END, p.rc, p.cm_reasons, '', p.cm_at,
       p.cm_closed_at
FROM demo_care_p AS p
WHERE p.n BETWEEN %(lo)s AND %(hi)s AND p.cm_at IS NOT NULL
"""

REPORT_COLUMNS = _columns("""
    external_id created_at updated_at pregnancy_id assessment_id color purple region_id facility_id status
    due_at confirmed_at submitted_at submitted_by_id summary management_plan
""")
REPORTS = """
SELECT x.ext, x.at, coalesce(x.sub, x.at), p.id, x.assessment, x.color, p.purple, p.m0_region, p.m0,
       CASE WHEN x.sub IS NULL THEN 'due' ELSE 'submitted' END, x.due, x.at, x.sub,
       CASE WHEN x.sub IS NOT NULL THEN p.sender END,
       CASE WHEN x.sub IS NULL THEN ''
            ELSE %(report_summary)s || (%(color_names)s::jsonb ->> x.color)
                 || CASE WHEN p.purple THEN %(report_purple)s ELSE '' END || %(report_tail)s END,
       CASE WHEN x.sub IS NULL THEN '' ELSE %(report_plan)s END
FROM demo_care_p AS p
CROSS JOIN LATERAL (VALUES
    (p.r1, p.r1_ext, p.t1, p.a1_id, p.color1, p.r1_due, p.r1_sub),
    (p.r2, p.r2_ext, p.t2, p.a2_id, p.color, p.r2_due, p.r2_sub)
) AS x(wanted, ext, at, assessment, color, due, sub)
WHERE p.n BETWEEN %(lo)s AND %(hi)s AND x.wanted
"""

# The grade summary on the pregnancy, as pregnancy_set_risk leaves it; a completed up-referral has moved
# her management to the receiving centre (pregnancy_transfer).
PREGNANCY_UPDATE = """
UPDATE cases_pregnancy AS g
SET risk_color = p.color, purple = p.purple,
    risk_provisional = p.emergency AND NOT p.has_a2 AND NOT p.has_a3,
    risk_assessed_at = p.t_last, risk_proposed_color = '', needs_referral = p.nr_final,
    under_case_management = p.cm_at IS NOT NULL AND p.cm_closed_at IS NULL,
    managing_facility_id = p.m_final,
    updated_at = greatest(g.updated_at, p.t_last, p.done_at)
FROM demo_care_p AS p
WHERE g.id = p.id AND p.n BETWEEN %(lo)s AND %(hi)s
"""

REFERRAL_COLUMNS = _columns("""
    id external_id created_at updated_at pregnancy_id from_facility_id to_facility_id direction urgency
        purpose
    transfers_management status reason risk_color_at_request clinical_summary treatments_given
    discharge_summary sending_clinician_id transport escort decided_at requested_at clock_started_at
    accepted_at accepted_by_id closed_at closed_by_id close_reason departed_at arrived_at completed_at
    completed_by_id return_findings return_treatment return_disposition return_recommendations
""")
REFERRALS = """
SELECT p.ref_id, p.ref_ext, p.req_at, coalesce(p.done_at, p.closed_at, p.arr_at, p.dep_at, p.acc_at,
    p.req_at),
       p.id, p.m0, p.ref_to,
       CASE WHEN p.to_rank > p.m0_rank THEN 'up' WHEN p.to_rank < p.m0_rank THEN 'down' ELSE 'lateral' END,
       p.urgency, CASE p.ref_kind WHEN 'up' THEN 'care' ELSE 'postpartum_follow_up' END, p.ref_kind = 'up',
       p.ref_status, CASE p.ref_kind WHEN 'up' THEN %(reason_up)s ELSE %(reason_down)s END, p.color,
       jsonb_build_object('risk_color', p.color, 'purple', p.purple, 'criteria', to_jsonb(p.trig),
                          'gestational_age', NULL, 'postpartum_days', NULL, 'edd', p.edd, 'fetuses',
                              p.fetuses,
                          'vitals', '{}'::jsonb, 'vitals_at', NULL, 'vitals_source', NULL, 'labs_at', NULL,
                          'meows', NULL),
       CASE WHEN p.ref_kind = 'up' AND p.dep_at IS NOT NULL THEN %(treatments)s ELSE '' END,
       CASE WHEN p.ref_kind = 'down' THEN %(discharge_summary)s ELSE '' END,
       p.sender,
       CASE WHEN p.dep_at IS NULL THEN '' WHEN p.ref_kind = 'down' THEN 'own'
            WHEN p.urgency = 'routine' THEN 'hospital_ambulance' ELSE 'ambulance_120' END,
       CASE WHEN p.dep_at IS NOT NULL AND p.ref_kind = 'up' THEN %(escort)s ELSE '' END,
       p.req_at - make_interval(mins => pg_temp.pick(p.id, 360, 10, 120)), p.req_at, p.req_at,
       p.acc_at, CASE WHEN p.acc_at IS NOT NULL THEN coalesce(p.receiver, p.receiver_clin) END,
       p.closed_at,
       CASE p.ref_status WHEN 'cancelled' THEN p.sender WHEN 'declined' THEN p.receiver_clin END,
       CASE p.ref_status WHEN 'cancelled' THEN %(cancel_reason)s WHEN 'declined' THEN %(decline_reason)s
            ELSE '' END,
       p.dep_at, p.arr_at, p.done_at, CASE WHEN p.done_at IS NOT NULL THEN coalesce(p.receiver,
           p.receiver_clin) END,
       CASE WHEN p.done_at IS NULL THEN '' WHEN p.ref_kind = 'up'
           THEN %(findings_up)s ELSE %(findings_down)s END,
       CASE WHEN p.done_at IS NULL THEN '' WHEN p.ref_kind = 'up' THEN %(treatment_up)s ELSE '' END,
       CASE WHEN p.done_at IS NULL THEN '' WHEN p.ref_kind = 'up' THEN %(disposition_up)s
            ELSE %(disposition_down)s END,
       CASE WHEN p.done_at IS NULL THEN '' WHEN p.ref_kind = 'up' THEN %(recommendations_up)s ELSE '' END
FROM demo_care_p AS p
WHERE p.n BETWEEN %(lo)s AND %(hi)s AND p.ref_id IS NOT NULL
"""

# The grant ledger of a referral (cases.services.access._record): read for the receiver at the request,
# replaced by write at acceptance (the read row revoked), ended by a decline or a cancel; at completion
# the sender keeps read access to follow the outcome.
GRANT_COLUMNS = _columns("""
    external_id created_at updated_at pregnancy_id facility_id level source_kind source_id reason revoked_at
""")
GRANTS = """
SELECT gen_random_uuid(), x.at, coalesce(x.revoked, x.at), p.id, x.facility, x.level, 'referrals.referral',
       p.ref_ext::text, x.reason, x.revoked
FROM demo_care_p AS p
CROSS JOIN LATERAL (VALUES
    (true, p.req_at, p.ref_to, 'read', %(grant_requested)s, coalesce(p.acc_at, p.closed_at)),
    (p.acc_at IS NOT NULL, p.acc_at, p.ref_to, 'write', %(grant_accepted)s, NULL::timestamptz),
    (p.done_at IS NOT NULL, p.done_at, p.m0, 'read', %(grant_completed)s, NULL::timestamptz)
) AS x(wanted, at, facility, level, reason, revoked)
WHERE p.n BETWEEN %(lo)s AND %(hi)s AND p.ref_id IS NOT NULL AND x.wanted
"""

# The guardian permissions derived from the active ledger rows (view, plus change for a write grant),
# on the facility's access group.
GUARDIAN = """
INSERT INTO cases_pregnancygroupobjectpermission (permission_id, group_id, content_object_id)
SELECT DISTINCT perm.id, f.group_id, g.pregnancy_id
FROM cases_pregnancygrant AS g
JOIN demo_care_p AS p ON p.id = g.pregnancy_id
JOIN demo_care_fac AS f ON f.id = g.facility_id
CROSS JOIN LATERAL (VALUES (%(view_perm)s::int, true), (%(change_perm)s::int,
    g.level = 'write')) AS perm(id, wanted)
WHERE p.n BETWEEN %(lo)s AND %(hi)s AND g.revoked_at IS NULL AND g.source_kind = 'referrals.referral'
  AND perm.wanted
ON CONFLICT DO NOTHING
"""

CONSULT_COLUMNS = _columns("""
    id external_id created_at updated_at pregnancy_id requested_by_id requesting_facility_id
    coordinating_facility_id urgency status question specialties case_summary requested_at scheduled_start
    scheduled_end location meeting_url scheduled_by_id scheduled_at started_at recommendations decision_kind
    decision womans_choice follow_up_on concluded_at concluded_by_id cancelled_at cancel_reason
    calendar_sequence
""")
CONSULTS = """
SELECT p.con_id, p.con_ext, p.con_req, coalesce(p.con_done, p.con_cancel, p.con_sched, p.con_req), p.id,
    p.lead,
       p.m_final, p.m_final, p.con_urgency, p.con_status,
       CASE WHEN p.rank = 3 THEN %(question_red)s ELSE %(question_orange)s END,
       ARRAY(SELECT DISTINCT s FROM unnest(ARRAY['obstetrics', p.spec1_sp, p.spec2_sp]) AS s ORDER BY s),
       jsonb_build_object('risk_color', p.color, 'purple', p.purple, 'criteria', to_jsonb(p.trig),
                          'gestational_age', NULL, 'postpartum_days', NULL, 'edd', p.edd, 'fetuses',
                              p.fetuses,
                          'vitals', '{}'::jsonb, 'vitals_at', NULL, 'vitals_source', NULL, 'labs_at', NULL,
                          'meows', NULL),
       p.con_req, p.con_start, p.con_end, CASE WHEN p.con_start IS NOT NULL THEN %(location)s ELSE '' END, '',
       CASE WHEN p.con_sched IS NOT NULL THEN coalesce(f.mdt[1], p.lead) END, p.con_sched,
       CASE WHEN p.con_done IS NOT NULL THEN p.con_start END,
       CASE WHEN p.con_done IS NULL THEN '' WHEN p.rank = 3
           THEN %(recommend_red)s ELSE %(recommend_orange)s END,
       CASE WHEN p.con_done IS NULL THEN '' WHEN p.rank = 3 THEN 'continue' ELSE 'delivery_plan' END,
       CASE WHEN p.con_done IS NULL THEN '' WHEN p.rank = 3
           THEN %(decision_red)s ELSE %(decision_orange)s END,
       CASE WHEN p.con_done IS NULL THEN '' ELSE %(womans_choice)s END,
       CASE WHEN p.con_done IS NOT NULL THEN (p.con_done AT TIME ZONE 'Asia/Shanghai')::date + 14 END,
       p.con_done, CASE WHEN p.con_done IS NOT NULL THEN p.lead END,
       p.con_cancel, CASE WHEN p.con_cancel IS NOT NULL THEN %(consult_cancel)s ELSE '' END,
       CASE WHEN p.con_cancel IS NOT NULL THEN 0 ELSE 0 END
FROM demo_care_p AS p
JOIN demo_care_fac AS f ON f.id = p.m_final
WHERE p.n BETWEEN %(lo)s AND %(hi)s AND p.con_id IS NOT NULL
"""

# Invitations of a scheduled or concluded consultation: the lead obstetrician and two specialists of the
# coordinating facility (her own managing facility, so no personal grant is needed). After the conclusion
# their access ends CONSULT_GRANT_DAYS_AFTER days later, as the sweep records it.
PARTICIPANT_COLUMNS = _columns("""
    external_id created_at updated_at consult_id user_id specialty status responded_at decline_reason
        attendance
    grant_expires_at grant_revoked_at invitation_round
""")
PARTICIPANTS = """
SELECT gen_random_uuid(), p.con_sched, coalesce(p.con_done, p.con_sched), p.con_id, x.user_id, x.specialty,
       x.status, CASE WHEN x.status = 'accepted' THEN p.con_sched + make_interval(mins => x.k * 7) END, '',
       CASE WHEN p.con_done IS NULL THEN '' WHEN x.k = 2 THEN 'remote' ELSE 'on_site' END,
       CASE WHEN p.con_done IS NOT NULL THEN p.con_done + %(grant_days)s * interval '1 day' END,
       CASE WHEN p.con_done + %(grant_days)s * interval '1 day' <= %(now)s::timestamptz
            THEN p.con_done + %(grant_days)s * interval '1 day' END,
       1
FROM demo_care_p AS p
CROSS JOIN LATERAL (VALUES
    (0, p.lead, 'obstetrics', 'accepted'),
    (1, p.spec1, p.spec1_sp, 'accepted'),
    (2, p.spec2, p.spec2_sp, CASE WHEN p.con_status = 'scheduled' THEN 'invited' ELSE 'accepted' END)
) AS x(k, user_id, specialty, status)
WHERE p.n BETWEEN %(lo)s AND %(hi)s AND p.con_status IN ('scheduled', 'concluded')
"""

OPINION_COLUMNS = _columns("external_id created_at updated_at consult_id author_id specialty text")
OPINIONS = """
SELECT gen_random_uuid(), x.at, x.at, p.con_id, x.author, x.specialty, %(opinions)s::jsonb ->> x.specialty
FROM demo_care_p AS p
CROSS JOIN LATERAL (VALUES
    (p.lead, 'obstetrics', p.con_start + interval '10 minutes'),
    (p.spec1, p.spec1_sp, p.con_start + interval '25 minutes'),
    (p.spec2, p.spec2_sp, p.con_start + interval '40 minutes')
) AS x(author, specialty, at)
WHERE p.n BETWEEN %(lo)s AND %(hi)s AND p.con_status = 'concluded'
"""

SIGNATURE_COLUMNS = _columns("""
    external_id created_at updated_at consult_id signer_id decision_kind decision_digest is_senior is_lead
""")
# consults.services.digest: SHA-256 of the decision with its whitespace collapsed (single-spaced here).
SIGNATURES = """
SELECT gen_random_uuid(), p.con_done, p.con_done, p.con_id, p.lead,
       CASE WHEN p.rank = 3 THEN 'continue' ELSE 'delivery_plan' END,
       encode(sha256(convert_to(CASE WHEN p.rank = 3 THEN %(decision_red)s ELSE %(decision_orange)s END,
           'UTF8')),
              'hex'),
       u.title IN ('chief', 'associate_chief'), true
FROM demo_care_p AS p
JOIN accounts_user AS u ON u.id = p.lead
WHERE p.n BETWEEN %(lo)s AND %(hi)s AND p.con_status = 'concluded'
"""

ACTION_COLUMNS = _columns(
    "external_id created_at updated_at consult_id owner_id text due status done_at done_note"
)
ACTIONS = """
SELECT gen_random_uuid(), p.con_done, coalesce(d.done_at, p.con_done), p.con_id, x.owner, x.text, d.due,
       CASE WHEN d.done_at IS NULL THEN 'open' ELSE 'done' END, d.done_at,
       CASE WHEN d.done_at IS NULL THEN '' ELSE %(action_done)s END
FROM demo_care_p AS p
CROSS JOIN LATERAL (VALUES (p.lead, %(action_lead)s, 7), (p.spec1, %(action_specialist)s, 3)) AS x(owner,
    text, days)
CROSS JOIN LATERAL (
    SELECT (p.con_done AT TIME ZONE 'Asia/Shanghai')::date + x.days AS due
) AS d0
CROSS JOIN LATERAL (
    -- done by the due date; still open only while she is in care and the due date has not passed
    SELECT d0.due,
           CASE WHEN p.open AND d0.due >= %(today)s::date THEN NULL
                ELSE least(%(now)s::timestamptz, pg_temp.at(d0.due - 1, 600)) END AS done_at
) AS d
WHERE p.n BETWEEN %(lo)s AND %(hi)s AND p.con_status = 'concluded'
"""

# The alerts the services raised, in their final state: resolved when their cause went away, acknowledged
# by their recipient when older than two days (only kinds that never re-arm), still pending when not due
# yet, or delivered and unacknowledged at the top rung of escalation (nothing left to escalate). None is
# due for delivery or escalation, so the workers' sweeps find nothing to send.
ALERT_LIST = """
SELECT p.id, p.n, x.*
FROM demo_care_p AS p
CROSS JOIN LATERAL (VALUES
    (p.rank1 >= 2 OR p.purple, 'high_risk_grade', 'high_risk_grade:' || p.a1_ext, p.t1, p.t1,
     CASE WHEN p.color1 = 'red' THEN 'urgent' ELSE 'warning' END, p.m0, p.rc,
     CASE WHEN p.rc IS NULL THEN 'obstetrician' ELSE '' END,
     jsonb_build_object('color', p.color1, 'purple', p.purple), NULL::timestamptz),
    (p.has_a2 AND (p.rank >= 2 OR p.purple), 'high_risk_grade', 'high_risk_grade:' || p.a2_ext, p.t2, p.t2,
     CASE WHEN p.color = 'red' THEN 'urgent' ELSE 'warning' END, p.m0, p.rc,
     CASE WHEN p.rc IS NULL THEN 'obstetrician' ELSE '' END,
     jsonb_build_object('color', p.color, 'purple', p.purple), NULL),
    (p.has_a3, 'high_risk_grade', 'high_risk_grade:' || p.a3_ext, p.t3, p.t3,
     CASE WHEN p.color = 'red' THEN 'urgent' ELSE 'warning' END, p.m_final, p.rc,
     CASE WHEN p.rc IS NULL THEN 'obstetrician' ELSE '' END,
     jsonb_build_object('color', p.color, 'purple', p.purple), NULL),
    (p.r1, 'report_due', 'report_due:' || p.r1_ext, p.t1, p.r1_due, 'warning', p.m0, NULL, 'obstetrician',
     jsonb_build_object('report', p.r1_ext), p.r1_sub),
    (p.r2, 'report_due', 'report_due:' || p.r2_ext, p.t2, p.r2_due, 'warning', p.m0, NULL, 'obstetrician',
     jsonb_build_object('report', p.r2_ext), p.r2_sub),
    (p.nr0 AND p.rank >= 2, 'needs_referral', 'needs_referral:' || p.ext || ':' || p.color, p.tg,
     p.tg + interval '24 hours', 'urgent', p.m0, NULL, 'obstetrician', '{}'::jsonb,
     CASE WHEN p.ref_kind = 'up' THEN p.req_at WHEN NOT p.open THEN p.cap END),
    (p.cm_at IS NOT NULL AND p.rc IS NULL, 'assign_case_manager', 'assign_case_manager:' || p.cm_ext, p.cm_at,
     p.cm_at, 'warning', p.m0, NULL, 'facility_admin', '{}'::jsonb, NULL),
    (p.ref_id IS NOT NULL, 'referral_requested', 'referral_requested:' || p.ref_ext, p.req_at, p.req_at,
     CASE p.urgency WHEN 'emergency' THEN 'critical' WHEN 'urgent' THEN 'urgent' ELSE 'warning' END, p.ref_to,
     NULL, 'on_call_lead', jsonb_build_object('referral', p.ref_ext, 'urgency', p.urgency),
     coalesce(p.acc_at, p.closed_at)),
    (p.con_id IS NOT NULL, 'consult_requested', 'consult_requested:' || p.con_ext, p.con_req, p.con_req,
     'warning', p.m_final, NULL, 'mdt_coordinator',
     jsonb_build_object('consult', p.con_ext, 'target_minutes',
         CASE p.con_urgency WHEN 'routine' THEN 1440 END),
     coalesce(p.con_sched, p.con_cancel))
) AS x(wanted, kind, dedup_key, at, due_at, severity, facility, target_user, target_role, payload,
    resolved_at)
WHERE p.n BETWEEN %(lo)s AND %(hi)s AND x.wanted
"""

ALERT_COLUMNS = _columns("""
    external_id created_at updated_at kind severity status dedup_key pregnancy_id facility_id target_user_id
    target_role due_at payload resolved_at delivered_at escalation_level next_escalation_at acknowledged_at
    acknowledged_by_id
""")
ALERTS = """
SELECT gen_random_uuid(), a.at, coalesce(a.resolved_at, s.acknowledged_at, s.delivered_at, a.at), a.kind,
    a.severity,
       s.status, a.dedup_key, a.id, a.facility, a.target_user, a.target_role, a.due_at, a.payload,
           a.resolved_at,
       s.delivered_at, CASE WHEN s.status = 'delivered' THEN %(max_level)s ELSE 0 END, NULL::timestamptz,
       s.acknowledged_at, CASE WHEN s.acknowledged_at IS NOT NULL THEN r.recipient END
FROM (__ALERT_LIST__) AS a
JOIN demo_care_fac AS f ON f.id = a.facility
CROSS JOIN LATERAL (
    SELECT coalesce(a.target_user,
                    CASE a.target_role WHEN 'mdt_coordinator' THEN f.mdt[1] WHEN 'facility_admin'
                        THEN f.admins[1]
                         ELSE f.obs[1 + floor(pg_temp.u(a.id,
                             370) * cardinality(f.obs))::int] END) AS recipient
) AS r
CROSS JOIN LATERAL (
    SELECT CASE WHEN a.resolved_at IS NOT NULL AND a.resolved_at < a.due_at THEN 'resolved'
                WHEN a.due_at > %(now)s::timestamptz THEN 'pending'
                WHEN a.resolved_at IS NOT NULL THEN 'resolved'
                WHEN a.kind = 'high_risk_grade'
                    AND a.at < %(now)s::timestamptz - %(ack_after)s * interval '1 hour'
                     AND r.recipient IS NOT NULL THEN 'acknowledged'
                ELSE 'delivered' END AS status
) AS s0
CROSS JOIN LATERAL (
    SELECT s0.status,
           CASE WHEN s0.status = 'pending' OR (s0.status = 'resolved' AND a.resolved_at < a.due_at) THEN NULL
                ELSE a.due_at + interval '1 minute' END AS delivered_at,
           CASE WHEN s0.status = 'acknowledged'
                THEN a.due_at + make_interval(mins => pg_temp.pick(a.id, 371, 5, 240)) END AS acknowledged_at
) AS s
""".replace("__ALERT_LIST__", ALERT_LIST)

# One inbox item per delivered alert: its recipient, read when acknowledged or resolved.
INBOX = """
INSERT INTO notifications_inboxitem (external_id, created_at, updated_at, alert_id, user_id, level, read_at)
SELECT gen_random_uuid(), al.delivered_at, coalesce(al.acknowledged_at, al.resolved_at, al.delivered_at),
    al.id,
       r.recipient, 0, coalesce(al.acknowledged_at, al.resolved_at)
FROM demo_care_p AS p
JOIN notifications_alert AS al ON al.pregnancy_id = p.id
JOIN demo_care_fac AS f ON f.id = al.facility_id
CROSS JOIN LATERAL (
    SELECT coalesce(al.acknowledged_by_id, al.target_user_id,
                    CASE al.target_role WHEN 'mdt_coordinator' THEN f.mdt[1] WHEN 'facility_admin'
                        THEN f.admins[1]
                         ELSE f.obs[1 + floor(pg_temp.u(p.id,
                             370) * cardinality(f.obs))::int] END) AS recipient
) AS r
WHERE p.n BETWEEN %(lo)s AND %(hi)s AND al.delivered_at IS NOT NULL AND r.recipient IS NOT NULL
ON CONFLICT DO NOTHING
"""

# Follow-up windows computed before she was graded (an earlier seed) used no colour: removed, with their
# queued text messages, so the follow-ups step opens them again with her grade (as a recomputation would).
STALE_MESSAGES = """
DELETE FROM reminders_remindermessage AS m
USING reminders_followup AS w, demo_care_p AS p
WHERE m.follow_up_id = w.id AND w.pregnancy_id = p.id AND p.n BETWEEN %(lo)s AND %(hi)s
  AND w.status <> 'closed'
"""
STALE_WINDOWS = """
DELETE FROM reminders_followup AS w
USING demo_care_p AS p
WHERE w.pregnancy_id = p.id AND p.n BETWEEN %(lo)s AND %(hi)s AND w.status <> 'closed'
"""

# (label, model or None for raw SQL, columns, SQL), in foreign-key order.
STATEMENTS = (
    ("risk assessments", RiskAssessment, ASSESSMENT_COLUMNS, ASSESSMENTS),
    ("case managements", CaseManagement, CASE_COLUMNS, CASES),
    ("risk reports", RiskReport, REPORT_COLUMNS, REPORTS),
    ("graded pregnancies", None, None, PREGNANCY_UPDATE),
    ("referrals", Referral, REFERRAL_COLUMNS, REFERRALS),
    ("access grants", PregnancyGrant, GRANT_COLUMNS, GRANTS),
    ("guardian permissions", None, None, GUARDIAN),
    ("MDT consultations", Consult, CONSULT_COLUMNS, CONSULTS),
    ("MDT participants", Participant, PARTICIPANT_COLUMNS, PARTICIPANTS),
    ("MDT opinions", Opinion, OPINION_COLUMNS, OPINIONS),
    ("MDT signatures", Signature, SIGNATURE_COLUMNS, SIGNATURES),
    ("MDT action items", ActionItem, ACTION_COLUMNS, ACTIONS),
    ("alerts", Alert, ALERT_COLUMNS, ALERTS),
    ("inbox items", None, None, INBOX),
    ("stale reminder messages removed", None, None, STALE_MESSAGES),
    ("stale follow-up windows removed", None, None, STALE_WINDOWS),
)

TABLES = (
    "risk_riskassessment",
    "risk_casemanagement",
    "risk_riskreport",
    "cases_pregnancy",
    "referrals_referral",
    "cases_pregnancygrant",
    "cases_pregnancygroupobjectpermission",
    "consults_consult",
    "consults_participant",
    "consults_opinion",
    "consults_signature",
    "consults_actionitem",
    "notifications_alert",
    "notifications_inboxitem",
)
