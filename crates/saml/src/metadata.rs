//! SAML metadata (saml-metadata-2.0): building the IdP's own `EntityDescriptor`, and
//! reading what SPs (and other IdPs) publish.

use crate::bindings::{BINDING_HTTP_POST, BINDING_HTTP_REDIRECT};
use crate::crypto::{Certificate, SignatureAlgorithm, SigningKey};
use crate::dsig;
use crate::error::{Error, Result};
use crate::messages::{opt_bool, shorten, unexpected, w_attr, w_opt_attr, w_text, w_time_attr};
use crate::time::Timestamp;
use crate::xml::{self, Limits, NS_DS, NS_MD, NS_SAMLP};
use roxmltree::Node;

// ---------------------------------------------------------------------------------------
// Building the IdP's metadata

/// The IdP's own metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpMetadata {
    /// `entityID`.
    pub entity_id: String,
    /// One `KeyDescriptor use="signing"` each (several during a key rollover).
    pub signing_certificates: Vec<Certificate>,
    /// SingleSignOnService location (published for HTTP-Redirect and HTTP-POST).
    pub sso_url: String,
    /// SingleLogoutService location (published for HTTP-Redirect and HTTP-POST).
    pub slo_url: Option<String>,
    /// NameIDFormat values.
    pub name_id_formats: Vec<String>,
    /// `validUntil`.
    pub valid_until: Option<Timestamp>,
    /// `ID` of the EntityDescriptor (required to sign it).
    pub id: Option<String>,
}

fn w_endpoint(out: &mut String, element: &str, binding: &str, location: &str) {
    out.push_str("<md:");
    out.push_str(element);
    w_attr(out, "Binding", binding);
    w_attr(out, "Location", location);
    out.push_str("></md:");
    out.push_str(element);
    out.push('>');
}

impl IdpMetadata {
    /// The EntityDescriptor, unsigned, in exc-c14n form, children in schema order:
    /// KeyDescriptor*, SingleLogoutService*, NameIDFormat*, SingleSignOnService+.
    pub fn to_xml(&self) -> String {
        let certs_len: usize = self
            .signing_certificates
            .iter()
            .map(|c| c.der().len() * 4 / 3 + 250)
            .sum();
        let mut out = String::with_capacity(
            1200 + certs_len
                + self.entity_id.len()
                + 2 * self.sso_url.len()
                + 2 * self.slo_url.as_ref().map_or(0, String::len)
                + self
                    .name_id_formats
                    .iter()
                    .map(|f| f.len() + 32)
                    .sum::<usize>(),
        );
        out.push_str("<md:EntityDescriptor xmlns:md=\"");
        out.push_str(NS_MD);
        out.push('"');
        w_opt_attr(&mut out, "ID", self.id.as_deref());
        w_attr(&mut out, "entityID", &self.entity_id);
        if let Some(t) = self.valid_until {
            w_time_attr(&mut out, "validUntil", t);
        }
        out.push_str("><md:IDPSSODescriptor protocolSupportEnumeration=\"");
        out.push_str(NS_SAMLP);
        out.push_str("\">");
        for c in &self.signing_certificates {
            out.push_str("<md:KeyDescriptor use=\"signing\"><ds:KeyInfo xmlns:ds=\"");
            out.push_str(NS_DS);
            out.push_str("\"><ds:X509Data><ds:X509Certificate>");
            out.push_str(&c.to_base64());
            out.push_str("</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>");
        }
        if let Some(slo) = &self.slo_url {
            w_endpoint(&mut out, "SingleLogoutService", BINDING_HTTP_REDIRECT, slo);
            w_endpoint(&mut out, "SingleLogoutService", BINDING_HTTP_POST, slo);
        }
        for f in &self.name_id_formats {
            out.push_str("<md:NameIDFormat>");
            w_text(&mut out, f);
            out.push_str("</md:NameIDFormat>");
        }
        w_endpoint(
            &mut out,
            "SingleSignOnService",
            BINDING_HTTP_REDIRECT,
            &self.sso_url,
        );
        w_endpoint(
            &mut out,
            "SingleSignOnService",
            BINDING_HTTP_POST,
            &self.sso_url,
        );
        out.push_str("</md:IDPSSODescriptor></md:EntityDescriptor>");
        out
    }

