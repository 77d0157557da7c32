//! Per-application SAML signing certificates: RSA-2048 keys sealed with the master key,
//! self-signed certificates valid three years, rollover (new → activate → delete old).

use super::AppError;
use crate::clock::now_unix;
pub use crate::model::cert::StoredCertificate;
use crate::store::Store;
use crate::tenant::MasterKey;
use serde::Serialize;
use sesame_saml::crypto::{Certificate, SigningKey};

/// Common name of the certificates Sesame creates.
pub const CERT_COMMON_NAME: &str = "Sesame SSO Certificate";
/// Validity of a new certificate, years.
pub const VALIDITY_YEARS: i32 = 3;

/// A signing certificate of an application (the private key stays sealed in the store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppCertificate {
    /// Row id.
    pub id: String,
    /// SHA-1 thumbprint, uppercase hex.
    pub thumbprint: String,
    /// Expiry, Unix seconds.
    pub not_after: i64,
    /// Whether responses are signed with it.
    pub active: bool,
    /// The certificate.
    #[serde(skip)]
    pub certificate: Certificate,
    /// Unix seconds.
    pub created_at: i64,
}

impl StoredCertificate {
    fn view(&self) -> Result<AppCertificate, AppError> {
        let certificate = Certificate::from_der(self.cert_der.clone()).map_err(|e| {
            AppError::Key(format!(
                "stored certificate {} of app {} does not decode: {e}",
                self.thumbprint, self.app_id
            ))
        })?;
        Ok(AppCertificate {
            id: self.id.clone(),
            thumbprint: self.thumbprint.clone(),
            not_after: self.not_after,
            active: self.active,
            certificate,
            created_at: self.created_at,
        })
    }
}

fn key_err(e: impl std::fmt::Display) -> AppError {
    AppError::Key(e.to_string())
}

/// Generates an RSA-2048 key and a self-signed certificate (CN "Sesame SSO Certificate",
/// valid three years from `now`), the key sealed with `master`. Blocking work (key
/// generation) runs on the blocking pool.
pub async fn generate(
    master: &MasterKey,
    app_id: &str,
    active: bool,
    now: i64,
) -> Result<StoredCertificate, AppError> {
    let (pkcs8, cert) = tokio::task::spawn_blocking(move || generate_blocking(now))
        .await
        .map_err(|e| AppError::Key(format!("key generation task failed: {e}")))??;
    let key_sealed = master.seal(&pkcs8)?;
    Ok(StoredCertificate {
        id: uuid::Uuid::new_v4().to_string(),
        app_id: app_id.to_owned(),
        thumbprint: cert.sha1_thumbprint(),
        not_after: cert.not_after().unix_seconds(),
        cert_der: cert.der().to_vec(),
        key_sealed,
        active,
        created_at: now,
    })
}

fn generate_blocking(now: i64) -> Result<(Vec<u8>, Certificate), AppError> {
    let key = SigningKey::generate_rsa_2048().map_err(key_err)?;
    let pem = key.to_pkcs8_pem().map_err(key_err)?;
    let kp = rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256)
        .map_err(key_err)?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(key_err)?;
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, CERT_COMMON_NAME);
    params.distinguished_name = dn;
    let start = time::OffsetDateTime::from_unix_timestamp(now).map_err(key_err)?;
    let end = start
        .replace_year(start.year() + VALIDITY_YEARS)
        .or_else(|_| {
            // 29 February: three years on there is none; use 1 March.
            (start + time::Duration::days(1)).replace_year(start.year() + VALIDITY_YEARS)
        })
        .map_err(key_err)?;
    // Back-dated a little: clocks of SPs that check certificate validity may lag.
    params.not_before = start - time::Duration::minutes(5);
    params.not_after = end;
    let mut serial = [0u8; 16];
    aws_lc_rs::rand::fill(&mut serial)
        .map_err(|_| key_err("the system random generator failed"))?;
    serial[0] &= 0x7f;
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    params.is_ca = rcgen::IsCa::ExplicitNoCa;
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    let cert = params.self_signed(&kp).map_err(key_err)?;
    let cert = Certificate::from_der(cert.der().to_vec()).map_err(key_err)?;
    if !cert.matches_key(&key) {
        return Err(key_err("the new certificate does not match its key"));
    }
    Ok((key.to_pkcs8_der().map_err(key_err)?, cert))
}

/// Normalises a thumbprint given by a person: hex in any case, colons or spaces allowed.
pub fn normalize_thumbprint(input: &str) -> Result<String, AppError> {
    let t: String = input
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    if t.len() != 40 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::Invalid {
            field: "thumbprint",
            reason: format!(
                "{input:?} is not a SHA-1 thumbprint (40 hex digits, colons allowed); `sesame app show APP` lists them"
            ),
        });
    }
    Ok(t)
}

