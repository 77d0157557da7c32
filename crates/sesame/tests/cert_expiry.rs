//! Certificate expiry notifications against a real SMTP server (aiosmtpd): an application
//! with two Notification Email Addresses, its active certificate 59 days from expiry → one
//! tick queues the 60-day reminder to each address, sent once; ticking again sends nothing;
//! at 29 days the 30-day reminder; a newly activated certificate ends the reminders about
//! the old one. Two stores on one database (two nodes) ticking at the same instant send one
//! message per address. The portal's banner and list mark and `sesame app list` mark an app
//! within 60 days of expiry. Time is passed to the tick and the mail worker, never waited for.

use crate::common::test_db;
use crate::common::*;
use crate::mail::{parse_eml, python, SmtpServer};
use sesame::apps::{self, certs, NewApp};
use sesame::mail::{MailConfig, MailFlags, Worker};
use sesame::notifications::cert_expiry;
use sesame::store::Store;
use sesame::tenant::{self, MasterKey};
use std::path::PathBuf;

const DAY: i64 = 86_400;

struct Env {
    dir: PathBuf,
    _db: Option<test_db::TestDb>,
    url: String,
    store: Store,
    master: MasterKey,
}

impl Env {
    async fn new() -> Env {
        let dir = std::env::temp_dir().join(format!("sesame-expiry-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = test_db::for_data_dir(&dir, true);
        let url = test_db::url_for(&dir, db.as_ref());
        let store = Store::open(&url, 4).await.unwrap();
        tenant::ensure(&store, &dir, Some("https://sso.contoso.com"))
            .await
            .unwrap();
        Env {
            dir,
            _db: db,
            url,
            store,
            master: MasterKey::from_text("cert expiry test master key").unwrap(),
        }
    }

    fn worker(&self, store: &Store, port: u16) -> Worker {
        let cfg = MailConfig::resolve(
            &MailFlags {
                smtp_url: Some(format!("smtp://127.0.0.1:{port}?starttls=off")),
                mail_from: Some("Sesame <sesame@contoso.com>".into()),
            },
            &self.dir,
        )
        .unwrap();
        Worker::new(store.clone(), &cfg).unwrap()
    }

    async fn app(&self, name: &str, emails: &str) -> (String, certs::AppCertificate) {
        let app = apps::create_app(&self.store, &self.master, NewApp::custom(name))
            .await
            .unwrap();
        let list = apps::expiry::parse_addresses(emails).unwrap();
        self.store
            .set_app_notification_email(&app.id, &apps::expiry::join_addresses(&list))
            .await
            .unwrap();
        let cert = certs::list(&self.store, &app.id)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.active)
            .unwrap();
        (app.id, cert)
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The recipients of the messages received so far.
fn recipients(smtp: &SmtpServer) -> Vec<String> {
    let mut v: Vec<String> = smtp
        .messages()
        .iter()
        .map(|p| {
            let env: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(p.with_extension("json")).unwrap())
                    .unwrap();
            env["rcpt_tos"][0].as_str().unwrap().to_owned()
        })
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_at_sixty_and_thirty_days_each_once_to_every_address() {
    let Some(py) = python() else { return };
    let env = Env::new().await;
    let port = free_port();
    let smtp = SmtpServer::start(&py, port, &env.dir.join("inbox"), &[]);
    let worker = env.worker(&env.store, port);
    let (app_id, cert) = env
        .app("Salesforce", "ops@contoso.com\nsecurity@contoso.com")
        .await;
    // Another app far from expiry and one with no address: nothing for them.
    env.app("Quiet", "").await;

    // 59 days before expiry: the 60-day reminder, to each address once.
    let t = cert.not_after - 59 * DAY;
    let done = cert_expiry::tick(&env.store, t).await.unwrap();
    assert_eq!((done.certificates, done.queued), (1, 2));
    assert_eq!(worker.run_once(t).await.unwrap().sent, 2);
    let msgs = smtp.wait_for(2);
    assert_eq!(
        recipients(&smtp),
        ["ops@contoso.com", "security@contoso.com"]
    );
    let m = parse_eml(&py, &msgs[0]);
    assert!(
        m["subject"]
            .as_str()
            .unwrap()
            .starts_with("Signing certificate of Salesforce expires on "),
        "{m}"
    );
    let text = m["parts"][0]["text"].as_str().unwrap();
    assert!(text.contains(&cert.thumbprint), "{text}");
    assert!(text.contains("in 59 days"), "{text}");
    assert!(text.contains("New certificate"), "{text}");
    assert!(text.contains("Make certificate active"), "{text}");
    assert!(
        text.contains(&format!(
            "https://sso.contoso.com/admin/apps/{app_id}/sso/certs"
        )),
        "{text}"
    );

    // Ticking again (a restart, a day later): nothing more.
    for later in [t, t + 60, t + DAY] {
        let again = cert_expiry::tick(&env.store, later).await.unwrap();
        assert_eq!(again.queued, 0);
        assert_eq!(worker.run_once(later).await.unwrap().sent, 0);
    }

    // 29 days before: the 30-day reminder.
    let t30 = cert.not_after - 29 * DAY;
    assert_eq!(cert_expiry::tick(&env.store, t30).await.unwrap().queued, 2);
    assert_eq!(worker.run_once(t30).await.unwrap().sent, 2);
    let msgs = smtp.wait_for(4);
    let m = parse_eml(&py, &msgs[3]);
    assert!(
        m["parts"][0]["text"]
            .as_str()
            .unwrap()
            .contains("in 29 days"),
        "{m}"
    );
    assert_eq!(
        env.store.expiry_notices(&app_id).await.unwrap(),
        [
            (cert.thumbprint.clone(), "60d".to_owned()),
            (cert.thumbprint.clone(), "30d".to_owned())
        ]
    );

    // A new certificate, made active, starts afresh (by its thumbprint): created today like
    // the old one, it is as near its expiry, and the reminders name it, never the old one.
    let new = certs::new_certificate(&env.store, &env.master, &app_id)
        .await
        .unwrap();
    certs::activate(&env.store, &app_id, &new.thumbprint)
        .await
        .unwrap();
    let t7 = new.not_after - 6 * DAY;
    assert_eq!(cert_expiry::tick(&env.store, t7).await.unwrap().queued, 2);
    assert_eq!(worker.run_once(t7).await.unwrap().sent, 2);
    let msgs = smtp.wait_for(6);
    let text = parse_eml(&py, &msgs[5])["parts"][0]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(text.contains(&new.thumbprint), "{text}");
    assert!(!text.contains(&cert.thumbprint), "{text}");

    // Once expired: the "expired" reminder once, about the new one only.
    let gone = new.not_after.max(cert.not_after) + 1;
    assert_eq!(cert_expiry::tick(&env.store, gone).await.unwrap().queued, 2);
    assert_eq!(cert_expiry::tick(&env.store, gone).await.unwrap().queued, 0);
    assert_eq!(worker.run_once(gone).await.unwrap().sent, 2);
    let msgs = smtp.wait_for(8);
    let m = parse_eml(&py, &msgs[7]);
    assert!(
        m["subject"].as_str().unwrap().ends_with("has expired"),
        "{m}"
    );
    assert_eq!(
        env.store.expiry_notices(&app_id).await.unwrap(),
        [
            (cert.thumbprint.clone(), "60d".to_owned()),
            (cert.thumbprint.clone(), "30d".to_owned()),
            (new.thumbprint.clone(), "7d".to_owned()),
            (new.thumbprint.clone(), "expired".to_owned()),
        ]
    );
    assert_eq!(smtp.messages().len(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_ticking_at_once_send_one_message_per_address() {
    let Some(py) = python() else { return };
    let env = Env::new().await;
    let port = free_port();
    let smtp = SmtpServer::start(&py, port, &env.dir.join("inbox"), &[]);
    let (_, cert) = env.app("Workday", "a@contoso.com, b@contoso.com").await;
    // A second node: its own connection pool on the same database.
    let other = Store::open(&env.url, 4).await.unwrap();
    let t = cert.not_after - 59 * DAY;
    for _ in 0..3 {
        let (a, b) = tokio::join!(
            cert_expiry::tick(&env.store, t),
            cert_expiry::tick(&other, t)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(a.queued + b.queued <= 2, "{a:?} {b:?}");
    }
    let (w1, w2) = (env.worker(&env.store, port), env.worker(&other, port));
    let (p1, p2) = tokio::join!(w1.run_once(t), w2.run_once(t));
    assert_eq!(p1.unwrap().sent + p2.unwrap().sent, 2);
    smtp.wait_for(2);
    assert_eq!(recipients(&smtp), ["a@contoso.com", "b@contoso.com"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_and_cli_mark_an_app_within_sixty_days() {
    let s = Server::start();
    let out = s.cli_ok(&["app", "add", "--custom", "--name", "Expiring App", "--json"]);
    let id = serde_json::from_str::<serde_json::Value>(&out).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.cli_ok(&["app", "add", "--custom", "--name", "Fresh App"]);
    s.cli_ok(&[
        "app",
        "set",
        &id,
        "--notification-email",
        "ops@contoso.com,security@contoso.com",
    ]);
    // The recorded expiry of the active certificate, 20 days from now.
    let store = Store::open(&s.database_url(), 1).await.unwrap();
    let soon = sesame::tenant::now_unix() + 20 * DAY - 60;
    sqlx::query("UPDATE app_certificates SET not_after = $1 WHERE app_id = $2 AND active = $3")
        .bind(soon)
        .bind(&id)
        .bind(true)
        .execute(store.pool())
        .await
        .unwrap();

    let list = s.cli_ok(&["app", "list"]);
    let line = list.lines().find(|l| l.contains("Expiring App")).unwrap();
    assert!(line.ends_with("\tCertificate expires in 20 days"), "{list}");
    let fresh = list.lines().find(|l| l.contains("Fresh App")).unwrap();
    assert!(!fresh.contains("Certificate"), "{list}");
    let json: serde_json::Value =
        serde_json::from_str(&s.cli_ok(&["app", "list", "--json"])).unwrap();
    let e = json
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id.as_str())
        .unwrap();
    assert_eq!(e["certificate_expires_in_days"], 20);
    assert_eq!(
        e["certificate_expiry_warning"],
        "Certificate expires in 20 days"
    );
    let f = json
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Fresh App")
        .unwrap();
    assert!(f["certificate_expiry_warning"].is_null(), "{f}");
    assert!(f["certificate_expires_in_days"].as_i64().unwrap() > 1000);

    let bad = s.cli(&[
        "app",
        "set",
        &id,
        "--notification-email",
        "ops@contoso.com, nope",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("nope"));

    let b = admin(&s).await;
    let (_, _, page_html) = page(&b, &s, "/admin/apps").await;
    assert!(
        page_html.contains("Certificate expires in 20 days"),
        "{page_html}"
    );
    assert_eq!(page_html.matches("cert-expiry").count(), 1, "{page_html}");
    let (_, _, html) = page(&b, &s, &format!("/admin/apps/{id}")).await;
    assert!(html.contains("id=\"cert-expiry\""), "{html}");
    assert!(
        html.contains(&format!(
            "The active signing certificate expires on {} (20 days)",
            sesame::apps::expiry::date_of(soon)
        )),
        "{html}"
    );
    let certs_page = format!("/admin/apps/{id}/sso/certs");
    let (_, _, html) = page(&b, &s, &certs_page).await;
    assert!(html.contains("id=\"cert-expiry\""), "{html}");
    assert!(
        html.contains(">ops@contoso.com\nsecurity@contoso.com</textarea>"),
        "{html}"
    );
    // Saved from the portal, one per line or with commas.
    let form = post_form(&html, &certs_page).set(
        "notification_email",
        "one@contoso.com\r\ntwo@contoso.com, three@contoso.com",
    );
    let (st, _, body) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(
        store.app_notification_email(&id).await.unwrap(),
        "one@contoso.com, two@contoso.com, three@contoso.com"
    );
    let (_, _, html) = page(&b, &s, &certs_page).await;
    let form =
        post_form(&html, &certs_page).set("notification_email", "one@contoso.com\nnot an email");
    let (st, _, body) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 422, "{body}");
    assert!(body.contains("SESAME910004"), "{body}");
    assert_eq!(
        store.app_notification_email(&id).await.unwrap(),
        "one@contoso.com, two@contoso.com, three@contoso.com"
    );
}

/// "Email delivery is failing": a worker pointed at an SMTP port nothing listens on; an
/// hour after the first failed attempt the notifications tick queues one alert per Admin
/// alert address, once (the next tick and a second node queue nothing); a delivery
/// re-arms it, and the next episode alerts again. Time is passed in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_failing_alert_goes_once_per_episode_to_the_admin_alert_addresses() {
    use sesame::notifications::mail_alert;
    let Some(py) = python() else { return };
    let env = Env::new().await;
    // Bad addresses are refused, as Notification Email Addresses are.
    let e = mail_alert::set_addresses(&env.store, "ops@contoso.com, not an address")
        .await
        .unwrap_err();
    assert!(e.to_string().starts_with("Admin alert addresses:"), "{e}");
    let list = mail_alert::set_addresses(&env.store, "ops@contoso.com\noncall@contoso.com")
        .await
        .unwrap();
    assert_eq!(list.len(), 2);

    let dead = env.worker(&env.store, free_port());
    let t0 = 1_900_000_000;
    let m = sesame::mail::message::test_message("b.simon@contoso.com", "Contoso", "");
    sesame::mail::outbox::queue(&env.store, "test", &m, t0)
        .await
        .unwrap();
    assert_eq!(dead.run_once(t0).await.unwrap().retried, 1);
    let alerts = |store: Store| async move {
        store
            .outbox_list(100)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.kind == mail_alert::KIND)
            .map(|m| m.to_addr)
            .collect::<Vec<_>>()
    };

    // Within the hour: nothing.
    let t = mail_alert::tick(&env.store, t0 + 3599).await.unwrap();
    assert_eq!((t.failing_since, t.queued), (None, 0));
    // An hour on: one alert per address, once, also with a second node ticking.
    let t = mail_alert::tick(&env.store, t0 + 3600).await.unwrap();
    assert_eq!((t.failing_since, t.queued), (Some(t0), 2));
    let other = Store::open(&env.url, 2).await.unwrap();
    assert_eq!(mail_alert::tick(&other, t0 + 3700).await.unwrap().queued, 0);
    assert_eq!(
        mail_alert::tick(&env.store, t0 + 4000)
            .await
            .unwrap()
            .queued,
        0
    );
    let mut to = alerts(env.store.clone()).await;
    to.sort();
    assert_eq!(to, ["oncall@contoso.com", "ops@contoso.com"]);
    let alert = env
        .store
        .outbox_list(100)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.kind == mail_alert::KIND)
        .unwrap();
    assert_eq!(alert.subject, "Email delivery is failing");
    assert!(
        alert.body_text.contains("Settings → Email"),
        "{}",
        alert.body_text
    );

    // Delivery works again: the messages go, the alert is re-armed.
    let port = free_port();
    let smtp = SmtpServer::start(&py, port, &env.dir.join("inbox"), &[]);
    let live = env.worker(&env.store, port);
    let t1 = t0 + 2 * 3600;
    assert_eq!(live.run_once(t1).await.unwrap().sent, 3);
    assert_eq!(smtp.wait_for(3).len(), 3);
    let t = mail_alert::tick(&env.store, t1 + 60).await.unwrap();
    assert!(t.rearmed);
    assert_eq!((t.failing_since, t.queued), (None, 0));

    // The next episode alerts again.
    let t2 = t1 + 86_400;
    sesame::mail::outbox::queue(&env.store, "test", &m, t2)
        .await
        .unwrap();
    assert_eq!(dead.run_once(t2).await.unwrap().retried, 1);
    let t = mail_alert::tick(&env.store, t2 + 3600).await.unwrap();
    assert_eq!((t.failing_since, t.queued), (Some(t2), 2));
    other.close().await;
    drop(smtp);
}
