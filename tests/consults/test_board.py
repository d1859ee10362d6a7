"""The coordinator's board reads her facility's consults straight from the ``consult_board`` index
(``consults_coordinated_by``) instead of filtering the whole visible set: the same rows, never a consult she
may not see, a fixed number of queries whatever the number of consults and pregnancies, one audit row."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from accounts.choices import Role
from accounts.permissions import Action, has_action
from audit.models import AuditEvent
from cases.access import pregnancy_scope
from cases.models import Pregnancy
from consults import services
from consults.access import consults_coordinated_by, consults_visible_to, may_see_consult
from consults.models import Consult, Participant
from consults.views import board_context
from tests.factories import PregnancyFactory, UserFactory

pytestmark = pytest.mark.django_db

QUESTION = "Severe pre-eclampsia at 30 weeks: deliver now?"


def requested(actor, pregnancy, coordinating_facility=None, urgency="routine"):
    return services.consult_request(
        actor=actor,
        pregnancy=pregnancy,
        urgency=urgency,
        question=QUESTION,
        specialties=["cardiology"],
        coordinating_facility=coordinating_facility,
    )


def scheduled(coordinator, consult, users, hours=2, *, start=None):
    """Scheduled ``hours`` from now for an hour, or at ``start`` for half an hour."""
    length = dt.timedelta(hours=1) if start is None else dt.timedelta(minutes=30)
    start = start or timezone.now().replace(second=0, microsecond=0) + dt.timedelta(hours=hours)
    return services.consult_schedule(
        actor=coordinator,
        consult=consult,
        start=start,
        end=start + length,
        participants=[(u, "") for u in users],
        location="MDT room 3",
    )


def on_board(context) -> set[int]:
    rows = {row["consult"].pk for group in context["groups"] for row in group["rows"]}
    rows |= {c.pk for day in context["days"] for c in day["items"]}
    rows |= {c.pk for c in context["upcoming"]}
    return rows


@pytest.fixture
def other_coordinator(other_facility):
    return UserFactory(
        username="other.coordinator", facility=other_facility, roles=[Role.MDT_COORDINATOR], specialty=""
    )


@pytest.fixture
def elsewhere(outsider, other_coordinator, cardiologist, other_facility):
    """A consult about a woman of another facility, run by that facility: our coordinator takes no part."""
    woman = PregnancyFactory(managing_facility=other_facility)
    return scheduled(other_coordinator, requested(outsider, woman), [cardiologist], hours=20)


def test_a_consult_of_another_facility_she_takes_no_part_in_is_not_on_the_board(
    client, obstetrician, coordinator, cardiologist, pregnancy, elsewhere, outsider, other_facility
):
    ours = scheduled(coordinator, requested(obstetrician, pregnancy), [cardiologist], hours=1)
    waiting_elsewhere = requested(outsider, PregnancyFactory(managing_facility=other_facility))
    # her facility's woman, but coordinated by the other facility: readable, yet not on her board
    sent_away = requested(obstetrician, pregnancy, coordinating_facility=other_facility)
    assert not consults_visible_to(coordinator).filter(pk__in=[elsewhere.pk, waiting_elsewhere.pk]).exists()

    context = board_context(coordinator)
    assert on_board(context) == {ours.pk}

    client.force_login(coordinator)
    body = client.get("/consults/board/").content.decode()
    assert ours.reference in body
    for other in (elsewhere, waiting_elsewhere, sent_away):
        assert other.reference not in body
    assert elsewhere.pregnancy.patient.name not in body


def test_the_board_rows_are_exactly_her_visible_consults_of_her_facility(
    obstetrician, coordinator, cardiologist, pregnancy, elsewhere, outsider, other_coordinator, other_facility
):
    """``consults_coordinated_by`` is the coordinator arm of ``consults_visible_to``: the same rows as the
    visible set filtered on her facility, and nothing for anyone who coordinates nowhere."""
    scheduled(coordinator, requested(obstetrician, pregnancy), [cardiologist])
    requested(obstetrician, pregnancy, urgency="emergency")
    requested(obstetrician, pregnancy, coordinating_facility=other_facility)
    # a woman of another facility whose consult her facility coordinates: on the board through the
    # coordinating facility's grant
    woman = PregnancyFactory(managing_facility=other_facility)
    requested(outsider, woman, coordinating_facility=coordinator.facility)
    inactive = UserFactory(
        username="gone", facility=coordinator.facility, roles=[Role.MDT_COORDINATOR], is_active=False
    )
    no_facility = UserFactory(username="roaming", facility=None, roles=[Role.MDT_COORDINATOR])
    for user in (coordinator, other_coordinator, obstetrician, cardiologist, inactive, no_facility):
        expected = set(
            consults_visible_to(user)
            .filter(coordinating_facility_id=user.facility_id)
            .values_list("pk", flat=True)
        )
        if not user.has_role(Role.MDT_COORDINATOR) or not user.is_active or user.facility_id is None:
            expected = set()  # the board is for active coordinators of a facility only
        assert set(consults_coordinated_by(user).values_list("pk", flat=True)) == expected, user.username
    assert consults_coordinated_by(coordinator).count() == 3
    assert not consults_coordinated_by(AnonymousUser()).exists()


def test_board_queries_do_not_grow_with_consults_and_pregnancies(
    django_assert_num_queries,
    obstetrician,
    coordinator,
    cardiologist,
    pregnancy,
    home_facility,
    other_facility,
    outsider,
    other_coordinator,
):
    scheduled(coordinator, requested(obstetrician, pregnancy), [cardiologist], hours=1)
    requested(obstetrician, pregnancy, urgency="emergency")
    # the ranking of the three parts (the open requests, the week's and the coming days' consults shown:
    # ids and each part's sizes, one statement), the rows of the shown consults (participants counted),
    # the audit insert
    with django_assert_num_queries(3):
        few = board_context(coordinator)
    for hours in (3, 5, 7, 9):
        woman = PregnancyFactory(managing_facility=home_facility)
        PregnancyFactory(managing_facility=home_facility)  # more pregnancies she may see
        scheduled(coordinator, requested(obstetrician, woman), [cardiologist], hours=hours)
        requested(obstetrician, woman, urgency="scheduled")
        far = PregnancyFactory(managing_facility=other_facility)
        scheduled(other_coordinator, requested(outsider, far), [cardiologist], hours=hours + 1)
    with django_assert_num_queries(3):
        many = board_context(coordinator)
    assert len(on_board(many)) == len(on_board(few)) + 8
    assert many["open_count"] == few["open_count"] + 4


def test_each_board_request_writes_one_audit_row_naming_the_women_shown(
    client, obstetrician, coordinator, cardiologist, pregnancy, elsewhere
):
    ours = scheduled(coordinator, requested(obstetrician, pregnancy), [cardiologist], hours=1)
    client.force_login(coordinator)
    before = AuditEvent.objects.count()
    assert client.get("/consults/board/").status_code == 200
    assert AuditEvent.objects.count() == before + 1
    row = AuditEvent.objects.latest("id")
    assert row.changes["page"] == "board"
    assert [str(p) for p in row.patient_ids] == [str(ours.pregnancy.patient.external_id)]


def test_a_deactivated_coordinator_gets_no_board(coordinator, obstetrician, pregnancy):
    requested(obstetrician, pregnancy)
    coordinator.is_active = False
    assert on_board(board_context(coordinator)) == set()
    assert Consult.objects.filter(coordinating_facility=coordinator.facility).count() == 1


def test_the_board_list_of_the_api_is_her_facilitys_consults_only(
    api, obstetrician, coordinator, cardiologist, pregnancy, elsewhere, other_facility
):
    ours = scheduled(coordinator, requested(obstetrician, pregnancy), [cardiologist], hours=1)
    sent_away = requested(obstetrician, pregnancy, coordinating_facility=other_facility)
    board = api.as_user(coordinator).get("/api/v1/consults/?board=true").json()
    assert [row["id"] for row in board["results"]] == [str(ours.external_id)]
    everything = {row["id"] for row in api.get("/api/v1/consults/").json()["results"]}
    assert everything == {str(ours.external_id), str(sent_away.external_id)}  # not the other facility's
    # someone who coordinates nowhere: the consults she sees that her facility coordinates
    mine = api.as_user(obstetrician).get("/api/v1/consults/?board=true").json()
    assert [row["id"] for row in mine["results"]] == [str(ours.external_id)]


def _by_the_rule(user, consult) -> bool:
    """Who may see a consult, checked on the row in Python: her own invitation (not declined, access not
    revoked), her view of the woman's pregnancy now, or her facility coordinating it as a coordinator."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    invited = Participant.objects.filter(consult=consult, user=user, grant_revoked_at__isnull=True).exclude(
        status="declined"
    )
    sees_her = has_action(user, Action.VIEW_CASE) and (
        Pregnancy.objects.filter(pregnancy_scope(user, "view"), pk=consult.pregnancy_id).exists()
    )
    coordinates = (
        has_action(user, Action.SCHEDULE_CONSULT) and user.facility_id == consult.coordinating_facility_id
    )
    return invited.exists() or sees_her or coordinates