    /// [`IdpMetadata::to_xml`] with an enveloped signature (the first child of the
    /// EntityDescriptor, as the schema requires). Needs `id`.
    pub fn to_signed_xml(
        &self,
        key: &SigningKey,
        cert: &Certificate,
        alg: SignatureAlgorithm,
    ) -> Result<String> {
        let id = self.id.as_deref().ok_or(Error::Missing {
            element: "EntityDescriptor",
            what: "ID (needed to sign the metadata)",
        })?;
        dsig::sign_element(&self.to_xml(), id, key, Some(cert), alg)
    }
}

// ---------------------------------------------------------------------------------------
// Reading metadata

/// An `md:Endpoint` (SingleSignOnService, SingleLogoutService).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `Binding` URI.
    pub binding: String,
    /// `Location`.
    pub location: String,
    /// `ResponseLocation` (where responses go, when it differs from Location).
    pub response_location: Option<String>,
}

/// An `md:IndexedEndpoint` (AssertionConsumerService).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedEndpoint {
    /// `Binding` URI.
    pub binding: String,
    /// `Location`.
    pub location: String,
    /// `index` (required by the schema; tolerated when missing).
    pub index: Option<u16>,
    /// `isDefault`.
    pub is_default: Option<bool>,
}

/// The SAML 2.0 `SPSSODescriptor` of an entity.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SpSsoDescriptor {
    /// AssertionConsumerService endpoints, in document order.
    pub acs: Vec<IndexedEndpoint>,
    /// SingleLogoutService endpoints.
    pub slo: Vec<Endpoint>,
    /// `AuthnRequestsSigned`.
    pub authn_requests_signed: bool,
    /// `WantAssertionsSigned`.
    pub want_assertions_signed: bool,
    /// Certificates of KeyDescriptors with `use="signing"` or no `use`.
    pub signing_certificates: Vec<Certificate>,
    /// Certificates of KeyDescriptors with `use="encryption"` or no `use`.
    pub encryption_certificates: Vec<Certificate>,
    /// NameIDFormat values.
    pub name_id_formats: Vec<String>,
}

impl SpSsoDescriptor {
    /// The default AssertionConsumerService: the one with `isDefault="true"`; else the
    /// lowest `index` among those not marked `isDefault="false"` (document order breaks
    /// ties, and endpoints without an index come after indexed ones); else the first.
    pub fn default_acs(&self) -> Option<&IndexedEndpoint> {
        if let Some(e) = self.acs.iter().find(|e| e.is_default == Some(true)) {
            return Some(e);
        }
        self.acs
            .iter()
            .filter(|e| e.is_default != Some(false))
            .min_by_key(|e| e.index.map_or(u32::MAX, u32::from))
            .or_else(|| self.acs.first())
    }

    /// The AssertionConsumerService with `index` (for AssertionConsumerServiceIndex).
    pub fn acs_by_index(&self, index: u16) -> Option<&IndexedEndpoint> {
        self.acs.iter().find(|e| e.index == Some(index))
    }
}

/// The SAML 2.0 `IDPSSODescriptor` of an entity.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdpSsoDescriptor {
    /// SingleSignOnService endpoints.
    pub sso: Vec<Endpoint>,
    /// SingleLogoutService endpoints.
    pub slo: Vec<Endpoint>,
    /// Certificates of KeyDescriptors with `use="signing"` or no `use`.
    pub signing_certificates: Vec<Certificate>,
    /// NameIDFormat values.
    pub name_id_formats: Vec<String>,
    /// `WantAuthnRequestsSigned`.
    pub want_authn_requests_signed: bool,
}

