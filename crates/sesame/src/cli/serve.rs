//! `sesame serve [--demo]`: the identity provider's HTTP server.

use super::admin::GlobalArgs;
use anyhow::{Context, Result};
use sesame::apps::{self, Identifier, NewApp, Principal, ReplyUrl};
use sesame::config::{ServeConfig, ServeFlags};
use sesame::directory::{self, password, NewUser};
use sesame::sso::cache::CacheHandle;
use sesame::sso::signin_log::SigninLog;
use sesame::store::{PoolConfig, Store};
use sesame::tenant::{self, MasterKey, Tenant};
use sesame::web::{self, AppState};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// `sesame serve` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    flags: ServeFlags,
    /// Also create the test user B.Simon and the built-in test application (/testapp),
    /// assigned to B.Simon, and print how to sign in. The password is SESAME_DEMO_PASSWORD,
    /// or generated and printed once.
    #[arg(long)]
    demo: bool,
    /// Most database connections this node opens (each node of a cluster has its own
    /// pool: keep nodes × this under the server's max_connections).
    #[arg(
        long,
        env = "SESAME_DB_MAX_CONNECTIONS",
        value_name = "N",
        default_value_t = 8,
        value_parser = clap::value_parser!(u32).range(1..=1000)
    )]
    db_max_connections: u32,
    /// Longest a request waits for a database connection before answering 503.
    #[arg(
        long,
        env = "SESAME_DB_ACQUIRE_TIMEOUT",
        value_name = "SECONDS",
        default_value_t = 5,
        value_parser = clap::value_parser!(u64).range(1..=300)
    )]
    db_acquire_timeout: u64,
    /// PostgreSQL statement timeout: no statement runs longer.
    #[arg(
        long,
        env = "SESAME_DB_STATEMENT_TIMEOUT",
        value_name = "SECONDS",
        default_value_t = 15,
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    db_statement_timeout: u64,
    /// Per-address rate limit of the SAML endpoint and the sign-in page: `RATE/BURST`
    /// (requests per second per address, sustained, and how many may come at once;
    /// default 20/200), or `off` (behind a proxy that limits already). An IPv6 address
    /// counts by its /64.
    #[arg(long, env = "SESAME_SSO_RATE_LIMIT", value_name = "RATE/BURST|off")]
    sso_rate_limit: Option<String>,
    /// Outbound email: the SMTP server and the sender.
    #[command(flatten)]
    mail: sesame::mail::MailFlags,
}

