//! Serves Acme Careers: pages rendered on the server, its server functions,
//! and the wasm-bindgen output under `/pkg`.
//!
//! `ssr-host DIR` with `BIND` (default 127.0.0.1:3002), `INTERVIEW_MONITOR_URL`
//! (default http://127.0.0.1:3000) and `HOST_API_KEY` (Acme's service key).

use axum::Router;
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use ssr_host::{shell, App};
use tower_http::services::ServeDir;

#[tokio::main]
async fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "dist".into());
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3002".into());
    let options = LeptosOptions::builder()
        .output_name("ssr_host")
        .site_root(dir.clone())
        .site_pkg_dir("pkg")
        .build();
    let routes = generate_route_list(App);
    // leptos_routes also mounts Acme's server functions.
    let app = Router::new()
        .leptos_routes(&options, routes, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .nest_service(
            "/pkg",
            ServeDir::new(std::path::Path::new(&dir).join("pkg")),
        )
        .with_state(options);
    let listener = match tokio::net::TcpListener::bind(&bind).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("ssr-host: cannot listen on {bind}: {error}");
            std::process::exit(1);
        }
    };
    println!("ssr-host on http://{bind}");
    if let Err(error) = axum::serve(listener, app).await {
        eprintln!("ssr-host: {error}");
        std::process::exit(1);
    }
}
