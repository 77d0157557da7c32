//! The "Set up single sign-on with SAML" page and what surrounds it, black-box against the
//! real binary: SP metadata that announces signed requests without a certificate (portal,
//! CLI, API), the request-signature state on the summary card and in the Test checklist,
//! the labels of the summary card, the Test page's sign-in modes, the token preview's
//! assignment line, and how the App Federation Metadata URL is served.

use crate::common::*;

const SP_ID: &str = "https://signing.example.com/sp";

/// SP metadata saying `AuthnRequestsSigned="true"`, without a signing certificate.
fn signing_metadata_without_certificate() -> String {
    format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{SP_ID}">
  <md:SPSSODescriptor AuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://signing.example.com/acs" index="0" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>"#
    )
}

fn add_custom(s: &Server, name: &str) -> String {
    let out = s.cli_ok(&["app", "add", "--custom", "--name", name]);
    uuid_in(&out)
}

fn app_json(s: &Server, id: &str) -> serde_json::Value {
    serde_json::from_str(&s.cli_ok(&["app", "show", id, "--json"])).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn metadata_without_a_certificate_leaves_signed_requests_off_in_the_portal() {
    let s = Server::start();
    let id = add_custom(&s, "Signer");
    s.wait_config();
    let b = admin(&s).await;
    let (st, _, html) = page(&b, &s, &format!("/admin/apps/{id}/sso/basic")).await;
    assert_eq!(st, 200, "{html}");
    let upload = post_form(&html, &format!("/admin/apps/{id}/sso/metadata"))
        .set("metadata", &signing_metadata_without_certificate());
    let (st, _, filled) = submit(&b, &s.base, &upload).await;
    assert_eq!(st, 200, "{filled}");
    let filled = unescape(&filled);
    assert!(filled.contains("Filled from the metadata file"), "{filled}");
    assert!(filled.contains("flash warn"), "{filled}");
    assert!(
        filled.contains("the metadata says the application signs its AuthnRequests but holds no signing certificate; upload the application's certificate, then turn on Require signed AuthnRequests"),
        "{filled}"
    );
    let save = post_form(&filled, &format!("/admin/apps/{id}/sso/basic"));
    assert_eq!(save.get("require_signed_requests"), None, "{filled}");
    let (st, _, saved) = submit(&b, &s.base, &save).await;
    assert_eq!(st, 200, "{saved}");
    assert!(saved.contains("Basic SAML Configuration saved."), "{saved}");
    assert_eq!(app_json(&s, &id)["require_signed_requests"], false);

    // Turning the switch on without a certificate is refused, naming the field.
    let (_, _, html) = page(&b, &s, &format!("/admin/apps/{id}/sso/basic")).await;
    let on = post_form(&html, &format!("/admin/apps/{id}/sso/basic"))
        .set("require_signed_requests", "1");
    let (st, _, refused) = submit(&b, &s.base, &on).await;
    assert_eq!(st, 422, "{refused}");
    let refused = unescape(&refused);
    assert!(
        refused.contains("Require signed AuthnRequests: cannot be on while the application has no signing certificate"),
        "{refused}"
    );
    assert!(
        refused.contains("id=\"require_signed_requests-error\""),
        "{refused}"
    );
    assert_eq!(app_json(&s, &id)["require_signed_requests"], false);
}

#[test]
fn metadata_without_a_certificate_leaves_signed_requests_off_in_the_cli() {
    let s = Server::start();
    let id = add_custom(&s, "Signer");
    let path = s.dir.join("signer.xml");
    std::fs::write(&path, signing_metadata_without_certificate()).unwrap();
    let out = s.cli(&["app", "set", &id, "--sp-metadata", path.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: Require signed AuthnRequests is off: the metadata says the application signs its AuthnRequests but holds no signing certificate"),
        "{err}"
    );
    let v = app_json(&s, &id);
    assert_eq!(v["require_signed_requests"], false);
    assert_eq!(v["identifiers"][0]["value"], SP_ID);
}

#[tokio::test(flavor = "multi_thread")]
async fn metadata_without_a_certificate_leaves_signed_requests_off_in_the_api() {
    let s = Server::start();
    let id = add_custom(&s, "Signer");
    let secret = s
        .cli_ok(&["token", "create", "--name", "saml-page"])
        .trim()
        .to_owned();
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/apps/{id}/saml/metadata", s.base))
        .bearer_auth(&secret)
        .header("content-type", "application/xml")
        .body(signing_metadata_without_certificate())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["authn_requests_signed"], true);
    assert_eq!(v["saml"]["require_signed_requests"], false, "{v}");
    assert!(
        v["warning"]
            .as_str()
            .unwrap_or_default()
            .contains("holds no signing certificate; upload the application's certificate"),
        "{v}"
    );
}
