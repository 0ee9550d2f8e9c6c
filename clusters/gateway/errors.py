"""Our own errors for everything that can go wrong talking to Kafka.

Each message names the cause and what to do about it; callers show it as is.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base class: Kafka could not do what was asked. `code` is a stable machine key."""

    code = "kafka_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class KafkaUnreachable(GatewayError):
    code = "unreachable"


class KafkaTimeout(GatewayError):
    code = "timeout"


class KafkaAuthFailed(GatewayError):
    code = "auth_failed"


class KafkaConfigInvalid(GatewayError):
    code = "config_invalid"


class KafkaRequestFailed(GatewayError):
    code = "kafka_error"


class KafkaRejected(GatewayError):
    """The broker refused the request as invalid (bad config value, partitions lowered,
    offset out of range...). Shown as a 400 naming `field` when we know which one."""

    code = "rejected"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class KafkaNotFound(GatewayError):
    """The topic, group or broker does not exist (any more)."""

    code = "not_found"
