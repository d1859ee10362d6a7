"""Page-number pagination: ``{"count", "next", "previous", "results"}``, ``?page=`` and ``?page_size=``.

Lists ordered newest first (``-created_at, -id``) may also be walked with an opaque ``?cursor=``
(keyset paging, ``KeysetPageNumberPagination``): the page after a cursor is found through the index
instead of an ``OFFSET`` that reads and throws away every earlier row, and rows inserted meanwhile do
not shift the pages still to come. Page numbers stay the contract; the cursor is an addition.
"""

import datetime as dt
import uuid

from django.core import signing
from django.db.models import BooleanField, DateTimeField, F, Func, Q, Subquery, Value
from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.errors import ValidationFailed


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000


CURSOR_SALT = "core.api.pagination.cursor"


def cursor_encode(created_at: dt.datetime, external_id: uuid.UUID) -> str:
    """The position after the row (``created_at``, ``external_id``), signed so that a client cannot
    forge one. Internal keys never leave the server: the tie-break id is looked up from the UUID."""
    return signing.dumps([created_at.isoformat(), str(external_id)], salt=CURSOR_SALT, compress=False)


def cursor_decode(raw: str) -> tuple[dt.datetime, uuid.UUID]:
    """The position a cursor names; ``ValidationFailed`` (400, ``errors.cursor``) for anything else."""
    try:
        created_at, external_id = signing.loads(raw, salt=CURSOR_SALT)
        position = dt.datetime.fromisoformat(created_at), uuid.UUID(external_id)
    except (signing.BadSignature, ValueError, TypeError):
        position = None
    if position is None or position[0].tzinfo is None:
        raise ValidationFailed(errors={"cursor": [_("This cursor is not valid: start again without it.")]})
    return position


class _RowsBefore(Func):
    """``(created_at, id) < (value, tie)``: a row comparison, which PostgreSQL uses as an index range
    on ``(…, created_at DESC, id DESC)`` (an ``OR`` of two comparisons would be a filter instead, and a
    deep cursor would walk every row before it)."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        sqls, params = [], []
        for expression in self.source_expressions:
            sql, expression_params = compiler.compile(expression)
            sqls.append(sql)
            params.extend(expression_params)
        return f"(({sqls[0]}, {sqls[1]}) < ({sqls[2]}, {sqls[3]}))", params


def after_cursor(model, created_at: dt.datetime, external_id: uuid.UUID) -> Q:
    """Rows after the position in the order ``-created_at, -id`` (one statement: the tie-break id is
    a sub-select on the unique ``external_id``)."""
    tie = Subquery(model.objects.filter(external_id=external_id).values("pk")[:1])
    return Q(_RowsBefore(F("created_at"), F("pk"), Value(created_at, DateTimeField()), tie))


class KeysetPageNumberPagination(PageNumberPagination):
    """Page numbers as usual; with ``?cursor=`` (empty for the first page) keyset paging instead.

    The queryset must be ordered ``-created_at, -id`` and its rows (model instances or ``values()``
    dicts) must carry ``created_at`` and ``external_id``. In cursor mode ``next`` carries the cursor of
    the last row shown (null on the last page), ``previous`` is null (keep the cursors you followed to
    go back) and ``count`` is still the total of the filtered list.
    """

    cursor_query_param = "cursor"
    cursor_description = (
        "Keyset paging for deep pages: pass an empty value for the first page, then follow `next`. "
        "Opaque; a cursor that was not issued by the server is refused with 400."
    )

    def paginate_queryset(self, queryset, request, view=None):
        self.cursor_mode = self.cursor_query_param in request.query_params
        if not self.cursor_mode:
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        size = self.get_page_size(request)
        raw = request.query_params[self.cursor_query_param]
        page_queryset = queryset
        if raw:
            page_queryset = queryset.filter(after_cursor(queryset.model, *cursor_decode(raw)))
        rows = list(page_queryset[: size + 1])
        self.total = queryset.count()
        self.next_cursor = None
        if len(rows) > size:
            rows = rows[:size]
            last = rows[-1]
            if isinstance(last, dict):
                self.next_cursor = cursor_encode(last["created_at"], last["external_id"])
            else:
                self.next_cursor = cursor_encode(last.created_at, last.external_id)
        return rows

    def get_paginated_response(self, data):
        if not self.cursor_mode:
            return super().get_paginated_response(data)
        from rest_framework.response import Response

        return Response({"count": self.total, "next": self._cursor_link(), "previous": None, "results": data})

    def _cursor_link(self) -> str | None:
        if self.next_cursor is None:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, self.next_cursor)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        if getattr(view, "action", "list") != "list":
            return parameters  # extra actions (``visits``) do not page by cursor
        parameters.append(
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": self.cursor_description,
                "schema": {"type": "string"},
            }
        )
        return parameters
