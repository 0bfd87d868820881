//! The candidate's interview page (`/applications/{id}/interview`): a small
//! document that loads the page's own wasm (the `candidate-page` crate,
//! `candidate.js` and `candidate_bg.wasm` in the site's package directory),
//! not the whole app's. Their addresses carry a hash of their content, taken
//! once at start, so browsers keep them for a year (`/pkg` is cached so) and
//! fetch them again when a new build changes them.

use std::sync::Arc;

use app::{auth::ssr::SignedIn, AppError};
use axum::{
    extract::{Path, State},
    http::{header, HeaderValue, StatusCode, Uri},
    response::{Html, IntoResponse, Redirect, Response},
};
use leptos::config::LeptosOptions;
use sha2::{Digest, Sha256};

/// The page's route.
pub const INTERVIEW_PATH: &str = "/applications/{id}/interview";

const SCRIPT: &str = "candidate.js";
const WASM: &str = "candidate_bg.wasm";

/// What the page's document names, found once at start.
#[derive(Clone)]
pub struct CandidatePage {
    /// `/pkg/candidate.js?v=…`
    script: Arc<str>,
    /// `/pkg/candidate_bg.wasm?v=…`
    wasm: Arc<str>,
    /// The app's stylesheet, as the app's pages name it.
    stylesheet: Arc<str>,
}

impl CandidatePage {
    /// Reads the site's package directory and the hash file beside the
    /// executable (where cargo-leptos writes it). Without the page's files
    /// (a server built without its site) the page still answers; its script
    /// then fails to load, as the app's pages would.
    pub fn find(options: &LeptosOptions) -> CandidatePage {
        let pkg = options.site_pkg_dir.trim_matches('/');
        let folder = std::path::Path::new(options.site_root.as_ref()).join(pkg);
        let mut hash = Sha256::new();
        let mut found = true;
        for name in [SCRIPT, WASM] {
            match std::fs::read(folder.join(name)) {
                Ok(bytes) => hash.update(&bytes),
                Err(_) => found = false,
            }
        }
        if !found {
            tracing::warn!(folder = %folder.display(), "the candidate's interview page has no wasm: build the site (scripts/build.sh)");
        }
        let version = hex::encode(&hash.finalize()[..8]);
        CandidatePage {
            script: format!("/{pkg}/{SCRIPT}?v={version}").into(),
            wasm: format!("/{pkg}/{WASM}?v={version}").into(),
            stylesheet: format!("/{pkg}/{}", stylesheet_name(options)).into(),
        }
    }

    /// The page's document: the frame with "Loading…" until the wasm has
    /// rendered the page over it (or words for a load that failed), and the
    /// module that starts it.
    fn document(&self, nonce: &str) -> String {
        let CandidatePage {
            script,
            wasm,
            stylesheet,
        } = self;
        self.frame(
            &format!(
                "<script type=\"module\" nonce=\"{nonce}\">\
                 import('{script}').then((page) => page.default({{ module_or_path: '{wasm}' }})).catch(() => {{\
                 const status = document.getElementById('starting-status');\
                 if (status) status.textContent = 'The page could not load. Check the connection, then reload the page.';\
                 }});</script>\
                 <link rel=\"modulepreload\" href=\"{script}\">\
                 <link rel=\"preload\" href=\"{wasm}\" as=\"fetch\" type=\"application/wasm\" crossorigin>\
                 <link id=\"leptos\" rel=\"stylesheet\" href=\"{stylesheet}\">"
            ),
            "<p class=\"muted\" id=\"starting-status\" role=\"status\">Loading…</p>\
             <noscript><p>This page needs JavaScript and WebAssembly to show what is captured and to capture it. Turn them on and reload the page.</p></noscript>",
        )
    }

    /// An address that is no application's: the app's not-found page, without
    /// the wasm.
    fn not_found(&self) -> String {
        self.frame(
            &format!("<link id=\"leptos\" rel=\"stylesheet\" href=\"{}\">", self.stylesheet),
            "<section class=\"card refusal\" data-status=\"404\"><h1>Not found</h1>\
             <p>There is no interview here.</p><p><a href=\"/applications\">Back to the applications</a></p></section>",
        )
    }

    /// The app's frame around `main`; the wasm replaces what is inside
    /// `#starting` with the page itself.
    fn frame(&self, head: &str, main: &str) -> String {
        format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>interview-monitor</title>{head}</head>\
             <body><div id=\"starting\"><header class=\"top\"><a class=\"brand\" href=\"/\">interview-monitor</a></header>\
             <main>{main}</main></div></body></html>"
        )
    }
}

/// `output_name[.css hash].css`, as leptos's `HashedStylesheet` names it.
fn stylesheet_name(options: &LeptosOptions) -> String {
    let mut name = options.output_name.to_string();
    if options.hash_files {
        let hashes = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join(options.hash_file.as_ref())))
            .and_then(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_default();
        if let Some(hash) = hashes.lines().find_map(|line| {
            let (file, hash) = line.trim().split_once(':')?;
            (file == "css").then(|| hash.trim().to_string())
        }) {
            name.push('.');
            name.push_str(&hash);
        }
    }
    name.push_str(".css");
    name
}

/// `GET /applications/{id}/interview`: the document, for whoever is signed
/// in (the page asks the API for the rest, and shows a refusal when the
/// application is not theirs to open); a signed-out visitor goes to sign-in
/// and back, an address that holds no application id is 404.
pub async fn serve(
    State(page): State<CandidatePage>,
    Path(id): Path<String>,
    uri: Uri,
    caller: Result<SignedIn, AppError>,
) -> Response {
    let nonce = crate::encoding::random_token::<16>();
    if shared::input::monitoring::application_id(&id).is_err() {
        return html(StatusCode::NOT_FOUND, page.not_found(), &nonce);
    }
    match caller {
        Ok(_) => html(StatusCode::OK, page.document(&nonce), &nonce),
        Err(AppError::Unauthenticated(_)) => {
            Redirect::to(&shared::redirect::sign_in_then(uri.path())).into_response()
        }
        Err(error) => error.into_response(),
    }
}

/// An HTML answer revalidated on every visit, under the pages' policy (which
/// the security-headers layer writes for the nonce handed to it here).
fn html(status: StatusCode, document: String, nonce: &str) -> Response {
    let mut response = (status, Html(document)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(nonce) {
        headers.insert(app::CSP_NONCE_HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_names_its_files_with_their_version_and_its_nonce() {
        let page = CandidatePage {
            script: "/pkg/candidate.js?v=ab".into(),
            wasm: "/pkg/candidate_bg.wasm?v=ab".into(),
            stylesheet: "/pkg/interview-monitor.x1.css".into(),
        };
        let html = page.document("n0nce");
        assert!(html.contains("<script type=\"module\" nonce=\"n0nce\">import('/pkg/candidate.js?v=ab').then((page) => page.default({ module_or_path: '/pkg/candidate_bg.wasm?v=ab' }))"));
        assert!(html.contains("href=\"/pkg/interview-monitor.x1.css\""));
        assert!(html.contains("<div id=\"starting\">") && html.contains("Loading…"));
        let missing = page.not_found();
        assert!(missing.contains("data-status=\"404\"") && !missing.contains("<script"));
    }
}
