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

What is kept is shared by every request of the process: ``kept`` returns a deep copy (a policy's
intervals are a dict), so that a caller changing what it got cannot change what the next request reads.
"""

from __future__ import annotations

import copy
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
        self._values: dict[tuple, tuple[int, object]] = {}

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
            return copy.deepcopy(found[1])
        value = read()
        with self._lock:
            if len(self._values) >= self.MAX_ENTRIES:
                self._values.clear()
            self._values[full_key] = (generation, value)
        return copy.deepcopy(value)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def size(self) -> int:
        return len(self._values)


kept = _Kept()
