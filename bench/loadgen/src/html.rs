//! Just enough HTML to act like a browser on IdP pages: find a form, its action and its
//! inputs (login forms, auto-post forms), and decode character references.

/// One `<form>`: its action (as written) and its inputs `(name, value, type)`.
#[derive(Debug, Clone, Default)]
pub struct Form {
    pub action: String,
    pub inputs: Vec<(String, String, String)>,
}

impl Form {
    /// The value of the first input named `name`.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.inputs
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, v, _)| v.as_str())
    }

    /// Whether the form has an input named `name`.
    pub fn has(&self, name: &str) -> bool {
        self.inputs.iter().any(|(n, _, _)| n == name)
    }
}

/// Decodes the character references HTML templates produce (`&amp;`, `&#43;`, `&#x2B;` …).
pub fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest[..rest.len().min(12)].find(';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let ent = &rest[1..end];
        let ch = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ if ent.starts_with("#x") || ent.starts_with("#X") => {
                u32::from_str_radix(&ent[2..], 16)
                    .ok()
                    .and_then(char::from_u32)
            }
            _ if ent.starts_with('#') => ent[1..].parse::<u32>().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The attributes of one tag (`<input a="b" c='d' e=f>`), names lowercased.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let b = tag.as_bytes();
    // Skip the tag name.
    let mut i = tag
        .find(|c: char| c.is_ascii_whitespace())
        .unwrap_or(tag.len());
    while i < b.len() {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'>' {
            i += 1;
        }
        if start == i {
            i += 1;
            continue;
        }
        let name = tag[start..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let value;
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let vs = i + 1;
                let mut j = vs;
                while j < b.len() && b[j] != q {
                    j += 1;
                }
                value = &tag[vs..j.min(b.len())];
                i = j + 1;
            } else {
                let vs = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                    i += 1;
                }
                value = &tag[vs..i];
            }
            out.push((name, unescape(value)));
        } else {
            out.push((name, String::new()));
        }
    }
    out
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Every form of the page.
pub fn forms(html: &str) -> Vec<Form> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(i) = lower[pos..].find("<form") {
        let start = pos + i;
        let end = lower[start..]
            .find("</form")
            .map_or(html.len(), |j| start + j);
        let tag_end = lower[start..].find('>').map_or(end, |j| start + j);
        let fattrs = attributes(&html[start + 1..tag_end]);
        let mut form = Form {
            action: attr(&fattrs, "action").unwrap_or("").to_owned(),
            inputs: Vec::new(),
        };
        let mut p = tag_end;
        while let Some(k) = lower[p..end].find("<input") {
            let s = p + k;
            let e = lower[s..end].find('>').map_or(end, |j| s + j);
            let a = attributes(&html[s + 1..e]);
            if let Some(name) = attr(&a, "name") {
                form.inputs.push((
                    name.to_owned(),
                    attr(&a, "value").unwrap_or("").to_owned(),
                    attr(&a, "type").unwrap_or("text").to_ascii_lowercase(),
                ));
            }
            p = e;
        }
        out.push(form);
        pos = end.max(start + 5);
    }
    out
}

/// The form carrying an input named `name`.
pub fn form_with(html: &str, name: &str) -> Option<Form> {
    forms(html).into_iter().find(|f| f.has(name))
}

/// Fast check: does the page carry a `SAMLResponse` form field?
pub fn has_saml_response(html: &str) -> bool {
    html.contains("name=\"SAMLResponse\"") || html.contains("name='SAMLResponse'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_entities() {
        let html = r#"<html><form method="post" action="https://sp.test/acs?a=1&amp;b=2">
            <input type="hidden" name="SAMLResponse" value="PHA&#x2B;eA&#61;&#61;" />
            <input type=hidden name='RelayState' value='x'></form>
            <form action="?"><input name="username"><input type="password" name="password"></form>"#;
        let f = forms(html);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].action, "https://sp.test/acs?a=1&b=2");
        assert_eq!(f[0].value("SAMLResponse"), Some("PHA+eA=="));
        assert_eq!(f[0].value("RelayState"), Some("x"));
        assert!(form_with(html, "password").is_some_and(|f| f.action == "?"));
        assert!(has_saml_response(html));
    }
}
