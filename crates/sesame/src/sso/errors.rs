//! The SSO error codes. Each reuses Azure AD's AADSTS number where Azure AD has one for
//! the same condition (so administrators can look it up), prefixed `SESAME`; codes in the
//! 9000xx range are Sesame's own. Every code has an explanation and a fix, and every code
//! is listed in `docs/errors.md` (a test checks it).

use crate::authentication::Refused;
use sesame_saml::messages::{Status, StatusCode};
use std::fmt;

macro_rules! codes {
    ($($variant:ident = $code:literal, $title:literal, $explain:literal, $fix:literal;)*) => {
        /// An SSO error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $(#[doc = $title] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in documentation order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// `SESAME…`.
            pub fn code(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// A short title.
            pub fn title(self) -> &'static str {
                match self { $(ErrorCode::$variant => $title,)* }
            }

            /// What happened, for the user and the administrator.
            pub fn explanation(self) -> &'static str {
                match self { $(ErrorCode::$variant => $explain,)* }
            }

            /// How to fix it.
            pub fn fix(self) -> &'static str {
                match self { $(ErrorCode::$variant => $fix,)* }
            }
        }
    };
}

codes! {
    UnknownIssuer = "SESAME700016", "Application not found",
        "The Issuer of the request is not the Identifier (Entity ID) of any enterprise application of this tenant.",
        "Add the SP's entity ID as an Identifier of the application (`sesame app set APP --identifier URI`), or configure the application to send the Identifier you registered.";
    DestinationMismatch = "SESAME75008", "Request sent to the wrong endpoint",
        "The request's Destination is not this tenant's Login URL.",
        "Configure the application's IdP sign-in URL to the Login URL that `sesame app show APP` prints ({public-url}/{tenant-id}/saml2).";
    ReplyUrlNotRegistered = "SESAME50011", "Reply URL not registered",
        "The AssertionConsumerServiceURL (or AssertionConsumerServiceIndex) of the request is not among the Reply URLs of the application, or the application has no Reply URL. No assertion is ever sent to an unregistered URL.",
        "Register the exact URL as a Reply URL (`sesame app set APP --reply-url URL`; scheme and host are compared case-insensitively, everything else byte for byte), or fix the application's ACS URL.";
    NotAssigned = "SESAME50105", "User not assigned to the application",
        "The application requires assignment, and the signed-in user is not assigned to it, directly or through a group.",
        "Assign the user or one of their groups (`sesame app assign APP --user UPN`), or turn off assignment (`sesame app set APP --assignment-required false`).";
    AppDisabled = "SESAME7000112", "Application disabled",
        "The application is disabled for sign-in.",
        "Enable it with `sesame app set APP --enabled true`.";
    SignatureRequired = "SESAME76021", "Signed request required",
        "The application requires signed requests, and this request is not signed.",
        "Configure the application to sign its AuthnRequests with the certificate registered in Sesame, or turn the requirement off (`sesame app set APP --require-signed-requests false`).";
    InvalidSignature = "SESAME50006", "Request signature invalid",
        "The request's signature does not verify with the application's registered certificate, uses a disallowed algorithm (RSA-SHA1 while SHA-256 is required), or no certificate is registered to check it.",
        "Register the application's current signing certificate (`sesame app set APP --sp-cert FILE` or `--sp-metadata FILE`), or make it sign with RSA-SHA256.";
    RequestExpired = "SESAME76026", "Request too old or from the future",
        "The request's IssueInstant is more than 5 minutes away from Sesame's clock.",
        "Synchronise the clocks of the application server and of Sesame (NTP), and do not reuse saved requests.";
    RequestReplayed = "SESAME900001", "Request replayed",
        "A request with this ID from this application was already received: requests are single-use.",
        "Start sign-in again from the application; if it happens on every attempt, the application reuses request IDs and must generate a new one each time.";
    InvalidNameIdPolicy = "SESAME900002", "NameID format not supported",
        "The request's NameIDPolicy asks for a NameID format the application is not configured to send (SAML status InvalidNameIDPolicy).",
        "Configure the application to request the format it is set up for (emailAddress by default), unspecified, or no NameIDPolicy format.";
    NoPassive = "SESAME900003", "Interactive sign-in needed",
        "The request asked for passive sign-in (IsPassive), and the user has no session: Sesame cannot sign them in without showing the sign-in page (SAML status NoPassive).",
        "Nothing to fix: the application should start a normal (interactive) sign-in.";
    AuthnContextUnsatisfied = "SESAME75011", "Authentication method not satisfied",
        "The request's RequestedAuthnContext asks for an authentication method the user's sign-in cannot satisfy: Sesame satisfies PasswordProtectedTransport and unspecified after a password, https://refeds.org/profile/mfa after a second factor, and X509 after a passkey (the sign-in then asks for the second factor, or for a passkey); X509 for a user who has no passkey, and other classes (Kerberos, smartcards…) never (SAML status NoAuthnContext).",
        "Users: for X509, register a passkey in Security info, then sign in again. Administrators: configure the application to request PasswordProtectedTransport, unspecified or X509 (with passkeys registered), or no RequestedAuthnContext.";
    BlockedByConditionalAccess = "SESAME53003", "Access blocked by Conditional Access",
        "A Conditional Access policy of the organisation blocks this user's access to this application from here (Entra's AADSTS53003). The sign-in log names the policy; the user is not told which (SAML status Responder / RequestDenied).",
        "Users: ask your administrator. Administrators: the sign-in log's row (Conditional Access) names the policy; change its users, target resources or locations (`sesame policy show NAME`, `sesame policy set NAME …`), or try `sesame policy what-if --user UPN --app APP --ip ADDR`.";
    PhishingResistantRequired = "SESAME900150", "Phishing-resistant MFA required",
        "A Conditional Access policy requires phishing-resistant multifactor authentication (a passkey or FIDO2 security key) for this application, the sign-in did not use one, and the user cannot use or register one here: Sesame's public URL names an IP address, not a host name a passkey can be bound to. An authenticator app's code or a recovery code does not satisfy it (SAML status Responder / RequestDenied). Otherwise the sign-in asks for a passkey (step-up), or has the user register one.",
        "Users: ask your administrator. Administrators: give Sesame a public URL with a host name (passkeys cannot be bound to an IP address), or require multifactor authentication (`--grant mfa`) instead, or set the policy to report-only.";
    UserDisabled = "SESAME50057", "User account disabled",
        "The user account is disabled.",
        "An administrator can enable it with `sesame user enable UPN`.";
    AccountLocked = "SESAME50053", "Account locked",
        "After too many failed sign-in attempts, each further attempt at this account must wait: one minute, then twice as long after each further failure, up to 15 minutes. A browser that signed in as this user before, or a trusted location, has a counter of its own and is not delayed by failures from elsewhere.",
        "Wait the time shown and sign in again with the right password, preferably from a browser you used before. Administrators: `sesame user set UPN --password-stdin` at the server always works.";
    InvalidCredentials = "SESAME50126", "Wrong user name or password",
        "The user name or the password is not correct.",
        "Check the user principal name (name@domain) and the password; an administrator can reset it with `sesame user set UPN --password-stdin`.";
    TooManyAttempts = "SESAME900006", "Too many attempts from this address",
        "Too many failed sign-in attempts came from this network address; it must wait before trying again.",
        "Wait the time shown and try again.";
    TooManySignIns = "SESAME900030", "Too many sign-ins",
        "This account, or this network address, signed in successfully more often in a short time than Sesame accepts (the numbers are in docs/deploy.md, \"Limits and abuse protection\"); the password was not checked.",
        "Wait the time shown (the Retry-After header) and try again; a signed-in browser does not need to sign in again.";
    SignInBusy = "SESAME900031", "Sign-in busy",
        "Too many passwords are being checked at this moment; rather than make this sign-in wait, Sesame refused it at once. Nothing was changed.",
        "Try again in a second (the Retry-After header). If it persists, the server is flooded with sign-ins: the server log and /metrics show the load.";
    MalformedRequest = "SESAME75005", "SAML message invalid",
        "The SAML message could not be decoded or is not a valid SAML 2.0 request.",
        "Check the application's SAML configuration; `sesame saml decode` shows what the message contains.";
    MissingMessage = "SESAME750054", "No SAML message",
        "The request carries no SAMLRequest or SAMLResponse parameter.",
        "Send a SAMLRequest by HTTP-Redirect (query string) or HTTP-POST (form field).";
    UnsupportedBinding = "SESAME900010", "Response binding not supported",
        "The request asks for the response by a binding other than HTTP-POST.",
        "Configure the application to receive responses with the HTTP-POST binding.";
    NoSigningCertificate = "SESAME900007", "No signing certificate",
        "The application has no active signing certificate, so no response can be signed.",
        "Create and activate one: `sesame app cert APP --new`, then `--activate THUMBPRINT`.";
    TenantNotFound = "SESAME90002", "Tenant not found",
        "The URL names a tenant that is not this installation's.",
        "Use the URLs that `sesame app show APP` prints.";
    AppNotFound = "SESAME900009", "Application not found",
        "No application has this id.",
        "Use the id that `sesame app list` prints.";
    SignInExpired = "SESAME900005", "Sign-in expired",
        "The sign-in started too long ago, or was already completed; its request is no longer kept.",
        "Go back to the application and sign in again.";
    FormExpired = "SESAME900004", "Form expired",
        "The sign-in form was not sent by this browser session (the security token is missing or does not match), or it was sent from another site.",
        "Reload the sign-in page and try again; allow cookies for this site.";
    NoLogoutUrl = "SESAME900008", "No Logout URL",
        "The application sent a LogoutRequest but has no Logout URL to send the LogoutResponse to.",
        "Set the application's Logout URL (`sesame app set APP --logout-url URL`).";
    RequestTooLarge = "SESAME900040", "Request too large",
        "The SAML request is larger than Sesame keeps while the user signs in (16 KiB of XML): a real AuthnRequest is a few KiB, even signed with its certificate.",
        "Configure the application to send a smaller request (no embedded extensions or large certificate chains); the limit is fixed.";
    RateLimited = "SESAME900041", "Too many requests from this address",
        "Too many requests to the SAML endpoint or the sign-in page came from this network address (an IPv6 /64 counts as one address) in a short time.",
        "Wait the time shown (the Retry-After header) and try again. Administrators: the limit and how to change it are in docs/deploy.md, Limits and abuse protection.";
    ServiceUnavailable = "SESAME900011", "Service temporarily unavailable",
        "Sesame cannot reach its database at the moment (it is restarting, overloaded or out of reach), so the request could not be completed. Nothing was changed.",
        "Try again in a moment. Administrators: GET /readyz answers 503 while the database is unreachable; the server log has the details under the correlation id below. Sesame reconnects by itself when the database is back.";
    RelayStateTooLong = "SESAME900020", "RelayState too long",
        "The request's RelayState is longer than Sesame accepts (2048 bytes). SAML itself allows 80 bytes; applications that keep a return URL in it stay well below 2 KiB.",
        "Configure the application to send a shorter RelayState (a key to its own state rather than the state itself), or start the sign-in again from the application.";
    CodeMalformed = "SESAME900100", "Code of the wrong form",
        "The code typed is not a code at all: an authenticator app's code is 6 digits, a recovery code 10 letters and digits (like ABCDE-23456).",
        "Type the 6 digits your authenticator app shows now (spaces are ignored), or one of your recovery codes. A malformed code is not counted as a wrong guess.";
    CodeIncorrect = "SESAME900101", "Wrong code",
        "The code is not the current code of any of the user's authenticator apps (Sesame accepts the code of the current 30-second step and of the steps just before and after it), or it is not one of the user's unused recovery codes. Each wrong code counts towards the second-factor lock.",
        "Type the code your app shows now. If codes keep failing, check that the clock of the phone or computer running the app is set automatically (codes depend on the time). A recovery code works once only.";
    CodeReplayed = "SESAME900102", "Code already used",
        "This code (or a later one of the same app) was already accepted: each code is accepted once only, so a code seen by someone else cannot be used again.",
        "Wait for the next code of your app (a new one every 30 seconds) and type it.";
    SecondFactorLocked = "SESAME900103", "Too many wrong codes",
        "Ten codes in a row were wrong for this user, or from this network address: codes are refused for 15 minutes. Only the second factor is locked: the password is not.",
        "Wait the time shown and try again. If someone else was guessing, change your password. An administrator can list and delete the user's methods (`sesame user methods UPN`, or Users → user → Authentication methods in the portal).";
    RegistrationExpired = "SESAME900104", "Registration expired",
        "The registration of the authenticator app was begun more than 10 minutes ago, was already completed, or belongs to another session's user.",
        "Start again from Security info: Add sign-in method → Authenticator app, scan the new QR code and type the first code within 10 minutes.";
    MethodProofRequired = "SESAME900105", "Code from an existing method required",
        "Adding or removing an authentication method needs a code from one of the methods the user already has: an authenticator app's current code, or one of the recovery codes.",
        "Type a code from your authenticator app, or one of your recovery codes. Without either, ask an administrator to delete your methods (`sesame user methods UPN --delete ID`); then register again.";
    MethodNotFound = "SESAME900106", "Authentication method not found",
        "The user has no authentication method with this id (it may have been removed meanwhile).",
        "Open Security info again (or `sesame user methods UPN`) for the current list.";
    MethodNameInvalid = "SESAME900107", "Method name not accepted",
        "The name of an authentication method must be 1 to 64 characters, without control characters.",
        "Give a short name, like \"Work phone\".";
    PasskeyClientData = "SESAME900120", "Passkey answer unreadable",
        "The browser's answer to a passkey request (its client data, clientDataJSON) is missing, is not JSON, or is not of the expected type (webauthn.create to register, webauthn.get to sign in).",
        "Start again from the page (Security info, or the sign-in page). If it keeps failing, use another browser: the browser did not answer as WebAuthn requires.";
    PasskeyChallenge = "SESAME900121", "Passkey request expired",
        "The passkey request (its challenge) is unknown to Sesame: it was issued more than 5 minutes ago, was already answered once, or was issued for another purpose or another user.",
        "Start again: select Sign in with a passkey (or Add sign-in method → Passkey or security key) and answer within 5 minutes.";
    PasskeyOrigin = "SESAME900122", "Passkey used at another site",
        "The browser reports that the passkey was used at an origin that is not Sesame's public URL (scheme, host name and port), or inside a frame of another site.",
        "Open Sesame at its public URL (the address the administrator gave, `sesame serve --public-url`) and try again. Administrators: a reverse proxy must keep the public host name and port.";
    PasskeyRpId = "SESAME900123", "Passkey of another site",
        "The authenticator answered for another relying party: the SHA-256 of the RP ID in its authenticator data is not that of Sesame's host name.",
        "Use a passkey registered with this Sesame (Security info lists yours). Administrators: changing the public URL's host name makes every registered passkey unusable; users register again.";
    PasskeyUserNotPresent = "SESAME900124", "Presence not confirmed",
        "The authenticator did not confirm that a person was present (the UP flag of its authenticator data is not set).",
        "Touch the security key, or confirm on the device, when it asks.";
    PasskeyAuthenticatorData = "SESAME900125", "Authenticator data unreadable",
        "The authenticator data of the answer is shorter than 37 bytes, its attested credential or extensions are cut short or malformed (CBOR), or bytes follow its end.",
        "Try again; if it keeps failing with this authenticator, use another one (the authenticator or the browser does not follow WebAuthn).";
    PasskeyAttestation = "SESAME900126", "Attestation object unreadable",
        "The attestation object of a registration is not valid CBOR, lacks fmt, attStmt or authData, or has fmt none with a statement.",
        "Try again; if it keeps failing with this authenticator, use another one.";
    PasskeyUnsupportedKey = "SESAME900127", "Passkey key not supported",
        "The authenticator's public key is not one Sesame accepts: ES256 (ECDSA P-256), RS256 (RSA of 2048 bits or more) or EdDSA (Ed25519), in a well-formed COSE key.",
        "Use another authenticator; every current platform authenticator and FIDO2 security key supports ES256.";
    PasskeySignature = "SESAME900128", "Passkey signature not valid",
        "The signature of the answer does not verify with the passkey's registered public key.",
        "Try again. If it keeps failing, remove the passkey in Security info and register it again.";
    PasskeyCounter = "SESAME900129", "Possible cloned security key",
        "The authenticator's signature counter did not increase since the passkey's last use: a copy of the key may be in use. The sign-in is refused and the server log records it as a possible cloned key.",
        "Administrators: check the user's recent sign-ins; delete the passkey (Users → user → Authentication methods, or `sesame user methods UPN --delete ID`) and have the user register it again.";
    PasskeyUnknown = "SESAME900130", "Passkey not registered",
        "No registered passkey has the credential id the browser sent (it may have been removed), or the user handle it sent is not that passkey's user.",
        "Sign in with your password, then register the passkey again in Security info. Remove the old passkey from the device's passkey manager.";
    PasskeyAlreadyRegistered = "SESAME900131", "Passkey already registered",
        "This passkey or security key (its credential id) is registered already.",
        "Nothing to do: it is in Security info already.";
    PasskeyNotAllowed = "SESAME900132", "Authenticator not allowed",
        "The organisation's Authentication methods policy enforces key restrictions: only passkeys and security keys of the authenticator models (AAGUIDs) it lists are registered and accepted, and this one's AAGUID is not among them. An authenticator that does not tell its model has the AAGUID 00000000-0000-0000-0000-000000000000.",
        "Users: use a security key or passkey provider your organisation allows. Administrators: add the AAGUID to the allow-list (`sesame methods-policy set --method passkey --enabled true --aaguids UUID,…`, or Authentication methods → Passkey (FIDO2) in the portal), or remove the restriction (`--aaguids none`).";
    MethodNotEnabled = "SESAME900134", "Authentication method not enabled",
        "The organisation's Authentication methods policy does not enable this kind of method (Passkey (FIDO2), Authenticator app or Recovery codes) for this user: it is disabled, or enabled only for groups the user is not a member of. It can be neither registered nor used.",
        "Users: use another method, or ask your administrator. Administrators: enable the method for the user (`sesame methods-policy set --method authenticator-app --enabled true --groups all`, or Authentication methods in the portal), or add the user to one of its groups.";
    PasskeyNoHostName = "SESAME900133", "Passkeys need a host name",
        "Sesame's public URL has an IP address as its host. Browsers accept only host names as WebAuthn relying-party ids, so passkeys cannot be registered or used.",
        "Administrators: give Sesame a public URL with a host name (`sesame serve --public-url https://sso.contoso.com`; for a test on one machine, http://localhost:PORT).";
    InternalError = "SESAME50000", "Internal error",
        "Sesame could not complete the request because of an internal error.",
        "Try again; if it persists, give the administrator the correlation id below: the server log has the details.";
    SamlNotConfigured = "SESAME900060", "Application's SAML not configured",
        "The application was added but its Basic SAML Configuration is not complete yet: it still lacks an Identifier (Entity ID), a Reply URL, or a value its gallery template requires. Until it has them, Sesame signs no one in to it and sends it nothing; My Apps does not show it.",
        "In the portal: Enterprise applications → the application → Single sign-on → Basic SAML Configuration → Edit, then enter the values the application's vendor gives you (the page lists which are missing). With the CLI: `sesame app show APP` lists them, `sesame app set APP --identifier URI --reply-url URL` sets them.";
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An SSO failure: its code and what exactly was wrong in this request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct SsoError {
    /// The code.
    pub code: ErrorCode,
    /// What was wrong in this case (safe to show: no secret).
    pub detail: String,
}

impl SsoError {
    /// An error with its detail.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        SsoError {
            code,
            detail: detail.into(),
        }
    }

    /// The error of a failure outside the protocol (storage, signing, encoding): 503
    /// [`ErrorCode::ServiceUnavailable`] when the database is out of reach, else
    /// [`ErrorCode::InternalError`].
    pub fn internal(e: &(dyn std::error::Error + 'static)) -> Self {
        let code = if caused_by_unavailable_db(e) {
            ErrorCode::ServiceUnavailable
        } else {
            ErrorCode::InternalError
        };
        SsoError::new(code, e.to_string())
    }

    /// The SAML status to return to the application, when this error goes back to it as
    /// a Response (only to a registered Reply URL). `None`: an error page.
    pub fn saml_status(&self) -> Option<Status> {
        let (top, sub) = match self.code {
            ErrorCode::InvalidNameIdPolicy => {
                (StatusCode::Requester, StatusCode::InvalidNameIDPolicy)
            }
            ErrorCode::NoPassive => (StatusCode::Responder, StatusCode::NoPassive),
            ErrorCode::BlockedByConditionalAccess | ErrorCode::PhishingResistantRequired => {
                (StatusCode::Responder, StatusCode::RequestDenied)
            }
            ErrorCode::AuthnContextUnsatisfied => {
                (StatusCode::Requester, StatusCode::NoAuthnContext)
            }
            _ => return None,
        };
        let msg = format!("{}: {}", self.code.code(), self.code.title());
        Some(Status::error(top, Some(sub), Some(&msg)))
    }
}

