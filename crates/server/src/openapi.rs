//! `GET /api/openapi.yaml`: the API as OpenAPI 3, for other services to integrate
//! against. The test command fuzzes the running server against it (Schemathesis),
//! which keeps the document and the server in step.

use axum::{http::header, response::IntoResponse};

/// Where the document is served.
pub const OPENAPI_PATH: &str = "/api/openapi.yaml";

pub const DOCUMENT: &str = include_str!("../openapi.yaml");

pub async fn document() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "application/yaml"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        DOCUMENT,
    )
}

#[cfg(test)]
mod tests {
    use super::DOCUMENT;

    /// Each path's block of the document: (path, its text).
    fn paths() -> Vec<(&'static str, &'static str)> {
        let start = DOCUMENT.find("\npaths:\n").expect("a paths section");
        let end = DOCUMENT[start..]
            .find("\ncomponents:\n")
            .map(|at| start + at)
            .unwrap_or(DOCUMENT.len());
        let section = &DOCUMENT[start + "\npaths:\n".len()..end];
        let mut blocks = Vec::new();
        let starts: Vec<usize> = section
            .match_indices("\n  /")
            .map(|(at, _)| at + 1)
            .chain(section.starts_with("  /").then_some(0))
            .collect();
        let mut starts = starts;
        starts.sort_unstable();
        for (n, &at) in starts.iter().enumerate() {
            let block = &section[at..starts.get(n + 1).copied().unwrap_or(section.len())];
            let path = block[2..].split(':').next().unwrap_or_default();
            blocks.push((path, block));
        }
        blocks
    }

    #[test]
    fn every_operation_has_an_id_of_its_own() {
        let blocks = paths();
        assert!(blocks.len() >= 30, "{}", blocks.len());
        let mut ids = std::collections::BTreeSet::new();
        for (path, block) in &blocks {
            let operations = block
                .lines()
                .filter(|line| ["    get:", "    post:"].contains(&line.trim_end()))
                .count();
            let named: Vec<&str> = block
                .lines()
                .filter_map(|line| line.strip_prefix("      operationId: "))
                .collect();
            assert_eq!(
                named.len(),
                operations,
                "{path}: every operation has an operationId"
            );
            for id in named {
                assert!(ids.insert(id.trim()), "operationId {id} is used twice");
            }
        }
    }

    #[test]
    fn the_service_key_scheme_is_declared_where_a_key_may_call() {
        for (path, block) in paths() {
            let declared = block.contains("serviceKey");
            let may = crate::edge::service_keys::key_may_call(path);
            // Paths that need no caller at all are open to a key too; they declare no scheme.
            let open = block.contains("security: []");
            assert!(
                declared == may || (open && may),
                "{path}: a key may call it: {may}; the document declares serviceKey: {declared}"
            );
        }
    }

    #[test]
    fn every_integration_call_has_request_and_response_examples() {
        let mut checked = 0;
        for (path, block) in paths() {
            if !path.starts_with("/api/integration/") {
                continue;
            }
            let request = block.split("responses:").next().unwrap_or_default();
            let response = block
                .split("\"200\"")
                .nth(1)
                .and_then(|rest| rest.split("\"400\"").next())
                .unwrap_or_default();
            assert!(request.contains("example:"), "{path}: no request example");
            assert!(response.contains("example:"), "{path}: no response example");
            checked += 1;
        }
        assert!(checked >= 16, "{checked}");
    }
}
