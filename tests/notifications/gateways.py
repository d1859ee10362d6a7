"""A test SMS gateway for the worker processes of the reliability tests (``SMS_GATEWAY`` setting).

Every text handed to it is appended as one line to the file named by ``RECORDING_SMS_FILE``, so a
test can count what reached "the phone network" across processes — the one channel that no
database constraint can de-duplicate. ``O_APPEND`` writes of one short line are atomic.
"""

import os


class RecordingSmsGateway:
    def send(self, *, phone: str, text: str) -> None:
        line = f"{phone}\t{text}\n".encode()
        fd = os.open(os.environ["RECORDING_SMS_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
