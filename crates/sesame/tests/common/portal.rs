//! The portal as a browser sees it: signing in through the login page, the CSRF token,
//! the links and the forms of a page, posting a form, and the audit log's size.

use super::{browser, get, submit_login, unescape, Server, ADMIN_PASSWORD, ADMIN_UPN};

/// A browser signed in as `upn` (cookie jar, following redirects).
pub async fn sign_in(s: &Server, upn: &str, pw: &str) -> reqwest::Client {
    let b = browser();
    sign_in_with(&b, s, upn, pw).await;
    b
}

/// Signs `b` (a client following redirects) in as `upn`.
pub async fn sign_in_with(b: &reqwest::Client, s: &Server, upn: &str, pw: &str) {
    let (st, _, html) = get(b, &format!("{}/{}/login", s.base, s.tenant)).await;
    assert_eq!(st, 200, "login page: {html}");
    let r = submit_login(b, &s.base, &html, upn, pw).await;
    let st = r.status().as_u16();
    let url = r.url().to_string();
    let body = r.text().await.unwrap();
    assert_eq!(st, 200, "sign-in of {upn} ended at {url}: {body}");
    assert!(
        !body.contains("name=\"password\"") || url.contains("/admin/users"),
        "sign-in of {upn} failed: {body}"
    );
}

/// The initial administrator's password: the generated one in the data dir's
/// `initial-admin-password`, or the one [`Server`] gives by SESAME_ADMIN_PASSWORD.
pub fn admin_password(s: &Server) -> String {
    std::fs::read_to_string(s.dir.join("initial-admin-password"))
        .map(|p| p.trim().to_owned())
        .unwrap_or_else(|_| ADMIN_PASSWORD.to_owned())
}

/// A browser signed in as the initial administrator.
pub async fn admin(s: &Server) -> reqwest::Client {
    sign_in(s, ADMIN_UPN, &admin_password(s)).await
}

/// The value of `name="…"` (or another attribute) of a tag's text, unescaped.
pub fn attr(tag: &str, name: &str) -> Option<String> {
    let mut rest = tag;
    let pat = format!("{name}=\"");
    loop {
        let i = rest.find(&pat)?;
        // A whole attribute name: preceded by a space.
        let ok = i > 0 && rest.as_bytes()[i - 1].is_ascii_whitespace();
        let after = &rest[i + pat.len()..];
        if ok {
            let j = after.find('"')?;
            return Some(unescape(&after[..j]));
        }
        rest = after;
    }
}

/// Whether a tag has the boolean attribute `name`.
pub fn has_attr(tag: &str, name: &str) -> bool {
    tag.split(|c: char| c.is_ascii_whitespace() || c == '>')
        .any(|w| w == name || w.starts_with(&format!("{name}=")))
}

/// Every start tag `<name …>` of `html`, as text.
pub fn tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let pat = format!("<{name}");
    let mut pos = 0;
    while let Some(i) = html[pos..].find(&pat) {
        let at = pos + i;
        let after = html.as_bytes().get(at + pat.len()).copied().unwrap_or(b' ');
        if after.is_ascii_whitespace() || after == b'>' {
            if let Some(j) = html[at..].find('>') {
                out.push(&html[at..=at + j]);
            }
        }
        pos = at + pat.len();
    }
    out
}

/// The CSRF token of a page.
pub fn csrf(html: &str) -> String {
    tags(html, "meta")
        .into_iter()
        .find(|t| attr(t, "name").as_deref() == Some("csrf-token"))
        .and_then(|t| attr(t, "content"))
        .expect("no csrf-token meta in the page")
}

/// A form of a page: method, action and the fields a browser would send.
#[derive(Debug, Clone)]
pub struct Form {
    pub method: String,
    /// `multipart/form-data` or the default.
    pub enctype: String,
    pub action: String,
    pub fields: Vec<(String, String)>,
}

impl Form {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// With `name` set to `value` (added when absent).
    pub fn set(mut self, name: &str, value: &str) -> Form {
        match self.fields.iter_mut().find(|(n, _)| n == name) {
            Some(f) => f.1 = value.to_owned(),
            None => self.fields.push((name.to_owned(), value.to_owned())),
        }
        self
    }

    /// Without the field `name`.
    pub fn without(mut self, name: &str) -> Form {
        self.fields.retain(|(n, _)| n != name);
        self
    }
}

