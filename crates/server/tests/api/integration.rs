//! The integration API: service keys act for their organization only, are
//! refused on browser paths and once revoked; capture links work once, expire,
//! and open a session that reaches its one application.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{error_body, interview, jpeg, new_client, Interview, TestApp};

/// A key for `org` (as `apikey create` makes it).
pub(crate) async fn key(app: &TestApp, org: &str, name: &str) -> String {
    let key = server::cli::create_api_key(&app.db, org, name)
        .await
        .expect("key");
    assert!(key.starts_with("imk_") && key.len() > 40, "{key}");
    key
}

pub(crate) async fn call(app: &TestApp, key: &str, path: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url(path))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .expect("request")
}

pub(crate) async fn provision(app: &TestApp, key: &str, email: &str, body: Value) -> Value {
    let candidate = call(
        app,
        key,
        "/api/integration/candidates",
        &json!({"email": email, "name": "Ada Lovelace"}),
    )
    .await;
    assert_eq!(candidate.status(), 200);
    let mut body = body;
    body["candidateEmail"] = json!(email);
    let application = call(app, key, "/api/integration/applications", &body).await;
    assert_eq!(application.status(), 200);
    application.json().await.unwrap()
}

async fn link(app: &TestApp, key: &str, application: &str) -> String {
    let response = call(
        app,
        key,
        "/api/integration/capture-links",
        &json!({"applicationId": application}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let url = body["url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with(&format!("{}/capture/", app.address)),
        "{url}"
    );
    // The token alone too, for a page that embeds the panel: the end of the URL.
    let token = body["token"].as_str().unwrap();
    assert!(
        token.len() >= 32 && url.ends_with(&format!("/capture/{token}")),
        "{body}"
    );
    let expires =
        chrono::DateTime::parse_from_rfc3339(body["expiresAt"].as_str().unwrap()).unwrap();
    let minutes = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes();
    assert!(
        (14..=15).contains(&minutes),
        "a link lives 15 minutes: {minutes}"
    );
    url
}

/// Opens the link in a fresh browser-like client: the session cookie it gets.
async fn open(url: &str) -> (StatusCode, reqwest::Client) {
    let client = new_client();
    let response = client.post(url).send().await.expect("open");
    (response.status(), client)
}

#[tokio::test]
async fn a_key_provisions_in_its_own_organization_only() {
    let i = interview().await;
    i.app.organization("other").await;
    let acme = key(&i.app, "acme", "acme-ats").await;
    let other = key(&i.app, "other", "other-ats").await;

    // The same candidate, however the email is written, twice at once.
    let bodies: Vec<Value> = (0..4)
        .map(|n| json!({"email": if n % 2 == 0 { "Ada@Example.test" } else { " ada@example.TEST " }}))
        .collect();
    let made = futures::future::join_all(
        bodies
            .iter()
            .map(|body| call(&i.app, &acme, "/api/integration/candidates", body)),
    )
    .await;
    let mut ids = Vec::new();
    for response in made {
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["email"], "ada@example.test");
        ids.push(body["id"].as_str().unwrap().to_string());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one candidate: {ids:?}");

    let made = call(
        &i.app,
        &acme,
        "/api/integration/applications",
        &json!({
            "candidateEmail": "ada@example.test", "title": "Platform Engineer",
            "cameraInterval": 10, "screenInterval": 45, "screen": false,
        }),
    )
    .await;
    assert_eq!(made.status(), 200);
    let made: Value = made.json().await.unwrap();
    assert_eq!(made["candidateEmail"], "ada@example.test");
    assert_eq!(made["title"], "Platform Engineer");
    assert_eq!(
        made["capture"],
        json!({"camera": true, "screen": false, "cameraInterval": 10, "screenInterval": 45, "idCheck": false})
    );
    let application = made["id"].as_str().unwrap();

    // Listed for acme's key, with the fixture's application; never for other's.
    let listed: Value = call(
        &i.app,
        &acme,
        "/api/integration/applications/list",
        &json!({}),
    )
    .await
    .json()
    .await
    .unwrap();
    let ids: Vec<&str> = listed["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [application, i.application.as_str()], "newest first");
    let listed: Value = call(
        &i.app,
        &other,
        "/api/integration/applications/list",
        &json!({}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(listed["applications"], json!([]));

    // Reading: acme's key sees acme's application; other's key gets 403.
    for path in [
        "/api/monitoring/images",
        "/api/monitoring/events/list",
        "/api/applications/get",
    ] {
        let read = call(&i.app, &acme, path, &json!({"applicationId": application})).await;
        assert_eq!(read.status(), 200, "{path}");
    }
    for path in [
        "/api/monitoring/images",
        "/api/monitoring/events/list",
        "/api/applications/get",
        "/api/integration/capture-links",
        "/api/audit/application",
    ] {
        let refused = call(&i.app, &other, path, &json!({"applicationId": application})).await;
        assert_eq!(refused.status(), 403, "{path}");
    }
    let unknown = call(
        &i.app,
        &acme,
        "/api/integration/capture-links",
        &json!({"applicationId": uuid::Uuid::new_v4().to_string()}),
    )
    .await;
    assert_eq!(unknown.status(), 404);

    // The recruiter sees the new application with its settings on the normal API.
    i.app.login_as(&i.recruiter).await;
    let seen: Value = i
        .app
        .post_json(
            "/api/applications/get",
            &json!({"applicationId": application}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["capture"]["screen"], false);
    assert_eq!(seen["capture"]["cameraInterval"], 10);
}

/// `/api/integration/applications` with an `Idempotency-Key`.
async fn provision_with_key(
    app: &TestApp,
    key: &str,
    idempotency: &str,
    body: &Value,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/api/integration/applications"))
        .bearer_auth(key)
        .header("idempotency-key", idempotency)
        .json(body)
        .send()
        .await
        .expect("request")
}

/// The ids of the applications a key's organization has.
async fn listed_ids(app: &TestApp, key: &str) -> Vec<String> {
    let listed: Value = call(app, key, "/api/integration/applications/list", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    crate::helpers::application_ids(&listed)
}

#[tokio::test]
async fn an_idempotency_key_makes_one_application_however_often_it_is_sent() {
    let i = interview().await;
    i.app.organization("other").await;
    let acme = key(&i.app, "acme", "acme-ats").await;
    let other = key(&i.app, "other", "other-ats").await;
    for key in [&acme, &other] {
        let made = call(
            &i.app,
            key,
            "/api/integration/candidates",
            &json!({"email": "ada@example.test"}),
        )
        .await;
        assert_eq!(made.status(), 200);
    }
    let body = json!({"candidateEmail": "ada@example.test", "title": "SRE", "cameraInterval": 5});
    let before = listed_ids(&i.app, &acme).await.len();

    // Eight at once (a platform's retries racing each other): one application.
    let answers = futures::future::join_all(
        (0..8).map(|_| provision_with_key(&i.app, &acme, "ats-application-42", &body)),
    )
    .await;
    let mut ids = Vec::new();
    for answer in answers {
        assert_eq!(answer.status(), 200);
        let made: Value = answer.json().await.unwrap();
        assert_eq!(made["title"], "SRE");
        assert_eq!(made["capture"]["cameraInterval"], 5);
        ids.push(made["id"].as_str().unwrap().to_string());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let listed = listed_ids(&i.app, &acme).await;
    assert_eq!(listed.len(), before + 1, "no application left over");
    // A retry later gets the same one.
    let again: Value = provision_with_key(&i.app, &acme, "ats-application-42", &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["id"].as_str(), Some(ids[0].as_str()));
    // The same email written differently is the same request.
    let same =
        json!({"candidateEmail": " ADA@example.test", "title": " SRE ", "cameraInterval": 5});
    let again: Value = provision_with_key(&i.app, &acme, "ats-application-42", &same)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["id"].as_str(), Some(ids[0].as_str()));

    // The key with other fields: 409, and nothing made.
    let changed = provision_with_key(
        &i.app,
        &acme,
        "ats-application-42",
        &json!({"candidateEmail": "ada@example.test", "title": "SRE", "cameraInterval": 6}),
    )
    .await;
    assert_eq!(changed.status(), 409);
    assert!(error_body(changed).await["message"]
        .as_str()
        .unwrap()
        .contains("Idempotency-Key"));
    assert_eq!(listed_ids(&i.app, &acme).await.len(), before + 1);

    // Another organization's key space is its own.
    let theirs: Value = provision_with_key(&i.app, &other, "ats-application-42", &body)
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(theirs["id"].as_str(), Some(ids[0].as_str()));

    // Without a key every request makes one.
    for _ in 0..2 {
        assert_eq!(
            call(&i.app, &acme, "/api/integration/applications", &body)
                .await
                .status(),
            200
        );
    }
    assert_eq!(listed_ids(&i.app, &acme).await.len(), before + 3);

    // Keys that are not keys: 400, and nothing made.
    for bad in [String::new(), "k".repeat(256), "two words".into()] {
        let refused = provision_with_key(&i.app, &acme, &bad, &body).await;
        assert_eq!(refused.status(), 400, "{bad:?}");
        error_body(refused).await;
    }
    assert_eq!(listed_ids(&i.app, &acme).await.len(), before + 3);
    assert!(provision_with_key(&i.app, &acme, &"k".repeat(255), &body)
        .await
        .status()
        .is_success());

    // Erasing the application forgets its key: a retry then makes a new one.
    erase_as_admin(&i.app, &ids[0]).await;
    let after: Value = provision_with_key(&i.app, &acme, "ats-application-42", &body)
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(after["id"].as_str(), Some(ids[0].as_str()));
}

#[tokio::test]
async fn bad_provisioning_input_is_refused_with_the_reason() {
    let i = interview().await;
    let acme = key(&i.app, "acme", "acme-ats").await;
    let long = "x".repeat(5000);
    let cases = [
        (
            "/api/integration/candidates",
            json!({"email": "not-an-email"}),
            400,
        ),
        (
            "/api/integration/candidates",
            json!({"email": format!("{long}@example.test")}),
            400,
        ),
        (
            "/api/integration/candidates",
            json!({"email": "a@example.test", "name": long}),
            400,
        ),
        ("/api/integration/candidates", json!({}), 400),
        // A recruiter's email is not a candidate's.
        (
            "/api/integration/candidates",
            json!({"email": i.recruiter.email}),
            409,
        ),
        (
            "/api/integration/applications",
            json!({"candidateEmail": "nobody@example.test", "title": "T"}),
            404,
        ),
        (
            "/api/integration/applications",
            json!({"candidateEmail": i.candidate.email, "title": "  "}),
            400,
        ),
        (
            "/api/integration/applications",
            json!({"candidateEmail": i.candidate.email, "title": long}),
            400,
        ),
        (
            "/api/integration/applications",
            json!({"candidateEmail": i.candidate.email, "title": "T", "cameraInterval": 0}),
            400,
        ),
        (
            "/api/integration/applications",
            json!({"candidateEmail": i.candidate.email, "title": "T", "screenInterval": 3601}),
            400,
        ),
        (
            "/api/integration/applications",
            json!({"candidateEmail": i.candidate.email, "title": "T", "cameraInterval": 4294967296u64}),
            400,
        ),
        (
            "/api/integration/applications",
            json!({"candidateEmail": i.candidate.email, "title": "T", "cameraInterval": -1}),
            400,
        ),
        (
            "/api/integration/applications",
            json!({"candidateEmail": i.candidate.email, "title": "T", "camera": false, "screen": false}),
            400,
        ),
        (
            "/api/integration/capture-links",
            json!({"applicationId": "not-a-uuid"}),
            400,
        ),
    ];
    for (path, body, status) in cases {
        let response = call(&i.app, &acme, path, &body).await;
        let got = response.status().as_u16();
        let error = error_body(response).await;
        assert_eq!(got, status, "{path} {body}: {error}");
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{error}"
        );
    }
}

#[tokio::test]
async fn unknown_and_revoked_keys_are_401_and_keys_never_reach_browser_paths() {
    let i = interview().await;
    let acme = key(&i.app, "acme", "acme-ats").await;
    let list = json!({});
    assert_eq!(
        call(&i.app, &acme, "/api/integration/applications/list", &list)
            .await
            .status(),
        200
    );
    assert_eq!(
        call(
            &i.app,
            "imk_not-a-key",
            "/api/integration/applications/list",
            &list
        )
        .await
        .status(),
        401
    );
    assert_eq!(
        call(
            &i.app,
            &"k".repeat(5000),
            "/api/integration/applications/list",
            &list
        )
        .await
        .status(),
        401
    );
    let basic = reqwest::Client::new()
        .post(i.app.url("/api/integration/applications/list"))
        .basic_auth("user", Some("pass"))
        .json(&list)
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);

    // Browser paths: 403 with a key, whatever the body.
    let application = json!({"applicationId": i.application});
    for path in [
        "/api/auth/login",
        "/api/auth/me",
        "/api/monitoring/upload",
        "/api/monitoring/delete",
        "/api/monitoring/consent",
        "/api/monitoring/events",
        "/api/monitoring/session/start",
        "/api/monitoring/flags/review",
        "/api/applications/erase",
        "/api/audit/entries",
    ] {
        let refused = call(&i.app, &acme, path, &application).await;
        assert_eq!(refused.status(), 403, "{path}");
        assert!(
            error_body(refused).await["message"]
                .as_str()
                .unwrap()
                .contains("service keys"),
            "{path}"
        );
    }
    let upload = reqwest::Client::new()
        .post(i.app.url(&format!(
            "/api/monitoring/upload-binary?applicationId={}&imageType=camera",
            i.application
        )))
        .bearer_auth(&acme)
        .header("content-type", "image/jpeg")
        .body(jpeg(2000, 1))
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 403);
    let page = reqwest::Client::new()
        .get(i.app.url("/applications"))
        .bearer_auth(&acme)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 403);
    assert_eq!(i.app.count_image_rows().await, 0);

    // Revoked: refused from the next request on; the name cannot be revoked twice.
    let revoked = i
        .app
        .cli(&["apikey", "revoke", "--name", "acme-ats"], &[])
        .await;
    assert!(revoked.status.success());
    assert_eq!(text(&revoked.stdout), "revoked the key `acme-ats`");
    assert_eq!(
        call(&i.app, &acme, "/api/integration/applications/list", &list)
            .await
            .status(),
        401
    );
    let again = i
        .app
        .cli(&["apikey", "revoke", "--name", "acme-ats"], &[])
        .await;
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("no live key named `acme-ats`"),
        "{}",
        text(&again.stderr)
    );
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_string()
}

#[tokio::test]
async fn the_command_line_makes_lists_and_revokes_keys() {
    let i = interview().await;
    let made = i
        .app
        .cli(&["apikey", "create", "--org", "acme", "--name", "ats"], &[])
        .await;
    assert!(made.status.success(), "{}", text(&made.stderr));
    let key = text(&made.stdout);
    assert!(key.starts_with("imk_"), "only the key is printed: {key}");
    for (args, reason) in [
        (
            vec!["apikey", "create", "--org", "acme", "--name", "ats"],
            "already exists",
        ),
        (
            vec!["apikey", "create", "--org", "nope", "--name", "ats2"],
            "unknown organization",
        ),
        (
            vec!["apikey", "create", "--org", "acme", "--name", "Has Spaces"],
            "must be 1-63",
        ),
    ] {
        let refused = i.app.cli(&args, &[]).await;
        assert!(!refused.status.success(), "{args:?}");
        assert!(
            text(&refused.stderr).contains(reason),
            "{args:?}: {}",
            text(&refused.stderr)
        );
    }
    let before = text(&i.app.cli(&["apikey", "list"], &[]).await.stdout);
    let row = before
        .lines()
        .find(|line| line.starts_with("ats\t"))
        .expect("listed");
    assert_eq!(row.split('\t').nth(1), Some("acme"));
    assert_eq!(row.split('\t').nth(3), Some("-"), "never used yet: {row}");
    assert!(
        !before.contains(&key),
        "the key itself is never shown again"
    );
    assert_eq!(
        call(
            &i.app,
            &key,
            "/api/integration/applications/list",
            &json!({})
        )
        .await
        .status(),
        200
    );
    let after = text(&i.app.cli(&["apikey", "list"], &[]).await.stdout);
    let row = after
        .lines()
        .find(|line| line.starts_with("ats\t"))
        .expect("listed");
    assert_ne!(
        row.split('\t').nth(3),
        Some("-"),
        "the use is recorded: {row}"
    );
}

/// A candidate made and invited by `key`: (application id, capture link).
/// An admin erases the application (signing the app's client in as one).
async fn erase_as_admin(app: &TestApp, application: &str) {
    let admin = app.user("admin", None).await;
    app.login_as(&admin).await;
    let erased = app
        .post_json(
            "/api/applications/erase",
            &json!({ "applicationId": application }),
        )
        .await;
    assert_eq!(erased.status(), 200);
}

async fn invited(i: &Interview, key: &str) -> (String, String) {
    let application = provision(&i.app, key, "grace@example.test", json!({"title": "SRE"})).await;
    let id = application["id"].as_str().unwrap().to_string();
    let url = link(&i.app, key, &id).await;
    (id, url)
}

#[tokio::test]
async fn a_capture_link_works_once_even_when_opened_many_times_at_once() {
    let i = interview().await;
    let acme = key(&i.app, "acme", "acme-ats").await;
    let (application, url) = invited(&i, &acme).await;

    // Looking at the link (a mail scanner, a preview) uses nothing up.
    for _ in 0..3 {
        let page = reqwest::get(&url).await.unwrap();
        assert_eq!(page.status(), 200);
        assert_eq!(page.headers()["cache-control"], "no-store");
        // Its one form may post (the policy of every other non-page answer forbids forms).
        assert!(page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("form-action 'self'"));
        assert!(page.text().await.unwrap().contains("Open the interview"));
    }
    let opened = futures::future::join_all((0..8).map(|_| open(&url))).await;
    let winners: Vec<&reqwest::Client> = opened
        .iter()
        .filter(|(status, _)| *status == StatusCode::SEE_OTHER)
        .map(|(_, c)| c)
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "{:?}",
        opened.iter().map(|(s, _)| *s).collect::<Vec<_>>()
    );
    assert!(opened
        .iter()
        .all(|(status, _)| *status == StatusCode::SEE_OTHER || *status == StatusCode::GONE));
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 410, "used up");

    // The winner is signed in as the candidate and lands on the interview page.
    let candidate = winners[0];
    let me: Value = candidate
        .post(i.app.url("/api/auth/me"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "grace@example.test");
    assert_eq!(me["role"], "candidate");
    let page = candidate
        .get(i.app.url(&format!("/applications/{application}/interview")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);

    // A provisioned candidate has no password to sign in with.
    let login = i.app.login("grace@example.test", "").await;
    assert_eq!(login.status(), 401);
}

#[tokio::test]
async fn a_capture_link_expires_and_an_erased_application_takes_none() {
    use sea_orm::{ConnectionTrait, Statement};
    let i = interview().await;
    let acme = key(&i.app, "acme", "acme-ats").await;
    let (application, url) = invited(&i, &acme).await;
    // 15 minutes later (the link's row moved back, as a clock cannot be).
    let backend = i.app.db.get_database_backend();
    let past = (chrono::Utc::now() - chrono::Duration::seconds(1)).to_rfc3339();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            format!("UPDATE capture_links SET expires_at = '{past}'::timestamptz")
        }
        _ => format!("UPDATE capture_links SET expires_at = '{past}'"),
    };
    i.app
        .db
        .execute_raw(Statement::from_string(backend, sql))
        .await
        .unwrap();
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 410);
    assert_eq!(open(&url).await.0, StatusCode::GONE);
    // Malformed and unknown tokens look the same as used ones.
    for bad in ["x", &"A".repeat(43), &"%".repeat(5000)] {
        assert_eq!(
            open(&i.app.url(&format!("/capture/{bad}"))).await.0,
            StatusCode::GONE,
            "{bad}"
        );
    }

    // An erased application: no new link, and an unused one stops working.
    let fresh = link(&i.app, &acme, &application).await;
    erase_as_admin(&i.app, &application).await;
    assert_eq!(open(&fresh).await.0, StatusCode::GONE);
    let refused = call(
        &i.app,
        &acme,
        "/api/integration/capture-links",
        &json!({"applicationId": application}),
    )
    .await;
    assert_eq!(refused.status(), 409);
}