impl From<&Refused> for SsoError {
    /// The error shown and logged when authentication refuses a sign-in.
    fn from(r: &Refused) -> Self {
        match r {
            Refused::Throttled { retry_after } => SsoError::new(
                ErrorCode::TooManyAttempts,
                format!("try again in {retry_after} seconds"),
            ),
            Refused::Locked { .. } => SsoError::new(ErrorCode::AccountLocked, r.to_string()),
            Refused::TooFrequent { .. } => SsoError::new(ErrorCode::TooManySignIns, r.to_string()),
            Refused::Busy { .. } => SsoError::new(ErrorCode::SignInBusy, r.to_string()),
            Refused::InvalidCredentials { .. } => {
                SsoError::new(ErrorCode::InvalidCredentials, r.to_string())
            }
            Refused::Disabled(_) => SsoError::new(ErrorCode::UserDisabled, r.to_string()),
            Refused::Store(e) => SsoError::internal(e),
        }
    }
}

impl From<&crate::methods::MethodError> for SsoError {
    /// The error shown when a method operation is refused.
    fn from(e: &crate::methods::MethodError) -> Self {
        use crate::methods::MethodError as M;
        let code = match e {
            M::BadCode(_) => ErrorCode::CodeMalformed,
            M::WrongCode => ErrorCode::CodeIncorrect,
            M::Replayed => ErrorCode::CodeReplayed,
            M::Locked { .. } => ErrorCode::SecondFactorLocked,
            M::RegistrationExpired => ErrorCode::RegistrationExpired,
            M::NotFound => ErrorCode::MethodNotFound,
            M::ProofRequired => ErrorCode::MethodProofRequired,
            M::InvalidName(_) => ErrorCode::MethodNameInvalid,
            M::Passkey(p) => passkey_code(p),
            M::NotEnabled(_) => ErrorCode::MethodNotEnabled,
            M::AuthenticatorNotAllowed(_) => ErrorCode::PasskeyNotAllowed,
            M::Key(k) => return SsoError::internal(k),
            M::Store(s) => return SsoError::internal(s),
        };
        SsoError::new(code, e.to_string())
    }
}