/// One `md:EntityDescriptor`: its SAML 2.0 SP and IdP roles (others are ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityDescriptor {
    /// `entityID`.
    pub entity_id: String,
    /// The first SPSSODescriptor that supports the SAML 2.0 protocol.
    pub sp: Option<SpSsoDescriptor>,
    /// The first IDPSSODescriptor that supports the SAML 2.0 protocol.
    pub idp: Option<IdpSsoDescriptor>,
}

/// Reads every EntityDescriptor of a metadata document whose root is an
/// EntityDescriptor or an EntitiesDescriptor (nested ones included), within
/// [`Limits::METADATA`]. Metadata signatures are not verified here.
pub fn parse_entities(xml_text: &str) -> Result<Vec<EntityDescriptor>> {
    let doc = xml::parse(xml_text, &Limits::METADATA)?;
    let root = doc.root_element();
    let mut out = Vec::new();
    if xml::is(root, NS_MD, "EntityDescriptor") {
        out.push(EntityDescriptor::from_element(root)?);
    } else if xml::is(root, NS_MD, "EntitiesDescriptor") {
        collect_entities(root, &mut out)?;
    } else {
        return Err(unexpected(
            root,
            "md:EntityDescriptor or md:EntitiesDescriptor",
        ));
    }
    Ok(out)
}

fn collect_entities(group: Node<'_, '_>, out: &mut Vec<EntityDescriptor>) -> Result<()> {
    for c in xml::child_elements(group) {
        if xml::is(c, NS_MD, "EntityDescriptor") {
            out.push(EntityDescriptor::from_element(c)?);
        } else if xml::is(c, NS_MD, "EntitiesDescriptor") {
            collect_entities(c, out)?;
        }
    }
    Ok(())
}

fn supports_saml2(node: Node<'_, '_>) -> bool {
    node.attribute("protocolSupportEnumeration")
        .is_some_and(|p| p.split_ascii_whitespace().any(|u| u == NS_SAMLP))
}

impl EntityDescriptor {
    /// Reads one `md:EntityDescriptor` element. Errors inside a role name the entity.
    pub fn from_element(node: Node<'_, '_>) -> Result<Self> {
        const E: &str = "EntityDescriptor";
        if !xml::is(node, NS_MD, E) {
            return Err(unexpected(node, "md:EntityDescriptor"));
        }
        let entity_id = node
            .attribute("entityID")
            .map(str::trim)
            .ok_or(Error::Missing {
                element: E,
                what: "entityID",
            })?
            .to_owned();
        if entity_id.is_empty() {
            return Err(Error::Invalid {
                element: E,
                what: "entityID",
                detail: "it is empty".into(),
            });
        }
        let in_role = |what: &'static str, e: Error| Error::Invalid {
            element: E,
            what,
            detail: format!("entity \"{}\": {e}", shorten(&entity_id)),
        };
        let sp = match xml::children(node, NS_MD, "SPSSODescriptor").find(|n| supports_saml2(*n)) {
            Some(n) => Some(read_sp(n).map_err(|e| in_role("SPSSODescriptor", e))?),
            None => None,
        };
        let idp = match xml::children(node, NS_MD, "IDPSSODescriptor").find(|n| supports_saml2(*n))
        {
            Some(n) => Some(read_idp(n).map_err(|e| in_role("IDPSSODescriptor", e))?),
            None => None,
        };
        Ok(EntityDescriptor { entity_id, sp, idp })
    }
}

fn required_trimmed(
    node: Node<'_, '_>,
    element: &'static str,
    name: &'static str,
) -> Result<String> {
    let v = node
        .attribute(name)
        .ok_or(Error::Missing {
            element,
            what: name,
        })?
        .trim();
    if v.is_empty() {
        return Err(Error::Invalid {
            element,
            what: name,
            detail: "it is empty".into(),
        });
    }
    Ok(v.to_owned())
}