#[tokio::test]
async fn a_link_session_reaches_its_one_application_only() {
    let i = interview().await;
    let acme = key(&i.app, "acme", "acme-ats").await;
    // The fixture's candidate gets a second application, and a link to it.
    let second = call(
        &i.app,
        &acme,
        "/api/integration/applications",
        &json!({"candidateEmail": i.candidate.email, "title": "Second"}),
    )
    .await;
    let second: Value = second.json().await.unwrap();
    let second = second["id"].as_str().unwrap();
    let url = link(&i.app, &acme, second).await;
    let (status, candidate) = open(&url).await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let listed: Value = candidate
        .post(i.app.url("/api/applications"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second], "only the link's application is listed");
    let other = json!({"applicationId": i.application});
    assert_eq!(
        candidate
            .post(i.app.url("/api/applications/get"))
            .json(&other)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        candidate
            .post(i.app.url("/api/monitoring/images"))
            .json(&other)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let upload = |application: &str| {
        candidate
            .post(i.app.url(&format!(
                "/api/monitoring/upload-binary?applicationId={application}&imageType=camera"
            )))
            .header("content-type", "image/jpeg")
            .body(jpeg(2000, 7))
            .send()
    };
    // Its own application: consent, then upload. The other: refused even
    // though the fixture's candidate has consented to it.
    let terms: Value = candidate
        .post(i.app.url("/api/monitoring/consent/terms"))
        .json(&json!({"applicationId": second}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let consent = candidate
        .post(i.app.url("/api/monitoring/consent"))
        .json(&json!({"applicationId": second, "consentVersion": terms["consentVersion"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), 200);
    assert_eq!(upload(second).await.unwrap().status(), 200);
    assert_eq!(upload(&i.application).await.unwrap().status(), 403);
    // Neither may a recruiter's page or a candidate's password session be had from it.
    assert_eq!(
        candidate
            .post(i.app.url("/api/integration/capture-links"))
            .json(&json!({"applicationId": second}))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}

#[tokio::test]
async fn recruiters_invite_too_and_the_trail_shows_invites_and_the_platforms_views() {
    let i = interview().await;
    let acme = key(&i.app, "acme", "acme-ats").await;
    // A recruiter signed in does what the key does, in their organization.
    i.app.login_as(&i.recruiter).await;
    let made = i
        .app
        .post_json(
            "/api/integration/capture-links",
            &json!({"applicationId": i.application}),
        )
        .await;
    assert_eq!(made.status(), 200);
    // A candidate may not.
    let candidate = i.app.user("candidate", None).await;
    let client = new_client();
    let login = client
        .post(i.app.url("/api/auth/login"))
        .json(&json!({"email": candidate.email, "password": candidate.password}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let refused = client
        .post(i.app.url("/api/integration/candidates"))
        .json(&json!({"email": "x@example.test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);

    // The platform views an image: the candidate's trail says who.
    i.app.login_as(&i.candidate).await;
    let key_of_image = i
        .app
        .uploaded(&i.application, "camera", &jpeg(2000, 3))
        .await;
    let signed = call(
        &i.app,
        &acme,
        "/api/monitoring/signed-urls",
        &json!({"s3Keys": [key_of_image]}),
    )
    .await;
    assert_eq!(signed.status(), 200);
    let trail: Value = i
        .app
        .post_json(
            "/api/audit/application",
            &json!({"applicationId": i.application}),
        )
        .await
        .json()
        .await
        .unwrap();
    let entries = trail["entries"].as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "invite" && e["actor"].as_str().unwrap().contains("recruiter")),
        "{trail}"
    );
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "view"
                && e["actor"] == "Org acme's hiring platform (service key)"),
        "{trail}"
    );
    let chain = i.app.cli(&["audit", "verify"], &[]).await;
    assert!(chain.status.success(), "{}", text(&chain.stderr));
}

const PLATFORM: &str = "http://platform.example:8080";

#[tokio::test]
async fn an_allowed_origin_embeds_the_panel_with_a_bearer_session_and_others_are_refused() {
    let i = crate::helpers::interview_with(&[("ALLOWED_ORIGINS", PLATFORM)]).await;
    let acme = key(&i.app, "acme", "acme-ats").await;
    let (application, url) = invited(&i, &acme).await;
    let token = url.rsplit('/').next().unwrap().to_string();
    let browser = reqwest::Client::new();

    // The preflight of an upload: allowed for the platform, not for others.
    let preflight = |origin: &str| {
        browser
            .request(
                reqwest::Method::OPTIONS,
                i.app.url("/api/monitoring/upload-binary"),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let allowed = preflight(PLATFORM).await.unwrap();
    assert_eq!(allowed.status(), 204);
    assert_eq!(allowed.headers()["access-control-allow-origin"], PLATFORM);
    assert_eq!(
        allowed.headers()["access-control-allow-credentials"],
        "true"
    );
    assert!(allowed.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("authorization"));
    let other = preflight("http://evil.example").await.unwrap();
    assert_eq!(other.status(), 403);
    assert!(other.headers().get("access-control-allow-origin").is_none());

    // The embedded panel trades the link's token for a session, once.
    let from_platform = |path: &str| {
        browser
            .post(i.app.url(path))
            .header("origin", PLATFORM)
            .header("sec-fetch-site", "cross-site")
    };
    let session = from_platform("/api/integration/capture-sessions")
        .json(&json!({"token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), 200);
    assert_eq!(session.headers()["access-control-allow-origin"], PLATFORM);
    let session: Value = session.json().await.unwrap();
    assert_eq!(session["applicationId"], application.as_str());
    let bearer = format!("Bearer {}", session["sessionToken"].as_str().unwrap());
    let again = from_platform("/api/integration/capture-sessions")
        .json(&json!({"token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404, "a link is used once");
    assert_eq!(
        from_platform("/api/integration/capture-sessions")
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );

    // With the session's token it consents and uploads, and reaches nothing else.
    let terms: Value = from_platform("/api/monitoring/consent/terms")
        .header("authorization", &bearer)
        .json(&json!({"applicationId": application}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let consent = from_platform("/api/monitoring/consent")
        .header("authorization", &bearer)
        .json(&json!({"applicationId": application, "consentVersion": terms["consentVersion"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), 200, "{}", consent.text().await.unwrap());
    let upload = |application: &str| {
        from_platform(&format!(
            "/api/monitoring/upload-binary?applicationId={application}&imageType=screen"
        ))
        .header("authorization", &bearer)
        .header("content-type", "image/jpeg")
        .body(jpeg(3000, 9))
        .send()
    };
    let stored = upload(&application).await.unwrap();
    assert_eq!(stored.status(), 200);
    assert_eq!(stored.headers()["access-control-allow-origin"], PLATFORM);
    assert!(stored.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .contains("date"));
    assert_eq!(upload(&i.application).await.unwrap().status(), 403);

    // Another site's page is refused, with or without the token, and gets no CORS headers.
    let evil = browser
        .post(i.app.url(&format!(
            "/api/monitoring/upload-binary?applicationId={application}&imageType=screen"
        )))
        .header("origin", "http://evil.example")
        .header("authorization", &bearer)
        .header("content-type", "image/jpeg")
        .body(jpeg(3000, 10))
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status(), 403);
    assert!(evil.headers().get("access-control-allow-origin").is_none());
    let images: Value = call(
        &i.app,
        &acme,
        "/api/monitoring/images",
        &json!({"applicationId": application}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        images["screen"].as_array().unwrap().len(),
        1,
        "only the platform's upload is stored"
    );
}

/// What `POST /api/auth/me` answers a bearer token.
async fn me_with(app: &TestApp, authorization: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/api/auth/me"))
        .header("authorization", authorization)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_token_is_traded_once_when_many_trade_at_once_and_its_session_ends_on_sign_out_or_erasure(
) {
    let i = interview().await;
    let acme = key(&i.app, "acme", "acme-ats").await;
    let (application, url) = invited(&i, &acme).await;
    let token = url.rsplit('/').next().unwrap().to_string();
    let trade = |token: String| {
        let app = &i.app;
        async move {
            let response = reqwest::Client::new()
                .post(app.url("/api/integration/capture-sessions"))
                .json(&json!({ "token": token }))
                .send()
                .await
                .unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let traded = futures::future::join_all((0..8).map(|_| trade(token.clone()))).await;
    let statuses: Vec<StatusCode> = traded.iter().map(|(s, _)| *s).collect();
    let sessions: Vec<&Value> = traded
        .iter()
        .filter(|(s, _)| *s == StatusCode::OK)
        .map(|(_, body)| body)
        .collect();
    assert_eq!(sessions.len(), 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::NOT_FOUND),
        "{statuses:?}"
    );
    for (status, body) in &traded {
        if *status == StatusCode::NOT_FOUND {
            assert!(
                body["message"].as_str().unwrap().contains("new one"),
                "{body}"
            );
        }
    }
    let bearer = format!("Bearer {}", sessions[0]["sessionToken"].as_str().unwrap());
    let me = me_with(&i.app, &bearer).await;
    assert_eq!(me.status(), 200);
    assert_eq!(
        me.json::<Value>().await.unwrap()["email"],
        "grace@example.test"
    );

    // Tokens that are not sessions: 401 with a message, never a 500.
    for bad in [
        "Bearer ".to_string(),
        "Bearer    ".to_string(),
        "Basic YWRhOnNlY3JldA==".to_string(),
        format!("Bearer {}", "A".repeat(5000)),
        format!("Bearer {}x", sessions[0]["sessionToken"].as_str().unwrap()),
    ] {
        let response = me_with(&i.app, &bad).await;
        assert_eq!(response.status(), 401, "{}", &bad[..bad.len().min(40)]);
        error_body(response).await;
    }

    // Signing out with the bearer token ends that session (and no other).
    let second = link(&i.app, &acme, &application).await;
    let (status, body) = trade(second.rsplit('/').next().unwrap().to_string()).await;
    assert_eq!(status, 200);
    let other = format!("Bearer {}", body["sessionToken"].as_str().unwrap());
    let out = reqwest::Client::new()
        .post(i.app.url("/api/auth/logout"))
        .header("authorization", &bearer)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    assert_eq!(me_with(&i.app, &bearer).await.status(), 401, "signed out");
    assert_eq!(
        me_with(&i.app, &other).await.status(),
        200,
        "the other stays"
    );

    // Erasing the application ends the sessions its links opened.
    erase_as_admin(&i.app, &application).await;
    assert_eq!(me_with(&i.app, &other).await.status(), 401, "erased");
}

#[tokio::test]
async fn without_allowed_origins_every_other_origin_is_refused() {
    let i = interview().await;
    let acme = key(&i.app, "acme", "acme-ats").await;
    let (_, url) = invited(&i, &acme).await;
    let token = url.rsplit('/').next().unwrap();
    let refused = reqwest::Client::new()
        .post(i.app.url("/api/integration/capture-sessions"))
        .header("origin", PLATFORM)
        .json(&json!({"token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    // The link was not used up by the refused request.
    assert_eq!(open(&url).await.0, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn admins_make_list_and_revoke_keys_through_the_api_and_nobody_else_does() {
    let i = interview().await;
    let admin = i.app.user("admin", None).await;
    i.app.login_as(&admin).await;
    let made = i
        .app
        .post_json(
            "/api/integration/keys/create",
            &json!({"organization": "acme", "name": "ats"}),
        )
        .await;
    assert_eq!(made.status(), 200);
    let made: Value = made.json().await.unwrap();
    assert_eq!(made["organization"], "acme");
    let key = made["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("imk_"));
    assert_eq!(
        call(
            &i.app,
            &key,
            "/api/integration/applications/list",
            &json!({})
        )
        .await
        .status(),
        200
    );
    for (body, status) in [
        (json!({"organization": "acme", "name": "ats"}), 409),
        (json!({"organization": "nope", "name": "other"}), 404),
        (json!({"organization": "acme", "name": "Bad Name"}), 400),
        (
            json!({"organization": "acme", "name": "x".repeat(5000)}),
            400,
        ),
    ] {
        assert_eq!(
            i.app
                .post_json("/api/integration/keys/create", &body)
                .await
                .status(),
            status,
            "{body}"
        );
    }
    let listed: Value = i
        .app
        .post_json("/api/integration/keys", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["keys"][0]["name"], "ats");
    assert!(
        listed["keys"][0]["lastUsedAt"].is_string(),
        "its use shows: {listed}"
    );
    assert!(
        !listed.to_string().contains(&key),
        "the key is never listed"
    );

    // A recruiter, a candidate and the key itself may not manage keys.
    i.app.login_as(&i.recruiter).await;
    assert_eq!(
        i.app
            .post_json("/api/integration/keys", &json!({}))
            .await
            .status(),
        403
    );
    assert_eq!(
        i.app
            .post_json("/api/integration/keys/revoke", &json!({"name": "ats"}))
            .await
            .status(),
        403
    );
    assert_eq!(
        call(
            &i.app,
            &key,
            "/api/integration/keys/create",
            &json!({"organization": "acme", "name": "more"})
        )
        .await
        .status(),
        403
    );

    i.app.login_as(&admin).await;
    assert_eq!(
        i.app
            .post_json("/api/integration/keys/revoke", &json!({"name": "ats"}))
            .await
            .status(),
        200
    );
    assert_eq!(
        i.app
            .post_json("/api/integration/keys/revoke", &json!({"name": "ats"}))
            .await
            .status(),
        404
    );
    assert_eq!(
        call(
            &i.app,
            &key,
            "/api/integration/applications/list",
            &json!({})
        )
        .await
        .status(),
        401
    );
}
