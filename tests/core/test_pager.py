"""``{% pagination %}`` (``core/templatetags/pager.py``) is the partial it replaced (kept here): no list,
one page, the first, a middle and the last of many, with the request's other parameters kept in the
links, in both languages."""

import pytest
from django.core.paginator import Paginator
from django.template import engines
from django.test import RequestFactory
from django.utils import translation

from tests.markup import visible

# core/partials/pagination.html before the tag replaced it
PARTIAL = """{% load i18n %}
{% if page.paginator.count %}
<nav class="pagination" aria-label="{% translate 'Pages' %}">
  <span class="pagination__summary">{% blocktranslate trimmed with number=page.number pages=page.paginator.num_pages total=page.paginator.count %}Page {{ number }} of {{ pages }} · {{ total }} in total{% endblocktranslate %}</span>
  <span class="pagination__links">
    {% if page.has_previous %}
      <a class="btn btn-secondary" href="{% querystring page=1 %}">{% translate "First" %}</a>
      <a class="btn btn-secondary" href="{% querystring page=page.previous_page_number %}" rel="prev">{% translate "Previous" %}</a>
    {% endif %}
    {% if page.has_next %}
      <a class="btn btn-secondary" href="{% querystring page=page.next_page_number %}" rel="next">{% translate "Next" %}</a>
      <a class="btn btn-secondary" href="{% querystring page=page.paginator.num_pages %}">{% translate "Last" %}</a>
    {% endif %}
  </span>
</nav>
{% endif %}"""  # noqa: E501
TAG = "{% load pager %}{% pagination %}"
QUERIES = ["", "page=2", "q=%E6%9D%8E+%26+%3Cb%3E&status=active&status=postpartum&page=3", "overdue=true"]


def _render(source: str, page, query: str) -> str:
    request = RequestFactory().get(f"/list/?{query}")
    return engines["django"].from_string(source).render({"page": page}, request=request)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("count", [0, 7, 25, 26, 12_345])
def test_the_tag_is_the_partial_it_replaced(language, count):
    paginator = Paginator(list(range(count)), 25)
    with translation.override(language):
        for number in sorted({1, 2, paginator.num_pages // 2 or 1, paginator.num_pages}):
            page = paginator.get_page(number)
            for query in QUERIES:
                new, old = _render(TAG, page, query), _render(PARTIAL, page, query)
                assert visible(new) == visible(old), (count, number, query)


def test_links_keep_the_other_parameters_and_an_empty_list_has_no_pager():
    paginator = Paginator(list(range(100)), 25)
    query = "q=%E6%9D%8E+%26+%3Cb%3E&status=active&status=postpartum&page=3"
    with translation.override("zh-hans"):
        html = _render(TAG, paginator.get_page(3), query)
        empty = _render(TAG, Paginator([], 25).get_page(1), query)
    assert "第 3 / 4 页 · 共 100 条" in html
    assert (
        'href="?q=%E6%9D%8E+%26+%3Cb%3E&amp;status=active&amp;status=postpartum&amp;page=2" rel="prev"'
        in html
    )
    assert 'href="?q=%E6%9D%8E+%26+%3Cb%3E&amp;status=active&amp;status=postpartum&amp;page=4">' in html
    assert empty.strip() == ""
