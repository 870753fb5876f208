"""The organisers' login for the Revue page: a user name from the settings
(`app.review_user`) and its password from the environment variable the settings name
(`app.review_password_env`). There is no default password: without a user name the Revue is
not served at all."""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass

from guide_assistant.config import AppSettings
from guide_assistant.errors import ReviewLoginError

MIN_PASSWORD_CHARS = 12


@dataclass(frozen=True)
class ReviewLogin:
    """One organiser login. `password` is never logged (repr hides it)."""

    user: str
    password: str

    def __repr__(self) -> str:
        return f"ReviewLogin(user={self.user!r}, password=***)"

    def check(self, user: str, password: str) -> bool:
        """Gradio's auth callable: True for this user and password (compared in constant time)."""
        same_user = hmac.compare_digest(user.encode("utf-8"), self.user.encode("utf-8"))
        same_password = hmac.compare_digest(password.encode("utf-8"), self.password.encode("utf-8"))
        return same_user and same_password


def review_login(app: AppSettings, environ: Mapping[str, str] | None = None) -> ReviewLogin | None:
    """The configured login, or None when `app.review_user` is empty (the Revue is then not
    served). `environ` defaults to os.environ. Raises ReviewLoginError when a user is set but
    its password variable is unset or shorter than MIN_PASSWORD_CHARS characters."""
    if not app.review_user:
        return None
    password = (os.environ if environ is None else environ).get(app.review_password_env, "")
    if len(password) < MIN_PASSWORD_CHARS:
        raise ReviewLoginError(
            f"The Revue login {app.review_user!r} needs a password of at least {MIN_PASSWORD_CHARS} characters in "
            f"the environment variable {app.review_password_env} ({'too short' if password else 'unset'}). Set it, "
            "or unset GUIDE_ASSISTANT_APP__REVIEW_USER to serve the chat without the Revue.")
    return ReviewLogin(app.review_user, password)


def how_to_enable(app: AppSettings) -> str:
    """The one line that tells an operator how to serve the Revue."""
    return (f"The Revue page (officials' feedback, reviews, CSV export, candidate items) is not served: set "
            f"GUIDE_ASSISTANT_APP__REVIEW_USER=<name> and {app.review_password_env}=<password, "
            f"{MIN_PASSWORD_CHARS}+ characters> to serve it at /revue behind a login.")

