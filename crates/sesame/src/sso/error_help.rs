//! What each SSO error code says to the two people who meet it: the end user (a plain
//! sentence, no commands — the error page adds whom to ask and what to give them), and
//! the administrator (the fix as steps in the admin portal, with the page that makes
//! it; [`ErrorCode::fix`] is the command-line form). Read by the error page, the
//! sign-in log details and the application's Test page.

use super::errors::ErrorCode;

/// The portal page that fixes a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixPage {
    /// A page of the application (`/admin/apps/{id}` + this suffix); the Enterprise
    /// applications list when the application is not known.
    App(&'static str),
    /// The Enterprise applications list.
    Apps,
    /// The Users list (the user's page when known).
    Users,
    /// Nothing to change in the portal.
    None,
}

/// The administrator's fix of one failure: steps in the portal and the page to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalFix {
    /// The steps, naming the application when known.
    pub steps: String,
    /// The page that makes the fix (a path of this site), `""` when there is none.
    pub href: String,
    /// The link's text.
    pub label: String,
}

impl ErrorCode {
    /// What happened, for the end user: one plain sentence, no commands.
    pub fn user_message(self) -> &'static str {
        use ErrorCode as C;
        match self {
            C::UnknownIssuer => "The application you came from is not set up to sign in here.",
            C::DestinationMismatch => "The application sent you to the wrong sign-in address.",
            C::ReplyUrlNotRegistered => {
                "The application asked to receive your sign-in at an address that is not registered for it."
            }
            C::NotAssigned => "Your account has not been given access to this application.",
            C::AppDisabled => "This application is switched off for sign-in at the moment.",
            C::SignatureRequired => "The application's sign-in request was not signed, and it must be.",
            C::InvalidSignature => "The application's sign-in request could not be verified.",
            C::RequestExpired => {
                "The sign-in request was too old, or the clocks of the application and of this service disagree."
            }
            C::RequestReplayed => "This sign-in request was already used. Start again from the application.",
            C::InvalidNameIdPolicy | C::AuthnContextUnsatisfied | C::UnsupportedBinding => {
                "The application asked for a kind of sign-in this service is not set up to give it."
            }
            C::NoPassive => "The application tried to sign you in without showing the sign-in page, and you are not signed in.",
            C::UserDisabled => "Your account is disabled.",
            C::AccountLocked => "Your account must wait before the next attempt, after too many wrong passwords.",
            C::InvalidCredentials => "The user name or the password is not correct.",
            C::TooManyAttempts | C::RateLimited => {
                "Too many attempts came from your network in a short time. Wait a moment and try again."
            }
            C::TooManySignIns => "You signed in too often in a short time. Wait a moment and try again.",
            C::SignInBusy => "The service is busy. Try again in a second.",
            C::MalformedRequest | C::RequestTooLarge | C::RelayStateTooLong => {
                "The application sent a sign-in request this service cannot accept."
            }
            C::MissingMessage => "This sign-in address was opened without a sign-in request. Start from the application or from My Apps.",
            C::NoSigningCertificate => "The application is not fully set up: it has no certificate to sign your sign-in with.",
            C::TenantNotFound => "This sign-in address is not known here.",
            C::AppNotFound => "This application does not exist here.",
            C::SignInExpired => "Your sign-in took too long, or was already completed. Start again from the application.",
            C::FormExpired => "The sign-in form expired. Reload the page and sign in again, and allow cookies for this site.",
            C::NoLogoutUrl => "You could not be signed out of the application: it has no sign-out address here.",
            C::ServiceUnavailable => "The service is temporarily unavailable. Try again in a moment.",
            C::InternalError => "Something went wrong on our side.",
            C::SamlNotConfigured => "This application is not set up for sign-in yet.",
            C::BlockedByConditionalAccess => "Your organisation does not allow you to sign in to this application from here.",
            C::PhishingResistantRequired => "This application requires a passkey or security key, and passkeys cannot be used at this address: ask your administrator.",
            C::PasskeyClientData | C::PasskeyAuthenticatorData | C::PasskeyAttestation | C::PasskeyUnsupportedKey => "Your browser or security key gave an answer that cannot be read. Try again, or use another sign-in method.",
            C::PasskeyChallenge => "The passkey request took too long or was already used. Try again.",
            C::PasskeyOrigin | C::PasskeyRpId => "This passkey belongs to another site.",
            C::PasskeyUserNotPresent => "The security key did not confirm that you are present. Try again and touch or unlock it.",
            C::PasskeySignature => "The passkey's answer could not be verified.",
            C::PasskeyCounter => "This security key was refused because it may have been copied. Contact your administrator.",
            C::PasskeyUnknown => "This passkey is not registered here. Sign in with your password, or register the passkey in Security info.",
            C::PasskeyAlreadyRegistered => "This passkey is already registered.",
            C::PasskeyNoHostName => "Passkeys are not available at this address.",
            C::PasskeyNotAllowed => "Your organisation does not allow this security key or passkey provider.",
            C::MethodNotEnabled => "Your organisation does not allow this sign-in method for you.",
            C::CodeMalformed => "The code typed is not a code: an authenticator app shows 6 digits.",
            C::CodeIncorrect => "The code is not correct.",
            C::CodeReplayed => "This code was already used. Wait for the next code of your app.",
            C::SecondFactorLocked => "Too many wrong codes: codes are refused for a while.",
            C::RegistrationExpired => "The set-up took too long or was already completed. Start again.",
            C::MethodProofRequired => "A code from a method you already have is needed.",
            C::MethodNotFound => "This sign-in method no longer exists.",
            C::MethodNameInvalid => "The name is not accepted: give a short name.",
        }
    }

    /// Whether the failure's detail (a wait time, mostly) is meant for the end user too.
    pub fn detail_for_user(self) -> bool {
        matches!(
            self,
            ErrorCode::TooManyAttempts
                | ErrorCode::AccountLocked
                | ErrorCode::TooManySignIns
                | ErrorCode::SignInBusy
                | ErrorCode::RateLimited
        )
    }

    /// Whether signing in again may help the end user.
    pub fn sign_in_again_helps(self) -> bool {
        matches!(
            self,
            ErrorCode::InvalidCredentials
                | ErrorCode::AccountLocked
                | ErrorCode::TooManyAttempts
                | ErrorCode::TooManySignIns
                | ErrorCode::SignInBusy
                | ErrorCode::SignInExpired
                | ErrorCode::FormExpired
                | ErrorCode::RequestReplayed
                | ErrorCode::NoPassive
                | ErrorCode::RateLimited
                | ErrorCode::ServiceUnavailable
        )
    }

    /// The administrator's fix as steps in the portal; `{app}` stands for the
    /// application's name.
    pub fn portal_steps(self) -> &'static str {
        use ErrorCode as C;
        match self {
            C::UnknownIssuer => "Enterprise applications → {app} → Single sign-on → Basic SAML Configuration: add the Issuer the application sent (in the SAML request of the sign-in's details) as an Identifier (Entity ID), and Save.",
            C::DestinationMismatch => "Enterprise applications → {app} → Single sign-on → Set up {app}: give the application the Login URL shown there as its IdP sign-in URL.",
            C::ReplyUrlNotRegistered => "Enterprise applications → {app} → Single sign-on → Basic SAML Configuration: add the AssertionConsumerServiceURL of the request (in the sign-in's details) as a Reply URL (Assertion Consumer Service URL), exactly as the request has it, and Save.",
            C::NotAssigned => "Enterprise applications → {app} → Users and groups → + Add user/group: assign the user or one of their groups; or Properties: set Assignment required? to No.",
            C::AppDisabled => "Enterprise applications → {app} → Properties: tick Enabled for users to sign in?, and Save.",
            C::SignatureRequired => "Enterprise applications → {app} → Single sign-on → Basic SAML Configuration → Request signatures: make the application sign its requests with the certificate registered there, or clear Require signed AuthnRequests, and Save.",
            C::InvalidSignature => "Enterprise applications → {app} → Single sign-on → Basic SAML Configuration: Upload metadata file with the application's current metadata (it carries its signing certificate), and Save; or make the application sign with RSA-SHA256.",
            C::RequestExpired => "Nothing to change in the portal: synchronise the clocks of the application's server and of Sesame (NTP).",
            C::RequestReplayed => "Nothing to change in the portal: the user starts again from the application. If every attempt fails, the application reuses request IDs.",
            C::InvalidNameIdPolicy => "Enterprise applications → {app} → Single sign-on → Attributes & Claims → Unique User Identifier (Name ID) → Edit: in Choose name identifier format, pick the format the application asks for, and Save.",
            C::NoPassive => "Nothing to change: the application should start a normal (interactive) sign-in.",
            C::AuthnContextUnsatisfied => "Nothing to change in the portal: configure the application to request PasswordProtectedTransport, unspecified or X509 (with passkeys registered), or no RequestedAuthnContext.",
            C::UserDisabled => "Users → the user → Allow sign-in.",
            C::AccountLocked => "Nothing needs changing: the wait ends by itself. If the user forgot the password: Users → the user → Reset password.",
            C::InvalidCredentials => "Users → the user: check the User principal name; Reset password sets a new password.",
            C::TooManyAttempts | C::TooManySignIns | C::RateLimited => "Nothing to change in the portal: the wait ends by itself. The limits are listed in the deployment guide (Limits and abuse protection).",
            C::SignInBusy => "Nothing to change in the portal: the server is flooded with sign-ins; the server log and /metrics show the load.",
            C::MalformedRequest | C::RequestTooLarge | C::RelayStateTooLong | C::UnsupportedBinding => "Nothing to change in the portal: the SAML request in the sign-in's details shows what the application sent; fix the application's SAML settings.",
            C::MissingMessage => "Nothing to change: users start sign-in from the application, or from My Apps.",
            C::NoSigningCertificate => "Enterprise applications → {app} → Single sign-on → SAML Certificates: + New certificate, then Make certificate active.",
            C::TenantNotFound => "Enterprise applications → {app} → Single sign-on → Set up {app}: give the application the Login URL shown there.",
            C::AppNotFound => "Enterprise applications: the list shows every application; give users the link of its My Apps tile or its Login URL.",
            C::SignInExpired | C::FormExpired => "Nothing to change: the user signs in again.",
            C::NoLogoutUrl => "Enterprise applications → {app} → Single sign-on → Basic SAML Configuration: fill Logout Url, and Save.",
            C::ServiceUnavailable => "Nothing to change in the portal: GET /readyz answers 503 while the database is out of reach; the server log has the details under the correlation id.",
            C::InternalError => "Nothing to change in the portal: the server log has the details under the correlation id.",
            C::SamlNotConfigured => "Enterprise applications → {app} → Single sign-on → Basic SAML Configuration → Edit: enter the values the page lists as still needed (the application's vendor gives them), and Save.",
            C::CodeMalformed | C::CodeIncorrect | C::CodeReplayed | C::RegistrationExpired | C::MethodNameInvalid => "Nothing to change in the portal: the user types the current code of their app (or a recovery code) in Security info.",
            C::BlockedByConditionalAccess => "Conditional Access: the sign-in's details name the policy; change its users, target resources or locations, or try What If.",
            C::PhishingResistantRequired => "Conditional Access: passkeys need a public URL with a host name, not an IP address; until then require multifactor authentication instead, or set the policy to Report-only.",
            C::PasskeyClientData | C::PasskeyChallenge | C::PasskeyOrigin | C::PasskeyRpId | C::PasskeyUserNotPresent | C::PasskeyAuthenticatorData | C::PasskeyAttestation | C::PasskeyUnsupportedKey | C::PasskeySignature | C::PasskeyAlreadyRegistered => "Nothing to change in the portal: the user tries again, or signs in with another method.",
            C::PasskeyCounter => "Users → the user → Authentication methods: Delete the passkey that may have been cloned; the user registers a new one in Security info.",
            C::PasskeyUnknown => "Users → the user → Authentication methods lists the user's registered passkeys.",
            C::PasskeyNoHostName => "Nothing to change in the portal: serve Sesame under a host name (--public-url), not an IP address.",
            C::PasskeyNotAllowed => "Authentication methods → Passkey (FIDO2): add the authenticator's AAGUID to the allowed AAGUIDs, or clear the list.",
            C::MethodNotEnabled => "Authentication methods: enable the method for all users, or for a group the user is a member of.",
            C::SecondFactorLocked => "Nothing needs changing: the lock ends by itself. If the user lost their methods: Users → the user → Authentication methods → Delete, then the user registers again in Security info.",
            C::MethodProofRequired => "Users → the user → Authentication methods: if the user lost every method, Delete them; the user then registers again in Security info.",
            C::MethodNotFound => "Users → the user → Authentication methods lists the user's current methods.",
        }
    }

    /// The portal page that makes the fix.
    pub fn fix_page(self) -> FixPage {
        use ErrorCode as C;
        match self {
            C::UnknownIssuer
            | C::ReplyUrlNotRegistered
            | C::SignatureRequired
            | C::InvalidSignature
            | C::NoLogoutUrl => FixPage::App("/sso/basic"),
            C::DestinationMismatch | C::TenantNotFound => FixPage::App("/sso/saml"),
            C::NotAssigned => FixPage::App("/users"),
            C::AppDisabled => FixPage::App("/properties"),
            C::InvalidNameIdPolicy => FixPage::App("/sso/claims"),
            C::NoSigningCertificate => FixPage::App("/sso/certs"),
            C::AppNotFound => FixPage::Apps,
            C::UserDisabled | C::AccountLocked | C::InvalidCredentials => FixPage::Users,
            C::RequestExpired
            | C::RequestReplayed
            | C::NoPassive
            | C::AuthnContextUnsatisfied
            | C::TooManyAttempts
            | C::TooManySignIns
            | C::RateLimited
            | C::SignInBusy
            | C::MalformedRequest
            | C::RequestTooLarge
            | C::RelayStateTooLong
            | C::UnsupportedBinding
            | C::MissingMessage
            | C::SignInExpired
            | C::FormExpired
            | C::ServiceUnavailable
            | C::InternalError => FixPage::None,
            C::SamlNotConfigured => FixPage::App("/sso/basic"),
            C::BlockedByConditionalAccess | C::PhishingResistantRequired => FixPage::None,
            C::PasskeyCounter | C::PasskeyUnknown => FixPage::Users,
            C::PasskeyClientData
            | C::PasskeyChallenge
            | C::PasskeyOrigin
            | C::PasskeyRpId
            | C::PasskeyUserNotPresent
            | C::PasskeyAuthenticatorData
            | C::PasskeyAttestation
            | C::PasskeyUnsupportedKey
            | C::PasskeySignature
            | C::PasskeyAlreadyRegistered
            | C::PasskeyNoHostName
            | C::PasskeyNotAllowed
            | C::MethodNotEnabled => FixPage::None,
            C::SecondFactorLocked | C::MethodProofRequired | C::MethodNotFound => FixPage::Users,
            C::CodeMalformed
            | C::CodeIncorrect
            | C::CodeReplayed
            | C::RegistrationExpired
            | C::MethodNameInvalid => FixPage::None,
        }
    }

    /// The administrator's fix of a failure of application `app` (id, name) and user
    /// `user_id`, when known.
    pub fn portal_fix(self, app: Option<(&str, &str)>, user_id: Option<&str>) -> PortalFix {
        let name = app.map(|(_, n)| n).filter(|n| !n.is_empty());
        let steps = self
            .portal_steps()
            .replace("{app}", name.unwrap_or("the application"));
        let (href, label) = match (self.fix_page(), app) {
            (FixPage::App(suffix), Some((id, _))) => (
                format!("/admin/apps/{id}{suffix}"),
                format!("Open {}", name.unwrap_or("the application")),
            ),
            (FixPage::App(_) | FixPage::Apps, _) => (
                "/admin/apps".to_owned(),
                "Open Enterprise applications".to_owned(),
            ),
            (FixPage::Users, _) => match user_id {
                Some(u) => (format!("/admin/users/{u}"), "Open the user".to_owned()),
                None => ("/admin/users".to_owned(), "Open Users".to_owned()),
            },
            (FixPage::None, _) => (String::new(), String::new()),
        };
        PortalFix { steps, href, label }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic
mod tests {
    use super::*;

    #[test]
    fn every_code_speaks_plainly_to_the_user_and_in_portal_steps_to_the_administrator() {
        for c in ErrorCode::ALL {
            let u = c.user_message();
            assert!(!u.is_empty(), "{c}");
            assert!(
                !u.contains('`') && !u.contains("sesame ") && !u.contains("docs/"),
                "{c}: {u}"
            );
            let s = c.portal_steps();
            assert!(!s.is_empty() && !s.contains('`'), "{c}: {s}");
        }
    }

    /// The portal steps of a code as docs/errors.md gives them (`APP` for the name).
    fn documented(c: ErrorCode) -> String {
        format!(
            "*In the portal:* {}",
            c.portal_steps().replace("{app}", "APP")
        )
    }

    #[test]
    fn every_code_has_its_portal_steps_in_the_docs() {
        let doc = include_str!("../../../../docs/errors.md");
        for c in ErrorCode::ALL {
            let section = doc
                .split(&format!("## {}\n", c.code()))
                .nth(1)
                .and_then(|s| s.split("\n## ").next())
                .unwrap_or("");
            assert!(
                section.contains(&documented(*c)),
                "{c}: docs/errors.md lacks {}",
                documented(*c)
            );
        }
    }

    /// `cargo test -p sesame --lib print_portal_steps -- --ignored --nocapture` prints
    /// each code's portal steps for docs/errors.md.
    #[test]
    #[ignore]
    fn print_portal_steps() {
        for c in ErrorCode::ALL {
            println!("{}\t{}", c.code(), documented(*c));
        }
    }

    #[test]
    fn the_fix_links_the_exact_page_or_the_list() {
        let f = ErrorCode::UnknownIssuer.portal_fix(Some(("a1", "Convene")), None);
        assert_eq!(f.href, "/admin/apps/a1/sso/basic");
        assert!(
            f.steps.starts_with(
                "Enterprise applications → Convene → Single sign-on → Basic SAML Configuration"
            ),
            "{}",
            f.steps
        );
        let f = ErrorCode::UnknownIssuer.portal_fix(None, None);
        assert_eq!(f.href, "/admin/apps");
        assert!(f.steps.contains("→ the application →"));
        let f = ErrorCode::UserDisabled.portal_fix(None, Some("u1"));
        assert_eq!(f.href, "/admin/users/u1");
        assert_eq!(ErrorCode::InternalError.portal_fix(None, None).href, "");
    }
}
