"""What a web worker loads before its first request, so that its garbage collector can leave it alone.

Django loads some of itself only when the first request needs it: the URL conf (and with it every view
module and what they import: DRF, drf-spectacular, the export writers, the Redis client; about 500
modules), the resolver's reverse lookup tables, each language's translation catalogue. In a gunicorn
worker those objects would be created after ``gunicorn.conf.py`` froze what the worker had loaded, and
every full collection of the worker's life would walk them: 15-20 ms a collection, measured on the
bench database (about 40,000 objects; 20,000 after this warm-up, most of them compiled templates,
which ``gunicorn.conf.py`` freezes after the worker's first requests).
"""

from __future__ import annotations

import gc


def load_lazy_parts() -> None:
    """Import the URL conf, fill the resolvers' lookup tables and load every language's catalogue."""
    from django.conf import settings
    from django.urls import get_resolver
    from django.utils import translation

    resolver = get_resolver()
    resolver.reverse_dict  # noqa: B018 (filling the lookup tables imports every view module)
    for namespace in list(resolver.namespace_dict):
        resolver.namespace_dict[namespace][1].reverse_dict  # noqa: B018
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Worklist")


def freeze_what_is_alive() -> None:
    """Collect the garbage there is, then move every object still alive into the permanent generation."""
    gc.collect()
    gc.freeze()
