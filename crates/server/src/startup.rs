//! Building the app from settings and serving it on a listener until told to stop.
//! Tests call [`run`] with a listener on port 0.

use std::{future::Future, net::SocketAddr, sync::Arc};

use app::{services::Services, shell, App};
use axum::{
    extract::{FromRef, State},
    http::StatusCode,
    middleware,
    response::IntoResponse,
    routing::{get, post},
    Extension, Router,
};
use leptos::{config::LeptosOptions, prelude::provide_context};
use leptos_axum::{generate_route_list, LeptosRoutes};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tower_http::{limit::RequestBodyLimitLayer, trace::TraceLayer};

use crate::{
    accounts::SessionAccounts,
    applications::ApplicationDirectory,
    db::{self, PersistenceError},
    http_errors, media,
    monitoring::{
        binary_upload::{self, UploadSlots},
        MonitoringService,
    },
    settings::Settings,
    storage::{self, file::FileStore, StorageError},
};

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    pub services: Services,
    /// The built-in store when it is the one in use: its URLs are served at `/media`.
    pub media: Option<Arc<FileStore>>,
    pub max_request_bytes: usize,
    pub upload_slots: UploadSlots,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open the database")]
    Database(#[from] PersistenceError),
    #[error("cannot open object storage")]
    Storage(#[from] StorageError),
    #[error("the server failed")]
    Serve(#[source] std::io::Error),
}

/// Binary uploads read and stored at once (see [`UploadSlots`]).
const UPLOAD_SLOTS: usize = 32;

/// Connects to the database (migrating it) and wires the services.
pub async fn build_state(settings: &Settings) -> Result<AppState, StartupError> {
    let db = db::connect_and_migrate(settings.database_url.expose()).await?;
    let (store, media) = storage::from_settings(settings).await?;
    let services = Services {
        accounts: Arc::new(SessionAccounts {
            db: db.clone(),
            session_ttl: settings.session_ttl,
            throttle: settings.login_throttle,
        }),
        applications: Arc::new(ApplicationDirectory { db: db.clone() }),
        monitoring: Arc::new(MonitoringService {
            db: db.clone(),
            store,
            max_image_bytes: settings.max_image_bytes,
            signed_url_ttl: settings.signed_url_ttl,
            uploads_per_minute: settings.uploads_per_minute,
        }),
    };
    // Base64 is 4/3 of the image, plus the JSON around it.
    let max_request_bytes = settings.max_image_bytes / 3 * 4 + 64 * 1024;
    Ok(AppState {
        leptos_options: settings.leptos.clone(),
        db,
        services,
        media,
        max_request_bytes,
        upload_slots: UploadSlots::new(UPLOAD_SLOTS),
    })
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let services = state.services.clone();
    let context = move || provide_context(services.clone());

    // leptos_routes_with_context also mounts every server function at its path.
    Router::new()
        .route("/healthz", get(healthz))
        .route("/media/{*key}", get(media::serve))
        .route("/api/monitoring/upload-binary", post(binary_upload::upload))
        .leptos_routes_with_context(&state, routes, context, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(http_errors::status_from_app_error))
        // Refuses larger bodies from Content-Length at once, and cuts off streams past it.
        .layer(RequestBodyLimitLayer::new(state.max_request_bytes))
        .layer(Extension(state.services.clone()))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
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
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await.map_err(StartupError::Serve)
}
