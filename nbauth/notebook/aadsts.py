# ruff: noqa: E501  (the table below keeps one code per row, which is easier to review than wrapped text)
"""What common Microsoft Entra ID (AADSTS) error codes mean and what to do about them.

The descriptions are ours, written for a notebook user: one sentence on what happened, one on the next step.
Entra's own lookup page for a code is :func:`lookup_url`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple


class Aadsts(NamedTuple):
    code: int
    name: str
    meaning: str
    action: str


# fmt: off
_ROWS: tuple[tuple[int, str, str, str], ...] = (
    (50000, "TokenIssuanceError", "The sign-in service had an internal problem issuing the token.",
     "Try again in a moment; if it persists, report it to Microsoft support with the correlation id."),
    (50011, "InvalidReplyTo", "The redirect URI sent doesn't match any redirect URI registered for the app.",
     "Register the exact redirect URI (scheme, host, port, path) on the app registration, or send one that is."),
    (50012, "AuthenticationFailed", "The client's credential (certificate or signed client assertion) was "
     "rejected: bad signature, unknown certificate, or an assertion for another audience.",
     "Check the certificate uploaded to the app registration and the assertion's aud/iss/sub claims."),
    (50020, "UserUnauthorized", "The account is from an identity provider or tenant that has no access to this "
     "application's tenant (for example an uninvited guest, or a personal account on a work-only app).",
     "Sign in with an account of the tenant, ask an admin to invite the user, or use the user's home tenant."),
    (50034, "UserAccountNotFound", "The account doesn't exist in the directory of this tenant.",
     "Check the username and the tenant in the authority; a guest must be invited first."),
    (50053, "IdsLocked", "The account is locked: too many failed sign-ins, or sign-ins from a blocked IP.",
     "Wait for the lock to expire or ask an admin to unlock the account."),
    (50055, "InvalidPasswordExpiredPassword", "The user's password has expired.",
     "Change the password (sign in interactively once), then try again."),
    (50057, "UserDisabled", "The user account is disabled.", "Ask an admin to enable the account."),
    (50058, "UserInformationNotProvided", "A silent sign-in was asked for but no signed-in session was found.",
     "Sign in interactively (run %token with an interactive flow)."),
    (50059, "MissingTenantRealmAndNoUserInformationProvided", "No tenant could be determined from the request "
     "or the credentials (a multi-tenant endpoint such as /common was used where a tenant is required).",
     "Use a tenant-specific authority: set NbAuth.tenant_id or pass --tenant."),
    (50074, "UserStrongAuthClientAuthNRequiredInterrupt", "Strong authentication (MFA) is required and the "
     "challenge wasn't completed.", "Sign in interactively and complete the MFA prompt."),
    (50076, "UserStrongAuthClientAuthNRequired", "A policy requires multi-factor authentication (an admin "
     "changed the configuration, or you signed in from a new location).",
     "Sign in interactively with the returned claims challenge (%token --claims-challenge, or the prompt)."),
    (50079, "UserStrongAuthEnrollmentRequired", "The user must register for multi-factor authentication.",
     "Sign in interactively in a browser and complete MFA registration, then try again."),
    (50097, "DeviceAuthenticationRequired", "The policy requires an authenticated (registered) device.",
     "Sign in from a registered or compliant device, or ask an admin about the device policy."),
    (50105, "EntitlementGrantsNotFound", "The signed-in user isn't assigned to a role for this application "
     "(the app requires user assignment).", "Ask an admin to assign the user (or a group) to the application."),
    (50126, "InvalidUserNameOrPassword", "The username or password is wrong.",
     "Check the credentials; prefer an interactive flow over username/password."),
    (50140, "KmsiInterrupt", "The 'stay signed in?' prompt interrupted the sign-in; nothing is wrong.",
     "Finish the sign-in in the browser."),
    (50158, "ExternalSecurityChallenge", "An external security challenge (a third-party MFA or custom control) "
     "wasn't satisfied.", "Sign in interactively and complete the external challenge."),
    (50173, "FreshTokenNeeded", "The grant was revoked (password change, sign-out everywhere, admin action) and "
     "a fresh sign-in is needed.", "Sign in again (%token --force-refresh or an interactive flow)."),
    (50196, "LoopDetected", "Entra saw the same token request too many times in a short period and refused it "
     "(a client that asks again and again instead of reusing its tokens).", "Stop repeating the request: "
     "reuse cached tokens (%token without --force-refresh), wait before trying again, and fix any loop that "
     "re-acquires on every call or error."),
    (53000, "DeviceNotCompliant", "Conditional Access requires a compliant or hybrid-joined device.",
     "Use a managed, compliant device, or ask an admin which device policy applies."),
    (53003, "BlockedByConditionalAccess", "A Conditional Access policy blocked the sign-in.",
     "Ask an admin which policy applies (the sign-in logs show it, use the correlation id)."),
    (54005, "OAuth2AuthorizationCodeAlreadyRedeemed", "The authorization code was already redeemed; codes are "
     "single-use.", "Start a new sign-in to get a new code."),
    (65001, "DelegationDoesNotExist", "The user or an admin hasn't consented to the app using these permissions.",
     "Sign in interactively to consent, or ask an admin to grant consent for the tenant."),
    (65004, "UserDeclinedConsent", "The user declined to consent to the app's permissions.",
     "Sign in again and accept the consent prompt, or ask an admin to grant consent."),
    (70000, "InvalidGrant", "The grant (code, refresh token, or assertion) is invalid or expired.",
     "Sign in again."),
    (70008, "ExpiredOrRevokedGrant", "The refresh token or authorization code expired or was revoked "
     "(inactivity).", "Sign in again."),
    (70011, "InvalidScope", "A requested scope is malformed or not valid for this app or flow.",
     "Check the scopes: delegated scopes look like api://app/Name; client credentials need api://app/.default."),
    (70016, "AuthorizationPending", "The device code sign-in hasn't been completed yet (a normal polling reply).",
     "Finish the sign-in on the verification page."),
    (70019, "CodeExpired", "The device code expired before the sign-in was completed.",
     "Start the sign-in again and complete it within the time shown."),
    (70043, "BadTokenDueToSignInFrequency", "The refresh token expired because a Conditional Access sign-in "
     "frequency policy requires a fresh sign-in.", "Sign in again interactively."),
    (70044, "BadTokenDueToSignInFrequency", "The session expired under a Conditional Access sign-in frequency "
     "policy.", "Sign in again interactively."),
    (90002, "InvalidTenantName", "The tenant in the authority wasn't found (a wrong id or domain, or the "
     "tenant is not active).", "Check NbAuth.tenant_id / --tenant (a GUID or a verified domain)."),
    (90014, "MissingRequiredField", "A required field is missing from the request.",
     "Check the request; with a custom client, compare it with the protocol."),
    (90033, "MsodsServiceUnavailable", "A transient error in a service the sign-in depends on.",
     "Try again in a moment; nbauth's throttle cache replays the error until any Retry-After has passed."),
    (500011, "InvalidResourceServicePrincipalNotFound", "The API (resource) named in the scope isn't present "
     "in the tenant.", "Check the scope's resource URI; an admin may have to provision or consent to the API."),
    (530003, "DeviceNotManaged", "Access requires a managed device.",
     "Sign in from a device managed by your organisation, or ask an admin."),
    (650052, "InvalidResourceServicePrincipalNotFound", "The app needs a service that the organisation hasn't "
     "subscribed to or enabled (its service principal is missing in the tenant).",
     "Ask an admin to enable the service or grant consent for it in the tenant."),
    (700016, "UnauthorizedClient_DoesNotMatchRequest", "No application with this client id exists in the "
     "tenant (a typo, the wrong tenant, or the app isn't consented there).",
     "Check NbAuth.client_id / --client-id and the tenant; a multi-tenant app needs consent in this tenant."),
    (700024, "ClientAssertionNotWithinValidTimeRange", "The client assertion is expired or not yet valid "
     "(often clock skew).", "Check the machine's clock and create a fresh assertion."),
    (700054, "InvalidResponseTypeNotEnabled", "The response type (for example id_token) isn't enabled for the "
     "app.", "Enable the response type on the app registration or request a different one."),
    (700082, "ExpiredOrRevokedGrantInactiveToken", "The refresh token expired after a long period of "
     "inactivity.", "Sign in again."),
    (7000112, "UnauthorizedClientApplicationDisabled", "The application is disabled.",
     "Ask an admin to enable the application (its service principal)."),
    (7000215, "InvalidClientSecretProvided", "The client secret is wrong (a common cause: the secret's ID was "
     "sent instead of its value).", "Put the secret's value in the environment variable client_secret_env names."),
    (7000222, "InvalidClientSecretExpiredKeysProvided", "The client secret has expired.",
     "Create a new secret on the app registration and update the environment variable."),
    (9002313, "InvalidRequest", "The request is malformed or invalid (a parameter is wrong or was changed).",
     "Check the authority, client id, scopes and redirect URI; start the flow again."),
    (900144, "InvalidRequestParameter", "A required parameter is missing from the request body.",
     "Check the request parameters (for example client_id, grant_type or scope)."),
)
# fmt: on

CODES: Mapping[int, Aadsts] = {row[0]: Aadsts(*row) for row in _ROWS}

_AADSTS_IN_TEXT = re.compile(r"\bAADSTS(\d{5,8})\b")


def lookup(code: int) -> Aadsts | None:
    return CODES.get(int(code))


def code_of(result: Mapping[str, Any]) -> int | None:
    """The AADSTS code of an error dict: ``error_codes[0]``, else the first ``AADSTSnnnnn`` in the description."""
    codes = result.get("error_codes")
    if isinstance(codes, list) and codes:
        try:
            return int(codes[0])
        except (TypeError, ValueError):
            pass
    match = _AADSTS_IN_TEXT.search(str(result.get("error_description") or ""))
    return int(match.group(1)) if match else None


def lookup_url(code: int) -> str:
    """Microsoft's public error lookup page for an Entra code."""
    return f"https://login.microsoftonline.com/error?code={int(code)}"
