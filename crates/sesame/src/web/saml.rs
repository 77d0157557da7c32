//! The SAML endpoint (`/{tenant}/saml2`: AuthnRequest and LogoutRequest, by HTTP-Redirect
//! and HTTP-POST), IdP-initiated launch, federation metadata and sign-out: each handler
//! decodes, calls the flow (`sso::flow`, through [`super::flow`]), renders and logs.
//!
//! A POST-binding message is a cross-site POST, with which the browser does not send the
//! SameSite=Lax session cookie: it is stored and answered with a 303 to a same-site GET
//! (`/{tenant}/saml2/continue?p=…`) that continues with the session.

use super::auth::{csrf_for, csrf_ok_for_cookie};
use super::failure::PageFailure;
use super::flow::{
    keepable, proceed, put_pending, send_error, take_pending, Ctx, Pending, PendingQuery,
};
use super::http::{cookie, set_cookie, ClientIp};
use super::pages::esc;
use super::pages::{csp, html_with_csp, page};
use super::session::current_session;
use super::state::AppState;
use crate::admin::errors::AdminCode;
use crate::sso::authn;
use crate::sso::cache::AppCache;
use crate::sso::flow::{check_tenant, screen, Begun, Failure, Message, Who};
use crate::sso::{session, ErrorCode, SsoApp, SsoError};
use axum::extract::{Form, Path, Query, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sesame_saml::bindings::post;
use sesame_saml::bindings::redirect::{self, RedirectMessage};
use sesame_saml::messages::LogoutRequest;

/// The result of an SSO page handler.
type Page = Result<Response, PageFailure>;

/// `GET /{tenant}/saml2`: a message by HTTP-Redirect.
pub async fn saml2_get(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    RawQuery(query): RawQuery,
    ip: ClientIp,
    headers: HeaderMap,
) -> Page {
    let mut ctx = Ctx::new(&state, ip);
    let cache = state.cache().get();
    check_tenant(&cache, &tenant).map_err(|e| ctx.fail(e))?;
    let q = query.unwrap_or_default();
    if !q
        .split('&')
        .any(|p| p.starts_with("SAMLRequest=") || p.starts_with("SAMLResponse="))
    {
        let e = SsoError::new(
            ErrorCode::MissingMessage,
            "the URL has no SAMLRequest parameter",
        );
        return Err(ctx.fail_seen(&cache, &headers, e).await);
    }
    let msg = match redirect::decode_query_unparsed(&q) {
        Ok(m) => m,
        Err(e) => {
            let e = SsoError::new(ErrorCode::MalformedRequest, e.to_string());
            return Err(ctx.fail_seen(&cache, &headers, e).await);
        }
    };
    ctx.request = Some(msg.xml.clone());
    dispatch(
        &ctx,
        &cache,
        &headers,
        &msg.xml,
        msg.relay_state.clone(),
        Some(&msg),
    )
    .await
}

/// `POST /{tenant}/saml2`: a message by HTTP-POST, stored and continued by a same-site
/// GET. Only a message that can be kept is stored: at most 16 KiB of XML
/// (`flow::keepable`), well-formed and from a known application (`sso::flow::screen`);
/// anything else is refused here, before it costs a row.
pub async fn saml2_post(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    ip: ClientIp,
    body: String,
) -> Page {
    let mut ctx = Ctx::new(&state, ip);
    let cache = state.cache().get();
    check_tenant(&cache, &tenant).map_err(|e| ctx.fail(e))?;
    let (_kind, xml, relay_state) = post::decode_form(&body).map_err(|e| {
        let code = if body.contains("SAMLRequest=") || body.contains("SAMLResponse=") {
            ErrorCode::MalformedRequest
        } else {
            ErrorCode::MissingMessage
        };
        ctx.fail(SsoError::new(code, e.to_string()))
    })?;
    ctx.request = Some(xml.clone());
    keepable(&xml).map_err(|e| ctx.fail(e))?;
    match screen(&cache, &xml) {
        Ok(()) => {}
        // An application added less than a poll ago: re-read (bounded) and screen again.
        Err(f) if f.error.code == ErrorCode::UnknownIssuer => {
            match state.cache().after_miss().await {
                Some(fresh) => screen(&fresh, &xml).map_err(|f| ctx.fail(f))?,
                None => return Err(ctx.fail(f)),
            }
        }
        Err(f) => return Err(ctx.fail(f)),
    }
    let id = put_pending(&state, ctx.ip, &Pending::Post { xml, relay_state })
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(Redirect::to(&format!("/{}/saml2/continue?p={id}", esc_path(&tenant))).into_response())
}

fn esc_path(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// `GET /{tenant}/saml2/continue?p=…`: continues a POST-binding message.
pub async fn saml2_continue(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Query(q): Query<PendingQuery>,
    ip: ClientIp,
    headers: HeaderMap,
) -> Page {
    let mut ctx = Ctx::new(&state, ip);
    let cache = state.cache().get();
    check_tenant(&cache, &tenant).map_err(|e| ctx.fail(e))?;
    let Some(id) = q.p else {
        let e = SsoError::new(ErrorCode::SignInExpired, "the URL has no request reference");
        return Err(ctx.fail_seen(&cache, &headers, e).await);
    };
    let Some(Pending::Post { xml, relay_state }) =
        take_pending(&state, &id).await.map_err(|e| ctx.fail(e))?
    else {
        let e = SsoError::new(
            ErrorCode::SignInExpired,
            "the request is no longer kept (expired or already used)",
        );
        return Err(ctx.fail_seen(&cache, &headers, e).await);
    };
    ctx.request = Some(xml.clone());
    dispatch(&ctx, &cache, &headers, &xml, relay_state, None).await
}

/// Checks the message (`sso::flow`) and answers what it asks for.
async fn dispatch(
    ctx: &Ctx,
    cache: &AppCache,
    headers: &HeaderMap,
    xml_text: &str,
    relay: Option<String>,
    redirect: Option<&RedirectMessage>,
) -> Page {
    let msg = Message {
        xml: xml_text,
        relay_state: relay.as_deref(),
        redirect,
    };
    let begun = match ctx.flow(cache).begin(msg).await {
        Ok(b) => b,
        Err(f) if f.error.code == ErrorCode::UnknownIssuer => {
            // The application may have been added less than a poll ago: re-read the
            // configuration (bounded) and try once more with it.
            let Some(fresh) = ctx.state.cache().after_miss().await else {
                return Err(ctx.fail_seen(cache, headers, f).await);
            };
            return Box::pin(dispatch(ctx, &fresh, headers, xml_text, relay, redirect)).await;
        }
        Err(f) => return Err(ctx.fail_seen(cache, headers, f).await),
    };
    match begun {
        Begun::SignIn { app, request } => proceed(ctx, cache, headers, &app, *request).await,
        Begun::Refused {
            app,
            request,
            error,
        } => {
            let who = current_session(&ctx.state, cache, headers)
                .await
                .ok()
                .flatten()
                .map(|s| Who::of(&s));
            send_error(ctx, cache, &app, &request, error, who.as_ref())
        }
        Begun::Logout { app, request } => {
            logout(ctx, cache, headers, &app, &request, relay.as_deref()).await
        }
        Begun::LoggedOut => Ok(signed_out_page(&[])),
    }
}

/// An SP-initiated LogoutRequest (its replay already refused): end the browser's session
/// when the request names it (the NameID and SessionIndex the app received in it), and
/// answer to the app's Logout URL. A request naming another session leaves this one, and
/// its cookie, as they are.
async fn logout(
    ctx: &Ctx,
    cache: &AppCache,
    headers: &HeaderMap,
    app: &std::sync::Arc<SsoApp>,
    req: &LogoutRequest,
    relay: Option<&str>,
) -> Page {
    let flow = ctx.flow(cache);
    let fail = |e: SsoError, who: Option<Who>| {
        ctx.fail(Failure::from(e).app(app).user(who).request(Some(&req.id)))
    };
    let mut who = None;
    let mut kept = false;
    if let Some(s) = current_session(&ctx.state, cache, headers)
        .await
        .map_err(|e| fail(e, None))?
    {
        who = Some(Who::of(&s));
        if flow
            .logout_names_session(&s, app, req)
            .await
            .map_err(|e| fail(e, None))?
        {
            flow.end_session(&s.session.id_hash)
                .await
                .map_err(|e| fail(e, None))?;
        } else {
            kept = true;
        }
    }
    let details = if kept {
        "single logout: the LogoutRequest does not name this session (NameID or SessionIndex \
         differ from what the application received); the session was kept"
    } else {
        "single logout"
    };
    ctx.log(ctx.row(
        "success",
        None,
        Some(app),
        who.as_ref(),
        Some(&req.id),
        details.into(),
    ));
    let clear = (!kept).then(|| set_cookie(&ctx.state, session::COOKIE, "", Some(0)));
    match flow.logout_reply(app, &req.id, relay) {
        Ok(url) => {
            let mut r = Redirect::to(&url).into_response();
            if let Some(clear) = clear {
                r.headers_mut().append(header::SET_COOKIE, clear);
            }
            Ok(r)
        }
        Err(e) => {
            let f = fail(e, who);
            Err(match clear {
                Some(clear) => f.with_cookie(clear),
                None => f,
            })
        }
    }
}

fn signed_out_page(frames: &[String]) -> Response {
    let mut body = String::from("<h1>You signed out</h1><p>Your Sesame session has ended.</p>");
    if !frames.is_empty() {
        body.push_str("<p>Signing out of the applications of this session:</p>");
        for f in frames {
            body.push_str(&format!(
                "<iframe src=\"{}\" width=\"300\" height=\"60\" title=\"sign-out\" referrerpolicy=\"no-referrer\"></iframe>",
                esc(f)
            ));
        }
    }
    // The sign-out page frames the applications' Logout URLs (and nothing else); the
    // page answering their LogoutResponse is shown inside those frames, so it may be
    // framed by Sesame's own pages (and by no one else).
    let framed_by_self = frames.is_empty();
    html_with_csp(
        page("Signed out", &body),
        &csp(false, None, frames, framed_by_self),
        framed_by_self,
    )
}

/// The sign-out form's fields.
#[derive(Debug, Deserialize)]
pub struct SignoutForm {
    /// The session's CSRF token.
    pub csrf: Option<String>,
}

/// The page asking to confirm the sign-out, with its form (the session's CSRF token);
/// `notice` says why it is shown again.
fn signout_confirm_page(tenant: &str, upn: &str, csrf: &str, notice: Option<&str>) -> Response {
    let notice = notice
        .map(|n| format!("<p role=\"alert\">{}</p>", esc(n)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Sign out</h1>{notice}<p>You are signed in to Sesame as <strong>{}</strong>. \
         Signing out ends your Sesame session and signs you out of the applications that \
         support it.</p><form method=\"post\" action=\"/{}/signout\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <button type=\"submit\">Sign out</button></form>",
        esc(upn),
        esc_path(tenant),
        esc(csrf)
    );
    html_with_csp(
        page("Sign out", &body),
        &csp(false, None, &[], false),
        false,
    )
}

/// `GET /{tenant}/signout`: a page that asks to confirm the sign-out (a link, or a page
/// of another site, cannot end the session); without a session, says it has ended.
pub async fn signout_page(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    ip: ClientIp,
    headers: HeaderMap,
) -> Page {
    let ctx = Ctx::new(&state, ip);
    let cache = state.cache().get();
    check_tenant(&cache, &tenant).map_err(|e| ctx.fail(e))?;
    let s = current_session(&state, &cache, &headers)
        .await
        .map_err(|e| ctx.fail(e))?;
    match (s, cookie(&headers, session::COOKIE)) {
        (Some(s), Some(value)) => Ok(signout_confirm_page(
            &tenant,
            &s.upn,
            &csrf_for(value),
            None,
        )),
        _ => {
            let mut r = signed_out_page(&[]);
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&state, session::COOKIE, "", Some(0)),
            );
            Ok(r)
        }
    }
}

/// `POST /{tenant}/signout` with the session's CSRF token: IdP-initiated sign-out:
/// LogoutRequests to the session's applications with a Logout URL, then the session
/// ends. A missing or wrong token, or a request announced as cross-site, is refused
/// (403 SESAME910003) with the confirmation page; without a session, the browser is sent
/// to the sign-in page.
pub async fn signout(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    ip: ClientIp,
    headers: HeaderMap,
    Form(form): Form<SignoutForm>,
) -> Page {
    let ctx = Ctx::new(&state, ip);
    let cache = state.cache().get();
    check_tenant(&cache, &tenant).map_err(|e| ctx.fail(e))?;
    let clear = set_cookie(&state, session::COOKIE, "", Some(0));
    let s = current_session(&state, &cache, &headers)
        .await
        .map_err(|e| ctx.fail(e))?;
    let (Some(s), Some(value)) = (s, cookie(&headers, session::COOKIE)) else {
        let mut r = Redirect::to(&format!("/{}/login", esc_path(&tenant))).into_response();
        r.headers_mut().append(header::SET_COOKIE, clear);
        return Ok(r);
    };
    let given = form.csrf.unwrap_or_default();
    if !csrf_ok_for_cookie(value, &headers, &given) {
        let code = AdminCode::CsrfFailed;
        let mut r = signout_confirm_page(
            &tenant,
            &s.upn,
            &csrf_for(value),
            Some(&format!(
                "{} ({}): you are still signed in. To sign out, use the button below.",
                code.title(),
                code.code()
            )),
        );
        *r.status_mut() = StatusCode::FORBIDDEN;
        r.headers_mut()
            .insert("x-sesame-error", HeaderValue::from_static(code.code()));
        return Ok(r);
    }
    let flow = ctx.flow(&cache);
    let frames = flow.logout_requests(&s.session.id_hash).await;
    flow.end_session(&s.session.id_hash)
        .await
        .map_err(|e| ctx.fail(e))?;
    let mut r = signed_out_page(&frames);
    r.headers_mut().append(header::SET_COOKIE, clear);
    Ok(r)
}

/// `?mode=idp` of the launch URL.
#[derive(Debug, Deserialize)]
pub struct LaunchQuery {
    /// `idp` forces IdP-initiated SSO.
    pub mode: Option<String>,
}

/// `GET /{tenant}/apps/{app}/launch`: what a My Apps tile opens (Azure AD's rule).
pub async fn launch(
    State(state): State<AppState>,
    Path((tenant, app_id)): Path<(String, String)>,
    Query(q): Query<LaunchQuery>,
    ip: ClientIp,
    headers: HeaderMap,
) -> Page {
    let ctx = Ctx::new(&state, ip);
    let cache = state
        .cache()
        .get_or_reread(|c| check_tenant(c, &tenant).is_ok() && c.by_id(&app_id).is_some())
        .await;
    check_tenant(&cache, &tenant).map_err(|e| ctx.fail(e))?;
    let Some(app) = cache.by_id(&app_id).cloned() else {
        return Err(ctx.fail(SsoError::new(
            ErrorCode::AppNotFound,
            format!(
                "no application has the id {}",
                app_id.chars().take(64).collect::<String>()
            ),
        )));
    };
    // "SAML not configured": neither the Sign on URL nor a response, whichever mode.
    authn::check_configured(&app).map_err(|e| ctx.fail(Failure::from(e).app(&app)))?;
    let force_idp = q.mode.as_deref() == Some("idp");
    if let (Some(url), false) = (&app.sign_on_url, force_idp) {
        return Ok(Redirect::to(url).into_response());
    }
    let v = match authn::idp_initiated(&app) {
        Ok(v) => v,
        Err(e) => {
            let f = Failure::from(e).app(&app);
            return Err(ctx.fail_seen(&cache, &headers, f).await);
        }
    };
    proceed(&ctx, &cache, &headers, &app, v).await
}

/// `?appid=` of the metadata URL, and `?download` to save it as a file.
#[derive(Debug, Deserialize)]
pub struct MetadataQuery {
    /// The application's id.
    pub appid: Option<String>,
    /// Present (any value): answer as a file to save.
    pub download: Option<String>,
}

/// The SAML metadata media type (RFC 7580's `application/samlmetadata+xml`): what
/// browsers save as a file.
const SAML_METADATA_TYPE: &str = "application/samlmetadata+xml";

/// How the metadata is answered: (Content-Type, Content-Disposition). A browser opening
/// the App Federation Metadata URL sees the XML (`text/xml`, inline); `?download` saves
/// it as a file; a client asking for the SAML metadata type by `Accept` gets it.
fn metadata_headers(download: bool, accept: &str, app_name: &str) -> (&'static str, String) {
    if download {
        let file: String = app_name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let file = if file.is_empty() { "app".into() } else { file };
        return (
            "application/samlmetadata+xml; charset=utf-8",
            format!("attachment; filename=\"{file}.xml\""),
        );
    }
    let asks_saml_type = accept
        .split(',')
        .filter_map(|m| m.split(';').next())
        .any(|m| m.trim().eq_ignore_ascii_case(SAML_METADATA_TYPE));
    if asks_saml_type {
        (
            "application/samlmetadata+xml; charset=utf-8",
            "inline".into(),
        )
    } else {
        ("text/xml; charset=utf-8", "inline".into())
    }
}

/// `GET /{tenant}/federationmetadata/2007-06/federationmetadata.xml?appid=…[&download]`.
pub async fn federation_metadata(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Query(q): Query<MetadataQuery>,
    ip: ClientIp,
    headers: HeaderMap,
) -> Page {
    let ctx = Ctx::new(&state, ip);
    let cache = state
        .cache()
        .get_or_reread(|c| {
            check_tenant(c, &tenant).is_ok()
                && q.appid.as_deref().is_some_and(|id| c.by_id(id).is_some())
        })
        .await;
    check_tenant(&cache, &tenant).map_err(|e| PageFailure::unlogged(e, &ctx.corr))?;
    let Some((xml, name)) = q
        .appid
        .as_deref()
        .and_then(|id| cache.by_id(id))
        .and_then(|a| a.metadata_xml.clone().map(|x| (x, a.name.clone())))
    else {
        let e = SsoError::new(
            ErrorCode::AppNotFound,
            "the appid parameter names no application",
        );
        return Err(PageFailure::unlogged(e, &ctx.corr));
    };
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (content_type, disposition) = metadata_headers(q.download.is_some(), accept, &name);
    let mut r = xml.to_string().into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::VARY, HeaderValue::from_static("Accept"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(r)
}

#[cfg(test)]
mod metadata_tests {
    use super::metadata_headers;

    #[test]
    fn metadata_is_shown_inline_unless_downloaded_or_asked_for() {
        assert_eq!(
            metadata_headers(
                false,
                "text/html,application/xhtml+xml,*/*;q=0.8",
                "Convene"
            ),
            ("text/xml; charset=utf-8", "inline".to_owned())
        );
        assert_eq!(
            metadata_headers(false, "", "Convene"),
            ("text/xml; charset=utf-8", "inline".to_owned())
        );
        assert_eq!(
            metadata_headers(false, "Application/SAMLmetadata+xml; q=1, */*", "Convene").0,
            "application/samlmetadata+xml; charset=utf-8"
        );
        assert_eq!(
            metadata_headers(true, "", "Cisco Webex (acme)"),
            (
                "application/samlmetadata+xml; charset=utf-8",
                "attachment; filename=\"Cisco_Webex__acme_.xml\"".to_owned()
            )
        );
    }
}
