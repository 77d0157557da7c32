//! Logos: the gallery's SVGs and uploaded application logos, each at its own URL with a
//! CSP that runs nothing (`default-src 'none'; style-src 'unsafe-inline'; sandbox`) and
//! nosniff, so no script in an image runs even when it is opened directly. Uploaded SVGs
//! are also sanitised before they are stored ([`sanitize_svg`]).

use super::frame::{audit, form_app};
use crate::admin::audit::Change;
use crate::store::AppLogo;
use crate::web::portal::access::Admin;
use crate::web::portal::error::PortalResult;
use crate::web::portal::kit::{self, Fields};
use crate::web::portal::layout::Flash;
use crate::web::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use base64::Engine as _;

/// The CSP of every image Sesame serves.
pub(crate) const IMAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";
/// Largest SVG logo accepted.
pub(crate) const MAX_SVG: usize = 100 * 1024;
/// Largest PNG logo accepted (the form carries it base64-encoded within the 512 KiB body limit).
pub(crate) const MAX_PNG: usize = 256 * 1024;

const SVG_NS: &str = "http://www.w3.org/2000/svg";
const XLINK_NS: &str = "http://www.w3.org/1999/xlink";

/// Elements kept (with their content); every other element is dropped whole.
const ELEMENTS: &[&str] = &[
    "svg",
    "g",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "title",
    "desc",
    "defs",
    "linearGradient",
    "radialGradient",
    "stop",
    "clipPath",
    "mask",
    "symbol",
];

/// Elements replaced by their content.
const UNWRAP: &[&str] = &["a", "switch"];

/// An image response with the headers that keep it inert.
pub(crate) fn image(content_type: &str, data: Vec<u8>) -> Response {
    image_cached(content_type, data, "private, max-age=3600")
}