/// Every form of `html`.
pub fn forms(html: &str) -> Vec<Form> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(i) = html[pos..].find("<form") {
        let start = pos + i;
        let end = html[start..]
            .find("</form>")
            .map_or(html.len(), |j| start + j);
        let inner = &html[start..end];
        let tag = &inner[..inner.find('>').map_or(inner.len(), |j| j + 1)];
        let mut fields = Vec::new();
        for t in tags(inner, "input") {
            let Some(name) = attr(t, "name") else {
                continue;
            };
            let ty = attr(t, "type").unwrap_or_else(|| "text".into());
            if (ty == "radio" || ty == "checkbox") && !has_attr(t, "checked") {
                continue;
            }
            if ty == "submit" || ty == "button" {
                continue;
            }
            fields.push((
                name,
                attr(t, "value").unwrap_or_else(|| {
                    if ty == "checkbox" {
                        "on".into()
                    } else {
                        String::new()
                    }
                }),
            ));
        }
        let mut spos = 0;
        while let Some(k) = inner[spos..].find("<select") {
            let s0 = spos + k;
            let s1 = inner[s0..]
                .find("</select>")
                .map_or(inner.len(), |j| s0 + j);
            let sel = &inner[s0..s1];
            if let Some(name) = tags(sel, "select").first().and_then(|t| attr(t, "name")) {
                let opts = tags(sel, "option");
                let chosen = opts
                    .iter()
                    .find(|o| has_attr(o, "selected"))
                    .or(opts.first())
                    .and_then(|o| attr(o, "value"))
                    .unwrap_or_default();
                fields.push((name, chosen));
            }
            spos = s1;
        }
        for t in tags(inner, "textarea") {
            if let Some(name) = attr(t, "name") {
                let after = &inner[inner.find(t).unwrap_or(0) + t.len()..];
                let text = after.split("</textarea>").next().unwrap_or("");
                fields.push((name, unescape(text)));
            }
        }
        out.push(Form {
            method: attr(tag, "method")
                .unwrap_or_else(|| "get".into())
                .to_lowercase(),
            enctype: attr(tag, "enctype").unwrap_or_default().to_lowercase(),
            action: attr(tag, "action").unwrap_or_default(),
            fields,
        });
        pos = end.max(start + 5);
    }
    out
}

/// The POST form whose action is `action`.
pub fn post_form(html: &str, action: &str) -> Form {
    forms(html)
        .into_iter()
        .find(|f| f.method == "post" && f.action == action)
        .unwrap_or_else(|| panic!("no POST form to {action} in the page:\n{html}"))
}

/// Every `href` of `html`.
pub fn links(html: &str) -> Vec<String> {
    tags(html, "a")
        .into_iter()
        .filter_map(|t| attr(t, "href"))
        .collect()
}

/// Submits `form` (its action relative to `base`): (status, final URL, body).
pub async fn submit(b: &reqwest::Client, base: &str, form: &Form) -> (u16, String, String) {
    let url = if form.action.starts_with('/') {
        format!("{base}{}", form.action)
    } else {
        form.action.clone()
    };
    let r = send(b, &url, form, &[]).await;
    let st = r.status().as_u16();
    let u = r.url().to_string();
    (st, u, r.text().await.unwrap())
}

/// GETs `path` on the server: (status, final URL, body).
pub async fn page(b: &reqwest::Client, s: &Server, path: &str) -> (u16, String, String) {
    get(b, &format!("{}{path}", s.base)).await
}

/// The object id of a URL: the segment after `/admin/apps/` (an app's pages, such as
/// `…/admin/apps/ID/sso/saml` where Add leads), else the last one (`…/admin/users/ID`).
pub fn id_in(url: &str) -> String {
    if let Some((_, rest)) = url.split_once("/admin/apps/") {
        return rest.split(['/', '?', '#']).next().unwrap().to_owned();
    }
    url.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap()
        .split(['?', '#'])
        .next()
        .unwrap()
        .to_owned()
}

/// The number of audit rows, read through the CLI's database (the server writes them
/// at once).
pub async fn audit_count(s: &Server) -> i64 {
    let store = sesame::store::Store::open(&s.database_url(), 1)
        .await
        .unwrap();
    let n = store.audit_count().await.unwrap();
    store.close().await;
    n
}

/// POSTs `form` to `url` as a browser would (urlencoded, or multipart/form-data when the
/// form says so), with extra request headers.
pub async fn send(
    b: &reqwest::Client,
    url: &str,
    form: &Form,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = b.post(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if form.enctype == "multipart/form-data" {
        let boundary = "----sesame-test-boundary-7d3f";
        let mut body = String::new();
        for (k, v) in &form.fields {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
            ));
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        req = req
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
    } else {
        req = req.form(&form.fields);
    }
    req.send().await.unwrap()
}