/// The code of a refused passkey answer.
fn passkey_code(e: &crate::methods::passkey::PasskeyError) -> ErrorCode {
    use crate::methods::passkey::PasskeyError as P;
    match e {
        P::ClientData(_) => ErrorCode::PasskeyClientData,
        P::Challenge => ErrorCode::PasskeyChallenge,
        P::Origin(_) => ErrorCode::PasskeyOrigin,
        P::RpId => ErrorCode::PasskeyRpId,
        P::UserNotPresent => ErrorCode::PasskeyUserNotPresent,
        P::AuthenticatorData(_) => ErrorCode::PasskeyAuthenticatorData,
        P::Attestation(_) => ErrorCode::PasskeyAttestation,
        P::UnsupportedKey(_) => ErrorCode::PasskeyUnsupportedKey,
        P::Signature => ErrorCode::PasskeySignature,
        P::Counter { .. } => ErrorCode::PasskeyCounter,
        P::UnknownCredential => ErrorCode::PasskeyUnknown,
        P::AlreadyRegistered => ErrorCode::PasskeyAlreadyRegistered,
        P::NoHostName(_) => ErrorCode::PasskeyNoHostName,
    }
}

/// Whether `e` or one of its causes says the database is out of reach.
pub fn caused_by_unavailable_db(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(s) = err.downcast_ref::<crate::store::StoreError>() {
            if s.is_unavailable() {
                return true;
            }
        }
        if let Some(x) = err.downcast_ref::<sqlx::Error>() {
            if crate::store::is_unavailable(x) {
                return true;
            }
        }
        cur = err.source();
    }
    false
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn passkey_refusals_have_their_codes() {
        use crate::methods::passkey::PasskeyError as P;
        use crate::methods::MethodError as M;
        let c = |p: P| SsoError::from(&M::Passkey(p)).code.code();
        assert_eq!(c(P::Challenge), "SESAME900121");
        assert_eq!(
            c(P::Counter {
                stored: 2,
                received: 1
            }),
            "SESAME900129"
        );
        assert_eq!(c(P::UnknownCredential), "SESAME900130");
        assert_eq!(c(P::NoHostName("x".into())), "SESAME900133");
    }

    #[test]
    fn authentication_refusals_have_their_codes() {
        let e = SsoError::from(&Refused::Throttled { retry_after: 30 });
        assert_eq!(e.code, ErrorCode::TooManyAttempts);
        assert_eq!(e.detail, "try again in 30 seconds");
        let locked = SsoError::from(&Refused::Locked { retry_after: 60 });
        assert_eq!(locked.code, ErrorCode::AccountLocked);
        let wrong = SsoError::from(&Refused::InvalidCredentials { user: None });
        assert_eq!(wrong.code, ErrorCode::InvalidCredentials);
        let often = SsoError::from(&Refused::TooFrequent { retry_after: 3 });
        assert_eq!(often.code, ErrorCode::TooManySignIns);
        let busy = SsoError::from(&Refused::Busy { retry_after: 1 });
        assert_eq!(busy.code, ErrorCode::SignInBusy);
    }

    #[test]
    fn every_code_is_documented() {
        let doc = include_str!("../../../../docs/errors.md");
        for c in ErrorCode::ALL {
            assert!(
                doc.contains(&format!("## {}", c.code())),
                "{} is not documented in docs/errors.md",
                c.code()
            );
        }
    }

    #[test]
    fn codes_are_unique_and_complete() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.code()), "duplicate {}", c.code());
            assert!(c.code().starts_with("SESAME"));
            assert!(!c.explanation().is_empty() && !c.fix().is_empty());
        }
    }

    #[test]
    fn returnable_errors_have_statuses() {
        let e = SsoError::new(ErrorCode::NoPassive, "x");
        assert_eq!(
            e.saml_status().unwrap().sub_code,
            Some(StatusCode::NoPassive)
        );
        assert!(SsoError::new(ErrorCode::UnknownIssuer, "x")
            .saml_status()
            .is_none());
    }

    /// `cargo test -p sesame --lib print_errors_md -- --ignored --nocapture` prints the
    /// body of docs/errors.md from the code.
    #[test]
    #[ignore]
    fn print_errors_md() {
        for c in ErrorCode::ALL {
            println!(
                "## {}\n\n**{}.** {}\n\n*Fix:* {}\n",
                c.code(),
                c.title(),
                c.explanation(),
                c.fix()
            );
        }
    }
}