def test_one_consult_is_found_by_the_same_rules_as_the_lists(
    obstetrician,
    coordinator,
    cardiologist,
    anaesthetist,
    pregnancy,
    elsewhere,
    outsider,
    other_coordinator,
    other_facility,
    midwife,
    supervisor,
):
    """``consult_scope`` (one row: ``access_consult_by_id``, ``may_see_consult``) and ``consults_visible_to``
    (lists) select the consults of the rule for everyone: declined and revoked invitations included, also
    after the woman has been transferred and her follow-up facility set."""
    ours = scheduled(coordinator, requested(obstetrician, pregnancy), [cardiologist, anaesthetist], hours=3)
    services.invitation_respond(
        actor=anaesthetist, participant=ours.participants.get(user=anaesthetist), accept=False
    )
    requested(obstetrician, pregnancy, coordinating_facility=other_facility)
    woman = PregnancyFactory(managing_facility=other_facility)
    requested(outsider, woman, coordinating_facility=coordinator.facility)
    cancelled = scheduled(other_coordinator, requested(outsider, woman), [cardiologist], hours=30)
    services.consult_cancel(actor=outsider, consult=cancelled, reason="Transferred")
    inactive = UserFactory(
        username="gone", facility=coordinator.facility, roles=[Role.MDT_COORDINATOR], is_active=False
    )
    people = (
        obstetrician,
        coordinator,
        cardiologist,
        anaesthetist,
        outsider,
        other_coordinator,
        midwife,
        supervisor,
    )

    def check():
        for user in (*people, inactive, AnonymousUser()):
            listed = set(consults_visible_to(user).values_list("pk", flat=True))
            one_by_one = {c.pk for c in Consult.objects.all() if may_see_consult(user, c)}
            ruled = {c.pk for c in Consult.objects.all() if _by_the_rule(user, c)}
            assert one_by_one == listed == ruled, getattr(user, "username", "anonymous")

    check()
    assert may_see_consult(cardiologist, elsewhere) and not may_see_consult(anaesthetist, ours)
    # the woman moves: transferred to the other facility, then followed up at the midwife's
    pregnancy.managing_facility = other_facility
    pregnancy.save(update_fields=["managing_facility"])
    check()
    assert not may_see_consult(midwife, ours)
    pregnancy.follow_up_facility = midwife.facility
    pregnancy.save(update_fields=["follow_up_facility"])
    check()
    assert may_see_consult(midwife, ours)


