//! Building the app from settings and serving it on a listener until told to stop.
//! Tests call [`run`] with a listener on port 0.

use std::{future::Future, net::SocketAddr, sync::Arc};

use app::{services::Services, shell, App};
use axum::{
    extract::{FromRef, State},
    http::StatusCode,
    middleware,
    response::IntoResponse,
    routing::get,
    Extension, Router,
};
use leptos::{config::LeptosOptions, prelude::provide_context};
use leptos_axum::{generate_route_list, LeptosRoutes};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::{
    accounts::SessionAccounts,
    applications::ApplicationDirectory,
    db::{self, PersistenceError},
    http_errors,
    settings::Settings,
};

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    pub services: Services,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open the database")]
    Database(#[from] PersistenceError),
    #[error("the server failed")]
    Serve(#[source] std::io::Error),
}

/// Connects to the database (migrating it) and wires the services.
pub async fn build_state(settings: &Settings) -> Result<AppState, StartupError> {
    let db = db::connect_and_migrate(settings.database_url.expose()).await?;
    let services = Services {
        accounts: Arc::new(SessionAccounts {
            db: db.clone(),
            session_ttl: settings.session_ttl,
            throttle: settings.login_throttle,
        }),
        applications: Arc::new(ApplicationDirectory { db: db.clone() }),
    };
    Ok(AppState { leptos_options: settings.leptos.clone(), db, services })
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let services = state.services.clone();
    let context = move || provide_context(services.clone());

    // leptos_routes_with_context also mounts every server function at its path.
    Router::new()
        .route("/healthz", get(healthz))
        .leptos_routes_with_context(&state, routes, context, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(http_errors::status_from_app_error))
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
