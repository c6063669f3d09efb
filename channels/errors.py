"""The one error an adapter raises: an HTTP status, a machine code and a Chinese message for people."""


class ChannelError(Exception):
    """A request the channel rejects; `status` is the 4xx to answer with."""

    def __init__(self, status: int, code: str, message: str, fields: dict | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}
