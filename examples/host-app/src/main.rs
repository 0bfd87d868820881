//! Serves the host app: `index.html` (with interview-monitor's URL written into
//! it) for every page, and the wasm-bindgen output under `/pkg`.
//!
//! `host-app DIR` with `BIND` (default 127.0.0.1:3001) and
//! `INTERVIEW_MONITOR_URL` (default http://127.0.0.1:3000).

#[cfg(not(target_arch = "wasm32"))]
#[tokio::main]
async fn main() {
    use axum::{response::Html, routing::get, Router};
    use tower_http::services::ServeDir;

    let dir = std::env::args().nth(1).unwrap_or_else(|| "dist".into());
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3001".into());
    let monitor =
        std::env::var("INTERVIEW_MONITOR_URL").unwrap_or_else(|_| "http://127.0.0.1:3000".into());
    let template = match std::fs::read_to_string(std::path::Path::new(&dir).join("index.html")) {
        Ok(template) => template,
        Err(error) => {
            eprintln!("host-app: cannot read {dir}/index.html: {error}");
            std::process::exit(1);
        }
    };
    // The URL goes into an attribute: keep it to characters that need no escaping.
    if !monitor
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || ":/.-_[]".contains(c))
    {
        eprintln!("host-app: INTERVIEW_MONITOR_URL `{monitor}` is not a plain URL");
        std::process::exit(2);
    }
    let page = Html(template.replace("__INTERVIEW_MONITOR_URL__", &monitor));
    let app = Router::new()
        .nest_service(
            "/pkg",
            ServeDir::new(std::path::Path::new(&dir).join("pkg")),
        )
        .fallback(get(move || {
            let page = page.clone();
            async move { page }
        }));
    let listener = match tokio::net::TcpListener::bind(&bind).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("host-app: cannot listen on {bind}: {error}");
            std::process::exit(1);
        }
    };
    println!("host-app on http://{bind}, embedding {monitor}");
    if let Err(error) = axum::serve(listener, app).await {
        eprintln!("host-app: {error}");
        std::process::exit(1);
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}
