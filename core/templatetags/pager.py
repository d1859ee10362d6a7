"""``{% pagination %}``: the pager under every paginated list (the page in the context as ``page``), built
in Python. It was an included partial (``core/partials/pagination.html``) on ten list pages, the home page
among them; its markup and message are the partial's, kept in ``tests/core/test_pager.py``, which renders
both. The links keep the request's other parameters, as ``{% querystring %}`` does (it is Django's own
function that writes them).
"""

from django import template
from django.template.defaulttags import querystring
from django.utils.formats import localize
from django.utils.safestring import mark_safe

from core.markup import escape_text as _e
from core.markup import translator

register = template.Library()


@register.simple_tag(takes_context=True)
def pagination(context) -> str:
    """Nothing for an empty list; else "Page n of m · total in total" and First / Previous / Next / Last."""
    page = context.get("page")
    paginator = getattr(page, "paginator", None)
    if not paginator or not paginator.count:
        return ""
    gettext = translator()
    summary = gettext("Page %(number)s of %(pages)s · %(total)s in total") % {
        "number": _e(localize(page.number)),
        "pages": _e(localize(paginator.num_pages)),
        "total": _e(localize(paginator.count)),
    }
    links = []
    if page.has_previous():
        first, previous = _e(gettext("First")), _e(gettext("Previous"))
        links.append(f'<a class="btn btn-secondary" href="{_e(querystring(context, page=1))}">{first}</a>')
        href = _e(querystring(context, page=page.previous_page_number()))
        links.append(f'<a class="btn btn-secondary" href="{href}" rel="prev">{previous}</a>')
    if page.has_next():
        following, last = _e(gettext("Next")), _e(gettext("Last"))
        href = _e(querystring(context, page=page.next_page_number()))
        links.append(f'<a class="btn btn-secondary" href="{href}" rel="next">{following}</a>')
        href = _e(querystring(context, page=paginator.num_pages))
        links.append(f'<a class="btn btn-secondary" href="{href}">{last}</a>')
    pages = _e(gettext("Pages"))
    return mark_safe(  # noqa: S308 - every value escaped by _e
        f'<nav class="pagination" aria-label="{pages}"><span class="pagination__summary">{summary}</span>'
        f'<span class="pagination__links">{" ".join(links)}</span></nav>'
    )
