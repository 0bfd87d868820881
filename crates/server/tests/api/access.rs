use serde_json::{json, Value};

use crate::{
    helpers::{interview, jpeg, TestApp, TestUser},
    integration::{call, key},
};

/// Who asks: a signed-in user, or a service key.
enum Caller<'a> {
    User(&'a TestUser),
    Key(&'a str),
}

impl Caller<'_> {
    async fn post(&self, app: &TestApp, path: &str, body: &Value) -> u16 {
        match self {
            Caller::User(_) => app.post_json(path, body).await.status().as_u16(),
            Caller::Key(key) => call(app, key, path, body).await.status().as_u16(),
        }
    }

    /// A `GET`, answered as soon as its headers are (a stream is dropped).
    async fn get(&self, app: &TestApp, path: &str) -> u16 {
        let request = match self {
            Caller::User(_) => app.client.get(app.url(path)),
            Caller::Key(key) => reqwest::Client::new().get(app.url(path)).bearer_auth(key),
        };
        request.send().await.expect("request").status().as_u16()
    }
}

/// Every action of the policy (`policy::Action`, and the organization-wide
/// rules) as one call each.
const ACTIONS: [&str; 18] = [
    "upload",
    "capture",
    "consent",
    "view",
    "sign",
    "events",
    "trail",
    "delete",
    "review",
    "export",
    "invite",
    "erase",
    "keys",
    "whole trail",
    "webhooks",
    "search",
    "live",
    "respond",
];

