//! The tenant record: its id and public URL, and every URL Sesame publishes built from
//! them. Loading, creating and the master key live in `crate::tenant`.

/// The tenant: its id (a UUID) and the public URL it is reached at (no trailing slash).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Tenant {
    /// Tenant id (UUID v4).
    pub id: String,
    /// Public base URL, without a trailing slash.
    pub public_url: String,
}

impl Tenant {
    /// Login URL: `{public_url}/{id}/saml2` (AuthnRequests, LogoutRequests).
    pub fn login_url(&self) -> String {
        format!("{}/{}/saml2", self.public_url, self.id)
    }
    /// Logout URL: the same endpoint as the Login URL.
    pub fn logout_url(&self) -> String {
        self.login_url()
    }
    /// IdP Identifier (the Issuer): `{public_url}/{id}/`.
    pub fn idp_identifier(&self) -> String {
        format!("{}/{}/", self.public_url, self.id)
    }
    /// App Federation Metadata URL of `app_id`.
    pub fn federation_metadata_url(&self, app_id: &str) -> String {
        format!(
            "{}/{}/federationmetadata/2007-06/federationmetadata.xml?appid={}",
            self.public_url, self.id, app_id
        )
    }
    /// The URL a My Apps tile opens for `app_id` (IdP-initiated launch).
    pub fn launch_url(&self, app_id: &str) -> String {
        format!("{}/{}/apps/{}/launch", self.public_url, self.id, app_id)
    }
}