fn read_endpoint(n: Node<'_, '_>, element: &'static str) -> Result<Endpoint> {
    Ok(Endpoint {
        binding: required_trimmed(n, element, "Binding")?,
        location: required_trimmed(n, element, "Location")?,
        response_location: n.attribute("ResponseLocation").map(|s| s.trim().to_owned()),
    })
}

fn read_indexed_endpoint(n: Node<'_, '_>, element: &'static str) -> Result<IndexedEndpoint> {
    let index = match n.attribute("index") {
        None => None,
        Some(v) => Some(v.trim().parse::<u16>().map_err(|_| Error::Invalid {
            element,
            what: "index",
            detail: format!("\"{}\" is not a number from 0 to 65535", shorten(v)),
        })?),
    };
    Ok(IndexedEndpoint {
        binding: required_trimmed(n, element, "Binding")?,
        location: required_trimmed(n, element, "Location")?,
        index,
        is_default: opt_bool(n, element, "isDefault")?,
    })
}

fn name_id_formats(role: Node<'_, '_>) -> Result<Vec<String>> {
    let mut v = Vec::new();
    for f in xml::children(role, NS_MD, "NameIDFormat") {
        let t = xml::trimmed_text(f, "NameIDFormat")?;
        if !t.is_empty() {
            v.push(t);
        }
    }
    Ok(v)
}

/// (signing, encryption) certificates of a role's KeyDescriptors.
fn key_descriptors(role: Node<'_, '_>) -> Result<(Vec<Certificate>, Vec<Certificate>)> {
    const E: &str = "KeyDescriptor";
    let (mut signing, mut encryption) = (Vec::new(), Vec::new());
    for kd in xml::children(role, NS_MD, E) {
        let (sign, enc) = match kd.attribute("use").map(str::trim) {
            None => (true, true),
            Some("signing") => (true, false),
            Some("encryption") => (false, true),
            Some(other) => {
                return Err(Error::Invalid {
                    element: E,
                    what: "use",
                    detail: format!("\"{}\" is not signing or encryption", shorten(other)),
                })
            }
        };
        let Some(key_info) = xml::child(kd, NS_DS, "KeyInfo") else {
            return Err(Error::Missing {
                element: E,
                what: "KeyInfo",
            });
        };
        for data in xml::children(key_info, NS_DS, "X509Data") {
            for c in xml::children(data, NS_DS, "X509Certificate") {
                let b64 = xml::text(c, "X509Certificate")?;
                let cert = Certificate::from_base64(&b64).map_err(|e| Error::Invalid {
                    element: "X509Certificate",
                    what: "certificate",
                    detail: e.to_string(),
                })?;
                if sign {
                    signing.push(cert.clone());
                }
                if enc {
                    encryption.push(cert);
                }
            }
        }
    }
    Ok((signing, encryption))
}

fn read_sp(n: Node<'_, '_>) -> Result<SpSsoDescriptor> {
    const E: &str = "SPSSODescriptor";
    let (signing_certificates, encryption_certificates) = key_descriptors(n)?;
    let mut acs = Vec::new();
    for a in xml::children(n, NS_MD, "AssertionConsumerService") {
        acs.push(read_indexed_endpoint(a, "AssertionConsumerService")?);
    }
    let mut slo = Vec::new();
    for s in xml::children(n, NS_MD, "SingleLogoutService") {
        slo.push(read_endpoint(s, "SingleLogoutService")?);
    }
    Ok(SpSsoDescriptor {
        acs,
        slo,
        authn_requests_signed: opt_bool(n, E, "AuthnRequestsSigned")?.unwrap_or(false),
        want_assertions_signed: opt_bool(n, E, "WantAssertionsSigned")?.unwrap_or(false),
        signing_certificates,
        encryption_certificates,
        name_id_formats: name_id_formats(n)?,
    })
}

