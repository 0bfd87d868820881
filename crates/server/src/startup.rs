//! Building the app from settings and serving it on a listener until told to stop.
//! Tests call [`run`] with a listener on port 0.

use std::{
    future::Future,
    sync::{Arc, OnceLock},
};

use app::{services::Services, shell, App, AppError};
use axum::{
    extract::{FromRef, State},
    http::StatusCode,
    middleware,
    response::IntoResponse,
    routing::{any, get, post},
    Extension, Router,
};
use leptos::{config::LeptosOptions, prelude::provide_context};
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::{
    accounts::{sign_in_form, SessionAccounts},
    applications::ApplicationDirectory,
    db::{self, PersistenceError},
    edge::{
        caching::{self, CachePolicy},
        client::{self, TrustedProxies},
        cors::{self, CorsPolicy},
        guard::{self, RequestRules, SIGN_IN_FORM_PATH},
        headers::{self, PagePolicy},
        listener, service_keys,
    },
    http_errors,
    integration::{self, links::LinkPages},
    integrity::IntegrityService,
    media,
    monitoring::{binary_upload, slots::UploadSlots, MonitoringService},
    openapi,
    settings::{Settings, StorageSettings},
    storage::{self, file::FileStore, StorageError},
};

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    /// The object store, for the periodic sweep.
    pub store: Arc<dyn storage::ObjectStore>,
    /// `(every, grace)` of the sweep.
    pub sweep: (std::time::Duration, std::time::Duration),
    /// How long images are kept; purged at start and hourly.
    pub retention: crate::periods::Periods,
    /// The face workers' wake-up and how many detections run at once (none when
    /// FACE_DETECTION is off or FACE_WORKERS is 0).
    pub face_workers: Option<(Arc<tokio::sync::Notify>, usize)>,
    pub services: Services,
    /// Sends webhook deliveries.
    pub webhook_sender: crate::webhooks::delivery::Sender,
    /// INTERVIEW_IDLE_SECS, for the milestone watcher.
    pub interview_idle: std::time::Duration,
    /// Signs checkpoints of the audit trail.
    pub audit_key: crate::db::audit::AuditKey,
    /// The capture-link pages (`/capture/{token}`).
    pub link_pages: LinkPages,
    /// The candidate's interview page: the document of its own wasm.
    pub candidate_page: crate::candidate_page::CandidatePage,
    /// The built-in store when it is the one in use: its URLs are served at `/media`.
    pub media: Option<Arc<FileStore>>,
    /// Evidence exports streaming now, per user and overall.
    pub export_slots: crate::export::ExportSlots,
    /// Live views streaming now, per user and overall.
    pub live_slots: crate::live::LiveSlots,
    pub trusted_proxies: TrustedProxies,
    pub request_rules: RequestRules,
    pub cors: CorsPolicy,
    pub page_policy: PagePolicy,
    pub cache_policy: CachePolicy,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// Set when the server speaks HTTPS itself (TLS_CERT_FILE, TLS_KEY_FILE).
    pub tls: Option<tokio_rustls::TlsAcceptor>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot read the audit key: {0}")]
    Key(String),
    #[error("cannot open the database")]
    Database(#[from] PersistenceError),
    #[error("cannot set up the webhook client")]
    WebhookClient(#[source] reqwest::Error),
    #[error("cannot open object storage")]
    Storage(#[from] StorageError),
    #[error("cannot set up HTTPS")]
    Tls(#[from] crate::edge::tls::TlsError),
    #[error("the server failed")]
    Serve(#[source] std::io::Error),
}

/// Uploads read and stored at once (see [`UploadSlots`]).
const UPLOAD_SLOTS: usize = 32;
/// Of those, how many one user may hold: a client that stalls its bodies can
/// take no more than this from everyone else, and a browser retrying one capture
/// a few times at once still gets every copy answered.
const UPLOAD_SLOTS_PER_USER: usize = 8;
/// Bodies of requests without identity (sign-in, capture-link trades) read at
/// once; they are small, so a few suffice, and a client stalling them holds at
/// most its own share.
const ANONYMOUS_SLOTS: usize = 64;
const ANONYMOUS_SLOTS_PER_CLIENT: usize = 8;

/// The origin signed image URLs point at, when it is not this server.
fn image_origin(storage: &StorageSettings) -> Option<String> {
    match storage {
        StorageSettings::BuiltIn { .. } => None,
        StorageSettings::S3(s3) if s3.endpoints.is_empty() => Some(format!(
            "https://{}.s3.{}.amazonaws.com",
            s3.bucket, s3.region
        )),
        // Every gateway: signed URLs name the one in use.
        StorageSettings::S3(s3) => Some(
            s3.endpoints
                .iter()
                .map(|endpoint| {
                    let (scheme, rest) = endpoint.split_once("://").unwrap_or(("https", endpoint));
                    format!("{scheme}://{}", rest.split('/').next().unwrap_or(rest))
                })
                .collect::<Vec<_>>()
                .join(" "),
        ),
    }
}

/// Connects to the database (migrating it) and wires the services.
pub async fn build_state(settings: &Settings) -> Result<AppState, StartupError> {
    let db = db::connect_and_migrate(settings.database_url.expose()).await?;
    let (store, media) = storage::from_settings(settings).await?;
    let face_wake = settings
        .face_detection
        .then(|| Arc::new(tokio::sync::Notify::new()));
    let accounts = Arc::new(SessionAccounts {
        db: db.clone(),
        session_ttl: settings.session_ttl,
        throttle: settings.login_throttle,
    });
    let services = Services {
        accounts: accounts.clone(),
        applications: Arc::new(ApplicationDirectory {
            db: db.clone(),
            retention: settings.retention(),
            interview_idle: settings.interview_idle,
        }),
        monitoring: Arc::new(MonitoringService {
            db: db.clone(),
            store: store.clone(),
            max_image_bytes: settings.max_image_bytes,
            signed_url_ttl: settings.signed_url_ttl,
            uploads: crate::monitoring::allowance::UploadAllowance::new(
                settings.uploads_per_minute,
            ),
            views_per_minute: settings.views_per_minute,
            face_analysis: face_wake.clone(),
        }),
        accountability: Arc::new(crate::accountability::AccountabilityService {
            db: db.clone(),
            store: store.clone(),
        }),
        integrity: Arc::new(IntegrityService {
            db: db.clone(),
            interview_idle: settings.interview_idle,
            retention: settings.retention(),
            signed_url_ttl: settings.signed_url_ttl,
        }),
        provisioning: Arc::new(crate::integration::Provisioner {
            db: db.clone(),
            public_origin: settings.public_origin.clone(),
            invitation_days: settings.invitation_days,
            interview_idle: settings.interview_idle,
        }),
        webhooks: Arc::new(crate::webhooks::WebhookService {
            db: db.clone(),
            settings: settings.webhooks.clone(),
        }),
    };
    let webhook_sender =
        crate::webhooks::delivery::Sender::new(db.clone(), settings.webhooks.clone())
            .map_err(StartupError::WebhookClient)?;
    Ok(AppState {
        link_pages: LinkPages {
            db: db.clone(),
            accounts,
        },
        candidate_page: crate::candidate_page::CandidatePage::find(&settings.leptos),
        leptos_options: settings.leptos.clone(),
        db,
        store,
        sweep: (settings.reconcile_every, settings.reconcile_grace),
        face_workers: face_wake
            .filter(|_| settings.face_workers > 0)
            .map(|wake| (wake, settings.face_workers)),
        retention: settings.retention(),
        services,
        webhook_sender,
        interview_idle: settings.interview_idle,
        audit_key: crate::keys::audit_key(settings)
            .map_err(|error| StartupError::Key(error.to_string()))?,
        media,
        export_slots: crate::export::ExportSlots::default(),
        live_slots: crate::live::LiveSlots::default(),
        trusted_proxies: TrustedProxies(Arc::new(settings.trusted_proxies.clone())),
        cors: CorsPolicy {
            allowed: Arc::new(settings.allowed_origins.clone()),
        },
        request_rules: RequestRules {
            public_origin: settings.public_origin.clone(),
            allowed_origins: Arc::new(settings.allowed_origins.clone()),
            // Base64 is 4/3 of the image, plus the JSON around it.
            upload_body: settings.max_image_bytes.div_ceil(3) * 4 + 64 * 1024,
            image_body: settings.max_image_bytes,
            upload_slots: UploadSlots::new(UPLOAD_SLOTS, UPLOAD_SLOTS_PER_USER),
            anonymous_slots: UploadSlots::anonymous(ANONYMOUS_SLOTS, ANONYMOUS_SLOTS_PER_CLIENT),
        },
        page_policy: PagePolicy {
            image_origin: image_origin(&settings.storage),
        },
        metrics: crate::telemetry::recorder(),
        tls: settings
            .tls
            .as_ref()
            .map(|(cert, key)| crate::edge::tls::acceptor(cert, key))
            .transpose()?,
        cache_policy: CachePolicy {
            pkg_prefix: format!("/{}/", settings.leptos.site_pkg_dir.trim_matches('/')),
            hashed_names: settings.leptos.hash_files,
        },
    })
}

/// The app's routes, found once per process. Finding them runs the app with
/// leptos's process-wide "load no resource" switch on: a resource first polled
/// meanwhile, by any server of the process, waits for good (leptos#4773). So no
/// second instance started in one process (the tests start many) may find them
/// again while another serves; and the first finds them before anything serves.
fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState) -> Router {
    let routes = routes();
    let services = state.services.clone();
    let context = move || provide_context(services.clone());

    // leptos_routes_with_context also mounts every server function at its path.
    // Layers run outside in: trace, identify the client, security headers, request
    // checks, then the handler (whose AppError gets its status innermost).
    Router::new()
        .route(crate::routes::HEALTH_PATH, get(healthz))
        .route("/media/{*key}", get(media::serve))
        .route(openapi::OPENAPI_PATH, get(openapi::document))
        .route("/metrics", get(crate::telemetry::render))
        .route(guard::BINARY_UPLOAD_PATH, post(binary_upload::upload))
        .route(crate::export::EXPORT_PATH, post(crate::export::export))
        .route(crate::report::REPORT_PATH, get(crate::report::report))
        .route(crate::live::LIVE_PATH, get(crate::live::live))
        .route(SIGN_IN_FORM_PATH, post(sign_in_form::submit))
        .route(
            crate::candidate_page::INTERVIEW_PATH,
            get(crate::candidate_page::serve),
        )
        .route(
            crate::routes::CAPTURE_SESSIONS_PATH,
            post(integration::links::open_for_embedding),
        )
        .route(
            "/capture/{token}",
            get(integration::links::show).post(integration::links::open),
        )
        // An API path that does not exist is a JSON 404 like every other API
        // error, not the app's HTML page.
        .route("/api/{*rest}", any(api_not_found))
        // Every page, every server function and the not-found page get the
        // services from this one closure (the pages test walks them all).
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(middleware::from_fn(http_errors::status_from_app_error))
        .layer(middleware::from_fn_with_state(
            state.request_rules.clone(),
            guard::check,
        ))
        // Outside the request checks: they find the caller with the services.
        .layer(Extension(state.services.clone()))
        .layer(middleware::from_fn(service_keys::only_where_allowed))
        .layer(middleware::from_fn_with_state(
            state.page_policy.clone(),
            headers::secure,
        ))
        .layer(middleware::from_fn_with_state(
            state.cache_policy.clone(),
            caching::apply,
        ))
        .layer(middleware::from_fn_with_state(
            state.cors.clone(),
            cors::apply,
        ))
        .layer(middleware::from_fn_with_state(
            state.trusted_proxies.clone(),
            client::identify,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn api_not_found() -> AppError {
    AppError::NotFound("there is no such API path".into())
}

/// 200 when the database answers, 503 when it does not.
async fn healthz(State(db): State<DatabaseConnection>) -> impl IntoResponse {
    match db.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(error) => {
            tracing::warn!(%error, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

/// Serves until `shutdown` completes, then finishes the requests in flight.
pub async fn run(
    settings: Settings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartupError> {
    let state = build_state(&settings).await?;
    serve(state, listener, shutdown).await
}

pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartupError> {
    let tls = state.tls.clone();
    let sweeper = tokio::spawn(crate::monitoring::reconcile::sweep_every(
        state.db.clone(),
        state.store.clone(),
        state.sweep.0,
        state.sweep.1,
    ));
    // Aborted at shutdown: a job it held is taken again once its lease runs out.
    let faces = state.face_workers.clone().map(|(wake, workers)| {
        tokio::spawn(crate::faces::worker::run(
            state.db.clone(),
            state.store.clone(),
            wake,
            workers,
        ))
    });
    // Always: an organization may have a period of its own, and an erase that
    // stopped half-way is finished here.
    let purger = tokio::spawn(crate::retention::purge_every(
        state.db.clone(),
        state.store.clone(),
        state.retention,
    ));
    let signer = tokio::spawn(crate::accountability::checkpoint_every(
        state.db.clone(),
        state.audit_key.clone(),
    ));
    // Webhooks: this instance's share of the deliveries (leased one at a time),
    // and the milestones no request marks.
    let deliveries = tokio::spawn(state.webhook_sender.clone().run());
    let milestones = tokio::spawn(crate::webhooks::milestones::watch(
        state.db.clone(),
        state.interview_idle,
    ));
    let (db, audit_key) = (state.db.clone(), state.audit_key.clone());
    // Live views never end by themselves: they are ended when shutdown begins.
    let live = state.live_slots.clone();
    let shutdown = async move {
        shutdown.await;
        live.close_all();
    };
    let served = listener::serve(router(state), listener, tls, shutdown)
        .await
        .map_err(StartupError::Serve);
    sweeper.abort();
    purger.abort();
    signer.abort();
    deliveries.abort();
    milestones.abort();
    // What was appended since the last checkpoint is signed before we go.
    if let Err(error) = crate::db::audit::checkpoint(&db, &audit_key, chrono::Utc::now()).await {
        tracing::warn!(error = %crate::telemetry::error_chain(&error), "could not sign the audit trail's head at shutdown");
    }
    if let Some(faces) = faces {
        faces.abort();
    }
    served
}

/// Each runtime worker's stack. Rendering a page on the server nests deeply
/// (the page's view and the futures of its resources); tokio's 2 MiB default
/// left the interview page little room, and none in a debug build.
pub const WORKER_STACK_BYTES: usize = 8 * 1024 * 1024;

/// The server's multi-threaded runtime (one worker per core), with
/// [`WORKER_STACK_BYTES`] per worker.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(WORKER_STACK_BYTES)
        .build()
}
