"""Reads of grading reference data, kept per process while their generation has not moved.

Every visit, grade and case page looks up the same few rows: the catalogue version in force for the
woman's region, its regional policy. They change when an administrator edits a catalogue or a policy,
a few times a year, yet the ORM built and ran those queries on every request (issue #9: 6–9 ms of a
visit entry's 38). ``kept`` answers from what this process read before if ``ReferenceGeneration.g`` is
unchanged, which costs one prepared primary-key read, and reads again otherwise.

Exact, not a time-to-live: triggers move ``g`` with every statement writing those tables, inside the
writing transaction (so it sees its own change at once) and for everyone else at its commit. Values
come from a sequence and never repeat, so a value kept under a generation that was rolled back is
never found again. With no generation row (a database flushed by a test) nothing is kept.

What is kept is shared by every request of the process: ``kept`` returns a copy of its own (a policy's
intervals are a dict, a catalogue version's field specification a nested one), so that a caller
changing what it got cannot change what the next request reads. The value is kept pickled and each
caller gets ``pickle.loads`` of it: as independent as ``copy.deepcopy``, and about 5 times cheaper for
a catalogue version (0.03 against 0.145 ms; deepcopy was a tenth of a visit entry's Python time, issue
#9). Kept values are model instances and plain data, which pickle.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Hashable
from threading import Lock
from typing import TypeVar

from django.db import connection

from core.prepared import prepared_cursor

T = TypeVar("T")

GENERATION_SQL = "SELECT g FROM risk_referencegeneration WHERE id = 1"


class _Kept:
    """Values by key, each beside the generation it was read under. At most ``MAX_ENTRIES``: beyond
    that everything is dropped (the keys are regions and days: a few dozen in a working day)."""

    MAX_ENTRIES = 512

    def __init__(self) -> None:
        self._lock = Lock()
        self._values: dict[tuple, tuple[int, bytes]] = {}

    def generation(self) -> int | None:
        with prepared_cursor() as cursor:
            cursor.execute(GENERATION_SQL)
            row = cursor.fetchone()
        return None if row is None else int(row[0])

    def __call__(self, key: tuple[Hashable, ...], read: Callable[[], T]) -> T:
        generation = self.generation()
        if generation is None:
            return read()
        full_key = (connection.settings_dict["NAME"], *key)
        found = self._values.get(full_key)
        if found is not None and found[0] == generation:
            return pickle.loads(found[1])  # noqa: S301 (bytes this process pickled itself)
        frozen = pickle.dumps(read(), pickle.HIGHEST_PROTOCOL)
        with self._lock:
            if len(self._values) >= self.MAX_ENTRIES:
                self._values.clear()
            self._values[full_key] = (generation, frozen)
        return pickle.loads(frozen)  # noqa: S301

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def size(self) -> int:
        return len(self._values)


kept = _Kept()