/// [`image`] with its own Cache-Control (an app's logo changes: revalidated each time).
pub(crate) fn image_cached(content_type: &str, data: Vec<u8>, cache: &'static str) -> Response {
    let mut r = data.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(IMAGE_CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}

fn attr_value_safe(v: &str) -> bool {
    let l: String = v
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    !(l.contains("javascript:")
        || l.contains("data:")
        || l.contains("vbscript:")
        || l.contains("expression(")
        || l.contains("@import")
        || (l.contains("url(") && !l.contains("url(#")))
}

fn push_escaped(out: &mut String, s: &str, attr: bool) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

/// Sanitises an uploaded SVG: keeps only drawing elements (no `script`, `style`,
/// `foreignObject`, `image`, `use`, `a`, …), drops event attributes (`on…`), `href`s that
/// are not local (`#…`), and values with `javascript:`, `data:` or external `url(…)`;
/// refuses what does not parse as one `<svg>` (DTDs are refused by the parser).
pub(crate) fn sanitize_svg(text: &str) -> Result<String, String> {
    if text.len() > MAX_SVG {
        return Err(format!(
            "the SVG is {} bytes; at most {} KiB are accepted",
            text.len(),
            MAX_SVG / 1024
        ));
    }
    let doc = roxmltree::Document::parse(text).map_err(|e| {
        format!("the file is not well-formed SVG ({e}); upload an SVG or PNG image")
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "svg" || root.tag_name().namespace() != Some(SVG_NS) {
        return Err(format!(
            "the root element must be <svg xmlns=\"{SVG_NS}\">; upload an SVG or PNG image"
        ));
    }
    let mut out = String::new();
    // Iterative walk: (node, closing?).
    let mut stack = vec![(root, false)];
    while let Some((n, closing)) = stack.pop() {
        if closing {
            out.push_str("</");
            out.push_str(n.tag_name().name());
            out.push('>');
            continue;
        }
        if n.is_text() {
            push_escaped(&mut out, n.text().unwrap_or_default(), false);
            continue;
        }
        if !n.is_element() {
            continue;
        }
        let name = n.tag_name().name();
        if n.tag_name().namespace() == Some(SVG_NS) && UNWRAP.contains(&name) {
            // A link: its drawing stays, the link goes.
            let children: Vec<_> = n.children().collect();
            for c in children.into_iter().rev() {
                stack.push((c, false));
            }
            continue;
        }
        if n.tag_name().namespace() != Some(SVG_NS) || !ELEMENTS.contains(&name) {
            continue;
        }
        out.push('<');
        out.push_str(name);
        if n == root {
            out.push_str(" xmlns=\"");
            out.push_str(SVG_NS);
            out.push('"');
        }
        for a in n.attributes() {
            let an = a.name();
            let ns = a.namespace();
            if ns.is_some() && ns != Some(XLINK_NS) {
                continue;
            }
            let lower = an.to_ascii_lowercase();
            if lower.starts_with("on") {
                continue;
            }
            if lower == "href" && !a.value().starts_with('#') {
                continue;
            }
            if ns == Some(XLINK_NS) && lower != "href" {
                continue;
            }
            if !attr_value_safe(a.value()) {
                continue;
            }
            out.push(' ');
            if ns == Some(XLINK_NS) {
                // Local references only; written as SVG 2's plain href.
                out.push_str("href");
            } else {
                out.push_str(an);
            }
            out.push_str("=\"");
            push_escaped(&mut out, a.value(), true);
            out.push('"');
        }
        out.push('>');
        stack.push((n, true));
        let children: Vec<_> = n.children().collect();
        for c in children.into_iter().rev() {
            stack.push((c, false));
        }
    }
    Ok(out)
}

/// An uploaded logo from the form's `logo` value: a `data:` URL (the page's script reads
/// the chosen file into it) or SVG text pasted as is.
pub(crate) fn parse_upload(value: &str, now: i64) -> Result<AppLogo, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err("no file was chosen; choose an SVG or PNG image".into());
    }
    let (ct, bytes) = if let Some(rest) = v.strip_prefix("data:") {
        let (meta, b64) = rest
            .split_once(',')
            .ok_or("the upload is not a data: URL; choose the file again")?;
        if !meta.ends_with(";base64") {
            return Err("the upload is not base64-encoded; choose the file again".into());
        }
        let data = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|_| "the upload is not valid base64; choose the file again".to_owned())?;
        let mime = meta.trim_end_matches(";base64").to_ascii_lowercase();
        (mime, data)
    } else {
        ("image/svg+xml".to_owned(), v.as_bytes().to_vec())
    };
    if ct == "image/png" || bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Err("the file is not a PNG image; upload an SVG or PNG image".into());
        }
        if bytes.len() > MAX_PNG {
            return Err(format!(
                "the PNG is {} KiB; at most {} KiB are accepted",
                bytes.len() / 1024,
                MAX_PNG / 1024
            ));
        }
        return Ok(AppLogo {
            content_type: "image/png".into(),
            data: bytes,
            updated_at: now,
        });
    }
    if ct != "image/svg+xml" && !ct.is_empty() {
        return Err(format!("{ct} is not accepted; upload an SVG or PNG image"));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| "the SVG is not UTF-8 text; upload an SVG or PNG image".to_owned())?;
    let clean = sanitize_svg(&text)?;
    Ok(AppLogo {
        content_type: "image/svg+xml".into(),
        data: clean.into_bytes(),
        updated_at: now,
    })
}

/// `GET /admin/gallery/{id}/logo.svg`.
pub(super) async fn gallery_logo(_admin: Admin, Path(id): Path<String>) -> PortalResult {
    match crate::gallery::template(&id) {
        Some(t) => Ok(image("image/svg+xml", t.logo_svg.clone().into_bytes())),
        None => Ok((StatusCode::NOT_FOUND, "no such gallery application").into_response()),
    }
}

/// `GET /admin/apps/{id}/logo`: the uploaded logo, else the gallery's, else a letter.
pub(super) async fn app_logo(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<String>,
) -> PortalResult {
    if let Ok(Some(l)) = state.store().app_logo(&id).await {
        return Ok(image_cached(&l.content_type, l.data, "no-cache"));
    }
    let app = match state.store().app_by_id(&id).await {
        Ok(Some(a)) => a,
        _ => return Ok((StatusCode::NOT_FOUND, "no such application").into_response()),
    };
    if let Some(t) = app.gallery_id.as_deref().and_then(crate::gallery::template) {
        return Ok(image_cached(
            "image/svg+xml",
            t.logo_svg.clone().into_bytes(),
            "no-cache",
        ));
    }
    Ok(image_cached(
        "image/svg+xml",
        letter_svg(&app.name).into_bytes(),
        "no-cache",
    ))
}

