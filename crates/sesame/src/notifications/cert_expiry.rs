//! Certificate expiry reminders: [`tick`] looks at every application's active signing
//! certificate and, when a threshold ([`Threshold`]: 60, 30, 7 days, the last day, expired)
//! is reached that was not yet sent for that certificate, records it in
//! `cert_expiry_notices` and queues one message per Notification Email Address in the same
//! transaction. The record's key (app, thumbprint, threshold) makes a second node's record
//! a no-op, and that node queues nothing; a newly activated certificate has another
//! thumbprint and so starts afresh. The text says which application and certificate, and
//! how to roll it over in Sesame, with a link to the app's SAML Signing Certificate blade.

use crate::apps::expiry::{date_of, days_left, stored_addresses, Threshold};
use crate::mail::{self, message::escape_html, message::link, Outgoing};
use crate::model::ActiveCertificate;
use crate::store::{Store, StoreError};

/// The outbox `kind` of these messages.
pub const KIND: &str = "cert-expiry";

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    /// Certificates a reminder was sent about.
    pub certificates: u32,
    /// Messages queued.
    pub queued: u32,
}

/// Sends the reminders due at `now` (Unix seconds) that no node sent yet.
pub async fn tick(store: &Store, now: i64) -> Result<Tick, StoreError> {
    let mut done = Tick::default();
    let certs = store.active_certificates().await?;
    if certs.is_empty() {
        return Ok(done);
    }
    let public_url = store
        .tenant()
        .await?
        .map(|t| t.public_url)
        .unwrap_or_default();
    for c in certs {
        let Some(threshold) = Threshold::due(c.not_after, now) else {
            continue;
        };
        let to = stored_addresses(&c.notification_email);
        if to.is_empty() {
            continue;
        }
        let mut tx = store.pool().begin().await?;
        let recorded = Store::record_expiry_notice(
            &mut tx,
            &c.app_id,
            &c.thumbprint,
            threshold.key(),
            c.not_after,
            i64::try_from(to.len()).unwrap_or(i64::MAX),
            now,
        )
        .await?;
        if !recorded {
            tx.rollback().await?;
            continue;
        }
        let mut queued = 0;
        for addr in &to {
            let m = message(&c, threshold, addr, &public_url, now);
            match mail::enqueue(&mut tx, KIND, &m, now).await {
                Ok(_) => queued += 1,
                Err(e) => tracing::warn!(
                    "certificate expiry reminder for app {} not queued to {addr:?}: {e}",
                    c.app_id
                ),
            }
        }
        tx.commit().await?;
        done.certificates += 1;
        done.queued += queued;
    }
    Ok(done)
}

/// The reminder about `c` at `threshold` to `to`.
pub fn message(
    c: &ActiveCertificate,
    threshold: Threshold,
    to: &str,
    public_url: &str,
    now: i64,
) -> Outgoing {
    let date = date_of(c.not_after);
    let days = days_left(c.not_after, now);
    let when = match threshold {
        Threshold::Expired => format!("expired on {date}"),
        _ if days <= 1 => format!("expires on {date} (today)"),
        _ => format!("expires on {date} (in {days} days)"),
    };
    let subject = match threshold {
        Threshold::Expired => format!("Signing certificate of {} has expired", c.app_name),
        _ => format!("Signing certificate of {} expires on {date}", c.app_name),
    };
    // Subjects are one line: an app name cannot hold a line break, but make sure.
    let subject: String = subject.chars().filter(|ch| !ch.is_control()).collect();
    let page = link(public_url, &format!("/admin/apps/{}/sso/certs", c.app_id));
    let steps = [
        "Open the application's SAML Signing Certificate in Sesame (link below).",
        "Select New certificate.",
        "Select Make certificate active on the new certificate.",
        "Send the new certificate (Certificate (Base64)) or the App Federation Metadata XML to the application's vendor, so that the application trusts it.",
    ];
    let text_steps: String = steps
        .iter()
        .enumerate()
        .map(|(i, s)| format!("  {}. {s}\n", i + 1))
        .collect();
    let html_steps: String = steps
        .iter()
        .map(|s| format!("<li>{}</li>", escape_html(s)))
        .collect();
    Outgoing {
        to: to.to_owned(),
        to_name: String::new(),
        subject,
        text: format!(
            "The active SAML signing certificate of the application {app} {when}.\n\n\
             Thumbprint: {tp}\nExpires: {date}\n\n\
             Once it has expired, the application may refuse sign-ins signed with it. To \
             replace it:\n{text_steps}\n\
             The application in Sesame: {page}\n\n\
             You receive this email because this address is among the application's \
             Notification Email Addresses.\n",
            app = c.app_name,
            tp = c.thumbprint,
        ),
        html: format!(
            "<p>The active SAML signing certificate of the application <strong>{app}</strong> \
             {when}.</p>\n<p>Thumbprint: <code>{tp}</code><br>Expires: {date}</p>\n\
             <p>Once it has expired, the application may refuse sign-ins signed with it. To \
             replace it:</p>\n<ol>{html_steps}</ol>\n\
             <p><a href=\"{href}\">Open the application in Sesame</a></p>\n\
             <p>You receive this email because this address is among the application's \
             Notification Email Addresses.</p>",
            app = escape_html(&c.app_name),
            when = escape_html(&when),
            tp = escape_html(&c.thumbprint),
            date = escape_html(&date),
            href = escape_html(&page),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_app_certificate_steps_and_link() {
        let c = ActiveCertificate {
            app_id: "a1".into(),
            app_name: "Salesforce <prod>".into(),
            thumbprint: "AB".repeat(20),
            not_after: 1_800_000_000,
            notification_email: String::new(),
        };
        let m = message(
            &c,
            Threshold::Days60,
            "ops@contoso.com",
            "https://sso.contoso.com/",
            1_800_000_000 - 59 * 86_400,
        );
        assert!(m.subject.contains("Salesforce <prod>"), "{}", m.subject);
        assert!(m.text.contains(&"AB".repeat(20)));
        assert!(m.text.contains("in 59 days"), "{}", m.text);
        assert!(m.text.contains("New certificate"));
        assert!(m.text.contains("Make certificate active"));
        assert!(m
            .text
            .contains("https://sso.contoso.com/admin/apps/a1/sso/certs"));
        assert!(m.html.contains("Salesforce &lt;prod&gt;"));
        assert!(!m.html.contains("<prod>"));
    }
}
