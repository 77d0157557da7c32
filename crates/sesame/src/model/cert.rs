//! The stored form of an application's signing certificate: the certificate DER and its
//! private key sealed with the master key. Generation, sealing and rollover live in
//! `crate::apps::certs`.

/// A certificate row as stored: the certificate and its sealed PKCS#8 key.
#[derive(Debug, Clone)]
pub struct StoredCertificate {
    /// Row id.
    pub id: String,
    /// Owning app.
    pub app_id: String,
    /// SHA-1 thumbprint, uppercase hex.
    pub thumbprint: String,
    /// Certificate DER.
    pub cert_der: Vec<u8>,
    /// PKCS#8 DER sealed with the master key.
    pub key_sealed: Vec<u8>,
    /// Active.
    pub active: bool,
    /// Expiry, Unix seconds.
    pub not_after: i64,
    /// Unix seconds.
    pub created_at: i64,
}

/// An application's active signing certificate as the expiry notifications see it: which
/// app, which certificate, when it expires and who is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveCertificate {
    /// Owning app.
    pub app_id: String,
    /// The app's display name.
    pub app_name: String,
    /// SHA-1 thumbprint, uppercase hex.
    pub thumbprint: String,
    /// Expiry, Unix seconds.
    pub not_after: i64,
    /// The app's Notification Email Addresses as stored (comma-separated; '' for nobody).
    pub notification_email: String,
}