/// A square with the name's first letter (apps without a logo).
pub(crate) fn letter_svg(name: &str) -> String {
    let c = name
        .chars()
        .find(|c| c.is_alphanumeric())
        .map(|c| c.to_uppercase().to_string())
        .unwrap_or_else(|| "?".into());
    let mut esc = String::new();
    push_escaped(&mut esc, &c, false);
    format!(
        "<svg xmlns=\"{SVG_NS}\" viewBox=\"0 0 48 48\"><rect width=\"48\" height=\"48\" rx=\"8\" fill=\"#5c6b7a\"/>\
<text x=\"24\" y=\"32\" font-family=\"sans-serif\" font-size=\"24\" fill=\"#ffffff\" text-anchor=\"middle\">{esc}</text></svg>"
    )
}

/// `POST /admin/apps/{id}/logo`: upload (`logo`) or remove (`remove=1`).
pub(super) async fn upload(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let app = form_app(&state, &si, &headers, &f, &id).await?;
    let store = state.store();
    let before = store.app_logo(&app.id).await.ok().flatten();
    let summary = |l: &Option<AppLogo>| {
        l.as_ref()
            .map(|l| serde_json::json!({"content_type": l.content_type, "bytes": l.data.len()}))
    };
    if f.raw("remove") == "1" {
        if let Err(e) = store.delete_app_logo(&app.id).await {
            return Err(e.into());
        }
        audit(
            &state,
            &si,
            &headers,
            Change::new("app.logo.update", "app", &app.id, &app.name)
                .before(&summary(&before))
                .after(&serde_json::Value::Null),
        )
        .await;
        return super::props::show(&state, &si, &app, Flash::ok("Logo removed."), None).await;
    }
    let logo = match parse_upload(f.raw("logo"), crate::tenant::now_unix()) {
        Ok(l) => l,
        Err(e) => {
            return super::props::show(
                &state,
                &si,
                &app,
                Flash::error(format!("Logo not saved (SESAME910008): {e}.")),
                Some(("logo", e)),
            )
            .await
        }
    };
    if let Err(e) = store.set_app_logo(&app.id, &logo).await {
        return Err(e.into());
    }
    audit(
        &state,
        &si,
        &headers,
        Change::new("app.logo.update", "app", &app.id, &app.name)
            .before(&summary(&before))
            .after(&summary(&Some(logo))),
    )
    .await;
    Ok(kit::redirect_ok(
        &state,
        &format!("/admin/apps/{}/properties", app.id),
        "Logo saved.",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_handlers_are_removed() {
        let evil = r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)">
<script>alert(2)</script><foreignObject><div>x</div></foreignObject>
<a href="javascript:alert(3)"><rect width="1" height="1"/></a>
<circle r="4" onclick="alert(4)" fill="url(https://evil.example/x)"/>
<use xlink:href="https://evil.example/a.svg#x"/><path d="M0 0" style="fill:red"/></svg>"##;
        let s = sanitize_svg(evil).unwrap();
        assert!(!s.contains("script"), "{s}");
        assert!(!s.contains("onload") && !s.contains("onclick"), "{s}");
        assert!(!s.contains("javascript") && !s.contains("evil"), "{s}");
        assert!(!s.contains("foreignObject"), "{s}");
        assert!(s.contains("<circle r=\"4\">"), "{s}");
        assert!(s.contains("style=\"fill:red\""), "{s}");
        roxmltree::Document::parse(&s).unwrap();
    }

    #[test]
    fn unparsable_and_dtd_are_refused() {
        assert!(sanitize_svg("<svg").is_err());
        assert!(sanitize_svg(
            "<!DOCTYPE svg [<!ENTITY x \"y\">]><svg xmlns=\"http://www.w3.org/2000/svg\">&x;</svg>"
        )
        .is_err());
        assert!(sanitize_svg("<html/>").is_err());
        assert!(parse_upload("data:image/png;base64,AAAA", 0).is_err());
    }
}
