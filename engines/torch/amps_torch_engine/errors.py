"""The one exception type every failure of a request becomes: a protocol error code and a
one-line message (docs/ENGINE_PROTOCOL.md, "Errors")."""

from __future__ import annotations


class EngineError(Exception):
    def __init__(self, code: str, message: str, fatal: bool = False, exit_status: int = 2):
        super().__init__(message)
        self.code = code
        self.message = " ".join(str(message).split())  # one line, always
        self.fatal = fatal
        self.exit_status = exit_status


def bad_request(message: str) -> EngineError:
    return EngineError("bad_request", message)