# --- the board's first rows and "show all" -----------------------------------------------------------


def test_each_urgency_shows_its_longest_waiting_and_says_how_many_wait(
    monkeypatch, client, obstetrician, coordinator, pregnancy, home_facility
):
    monkeypatch.setattr("consults.views.BOARD_GROUP_ROWS", 2)
    women = [PregnancyFactory(managing_facility=home_facility) for _ in range(3)]
    emergencies = [requested(obstetrician, woman, urgency="emergency") for woman in women]
    for minutes, consult in zip((5, 30, 15), emergencies, strict=True):  # waiting 5, 30 and 15 minutes
        Consult.objects.filter(pk=consult.pk).update(
            requested_at=timezone.now() - dt.timedelta(minutes=minutes)
        )
    routine = requested(obstetrician, pregnancy)

    context = board_context(coordinator)
    emergency, routine_group, scheduled_group = context["groups"]
    # the two waiting longest, oldest first; the third is counted, not shown
    assert [row["consult"].pk for row in emergency["rows"]] == [emergencies[1].pk, emergencies[2].pk]
    assert (emergency["total"], emergency["hidden"], emergency["opened"]) == (3, 1, False)
    assert [row["consult"].pk for row in routine_group["rows"]] == [routine.pk]
    assert (routine_group["total"], routine_group["hidden"]) == (1, 0)
    assert (scheduled_group["total"], scheduled_group["rows"]) == (0, [])
    assert context["open_count"] == 4
    # the audit row names the women shown, not the one left out
    row = AuditEvent.objects.latest("id")
    shown = {str(p) for p in row.patient_ids}
    assert str(women[0].patient.external_id) not in shown
    assert str(women[1].patient.external_id) in shown and str(pregnancy.patient.external_id) in shown

    opened = board_context(coordinator, show_all="emergency")["groups"][0]
    assert [row["consult"].pk for row in opened["rows"]] == [emergencies[i].pk for i in (1, 2, 0)]
    assert (opened["hidden"], opened["opened"]) == (0, True)

    client.force_login(coordinator)
    body = client.get("/consults/board/").content.decode()
    assert "all=emergency#group-emergency" in body and emergencies[0].reference not in body
    body = client.get("/consults/board/?all=emergency").content.decode()
    assert emergencies[0].reference in body
    # anything else in ?all= opens nothing
    assert client.get("/consults/board/?all=nonsense").content.decode().count("mdt-schedule-btn") == 3


