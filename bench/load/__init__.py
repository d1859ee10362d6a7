"""The regional load test behind ``make bench`` (``bench/regional.py``): wrk scripts and their output,
the minimal comparison views, the targets of issue #9 and the results files."""

import time


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S', time.gmtime())}Z] {message}", flush=True)
