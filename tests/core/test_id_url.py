"""``core.ids.id_url`` (and ``{% id_url %}``): the URL ``reverse`` gives, from a pattern kept per process."""

import uuid

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse, set_script_prefix
from django.urls.resolvers import RoutePattern

from core import ids
from core.ids import id_url


def _id_routes(patterns=None, namespace=""):
    """(name, number of arguments) of every named ``path()`` route whose arguments are all ``uuid``
    (the API router's regular expressions are left out: they are never written with ``id_url``)."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _id_routes(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name and isinstance(entry.pattern, RoutePattern):
            converters = entry.pattern.converters
            if all(type(c).__name__ == "UUIDConverter" for c in converters.values()):
                yield f"{namespace}{entry.name}", len(converters)


ROUTES = sorted(set(_id_routes()))


@pytest.fixture(autouse=True)
def _fresh_patterns():
    ids._patterns.clear()
    yield
    ids._patterns.clear()
    set_script_prefix("/")


def test_the_routes_cover_pages_with_no_one_and_two_ids():
    counts = {n for _, n in ROUTES}
    assert {0, 1, 2} <= counts and len(ROUTES) > 50
    assert ("cases:care_task_done", 2) in ROUTES and ("cases:pregnancy_detail", 1) in ROUTES


@pytest.mark.parametrize(("name", "count"), ROUTES)
def test_every_id_route_gives_what_reverse_gives(name, count):
    for _ in range(2):  # the pattern reversed, then the pattern kept
        args = [uuid.uuid4() for _ in range(count)]
        assert id_url(name, *args) == reverse(name, args=args)
        texts = [str(a) for a in args]
        assert id_url(name, *texts) == reverse(name, args=texts)


def test_an_id_equal_to_a_placeholder_is_written_as_given():
    first, second = uuid.UUID(int=2), uuid.UUID(int=1)  # the placeholders, in the other order
    assert id_url("cases:care_task_done", first, second) == reverse(
        "cases:care_task_done", args=[first, second]
    )


@pytest.mark.parametrize("bad", ["", "not-an-id", "1", "0C0FFEE0-0000-4000-8000-00000000ABCD", None])
def test_what_is_not_an_id_is_refused_as_reverse_refuses_it(bad):
    with pytest.raises(NoReverseMatch):
        reverse("cases:pregnancy_detail", args=[bad])
    with pytest.raises(NoReverseMatch):
        id_url("cases:pregnancy_detail", bad)


def test_the_script_prefix_is_part_of_what_is_kept():
    pk = uuid.uuid4()
    plain = id_url("cases:pregnancy_detail", pk)
    set_script_prefix("/maternal/")
    assert id_url("cases:pregnancy_detail", pk) == reverse("cases:pregnancy_detail", args=[pk])
    assert id_url("cases:pregnancy_detail", pk) == "/maternal" + plain


def test_the_tag_escapes_and_writes_the_url():
    pk = uuid.uuid4()
    html = Template("{% load links %}<a href=\"{% id_url 'cases:visit_create' pk %}\">").render(
        Context({"pk": pk})
    )
    assert html == f'<a href="{reverse("cases:visit_create", args=[pk])}">'