def test_a_calendar_day_and_the_coming_days_show_their_first_consults_and_how_many_more(
    monkeypatch, client, obstetrician, coordinator, cardiologist, home_facility
):
    monkeypatch.setattr("consults.views.BOARD_DAY_ROWS", 1)
    monkeypatch.setattr("consults.views.BOARD_UPCOMING_ROWS", 1)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    nine = timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(9)))
    first, second = (
        scheduled(
            coordinator,
            requested(obstetrician, PregnancyFactory(managing_facility=home_facility)),
            [cardiologist],
            start=nine + dt.timedelta(hours=hours),
        )
        for hours in (0, 2)
    )
    week = f"{tomorrow.isocalendar()[0]}-W{tomorrow.isocalendar()[1]:02d}"

    context = board_context(coordinator, week)
    day = next(d for d in context["days"] if d["date"] == tomorrow)
    assert ([c.pk for c in day["items"]], day["hidden"], day["opened"]) == ([first.pk], 1, False)
    assert [c.pk for c in context["upcoming"]] == [first.pk]
    assert (context["upcoming_total"], context["upcoming_hidden"]) == (2, 1)

    context = board_context(coordinator, week, day=tomorrow.isoformat(), show_all="upcoming")
    day = next(d for d in context["days"] if d["date"] == tomorrow)
    assert ([c.pk for c in day["items"]], day["hidden"], day["opened"]) == ([first.pk, second.pk], 0, True)
    assert [c.pk for c in context["upcoming"]] == [first.pk, second.pk] and context["upcoming_opened"]

    client.force_login(coordinator)
    body = client.get(f"/consults/board/?week={week}").content.decode()
    assert f"day={tomorrow.isoformat()}#h-week" in body and "all=upcoming#h-upcoming" in body
    # a day outside the week, or not a date: nothing opened, no error
    for value in ("2001-01-01", "not-a-day"):
        response = client.get(f"/consults/board/?week={week}&day={value}")
        assert (
            response.status_code == 200 and f"day={tomorrow.isoformat()}#h-week" in response.content.decode()
        )


