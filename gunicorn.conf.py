"""gunicorn's settings, read from the working directory (the repository root, ``/app`` in the image) by
every way the project starts it: ``make run`` (scripts/run.py), the image and docker-compose, ``make bench``.

Command-line options (workers, bind address, logs) stay where each of those sets them; this file holds
only what is the same for all of them.
"""

# The worker's requests after which what is still alive is frozen too (compiled templates and whatever
# else the first requests of each page built and keep).
LATE_FREEZES = (100, 1_000)


def post_worker_init(worker) -> None:
    """Load what the first requests would otherwise load (``maternal_safety.warmup``), then move all the
    worker holds (Django, the apps, the URL conf and its views, the catalogues: some 200,000 objects)
    out of the cyclic garbage collector's reach: they live as long as the worker, yet every full
    collection walked them all. Measured on the worklist page in process (bench database): 1.5 ms of
    collection per request with nothing frozen; with what the worker had imported frozen but not the URL
    conf, 0.36 ms and a 12-20 ms full collection about once per hundred requests; 0.28 ms now, the full
    collections under 2 ms (issue #9)."""
    from maternal_safety.warmup import freeze_what_is_alive, load_lazy_parts

    load_lazy_parts()
    freeze_what_is_alive()


def post_request(worker, req, environ, resp) -> None:
    """After the worker's 100th and 1,000th requests, freeze again what has been alive since (one
    collection of some 20 ms, twice in the worker's life); ``worker.nr`` is gunicorn's request count."""
    if getattr(worker, "nr", 0) in LATE_FREEZES:
        from maternal_safety.warmup import freeze_what_is_alive

        freeze_what_is_alive()