/// The app's certificates, oldest first.
pub async fn list(store: &Store, app_id: &str) -> Result<Vec<AppCertificate>, AppError> {
    store
        .app_certificates(app_id)
        .await?
        .iter()
        .map(StoredCertificate::view)
        .collect()
}

/// Creates a new, inactive certificate for the app (rollover: publish, then activate).
pub async fn new_certificate(
    store: &Store,
    master: &MasterKey,
    app_id: &str,
) -> Result<AppCertificate, AppError> {
    if store.app_by_id(app_id).await?.is_none() {
        return Err(AppError::NotFound(format!(
            "no application has the id {app_id}"
        )));
    }
    let row = generate(master, app_id, false, now_unix()).await?;
    store.add_app_certificate(&row).await?;
    row.view()
}

async fn find(
    store: &Store,
    app_id: &str,
    thumbprint: &str,
) -> Result<StoredCertificate, AppError> {
    let t = normalize_thumbprint(thumbprint)?;
    let rows = store.app_certificates(app_id).await?;
    let known: Vec<String> = rows.iter().map(|r| r.thumbprint.clone()).collect();
    rows.into_iter().find(|r| r.thumbprint == t).ok_or_else(|| {
        AppError::NotFound(format!(
            "the application has no certificate with thumbprint {t}; it has: {}",
            known.join(", ")
        ))
    })
}

/// Makes the certificate with `thumbprint` the one responses are signed with.
pub async fn activate(
    store: &Store,
    app_id: &str,
    thumbprint: &str,
) -> Result<AppCertificate, AppError> {
    let row = find(store, app_id, thumbprint).await?;
    store
        .activate_app_certificate(app_id, &row.thumbprint)
        .await?;
    let mut v = row.view()?;
    v.active = true;
    Ok(v)
}

/// Deletes an inactive certificate (the active one is refused: activate another first).
pub async fn delete(store: &Store, app_id: &str, thumbprint: &str) -> Result<(), AppError> {
    let row = find(store, app_id, thumbprint).await?;
    if row.active {
        return Err(AppError::Conflict(format!(
            "certificate {} is the active signing certificate; create and activate another \
             (`sesame app cert APP --new`, then `--activate THUMBPRINT`) before deleting it",
            row.thumbprint
        )));
    }
    if store
        .delete_app_certificate(app_id, &row.thumbprint)
        .await?
    {
        Ok(())
    } else {
        Err(AppError::Conflict(format!(
            "certificate {} was activated meanwhile; it is not deleted",
            row.thumbprint
        )))
    }
}

/// The active signing key and certificate of the app, the key opened with `master`.
pub async fn active_signing_key(
    store: &Store,
    master: &MasterKey,
    app_id: &str,
) -> Result<(SigningKey, Certificate), AppError> {
    let row = store
        .app_certificates(app_id)
        .await?
        .into_iter()
        .find(|r| r.active)
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "application {app_id} has no active signing certificate; create one with \
                 `sesame app cert APP --new` and activate it"
            ))
        })?;
    let pkcs8 = master.open(&row.key_sealed)?;
    let key = SigningKey::from_pkcs8_der(&pkcs8).map_err(key_err)?;
    let cert = row.view()?.certificate;
    if !cert.matches_key(&key) {
        return Err(AppError::Key(format!(
            "the stored key of certificate {} does not match it",
            row.thumbprint
        )));
    }
    Ok((key, cert))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprints_any_case_with_colons() {
        let t = "AB".repeat(20);
        assert_eq!(normalize_thumbprint(&t.to_lowercase()).unwrap(), t);
        let colons = (0..20).map(|_| "ab").collect::<Vec<_>>().join(":");
        assert_eq!(normalize_thumbprint(&colons).unwrap(), t);
        assert!(normalize_thumbprint("abc").is_err());
    }

    #[tokio::test]
    async fn generated_certificate_is_three_years_rsa_and_sealed() {
        let mk = MasterKey::from_text("test master key").unwrap();
        let now = 1_700_000_000;
        let row = generate(&mk, "app", true, now).await.unwrap();
        let cert = Certificate::from_der(row.cert_der.clone()).unwrap();
        assert!(cert.subject().contains(CERT_COMMON_NAME));
        let years = (cert.not_after().unix_seconds() - now) / 86_400;
        assert!((1095..=1096).contains(&years), "{years}");
        assert_eq!(row.thumbprint, cert.sha1_thumbprint());
        let key = SigningKey::from_pkcs8_der(&mk.open(&row.key_sealed).unwrap()).unwrap();
        assert!(key.is_rsa());
        assert!(cert.matches_key(&key));
        // The sealed key is not the key.
        assert_ne!(row.key_sealed, key.to_pkcs8_der().unwrap());
    }
}