/// The demo user.
pub const DEMO_UPN: &str = "B.Simon@contoso.com";
/// Notes that mark the built-in test application.
const TESTAPP_NOTES: &str =
    "Sesame's built-in test application (/testapp), created by `sesame serve --demo`.";

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(a: &Args, g: &GlobalArgs) -> Result<()> {
    // Blocking threads run the Argon2id verifications (19 MiB each, CPU-bound): more of
    // them than twice the cores only adds memory (each keeps its malloc arena), not
    // throughput. The async workers stay one per core (tokio's default).
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads((2 * cores).max(4))
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(serve(a, g))
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SESAME_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let _ = tracing_subscriber::fmt()
        .fmt_fields(sesame::web::logging::SafeFields::default())
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

async fn serve(a: &Args, g: &GlobalArgs) -> Result<()> {
    init_tracing();
    let cfg = ServeConfig::resolve(&a.flags, g.data_dir.as_deref(), g.database_url.as_deref())?;
    std::fs::create_dir_all(&cfg.data_dir)
        .with_context(|| format!("cannot create the data dir {}", cfg.data_dir.display()))?;
    let pool = PoolConfig {
        max_connections: a.db_max_connections,
        acquire_timeout: Duration::from_secs(a.db_acquire_timeout),
        statement_timeout: Duration::from_secs(a.db_statement_timeout),
    };
    let mail = sesame::mail::MailConfig::resolve(&a.mail, &cfg.data_dir)?;
    let store = Store::open_with(&cfg.database_url, &pool).await?;

    let listener = std::net::TcpListener::bind(cfg.listen)
        .with_context(|| format!("cannot listen on {}", cfg.listen))?;
    listener.set_nonblocking(true)?;
    let local = listener.local_addr()?;
    let scheme = if cfg.tls.is_some() { "https" } else { "http" };
    let public = match &cfg.public_url {
        Some(u) => Some(u.clone()),
        // An ephemeral port, or no tenant yet: the address actually bound.
        None if cfg.listen.port() == 0 || store.tenant().await?.is_none() => {
            Some(format!("{scheme}://{local}"))
        }
        None => None,
    };
    let tenant = tenant::ensure(&store, &cfg.data_dir, public.as_deref()).await?;
    let (master, warning) = MasterKey::load(&cfg.data_dir, cfg.master_key_file.as_deref())?;
    if let Some(w) = warning {
        tracing::warn!("{w}");
    }
    let demo_info = if a.demo {
        Some(demo(&store, &master, &tenant).await?)
    } else {
        None
    };
    let master = Arc::new(master);
    let cache = CacheHandle::load(store.clone(), Arc::clone(&master)).await?;
    let poller = cache.spawn_poller();
    // Single node (SQLite): the replay cache in memory, written behind (`sso::hot`).
    let replay_writer = cache.start_hot_path().await?;
    let housekeeping = spawn_housekeeping(store.clone());
    let (log, writer) = SigninLog::start(store.clone());
    println!("sesame: email {}", mail.describe());
    // The recorder first, so the worker's first counts are kept.
    let _ = web::ops::metrics_handle();
    let mail_worker = sesame::mail::Worker::new(store.clone(), &mail)?
        .with_stored_settings(Arc::clone(&master))
        .spawn();
    let expiry_reminders = sesame::notifications::spawn(store.clone());
    let state = AppState::new(
        store.clone(),
        Arc::clone(&cache),
        log,
        &tenant.public_url,
        cfg.trusted_proxies.clone(),
    )
    .with_secure_cookies(cfg.tls.is_some())
    .with_trusted_locations(cfg.trusted_locations.clone())
    .with_sso_rate_limit(a.sso_rate_limit.clone())
    .with_mail(mail.clone());
    let https = tenant
        .public_url
        .to_ascii_lowercase()
        .starts_with("https://");
    let mut routes = web::with_hsts(web::router(state.clone()), https);
    let metrics_listener = match cfg.metrics_listen {
        Some(addr) => {
            routes = routes.layer(axum::Extension(web::ops::MetricsElsewhere));
            let l = std::net::TcpListener::bind(addr)
                .with_context(|| format!("cannot listen on --metrics-listen {addr}"))?;
            l.set_nonblocking(true)?;
            println!("sesame: metrics on http://{}/metrics", l.local_addr()?);
            Some(l)
        }
        None => None,
    };
    let app = routes.into_make_service_with_connect_info::<SocketAddr>();

    println!("sesame: listening on {scheme}://{local}");
    println!("sesame: public URL {}", tenant.public_url);
    println!("sesame: Login URL {}", tenant.login_url());
    println!("sesame: IdP Identifier {}", tenant.idp_identifier());
    if let Some(d) = &demo_info {
        print_demo(d, &tenant, &cfg.data_dir);
    }

    // One code path for HTTP and HTTPS: the connection limits (`web::conn`) in front of
    // the TLS handshake, when there is one. The metrics address has limits of its own.
    let limits = cfg.limits;
    let metrics_server = match metrics_listener {
        Some(l) => {
            let mut server = axum_server::from_tcp(l)?;
            web::conn::configure(&limits, server.http_builder());
            let server = server.acceptor(web::conn::LimitAcceptor::new(
                axum_server::accept::DefaultAcceptor,
                limits,
            ));
            let app = web::ops::metrics_router(state);
            Some(tokio::spawn(async move {
                if let Err(e) = server.serve(app.into_make_service()).await {
                    tracing::error!("the metrics listener failed: {e}");
                }
            }))
        }
        None => None,
    };
    let mut server = axum_server::from_tcp(listener)?;
    web::conn::configure(&limits, server.http_builder());
    let handle = axum_server::Handle::new();
    let h2 = handle.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        h2.graceful_shutdown(Some(Duration::from_secs(10)));
    });
    let acceptor = web::conn::LimitAcceptor::new(axum_server::accept::DefaultAcceptor, limits);
    match &cfg.tls {
        None => server
            .acceptor(acceptor)
            .handle(handle)
            .serve(app)
            .await
            .context("the server failed")?,
        Some((cert, key)) => {
            let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
            let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                .await
                .with_context(|| {
                    format!(
                        "cannot load --tls-cert {} / --tls-key {}",
                        cert.display(),
                        key.display()
                    )
                })?;
            // The handshake must finish within the header-read timeout, as a request head.
            let tls = axum_server::tls_rustls::RustlsAcceptor::new(tls)
                .handshake_timeout(limits.header_read_timeout)
                .acceptor(acceptor);
            server
                .acceptor(tls)
                .handle(handle)
                .serve(app)
                .await
                .context("the server failed")?;
        }
    }
    if let Some(m) = metrics_server {
        m.abort();
    }
    eprintln!("sesame: shutting down; writing the last sign-in log rows");
    poller.abort();
    housekeeping.abort();
    mail_worker.abort();
    expiry_reminders.abort();
    if let Some(w) = replay_writer {
        w.abort();
    }
    cache.flush().await;
    writer.finish().await;
    store.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Deletes what is stale anyway: replay-cache entries, pending requests, expired
