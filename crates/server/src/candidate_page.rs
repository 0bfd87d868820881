//! The candidate's interview page (`/applications/{id}/interview`): a small
//! document that loads the page's own wasm (the `candidate-page` crate,
//! `candidate.js` and `candidate_bg.wasm` in the site's package directory),
//! not the whole app's. Their addresses carry a hash of their content, taken
//! once at start, so browsers keep them for a year (`/pkg` is cached so) and
//! fetch them again when a new build changes them.

use std::{path::Path, sync::Arc};

use axum::{
    extract::State,
    http::{header, HeaderValue},
    response::{Html, IntoResponse, Response},
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
        let folder = Path::new(options.site_root.as_ref()).join(pkg);
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

    fn document(&self, nonce: &str) -> String {
        let CandidatePage {
            script,
            wasm,
            stylesheet,
        } = self;
        format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <link rel=\"modulepreload\" href=\"{script}\">\
             <link rel=\"preload\" href=\"{wasm}\" as=\"fetch\" type=\"application/wasm\" crossorigin>\
             <link id=\"leptos\" rel=\"stylesheet\" href=\"{stylesheet}\">\
             <title>interview-monitor</title>\
             <script type=\"module\" nonce=\"{nonce}\">import init from '{script}'; init({{ module_or_path: '{wasm}' }});</script>\
             </head><body><noscript><main><section class=\"card refusal\"><h1>Your interview</h1>\
             <p>This page needs JavaScript and WebAssembly to show what is captured and to capture it. Turn them on and reload.</p>\
             </section></main></noscript></body></html>"
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

/// `GET /applications/{id}/interview`: the document; the page asks the API
/// for the rest (who is signed in, the application, the consent terms) and
/// sends a signed-out visitor to sign in.
pub async fn serve(State(page): State<CandidatePage>) -> Response {
    let nonce = crate::encoding::random_token::<16>();
    let mut response = Html(page.document(&nonce)).into_response();
    // The security-headers layer writes the page's policy with this nonce.
    if let Ok(value) = HeaderValue::from_str(&nonce) {
        response.headers_mut().insert(app::CSP_NONCE_HEADER, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
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
        assert!(html.contains("<script type=\"module\" nonce=\"n0nce\">import init from '/pkg/candidate.js?v=ab'; init({ module_or_path: '/pkg/candidate_bg.wasm?v=ab' });</script>"));
        assert!(html.contains("href=\"/pkg/interview-monitor.x1.css\""));
    }
}
