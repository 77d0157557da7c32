//! Building a message: plain text plus a simple HTML part (multipart/alternative), From
//! the configured address under the organisation's name, links built from the public URL,
//! no remote images or scripts. Every value that goes into a header (the recipient, its
//! display name, the subject) is refused when it holds a line break or any other control
//! character, so no value can add a header of its own.

use super::error::MailError;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};
use std::str::FromStr;

/// A message to send, before rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The recipient's address.
    pub to: String,
    /// The recipient's display name (may be empty).
    pub to_name: String,
    /// The subject.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body: a fragment built by Sesame (every user-supplied value passed
    /// through [`escape_html`]), wrapped in a page of its own when rendered.
    pub html: String,
}

/// Refuses a header value with a control character (CR, LF, TAB, NUL, DEL, C1) or a
/// Unicode line or paragraph separator.
pub fn check_header_value(what: &'static str, value: &str) -> Result<(), MailError> {
    if let Some(c) = value
        .chars()
        .find(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
    {
        return Err(MailError::Invalid {
            what,
            value: value.to_owned(),
            reason: format!(
                "it holds the control character U+{:04X}; a header value must be one line",
                u32::from(c)
            ),
        });
    }
    Ok(())
}

/// Parses an email address (`user@example.com`), refusing control characters and
/// anything but a bare address.
pub fn parse_address(what: &'static str, value: &str) -> Result<Address, MailError> {
    check_header_value(what, value)?;
    Address::from_str(value.trim()).map_err(|e| MailError::Invalid {
        what,
        value: value.to_owned(),
        reason: format!("not an email address ({e}); give one like user@example.com"),
    })
}

/// Parses the sender (`SESAME_MAIL_FROM`): `sesame@example.com` or
/// `Contoso <sesame@example.com>`.
pub fn parse_from(value: &str) -> Result<Mailbox, MailError> {
    check_header_value("SESAME_MAIL_FROM", value)?;
    Mailbox::from_str(value.trim()).map_err(|e| MailError::Invalid {
        what: "SESAME_MAIL_FROM",
        value: value.to_owned(),
        reason: format!(
            "not an address ({e}); give sesame@example.com or \"Name <sesame@example.com>\""
        ),
    })
}

/// `s` with `& < > " '` escaped, for the HTML part.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// An absolute link to `path` (starting with `/`) under the public URL.
pub fn link(public_url: &str, path: &str) -> String {
    format!("{}{path}", public_url.trim_end_matches('/'))
}

/// Checks every header value of `m` (the recipient's address and display name, the
/// subject): what [`render`] will accept. Returns the bare address.
pub fn validate(m: &Outgoing) -> Result<Address, MailError> {
    let to = parse_address("To", &m.to)?;
    check_header_value("the recipient's display name", &m.to_name)?;
    check_header_value("Subject", &m.subject)?;
    Ok(to)
}

/// Renders `m` as an RFC 5322 message From `from` (its display name, when it has none, is
/// `organization`), with the Message-ID `<id@domain of from>` (the same on every retry).
pub fn render(
    m: &Outgoing,
    from: &Mailbox,
    organization: &str,
    id: &str,
) -> Result<String, MailError> {
    let to = validate(m)?;
    check_header_value("the organisation's name", organization)?;
    check_header_value("the message id", id)?;
    let from = match &from.name {
        Some(n) if !n.is_empty() => from.clone(),
        _ => Mailbox::new(Some(organization.to_owned()), from.email.clone()),
    };
    let to_box = Mailbox::new(
        (!m.to_name.trim().is_empty()).then(|| m.to_name.trim().to_owned()),
        to,
    );
    let html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family: Segoe UI, Helvetica, Arial, sans-serif; color: #1b1b1b\">\n\
         {body}\n<p style=\"color: #616161; font-size: 12px\">{org}</p>\n</body></html>\n",
        title = escape_html(&m.subject),
        body = m.html,
        org = escape_html(organization),
    );
    let message_id = format!("<{id}@{}>", from.email.domain());
    let email = Message::builder()
        .message_id(Some(message_id))
        .from(from)
        .to(to_box)
        .subject(m.subject.clone())
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(m.text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html),
                ),
        )
        .map_err(|e| MailError::Invalid {
            what: "message",
            value: m.subject.clone(),
            reason: e.to_string(),
        })?;
    Ok(String::from_utf8_lossy(&email.formatted()).into_owned())
}

