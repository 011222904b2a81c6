"""The two error families of the IdP: Cognito API exceptions and OAuth2 protocol errors."""

from __future__ import annotations

__all__ = ["CognitoError", "OAuth2Error"]


class CognitoError(Exception):
    """An error of the AWS JSON API; serialised as HTTP 400 `{"__type": ..., "message": ...}`."""

    def __init__(self, type_name: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.type_name = type_name
        self.message = message
        self.status = status

    # Constructors for the exceptions Cognito raises most; names are Cognito's.
    @classmethod
    def invalid_parameter(cls, message: str) -> CognitoError:
        return cls("InvalidParameterException", message)

    @classmethod
    def not_found(cls, message: str) -> CognitoError:
        return cls("ResourceNotFoundException", message)

    @classmethod
    def not_authorized(cls, message: str = "Incorrect username or password.") -> CognitoError:
        return cls("NotAuthorizedException", message)

    @classmethod
    def user_not_found(cls, message: str = "User does not exist.") -> CognitoError:
        return cls("UserNotFoundException", message)

    @classmethod
    def username_exists(cls, message: str = "User account already exists") -> CognitoError:
        return cls("UsernameExistsException", message)

    @classmethod
    def code_mismatch(cls) -> CognitoError:
        return cls("CodeMismatchException", "Invalid verification code provided, please try again.")

    @classmethod
    def expired_code(cls) -> CognitoError:
        return cls("ExpiredCodeException", "Invalid code provided, please request a code again.")

    @classmethod
    def invalid_password(cls, message: str) -> CognitoError:
        return cls("InvalidPasswordException", message)


class OAuth2Error(Exception):
    """An OAuth2 protocol error: `{"error", "error_description"}` with an HTTP status."""

    def __init__(self, error: str, description: str | None = None, status: int = 400) -> None:
        super().__init__(description or error)
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body