fn read_idp(n: Node<'_, '_>) -> Result<IdpSsoDescriptor> {
    const E: &str = "IDPSSODescriptor";
    let (signing_certificates, _) = key_descriptors(n)?;
    let mut sso = Vec::new();
    for s in xml::children(n, NS_MD, "SingleSignOnService") {
        sso.push(read_endpoint(s, "SingleSignOnService")?);
    }
    let mut slo = Vec::new();
    for s in xml::children(n, NS_MD, "SingleLogoutService") {
        slo.push(read_endpoint(s, "SingleLogoutService")?);
    }
    Ok(IdpSsoDescriptor {
        sso,
        slo,
        signing_certificates,
        name_id_formats: name_id_formats(n)?,
        want_authn_requests_signed: opt_bool(n, E, "WantAuthnRequestsSigned")?.unwrap_or(false),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;
    use crate::c14n;
    use crate::messages::{NAMEID_EMAIL, NAMEID_PERSISTENT, NAMEID_TRANSIENT};

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn cert() -> Certificate {
        Certificate::from_pem(&fixture("test-rsa-cert.pem")).unwrap()
    }

    fn other_cert() -> Certificate {
        Certificate::from_pem(&fixture("other-rsa-cert.pem")).unwrap()
    }

    fn idp() -> IdpMetadata {
        IdpMetadata {
            entity_id: "https://sesame.example/saml/metadata?tenant=a&b".into(),
            signing_certificates: vec![cert(), other_cert()],
            sso_url: "https://sesame.example/saml/sso".into(),
            slo_url: Some("https://sesame.example/saml/slo".into()),
            name_id_formats: vec![NAMEID_EMAIL.into(), NAMEID_PERSISTENT.into()],
            valid_until: Some(Timestamp(1_795_323_600_000)),
            id: Some("_md1".into()),
        }
    }

    #[test]
    fn idp_metadata_shape_and_order() {
        let x = idp().to_xml();
        assert!(x.starts_with("<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" ID=\"_md1\" entityID=\"https://sesame.example/saml/metadata?tenant=a&amp;b\" validUntil=\"2026-11-22T05:00:00.000Z\"><md:IDPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\"><md:KeyDescriptor use=\"signing\"><ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:X509Data><ds:X509Certificate>"), "{x}");
        // Schema order: KeyDescriptor*, SingleLogoutService*, NameIDFormat*, SingleSignOnService+.
        let pos = |s: &str| x.find(s).unwrap();
        assert!(x.rfind("<md:KeyDescriptor").unwrap() < pos("<md:SingleLogoutService"));
        assert!(x.rfind("<md:SingleLogoutService").unwrap() < pos("<md:NameIDFormat"));
        assert!(x.rfind("<md:NameIDFormat").unwrap() < pos("<md:SingleSignOnService"));
        assert!(x.ends_with("<md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"https://sesame.example/saml/sso\"></md:SingleSignOnService><md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"https://sesame.example/saml/sso\"></md:SingleSignOnService></md:IDPSSODescriptor></md:EntityDescriptor>"));
        // Canonical by construction.
        let doc = xml::parse(&x, &Limits::METADATA).unwrap();
        let opts = c14n::Options::new(c14n::Algorithm::ExcC14n, &[]);
        assert_eq!(
            c14n::canonicalize(doc.root_element(), &opts, None).unwrap(),
            x
        );
        // Minimal: no SLO, no formats, no ID, no validUntil.
        let mut m = idp();
        m.slo_url = None;
        m.name_id_formats.clear();
        m.id = None;
        m.valid_until = None;
        let x = m.to_xml();
        assert!(
            !x.contains("SingleLogoutService")
                && !x.contains("NameIDFormat")
                && !x.contains(" ID=")
        );
        assert!(matches!(
            m.to_signed_xml(
                &SigningKey::from_pem(&fixture("test-rsa-key.pem")).unwrap(),
                &cert(),
                SignatureAlgorithm::RsaSha256
            ),
            Err(Error::Missing {
                element: "EntityDescriptor",
                ..
            })
        ));
    }

    #[test]
    fn idp_metadata_round_trip() {
        let m = idp();
        let e = parse_entities(&m.to_xml()).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].entity_id, m.entity_id);
        assert!(e[0].sp.is_none());
        let i = e[0].idp.as_ref().unwrap();
        assert_eq!(i.signing_certificates, m.signing_certificates);
        assert_eq!(i.name_id_formats, m.name_id_formats);
        assert_eq!(i.sso.len(), 2);
        assert_eq!(i.sso[0].binding, BINDING_HTTP_REDIRECT);
        assert_eq!(i.sso[1].location, m.sso_url);
        assert_eq!(i.slo.len(), 2);
        assert!(!i.want_authn_requests_signed);
    }

    #[test]
    fn signed_idp_metadata_verifies() {
        let key = SigningKey::from_pem(&fixture("test-rsa-key.pem")).unwrap();
        let x = idp()
            .to_signed_xml(&key, &cert(), SignatureAlgorithm::RsaSha256)
            .unwrap();
        assert!(x.starts_with("<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" ID=\"_md1\" entityID=\"https://sesame.example/saml/metadata?tenant=a&amp;b\" validUntil=\"2026-11-22T05:00:00.000Z\"><Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\">"));
        let doc = xml::parse(&x, &Limits::METADATA).unwrap();
        let v = dsig::verify_element(
            &doc,
            doc.root_element(),
            &[cert()],
            &dsig::VerifyPolicy::default(),
        )
        .unwrap();
        assert_eq!(
            EntityDescriptor::from_element(v).unwrap().entity_id,
            idp().entity_id
        );
        assert!(dsig::verify_element(
            &doc,
            doc.root_element(),
            &[other_cert()],
            &dsig::VerifyPolicy::default()
        )
        .is_err());
    }

    /// In the style of what Cisco Webex publishes: default namespace, ds: prefix,
    /// pretty-printed, a KeyDescriptor without use, two ACS with isDefault.
    fn webex_sp(cert_b64: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="example.webex.com" cacheDuration="PT1440M" validUntil="2036-01-01T00:00:00.000Z">
  <md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor>
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data>
          <ds:X509Certificate>
{cert_b64}
          </ds:X509Certificate>
        </ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>
    <md:AssertionConsumerService index="0" isDefault="true" Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://example.webex.com/dispatcher/SAML2AuthService?siteurl=example"/>
    <md:AssertionConsumerService index="1" isDefault="false" Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="https://example.webex.com/dispatcher/SAML2AuthService?siteurl=example"/>
  </md:SPSSODescriptor>
  <md:Organization>
    <md:OrganizationName xml:lang="en">Cisco WebEx</md:OrganizationName>
    <md:OrganizationDisplayName xml:lang="en">Cisco WebEx</md:OrganizationDisplayName>
    <md:OrganizationURL xml:lang="en">https://www.webex.com</md:OrganizationURL>
  </md:Organization>
</md:EntityDescriptor>"#
        )
    }

    /// In the style of a Shibboleth SP: unprefixed md namespace, SAML 1 endpoints too,
    /// separate signing and encryption keys, extensions, SLO with several bindings.
    fn shibboleth_sp(sign_b64: &str, enc_b64: &str) -> String {
        format!(
            r#"<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:shibmd="urn:mace:shibboleth:metadata:1.0" xmlns:mdui="urn:oasis:names:tc:SAML:metadata:ui" ID="_a9c1" entityID="https://sp.example.org/shibboleth">
  <Extensions><alg:DigestMethod xmlns:alg="urn:oasis:names:tc:SAML:metadata:algsupport" Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/></Extensions>
  <SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol urn:oasis:names:tc:SAML:1.1:protocol urn:oasis:names:tc:SAML:1.0:protocol">
    <Extensions>
      <init:RequestInitiator xmlns:init="urn:oasis:names:tc:SAML:profiles:SSO:request-init" Binding="urn:oasis:names:tc:SAML:profiles:SSO:request-init" Location="https://sp.example.org/Shibboleth.sso/Login"/>
      <mdui:UIInfo><mdui:DisplayName xml:lang="en">Example SP</mdui:DisplayName></mdui:UIInfo>
    </Extensions>
    <KeyDescriptor use="signing"><ds:KeyInfo><ds:KeyName>sp.example.org</ds:KeyName><ds:X509Data><ds:X509SubjectName>CN=sp.example.org</ds:X509SubjectName><ds:X509Certificate>{sign_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>
    <KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{enc_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo><EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#rsa-oaep"/></KeyDescriptor>
    <ArtifactResolutionService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP" Location="https://sp.example.org/Shibboleth.sso/Artifact/SOAP" index="1"/>
    <SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP" Location="https://sp.example.org/Shibboleth.sso/SLO/SOAP"/>
    <SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sp.example.org/Shibboleth.sso/SLO/Redirect"/>
    <SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.org/Shibboleth.sso/SLO/POST" ResponseLocation="https://sp.example.org/Shibboleth.sso/SLO/POST/Response"/>
    <NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</NameIDFormat>
    <AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.org/Shibboleth.sso/SAML2/POST" index="1"/>
    <AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST-SimpleSign" Location="https://sp.example.org/Shibboleth.sso/SAML2/POST-SimpleSign" index="2"/>
    <AssertionConsumerService Binding="urn:oasis:names:tc:SAML:1.0:profiles:browser-post" Location="https://sp.example.org/Shibboleth.sso/SAML/POST" index="5"/>
    <AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="https://sp.example.org/Shibboleth.sso/SAML2/Artifact" index="0" isDefault="false"/>
  </SPSSODescriptor>
</EntityDescriptor>"#
        )
    }

    #[test]
    fn reads_webex_like_sp() {
        let c = cert();
        let b64 = c.to_base64();
        let wrapped: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|x| std::str::from_utf8(x).unwrap())
            .collect();
        let e = parse_entities(&webex_sp(&wrapped.join("\n"))).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].entity_id, "example.webex.com");
        assert!(e[0].idp.is_none());
        let sp = e[0].sp.as_ref().unwrap();
        assert!(sp.authn_requests_signed && sp.want_assertions_signed);
        assert_eq!(sp.signing_certificates, std::slice::from_ref(&c));
        assert_eq!(sp.encryption_certificates, [c]);
        assert_eq!(sp.name_id_formats, [NAMEID_EMAIL, NAMEID_TRANSIENT]);
        assert_eq!(sp.acs.len(), 2);
        let d = sp.default_acs().unwrap();
        assert_eq!(d.index, Some(0));
        assert_eq!(d.binding, BINDING_HTTP_POST);
        assert_eq!(
            d.location,
            "https://example.webex.com/dispatcher/SAML2AuthService?siteurl=example"
        );
        assert_eq!(sp.acs_by_index(1).unwrap().is_default, Some(false));
        assert!(sp.slo.is_empty());
    }

    #[test]
    fn reads_shibboleth_like_sp_in_a_nested_aggregate() {
        let (c, o) = (cert(), other_cert());
        let agg = format!(
            r#"<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" Name="fed"><md:EntitiesDescriptor Name="inner">{}</md:EntitiesDescriptor>{}</md:EntitiesDescriptor>"#,
            shibboleth_sp(&c.to_base64(), &o.to_base64()),
            idp().to_xml()
        );
        let e = parse_entities(&agg).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].entity_id, "https://sp.example.org/shibboleth");
        assert!(e[1].idp.is_some() && e[1].sp.is_none());
        let sp = e[0].sp.as_ref().unwrap();
        assert!(!sp.authn_requests_signed && !sp.want_assertions_signed);
        assert_eq!(sp.signing_certificates, [c]);
        assert_eq!(sp.encryption_certificates, [o]);
        assert_eq!(sp.acs.len(), 4);
        // No isDefault="true": the lowest index not marked false (index 0 is marked false).
        assert_eq!(
            sp.default_acs().unwrap().location,
            "https://sp.example.org/Shibboleth.sso/SAML2/POST"
        );
        assert_eq!(sp.slo.len(), 3);
        assert_eq!(
            sp.slo[2].response_location.as_deref(),
            Some("https://sp.example.org/Shibboleth.sso/SLO/POST/Response")
        );
        assert_eq!(sp.name_id_formats, [NAMEID_TRANSIENT]);
    }

    #[test]
    fn default_acs_rules() {
        let ep = |index: Option<u16>, is_default: Option<bool>| IndexedEndpoint {
            binding: BINDING_HTTP_POST.into(),
            location: format!("{index:?}{is_default:?}"),
            index,
            is_default,
        };
        let sp = |acs| SpSsoDescriptor {
            acs,
            ..Default::default()
        };
        assert!(sp(vec![]).default_acs().is_none());
        assert_eq!(
            sp(vec![ep(Some(3), None), ep(Some(1), None)])
                .default_acs()
                .unwrap()
                .index,
            Some(1)
        );
        assert_eq!(
            sp(vec![
                ep(Some(3), None),
                ep(Some(1), None),
                ep(Some(7), Some(true))
            ])
            .default_acs()
            .unwrap()
            .index,
            Some(7)
        );
        assert_eq!(
            sp(vec![ep(None, None), ep(Some(9), None)])
                .default_acs()
                .unwrap()
                .index,
            Some(9)
        );
        assert_eq!(
            sp(vec![ep(Some(0), Some(false)), ep(Some(4), Some(false))])
                .default_acs()
                .unwrap()
                .index,
            Some(0)
        );
        assert_eq!(
            sp(vec![ep(None, None), ep(None, None)])
                .default_acs()
                .unwrap()
                .location,
            "NoneNone"
        );
    }

    #[test]
    fn bad_metadata() {
        let b64 = cert().to_base64();
        let err = |x: &str| parse_entities(x).unwrap_err().to_string();
        let bad_cert = webex_sp("MIIBAAAA");
        let e = err(&bad_cert);
        assert!(e.starts_with("EntityDescriptor has an invalid SPSSODescriptor: entity \"example.webex.com\": X509Certificate has an invalid certificate"), "{e}");
        let e = err(&webex_sp(&b64).replace(" Location=\"https://example.webex.com/dispatcher/SAML2AuthService?siteurl=example\"/>\n    <md:AssertionConsumerService index=\"1\"", "/>\n    <md:AssertionConsumerService index=\"1\""));
        assert!(
            e.ends_with("AssertionConsumerService has no Location"),
            "{e}"
        );
        let e = err(&webex_sp(&b64).replace("index=\"1\"", "index=\"-1\""));
        assert!(
            e.contains("AssertionConsumerService has an invalid index"),
            "{e}"
        );
        let e = err(&webex_sp(&b64).replace("isDefault=\"true\"", "isDefault=\"yes\""));
        assert!(
            e.contains("AssertionConsumerService has an invalid isDefault"),
            "{e}"
        );
        let e =
            err(&webex_sp(&b64).replace("<md:KeyDescriptor>", "<md:KeyDescriptor use=\"both\">"));
        assert!(e.contains("KeyDescriptor has an invalid use"), "{e}");
        assert_eq!(
            err(&webex_sp(&b64).replace(" entityID=\"example.webex.com\"", "")),
            "EntityDescriptor has no entityID"
        );
        assert!(matches!(
            parse_entities(
                "<md:RoleDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\"/>"
            ),
            Err(Error::UnexpectedElement { .. })
        ));
        assert!(matches!(
            parse_entities("<EntityDescriptor entityID=\"x\"/>"),
            Err(Error::UnexpectedElement { .. })
        ));
        assert!(matches!(
            parse_entities("<md:EntityDescriptor"),
            Err(Error::MalformedXml(_))
        ));
        // A SAML 1-only SP descriptor is ignored.
        let saml1 = webex_sp(&b64).replace(
            "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\"",
            "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:1.1:protocol\"",
        );
        assert!(parse_entities(&saml1).unwrap()[0].sp.is_none());
    }
}
