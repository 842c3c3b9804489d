"""The one exception services raise for refusals a user can act on."""


class ApplicationError(Exception):
    """A translated, user-facing refusal raised by a service.

    Interfaces show ``message`` as a form error (or a clean error page); they never
    turn it into a 500.
    """

    def __init__(self, message, *, field=None, extra=None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}