/// The README's access table over HTTP: every role × own/other organization
/// (or own/other candidate) × every action, each on a fresh application of
/// `acme` whose candidate has consented. `true`: allowed (any answer but 401
/// and 403, e.g. 404 for a verdict on an event that does not exist); `false`: 403.
#[tokio::test]
async fn the_access_matrix() {
    let i = interview().await;
    let app = &i.app;
    app.organization("globex").await;
    let other_candidate = app.user("candidate", None).await;
    let other_recruiter = app.user("recruiter", Some("globex")).await;
    let admin = app.user("admin", None).await;
    let admin_of_globex = app.user("admin", Some("globex")).await;
    app.login_as(&admin).await;
    let acme_key = key(app, "acme", "acme-ats").await;
    let globex_key = key(app, "globex", "globex-ats").await;

    const T: bool = true;
    const F: bool = false;
    #[rustfmt::skip]
    let table: Vec<(&str, Caller, [bool; 18])> = vec![
        // search: acme's applications (`organizationId`); live: a live view of one's own.
        //                                 upload capt  cons  view  sign  evts  trail del   rev   exp   inv   erase keys  all   hooks search live  resp
        ("own candidate", Caller::User(&i.candidate), [T, T, T, T, T, T, T, F, F, F, F, F, F, F, F, F, F, T]),
        ("other candidate", Caller::User(&other_candidate), [F, F, F, F, F, F, F, F, F, F, F, F, F, F, F, F, F, F]),
        ("recruiter", Caller::User(&i.recruiter), [T, T, F, T, T, T, T, T, T, T, T, F, F, F, F, T, T, F]),
        ("recruiter of globex", Caller::User(&other_recruiter), [F, F, F, F, F, F, F, F, F, F, F, F, F, F, F, F, T, F]),
        ("admin", Caller::User(&admin), [T, T, F, T, T, T, T, T, T, T, T, T, T, T, T, T, T, F]),
        ("admin of globex", Caller::User(&admin_of_globex), [T, T, F, T, T, T, T, T, T, T, T, T, T, T, T, T, T, F]),
        ("acme's service key", Caller::Key(&acme_key), [F, F, F, T, T, T, T, F, F, T, T, F, F, F, T, T, F, F]),
        ("globex's service key", Caller::Key(&globex_key), [F, F, F, F, F, F, F, F, F, F, F, F, F, F, T, F, F, F]),
    ];
    let acme = app.organization_id("acme").await;
    for (who, caller, expected) in table {
        // A fresh application with one image, put there by an admin.
        let application =
            server::cli::create_application(&app.db, "acme", &i.candidate.email, "Matrix")
                .await
                .expect("application")
                .to_string();
        app.record_consent(&i.candidate, &application).await;
        app.login_as(&admin).await;
        let image = app.uploaded(&application, "camera", &jpeg(900, 1)).await;
        if let Caller::User(user) = caller {
            app.login_as(user).await;
        }
        let on = |extra: Value| {
            let mut body = json!({"applicationId": application});
            body.as_object_mut()
                .expect("object")
                .extend(extra.as_object().expect("object").clone());
            body
        };
        let capture = match caller {
            Caller::User(_) => app
                .upload_binary(&application, "screen", jpeg(900, 2))
                .await
                .status()
                .as_u16(),
            Caller::Key(key) => reqwest::Client::new()
                .post(app.url(&format!(
                    "/api/monitoring/upload-binary?applicationId={application}&imageType=screen"
                )))
                .bearer_auth(key)
                .header("content-type", "image/jpeg")
                .body(jpeg(900, 2))
                .send()
                .await
                .expect("upload")
                .status()
                .as_u16(),
        };
        let got = vec![
            caller
                .post(
                    app,
                    "/api/monitoring/session/start",
                    &on(json!({"cameraInterval": 30, "screenInterval": 30})),
                )
                .await,
            capture,
            caller
                .post(
                    app,
                    "/api/monitoring/consent",
                    &on(json!({"consentVersion": shared::integrity::CONSENT_VERSION})),
                )
                .await,
            caller
                .post(app, "/api/monitoring/images", &on(json!({})))
                .await,
            caller
                .post(
                    app,
                    "/api/monitoring/signed-urls",
                    &json!({"s3Keys": [image]}),
                )
                .await,
            caller
                .post(app, "/api/monitoring/events/list", &on(json!({})))
                .await,
            caller
                .post(app, "/api/audit/application", &on(json!({})))
                .await,
            caller
                .post(
                    app,
                    "/api/monitoring/delete",
                    &on(json!({"imageType": "camera", "s3Key": image})),
                )
                .await,
            caller
                .post(
                    app,
                    "/api/monitoring/flags/review",
                    &on(json!({"eventId": uuid::Uuid::new_v4(), "verdict": "ok"})),
                )
                .await,
            caller
                .post(app, server::export::EXPORT_PATH, &on(json!({})))
                .await,
            caller
                .post(app, "/api/integration/capture-links", &on(json!({})))
                .await,
            caller
                .post(app, "/api/applications/erase", &on(json!({})))
                .await,
            caller.post(app, "/api/integration/keys", &json!({})).await,
            caller.post(app, "/api/audit/entries", &json!({})).await,
            caller
                .post(app, "/api/integration/webhooks/list", &json!({}))
                .await,
            caller
                .post(
                    app,
                    "/api/applications/search",
                    &json!({"organizationId": acme}),
                )
                .await,
            caller.get(app, server::live::LIVE_PATH).await,
            caller
                .post(
                    app,
                    "/api/monitoring/flags/respond",
                    &on(json!({"eventId": uuid::Uuid::new_v4(), "response": "mine"})),
                )
                .await,
        ];
        for (status, action) in got.iter().zip(ACTIONS) {
            assert_ne!(*status, 401, "{who} {action}: signed in");
        }
        let allowed: Vec<bool> = got.iter().map(|status| *status != 403).collect();
        let named: Vec<String> = ACTIONS
            .iter()
            .zip(&got)
            .map(|(action, status)| format!("{action}={status}"))
            .collect();
        assert_eq!(allowed, expected.to_vec(), "{who}: {}", named.join(" "));
    }
}

/// A candidate's captures, sessions and events wait for their consent, refused
/// with a kind of its own (`consent_required`); a recruiter's do not.
#[tokio::test]
async fn captures_before_consent_are_refused_with_their_own_kind() {
    let i = interview().await;
    let app = &i.app;
    let application =
        server::cli::create_application(&app.db, "acme", &i.candidate.email, "No consent yet")
            .await
            .expect("application")
            .to_string();
    app.login_as(&i.candidate).await;
    let upload = app
        .upload_binary(&application, "camera", jpeg(900, 3))
        .await;
    assert_eq!(upload.status(), 403);
    assert_eq!(
        crate::helpers::error_body(upload).await["error"],
        "consent_required"
    );
    let session = app
        .post_json(
            "/api/monitoring/session/start",
            &json!({"applicationId": application, "cameraInterval": 30, "screenInterval": 30}),
        )
        .await;
    assert_eq!(
        crate::helpers::error_body(session).await["error"],
        "consent_required"
    );
    let events = app
        .post_json(
            "/api/monitoring/events",
            &json!({"applicationId": application, "events": []}),
        )
        .await;
    assert_eq!(
        crate::helpers::error_body(events).await["error"],
        "consent_required"
    );
    // A recruiter's own captures need no candidate's consent.
    app.login_as(&i.recruiter).await;
    assert_eq!(
        app.upload_binary(&application, "camera", jpeg(900, 4))
            .await
            .status(),
        200
    );
}
