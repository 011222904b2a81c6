"""How a failed authorization check surfaces: on Cognito's error page, or redirected to the client."""

from __future__ import annotations

__all__ = ["ErrorPage", "RedirectError"]


class ErrorPage(Exception):
    """No trustworthy redirect_uri: the browser lands on `<domain>/error?error=...&client_id=...`."""

    def __init__(self, error: str, client_id: str | None = None, description: str | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.client_id = client_id
        self.description = description


class RedirectError(Exception):
    """The redirect_uri is registered: the error goes back to it (`?error=...&state=...`)."""

    def __init__(self, error: str, description: str | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.description = description
        # Filled in once the redirect_uri has been validated.
        self.redirect_uri: str | None = None
        self.state: str | None = None
        self.fragment = False
