"""Django's PostgreSQL backend with a health check that costs no round trip when nothing happened.

With ``CONN_HEALTH_CHECKS`` (on: a persistent connection the server closed between two requests must
not fail the next request), Django checks the connection before a request's first statement by
sending ``SELECT 1`` and waiting for the answer: on every request a statement for PostgreSQL to parse
and run, and a round trip during which the worker can do nothing else (issue #9).

A server that ends a connection (a restart, ``pg_terminate_backend``, ``idle_session_timeout``, a
pooler closing it) sends a last message or closes its socket, and either makes the socket readable.
An idle connection between requests has nothing to read otherwise. So the check here first asks the
kernel, without waiting, whether the socket has anything to read: nothing, and the connection is idle
and was fine when last used, means the server has not ended it. Anything else (a readable socket, a
connection in a transaction or with an error) falls back to Django's ``SELECT 1``, which closes the
connection if it fails. What neither notices is a peer that vanished without closing (a network cut):
``SELECT 1`` then waits for TCP to give up as the request's first statement would.
"""

import select

import psycopg
from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.pool
            and self._quiet()
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _quiet(self) -> bool:
        """Whether the connection is idle, was fine when last used and has nothing to read."""
        pgconn = self.connection.pgconn
        if pgconn.status != pq.ConnStatus.OK or pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return False
        try:
            poller = select.poll()
            poller.register(pgconn.socket, select.POLLIN | select.POLLPRI)
            return not poller.poll(0)
        except (OSError, ValueError, psycopg.Error):
            return False