def test_a_consult_is_in_the_column_of_its_local_day_whatever_its_utc_date(
    monkeypatch, obstetrician, coordinator, cardiologist, home_facility
):
    """The calendar's columns are days in the facility's time zone (Beijing, UTC+8), counted and capped in
    SQL: 00:30 local is the previous day in UTC and 23:30 local the same one; both belong to their local
    day, and the cap counts each day's consults only."""
    monkeypatch.setattr("consults.views.BOARD_DAY_ROWS", 1)
    day = timezone.localdate() + dt.timedelta(days=1)
    week = f"{day.isocalendar()[0]}-W{day.isocalendar()[1]:02d}"
    early, late = (
        scheduled(
            coordinator,
            requested(obstetrician, PregnancyFactory(managing_facility=home_facility)),
            [cardiologist],
            start=timezone.make_aware(dt.datetime.combine(day, at)),
        )
        for at in (dt.time(0, 30), dt.time(23, 30))
    )
    assert timezone.localtime(early.scheduled_start, dt.UTC).date() == day - dt.timedelta(days=1)

    columns = {d["date"]: d for d in board_context(coordinator, week)["days"]}
    assert ([c.pk for c in columns[day]["items"]], columns[day]["hidden"]) == ([early.pk], 1)
    before = columns.get(day - dt.timedelta(days=1))
    assert before is None or (before["items"], before["hidden"]) == ([], 0)

    opened = {d["date"]: d for d in board_context(coordinator, week, day=day.isoformat())["days"]}
    assert [c.pk for c in opened[day]["items"]] == [early.pk, late.pk]


def test_the_coming_days_count_invited_but_withdrawn_and_accepted_participants(
    client, obstetrician, coordinator, cardiologist, midwife, home_facility
):
    alone = scheduled(
        coordinator,
        requested(obstetrician, PregnancyFactory(managing_facility=home_facility)),
        [cardiologist],
    )
    team = scheduled(
        coordinator,
        requested(obstetrician, PregnancyFactory(managing_facility=home_facility)),
        [cardiologist, midwife, obstetrician],
        hours=3,
    )
    Participant.objects.filter(consult=team, user=cardiologist).update(status="accepted")
    Participant.objects.filter(consult=team, user=midwife).update(status="withdrawn")
    Participant.objects.filter(consult=alone).update(status="withdrawn")  # nobody left

    counts = {c.pk: (c.invited, c.accepted) for c in board_context(coordinator)["upcoming"]}
    assert counts[alone.pk] == (0, 0)
    assert counts[team.pk] == (2, 1)  # the withdrawn midwife is not counted as invited

    client.force_login(coordinator)
    body = client.get("/consults/board/").content.decode()
    assert "1 of 2 accepted" in body and "0 of 0 accepted" in body


def test_the_board_links_each_row_to_its_consult_its_scheduling_and_its_woman(
    client, obstetrician, coordinator, cardiologist, pregnancy
):
    waiting = requested(obstetrician, pregnancy, urgency="emergency")
    booked = scheduled(coordinator, requested(obstetrician, pregnancy), [cardiologist], hours=1)
    client.force_login(coordinator)
    body = client.get("/consults/board/").content.decode()
    assert f'href="/consults/{waiting.external_id}/"' in body
    assert f'href="/consults/{waiting.external_id}/schedule/"' in body
    assert f'href="/consults/{booked.external_id}/"' in body
    assert body.count(f'href="/cases/pregnancies/{pregnancy.external_id}/"') >= 2
