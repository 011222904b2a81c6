"""Configuration of `correlation-id` (Kong's field names and defaults)."""

from __future__ import annotations

from sekisho.schema import Boolean, Record, String, typedefs as t

__all__ = ["CONFIG", "GENERATORS"]

GENERATORS = ("uuid", "uuid#counter", "tracker")

CONFIG = Record(
    {
        "header_name": String(
            default="Kong-Request-ID",
            validators=[t.check_header_name],
            description="Name of the header carrying the correlation id.",
        ),
        "generator": String(
            required=True,
            default="uuid#counter",
            one_of=list(GENERATORS),
            description=(
                "How new ids are made: `uuid` (a random UUID per request), `uuid#counter` (a UUID per worker"
                " followed by `#` and a counter) or `tracker` (address, port, process, connection and time)."
            ),
        ),
        "echo_downstream": Boolean(
            required=True, default=False, description="Also send the correlation id back to the client."
        ),
    }
)