/// sessions, old lockout counters, account links long expired, sign-in log rows past their retention (default 30
/// days, `admin::settings`). Once a minute, off the request path.
fn spawn_housekeeping(store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let now = tenant::now_unix();
            let _ = store.replay_purge(now).await;
            let _ = store.pending_purge(now).await;
            let _ = store.pending_methods_purge(now).await;
            let _ = store.passkey_challenges_purge(now).await;
            let _ = store
                .sessions_purge(now, now - sesame::sso::session::IDLE_SECS)
                .await;
            let _ = store.lockouts_purge(now - 86_400, now).await;
            let _ = sesame::selfservice::links::purge(&store, now).await;
            let _ = sesame::admin::settings::prune_signins(&store, now.saturating_mul(1000)).await;
        }
    })
}

/// What `--demo` prints once the server listens.
struct DemoInfo {
    /// The demo user's password when it was just created with a generated one (printed
    /// once); `None` when it came from SESAME_DEMO_PASSWORD or the user already existed.
    generated_password: Option<String>,
    /// Whether the user was created by this start.
    created: bool,
}

/// How to sign in, printed last so it is what a newcomer sees.
fn print_demo(d: &DemoInfo, tenant: &Tenant, data_dir: &std::path::Path) {
    let password = match (&d.generated_password, d.created) {
        (Some(p), _) => format!("{p}   (generated and printed only this once)"),
        (None, true) => "the value of SESAME_DEMO_PASSWORD".to_owned(),
        (None, false) => {
            "the one printed when the user was created (reset it with `sesame user set B.Simon@contoso.com --password-stdin`)"
                .to_owned()
        }
    };
    let admin_file = data_dir.join(tenant::INITIAL_ADMIN_PASSWORD_FILE);
    println!();
    println!("  Sesame is running. To see single sign-on work:");
    println!("    1. open        {}/testapp", tenant.public_url);
    println!("    2. press \"Sign in\", then sign in as");
    println!("       user        {DEMO_UPN}");
    println!("       password    {password}");
    if admin_file.exists() {
        let admin = std::env::var("SESAME_ADMIN_UPN")
            .ok()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| tenant::DEFAULT_ADMIN_UPN.to_owned());
        println!(
            "  The administrator {admin}: password in {}",
            admin_file.display()
        );
    }
    println!("  Stop with Ctrl-C.");
    println!();
}

/// `--demo`: B.Simon and the built-in test application, assigned to B.Simon. On a later
/// start the test app's URLs follow the public URL.
async fn demo(store: &Store, master: &MasterKey, tenant: &Tenant) -> Result<DemoInfo> {
    let mut info = DemoInfo {
        generated_password: None,
        created: false,
    };
    let user = match store.user_by_upn(DEMO_UPN).await? {
        Some(u) => {
            println!("sesame: demo user {DEMO_UPN} exists");
            u
        }
        None => {
            let (pw, generated) = match std::env::var("SESAME_DEMO_PASSWORD")
                .ok()
                .filter(|p| !p.is_empty())
            {
                Some(p) => (p, false),
                None => (password::generate_password()?, true),
            };
            password::check_policy(&pw)?;
            let pw2 = pw.clone();
            let hash = tokio::task::spawn_blocking(move || password::hash_password(&pw2)).await??;
            let u = directory::create_user(
                store,
                NewUser {
                    upn: DEMO_UPN.into(),
                    display_name: "B. Simon".into(),
                    given_name: "B".into(),
                    surname: "Simon".into(),
                    mail: DEMO_UPN.into(),
                    password_hash: Some(hash),
                    ..NewUser::default()
                },
            )
            .await?;
            println!("sesame: created demo user {DEMO_UPN}");
            info.created = true;
            if generated {
                info.generated_password = Some(pw);
            }
            u
        }
    };
    let identifier = format!("{}/testapp", tenant.public_url);
    let reply = format!("{}/testapp/acs", tenant.public_url);
    let existing = store
        .list_apps()
        .await?
        .into_iter()
        .find(|a| a.notes == TESTAPP_NOTES);
    let app = match existing {
        Some(mut app) => {
            if app.saml.default_identifier() != Some(identifier.as_str()) {
                app.saml.identifiers = vec![Identifier {
                    value: identifier.clone(),
                    is_default: true,
                }];
                app.saml.reply_urls = vec![ReplyUrl {
                    url: reply.clone(),
                    index: Some(0),
                    is_default: true,
                }];
                app.saml.logout_url = None;
                apps::save_app(store, app).await?
            } else {
                app
            }
        }
        None => {
            let mut new = NewApp::custom("Sesame Test App");
            new.notes = TESTAPP_NOTES.into();
            new.saml.identifiers = vec![Identifier {
                value: identifier.clone(),
                is_default: true,
            }];
            new.saml.reply_urls = vec![ReplyUrl {
                url: reply.clone(),
                index: Some(0),
                is_default: true,
            }];
            apps::create_app(store, master, new).await?
        }
    };
    apps::assign(store, &app.id, &Principal::User(user.id.clone()), None).await?;
    println!(
        "sesame: demo application \"{}\" ({}) is assigned to {DEMO_UPN}",
        app.name, app.id
    );
    Ok(info)
}
