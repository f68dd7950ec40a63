"""A logging filter that passes every log record of the Locust process through `fixtures.redaction`.

Installed on the handlers Locust configures (console, log file, the web UI's log view), so a
token or password that reaches any log call, ours or a library's, is scrubbed before output.
"""

from __future__ import annotations

import logging

from fixtures.redaction import redact


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install() -> None:
    """Attach the filter to every handler of the root logger and of Locust's loggers (once)."""
    loggers = [logging.getLogger(), logging.getLogger("locust"), logging.getLogger("locust.stats_logger")]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())
