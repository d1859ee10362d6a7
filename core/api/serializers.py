"""Input serializers whose fields are built once per thread instead of once per request.

A DRF ``Serializer`` instance deep-copies every declared field the first time its ``fields`` are read
(``Serializer.get_fields``): each copy runs the field's ``__init__`` again (error messages merged over
the class hierarchy, validators, choices). For the visit body's 23 fields that was about 160 copies and
a tenth of a millisecond or more per visit entry (issue #9), to build objects that come out the same
every time.

``FieldsKeptPerThread`` keeps the fields of the first instance of a serializer class made on a thread and
hands them to every later instance of the class on that thread, re-pointing each field's ``parent`` at
the new instance (so ``root`` and ``context`` are the new instance's). What makes this safe only for the
serializers it is given to:

- a field holds no state of a validation: values, errors and ``validated_data`` live on the serializer,
  and the fields are never changed after they are built;
- one thread validates one body at a time (gunicorn's sync workers, Celery's prefork pool, a test);
  while two instances of the class are alive on a thread, the fields point at the later one, which is
  why a field must not read ``context`` (no ``CurrentUserDefault``, no context-dependent validator):
  ``tests/core/test_kept_fields.py`` checks every serializer that uses the mixin for that;
- a serializer class is never changed at run time (the kept fields are its declared fields as of the
  first use on the thread).

Use it only for request bodies on hot write paths, after a profile shows the copies.
"""

from __future__ import annotations

import threading

from rest_framework.utils.serializer_helpers import BindingDict

_kept = threading.local()


# A ``serializers.Serializer`` mixin (list it first): its fields are built once per thread. No docstring:
# drf-spectacular would publish it as the description of every request body that uses the mixin.
class FieldsKeptPerThread:
    @property
    def fields(self) -> BindingDict:
        own = self.__dict__.get("_kept_fields")
        if own is not None:
            return own
        by_class = _kept.__dict__.setdefault("by_class", {})
        fields = by_class.get(type(self))
        if fields is None:
            fields = BindingDict(self)
            for name, field in self.get_fields().items():
                fields[name] = field  # binds the field to this instance
            by_class[type(self)] = fields
        else:
            fields.serializer = self
            for field in fields.values():
                field.parent = self
        self.__dict__["_kept_fields"] = fields
        return fields