/// The test message of `sesame mail test` and the portal's **Send test email**.
pub fn test_message(to: &str, organization: &str, public_url: &str) -> Outgoing {
    let portal = link(public_url, "/admin");
    Outgoing {
        to: to.to_owned(),
        to_name: String::new(),
        subject: format!("Test email from {organization}"),
        text: format!(
            "This is a test email from Sesame, the identity provider of {organization}.\n\n\
             Email delivery works. Sesame's admin portal: {portal}\n"
        ),
        html: format!(
            "<p>This is a test email from Sesame, the identity provider of {org}.</p>\n\
             <p>Email delivery works. <a href=\"{href}\">Open Sesame's admin portal</a></p>",
            org = escape_html(organization),
            href = escape_html(&portal),
        ),
    }
}

/// The notice sent when a user's password changed (by the user, or a self-service
/// reset): what happened and what to do when it was not them.
pub fn password_changed_message(
    to: &str,
    to_name: &str,
    upn: &str,
    organization: &str,
    public_url: &str,
) -> Outgoing {
    let myapps = link(public_url, "/myapps");
    Outgoing {
        to: to.to_owned(),
        to_name: to_name.to_owned(),
        subject: "Your password was changed".to_owned(),
        text: format!(
            "The password of your {organization} account {upn} was changed. Your other \
             signed-in browsers and devices were signed out.\n\n\
             If you did not change it, contact your administrator at once.\n\n\
             My Apps: {myapps}\n"
        ),
        html: format!(
            "<p>The password of your {org} account <strong>{upn}</strong> was changed. Your \
             other signed-in browsers and devices were signed out.</p>\n\
             <p>If you did not change it, contact your administrator at once.</p>\n\
             <p><a href=\"{href}\">Open My Apps</a></p>",
            org = escape_html(organization),
            upn = escape_html(upn),
            href = escape_html(&myapps),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from() -> Mailbox {
        parse_from("sesame@contoso.com").unwrap()
    }

    #[test]
    fn renders_both_parts_under_the_organisation() {
        let m = test_message("b.simon@contoso.com", "Contoso", "https://sso.contoso.com");
        let r = render(&m, &from(), "Contoso", "m1").unwrap();
        assert!(r.contains("From: Contoso <sesame@contoso.com>"), "{r}");
        assert!(r.contains("To: b.simon@contoso.com"));
        assert!(r.contains("Subject: Test email from Contoso"));
        assert!(r.contains("Message-ID: <m1@contoso.com>"));
        assert!(r.contains("multipart/alternative"));
        assert!(r.contains("text/plain"));
        assert!(r.contains("text/html"));
        assert!(r.contains("https://sso.contoso.com/admin"));
        assert!(!r.contains("<img"));
    }

    #[test]
    fn header_injection_is_refused() {
        let from = from();
        let mut m = test_message("b.simon@contoso.com", "Contoso", "https://x");
        m.subject = "Hello\r\nBcc: victim@example.com".into();
        assert!(matches!(
            render(&m, &from, "Contoso", "m1"),
            Err(MailError::Invalid {
                what: "Subject",
                ..
            })
        ));
        let mut m = test_message(
            "b.simon@contoso.com\r\nBcc: x@example.com",
            "C",
            "https://x",
        );
        assert!(render(&m, &from, "C", "m1").is_err());
        m.to = "b.simon@contoso.com".into();
        m.to_name = "B\nSimon".into();
        assert!(render(&m, &from, "C", "m1").is_err());
        m.to_name = "B Simon".into();
        assert!(render(&m, &from, "Con\u{2028}toso", "m1").is_err());
        assert!(render(&m, &from, "Contoso", "m1").is_ok());
        assert!(parse_address("To", "not an address").is_err());
        assert!(parse_address("To", "a@b.example\0").is_err());
        assert!(parse_from("Ops\r\n <ops@contoso.com>").is_err());
    }

    #[test]
    fn html_values_are_escaped() {
        let m = test_message("a@contoso.com", "<script>x</script>", "https://x");
        assert!(!m.html.contains("<script>"));
        assert!(m.html.contains("&lt;script&gt;"));
    }
}
