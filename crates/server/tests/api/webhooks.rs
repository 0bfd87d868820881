//! Webhooks: delivered to a receiver that verifies every message with the
//! Standard Webhooks reference implementation (`standardwebhooks` from PyPI,
//! `scripts/webhook_receiver.py`), retried, sent once per message across
//! instances, never sent for what rolled back, signed with both secrets
//! during a rotation, and silent about an erased application. Invitations
//! live for days, open a session each time, and are used up when the
//! interview ends.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::{json, Value};

use crate::{
    helpers::{interview_with, spawn_instance_of, Interview, TestApp},
    integration::{call, key},
};

/// The receiver, a Python process verifying with `standardwebhooks`.
struct Receiver {
    child: Child,
    url: String,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Receiver {
    fn start() -> Receiver {
        let python = std::env::var("WEBHOOK_VERIFIER").expect(
            "WEBHOOK_VERIFIER: a Python with standardwebhooks (scripts/test.sh sets it up and sets it)",
        );
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../scripts/webhook_receiver.py"
        );
        let mut child = Command::new(python)
            .arg(script)
            .stdout(Stdio::piped())
            .spawn()
            .expect("the webhook receiver starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the receiver's port");
        let port: u16 = line.trim().parse().expect("a port");
        Receiver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    async fn control(&self, settings: Value) {
        let answer = reqwest::Client::new()
            .post(format!("{}/control", self.url))
            .json(&settings)
            .send()
            .await
            .expect("control");
        assert_eq!(answer.status(), 200);
    }

    /// Every attempt so far.
    async fn attempts(&self) -> Vec<Value> {
        reqwest::get(format!("{}/received", self.url))
            .await
            .expect("received")
            .json()
            .await
            .expect("json")
    }

    /// The messages answered 200, by message id (each must be there once).
    async fn delivered(&self) -> HashMap<String, Value> {
        let mut delivered = HashMap::new();
        for attempt in self.attempts().await {
            if attempt["status"] == 200 {
                let id = attempt["id"].as_str().unwrap().to_string();
                assert!(
                    delivered.insert(id.clone(), attempt).is_none(),
                    "{id} was delivered twice"
                );
            }
        }
        delivered
    }

    /// Waits until a delivered message matches; returns it.
    async fn wait_for(&self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..300 {
            if let Some(found) = self
                .delivered()
                .await
                .into_values()
                .find(|attempt| matches(&attempt["payload"]))
            {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{what} never arrived: {:#?}", self.attempts().await);
    }

    async fn wait_for_event(&self, event: &str) -> Value {
        self.wait_for(event, |payload| payload["type"] == event)
            .await
    }
}

fn of_type<'a>(delivered: &'a HashMap<String, Value>, event: &str) -> Vec<&'a Value> {
    delivered
        .values()
        .filter(|attempt| attempt["payload"]["type"] == event)
        .collect()
}

/// An interview of `acme`, its service key, and a receiver registered for
/// every event (the receiver knows the secret).
async fn platform(vars: &[(&str, &str)]) -> (Interview, String, Receiver, String, String) {
    let mut vars = vars.to_vec();
    vars.push(("WEBHOOK_ALLOW_PRIVATE", "1"));
    let i = interview_with(&vars).await;
    let acme = key(&i.app, "acme", "acme-ats").await;
    let receiver = Receiver::start();
    let registered = call(
        &i.app,
        &acme,
        "/api/integration/webhooks",
        &json!({"url": format!("{}/hooks", receiver.url)}),
    )
    .await;
    assert_eq!(registered.status(), 200);
    let registered: Value = registered.json().await.unwrap();
    let secret = registered["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{registered}");
    receiver.control(json!({"secrets": [secret]})).await;
    let id = registered["id"].as_str().unwrap().to_string();
    (i, acme, receiver, id, secret)
}

impl TestApp {
    async fn open_session(&self, application: &str) -> String {
        let started = self
            .post_json(
                "/api/monitoring/session/start",
                &json!({"applicationId": application, "cameraInterval": 30, "screenInterval": 30}),
            )
            .await;
        assert_eq!(started.status(), 200);
        let body: Value = started.json().await.unwrap();
        body["sessionId"].as_str().unwrap().to_string()
    }

    async fn end_session(&self, application: &str, session: &str) {
        let ended = self
            .post_json(
                "/api/monitoring/session/end",
                &json!({"applicationId": application, "sessionId": session}),
            )
            .await;
        assert_eq!(ended.status(), 200);
    }

    async fn post_events(&self, application: &str, events: Value) -> reqwest::StatusCode {
        self.post_json(
            "/api/monitoring/events",
            &json!({"applicationId": application, "events": events}),
        )
        .await
        .status()
    }
}

fn event(id: &str, kind: &str) -> Value {
    json!({"eventId": id, "kind": kind,
        "at": shared::monitoring::millis::format(&chrono::Utc::now())})
}

async fn deliveries(app: &TestApp, key: &str, endpoint: &str) -> Vec<Value> {
    let answer = call(
        app,
        key,
        "/api/integration/webhooks/deliveries",
        &json!({"id": endpoint}),
    )
    .await;
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    body["deliveries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_interview_is_announced_from_start_to_verdict_signed_and_once() {
    let (i, acme, receiver, endpoint, _secret) = platform(&[]).await;
    let app = &i.app;
    app.login_as(&i.candidate).await;
    let session = app.open_session(&i.application).await;
    let started = receiver.wait_for_event("interview.started").await;
    assert_eq!(
        started["payload"]["data"]["applicationId"],
        i.application.as_str()
    );
    assert_eq!(started["payload"]["data"]["state"], "in_progress");
    assert_eq!(started["payload"]["data"]["sessionId"], session.as_str());

    // A flag and an event that is not one: one flag.raised.
    let flag = uuid::Uuid::new_v4().to_string();
    let events = json!([
        event(&flag, "tab_hidden"),
        event(&uuid::Uuid::new_v4().to_string(), "copy")
    ]);
    assert_eq!(app.post_events(&i.application, events.clone()).await, 200);
    // The same batch again is stored once, and announced once.
    assert_eq!(app.post_events(&i.application, events).await, 200);
    let raised = receiver.wait_for_event("flag.raised").await;
    assert_eq!(raised["payload"]["data"]["eventId"], flag.as_str());
    assert_eq!(raised["payload"]["data"]["kind"], "tab_hidden");

    app.end_session(&i.application, &session).await;
    app.end_session(&i.application, &session).await;
    let ended = receiver.wait_for_event("interview.ended").await;
    assert_eq!(ended["payload"]["data"]["state"], "ended");
    let analysed = receiver.wait_for_event("interview.analysed").await;
    assert_eq!(analysed["payload"]["data"]["state"], "analysed");

    app.login_as(&i.recruiter).await;
    let review = app
        .post_json(
            "/api/monitoring/flags/review",
            &json!({"applicationId": i.application, "eventId": flag, "verdict": "ok"}),
        )
        .await;
    assert_eq!(review.status(), 200);
    let reviewed = receiver.wait_for_event("flag.reviewed").await;
    assert_eq!(reviewed["payload"]["data"]["verdict"], "ok");
    assert_eq!(reviewed["payload"]["data"]["state"], "reviewed");

    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let delivered = receiver.delivered().await;
    for event in [
        "interview.started",
        "flag.raised",
        "interview.ended",
        "interview.analysed",
        "flag.reviewed",
    ] {
        assert_eq!(
            of_type(&delivered, event).len(),
            1,
            "{event}: {delivered:#?}"
        );
    }
    for attempt in receiver.attempts().await {
        // Verified by the reference implementation, and sent once.
        assert_eq!(attempt["verifiedBy"], json!([0]), "{attempt}");
        assert_eq!(attempt["attempt"], 1, "{attempt}");
        // Ids and states only: no URL, no image.
        let raw = attempt["raw"].as_str().unwrap();
        assert!(
            !raw.contains("http") && !raw.contains("s3Key") && !raw.contains("monitoring/"),
            "{raw}"
        );
        assert_eq!(
            attempt["payload"]["data"]["organizationId"]
                .as_str()
                .map(str::len),
            Some(36)
        );
        assert!(attempt["id"].as_str().unwrap().starts_with("msg_"));
    }
    let log = deliveries(app, &acme, &endpoint).await;
    assert_eq!(log.len(), 5, "{log:#?}");
    assert!(
        log.iter()
            .all(|d| d["status"] == "delivered" && d["attempts"] == 1),
        "{log:#?}"
    );
}

#[tokio::test]
async fn a_receiver_that_fails_three_times_gets_each_message_once() {
    let (i, acme, receiver, endpoint, _secret) =
        platform(&[("WEBHOOK_RETRY_SECS", "1,1,1,1")]).await;
    receiver.control(json!({"failFirst": 3})).await;
    let app = &i.app;
    app.login_as(&i.candidate).await;
    app.open_session(&i.application).await;
    let started = receiver.wait_for_event("interview.started").await;
    assert_eq!(started["attempt"], 4);
    let attempts: Vec<Value> = receiver
        .attempts()
        .await
        .into_iter()
        .filter(|a| a["id"] == started["id"])
        .collect();
    assert_eq!(attempts.len(), 4, "{attempts:#?}");
    // Each attempt is signed afresh (its own timestamp), and verifies.
    assert!(attempts.iter().all(|a| a["verifiedBy"] == json!([0])));
    let log = deliveries(app, &acme, &endpoint).await;
    assert_eq!(log[0]["status"], "delivered");
    assert_eq!(log[0]["attempts"], 4);

    // After the last wait, a delivery fails for good; it is sent again on request.
    receiver.control(json!({"failFirst": 1000})).await;
    let flag = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        app.post_events(&i.application, json!([event(&flag, "tab_hidden")]))
            .await,
        200
    );
    let mut failed = None;
    for _ in 0..150 {
        let log = deliveries(app, &acme, &endpoint).await;
        if let Some(d) = log
            .iter()
            .find(|d| d["event"] == "flag.raised" && d["status"] == "failed")
        {
            failed = Some(d.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let failed = failed.expect("the delivery fails after its five attempts");
    assert_eq!(failed["attempts"], 5);
    assert!(
        failed["lastError"]
            .as_str()
            .unwrap()
            .starts_with("HTTP 500"),
        "{failed}"
    );
    receiver.control(json!({"failFirst": 0})).await;
    let again = call(
        app,
        &acme,
        "/api/integration/webhooks/redeliver",
        &json!({"id": endpoint, "messageId": failed["messageId"]}),
    )
    .await;
    assert_eq!(again.status(), 200);
    receiver.wait_for_event("flag.raised").await;
    let unknown = call(
        app,
        &acme,
        "/api/integration/webhooks/redeliver",
        &json!({"id": endpoint, "messageId": format!("msg_{}", "0".repeat(32))}),
    )
    .await;
    assert_eq!(unknown.status(), 404);
    let malformed = call(
        app,
        &acme,
        "/api/integration/webhooks/redeliver",
        &json!({"id": endpoint, "messageId": "x".repeat(5000)}),
    )
    .await;
    assert_eq!(malformed.status(), 400);
}

#[tokio::test]
async fn what_rolled_back_is_never_announced() {
    let (i, _acme, receiver, _endpoint, _secret) = platform(&[]).await;
    let app = &i.app;
    app.login_as(&i.candidate).await;
    app.open_session(&i.application).await;
    let first = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        app.post_events(&i.application, json!([event(&first, "tab_hidden")]))
            .await,
        200
    );
    receiver.wait_for_event("flag.raised").await;
    // A batch with a new flag and a conflicting id: refused whole, the new flag with it.
    let second = uuid::Uuid::new_v4().to_string();
    let conflicting = json!([event(&second, "window_blur"), event(&first, "paste")]);
    assert_eq!(app.post_events(&i.application, conflicting).await, 409);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let raised: Vec<String> = receiver
        .attempts()
        .await
        .iter()
        .filter(|a| a["payload"]["type"] == "flag.raised")
        .map(|a| {
            a["payload"]["data"]["eventId"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(raised, vec![first], "the rolled-back flag was announced");
    use sea_orm::{EntityTrait, PaginatorTrait};
    let written = server::db::entities::webhook_message::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(written, 2, "started and one flag.raised");
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_new_one_for_the_overlap() {
    let (i, acme, receiver, endpoint, first) = platform(&[]).await;
    let rotated = call(
        &i.app,
        &acme,
        "/api/integration/webhooks/rotate",
        &json!({"id": endpoint}),
    )
    .await;
    assert_eq!(rotated.status(), 200);
    let rotated: Value = rotated.json().await.unwrap();
    let new = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new, first);
    let listed: Value = call(&i.app, &acme, "/api/integration/webhooks/list", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        listed["webhooks"][0]["previousSecretUntil"].is_string(),
        "{listed}"
    );
    assert!(
        !listed.to_string().contains("whsec_"),
        "secrets are shown once: {listed}"
    );
    // The receiver checks each secret on its own: [first, new]; each verifies.
    receiver.control(json!({"secrets": [first, new]})).await;
    i.app.login_as(&i.candidate).await;
    i.app.open_session(&i.application).await;
    let started = receiver.wait_for_event("interview.started").await;
    assert_eq!(
        started["signatures"], 2,
        "both secrets sign during the overlap"
    );
    assert_eq!(started["verifiedBy"], json!([0, 1]));

    // Another organization's key cannot rotate it, nor read its log.
    i.app.organization("globex").await;
    let globex = key(&i.app, "globex", "globex-ats").await;
    let theirs = call(
        &i.app,
        &globex,
        "/api/integration/webhooks/rotate",
        &json!({"id": endpoint}),
    )
    .await;
    assert_eq!(theirs.status(), 404);
    let their_log = call(
        &i.app,
        &globex,
        "/api/integration/webhooks/deliveries",
        &json!({"id": endpoint}),
    )
    .await;
    assert_eq!(their_log.status(), 404);
    let their_delete = call(
        &i.app,
        &globex,
        "/api/integration/webhooks/delete",
        &json!({"id": endpoint}),
    )
    .await;
    assert_eq!(their_delete.status(), 404);
    let listed: Value = call(
        &i.app,
        &globex,
        "/api/integration/webhooks/list",
        &json!({}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(listed["webhooks"], json!([]));
    // Deleted: sent nothing more.
    let deleted = call(
        &i.app,
        &acme,
        "/api/integration/webhooks/delete",
        &json!({"id": endpoint}),
    )
    .await;
    assert_eq!(deleted.status(), 200);
    let again = call(
        &i.app,
        &acme,
        "/api/integration/webhooks/delete",
        &json!({"id": endpoint}),
    )
    .await;
    assert_eq!(again.status(), 404);
}

#[tokio::test]
async fn an_erased_application_is_announced_and_then_nothing_about_it() {
    let (i, acme, receiver, endpoint, _secret) =
        platform(&[("WEBHOOK_RETRY_SECS", "1,1,1,1,1,1,1,1")]).await;
    let app = &i.app;
    app.login_as(&i.candidate).await;
    app.open_session(&i.application).await;
    receiver.wait_for_event("interview.started").await;
    // A flag the receiver keeps refusing: still pending when the application is erased.
    receiver.control(json!({"failFirst": 1000})).await;
    let flag = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        app.post_events(&i.application, json!([event(&flag, "tab_hidden")]))
            .await,
        200
    );
    for _ in 0..100 {
        if receiver
            .attempts()
            .await
            .iter()
            .any(|a| a["payload"]["type"] == "flag.raised")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let admin = app.user("admin", None).await;
    app.login_as(&admin).await;
    let erased = app
        .post_json(
            "/api/applications/erase",
            &json!({"applicationId": i.application}),
        )
        .await;
    assert_eq!(erased.status(), 200);
    receiver.control(json!({"failFirst": 0})).await;
    let announced = receiver.wait_for_event("application.erased").await;
    assert_eq!(
        announced["payload"]["data"]["applicationId"],
        i.application.as_str()
    );
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let delivered = receiver.delivered().await;
    assert!(
        of_type(&delivered, "flag.raised").is_empty(),
        "{delivered:#?}"
    );
    let log = deliveries(app, &acme, &endpoint).await;
    assert_eq!(
        log.iter()
            .map(|d| d["event"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec!["application.erased"],
        "{log:#?}"
    );
}

#[tokio::test]
async fn two_instances_send_each_message_once() {
    let (i, _acme, receiver, _endpoint, _secret) = platform(&[]).await;
    let other = spawn_instance_of(&i.app, &[("WEBHOOK_ALLOW_PRIVATE", "1")]).await;
    i.app.login_as(&i.candidate).await;
    i.app.open_session(&i.application).await;
    let flags: Vec<String> = (0..30).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    for flag in &flags {
        assert_eq!(
            i.app
                .post_events(&i.application, json!([event(flag, "tab_hidden")]))
                .await,
            200
        );
    }
    for _ in 0..200 {
        if of_type(&receiver.delivered().await, "flag.raised").len() == flags.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    // `delivered` asserts no message id twice; and no attempt was repeated.
    let delivered = receiver.delivered().await;
    assert_eq!(of_type(&delivered, "flag.raised").len(), flags.len());
    let attempts = receiver.attempts().await;
    assert_eq!(attempts.len(), flags.len() + 1, "{attempts:#?}");
    drop(other);
}

#[tokio::test]
async fn endpoints_must_be_public_https_when_registered_and_when_sent() {
    let i = interview_with(&[("WEBHOOK_RETRY_SECS", "1")]).await;
    let acme = key(&i.app, "acme", "acme-ats").await;
    for (url, why) in [
        ("http://hooks.example.com/in", "https"),
        ("https://127.0.0.1/in", "loopback"),
        ("https://localhost:9/in", "loopback"),
        ("https://10.0.0.7/in", "private"),
        ("https://169.254.169.254/latest", "link-local"),
        ("https://[::1]/in", "loopback"),
        ("https://2130706433/in", "loopback"),
        ("not a url", "URL"),
    ] {
        let refused = call(
            &i.app,
            &acme,
            "/api/integration/webhooks",
            &json!({"url": url}),
        )
        .await;
        assert_eq!(refused.status(), 400, "{url}");
        let body: Value = refused.json().await.unwrap();
        assert!(
            body["message"].as_str().unwrap().contains(why) || why == "URL",
            "{url}: {body}"
        );
    }
    let long = format!("https://example.com/{}", "a".repeat(5_000));
    let refused = call(
        &i.app,
        &acme,
        "/api/integration/webhooks",
        &json!({"url": long}),
    )
    .await;
    assert_eq!(refused.status(), 400);
    let refused = call(
        &i.app,
        &acme,
        "/api/integration/webhooks",
        &json!({"url": "https://example.com/in", "events": ["interview.paused"]}),
    )
    .await;
    assert_eq!(refused.status(), 400);
    // Recruiters and candidates manage no webhooks; an admin names the organization.
    i.app.login_as(&i.recruiter).await;
    let recruiter = i
        .app
        .post_json("/api/integration/webhooks/list", &json!({}))
        .await;
    assert_eq!(recruiter.status(), 403);
    let admin = i.app.user("admin", None).await;
    i.app.login_as(&admin).await;
    let nameless = i
        .app
        .post_json(
            "/api/integration/webhooks",
            &json!({"url": "https://example.com/in"}),
        )
        .await;
    assert_eq!(nameless.status(), 400);

    // A name that resolves to a private address by the time of delivery (DNS
    // changed): the delivery is refused, not sent.
    let endpoint = server::db::webhooks::create_endpoint(
        &i.app.db,
        server::db::accounts::organization_by_slug(&i.app.db, "acme")
            .await
            .unwrap()
            .unwrap()
            .id,
        "https://localhost:9/in",
        &shared::webhooks::WebhookEvent::ALL,
        &server::webhooks::signing::new_secret(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    i.app.login_as(&i.candidate).await;
    i.app.open_session(&i.application).await;
    let mut last = Vec::new();
    for _ in 0..100 {
        last = deliveries(&i.app, &acme, &endpoint.id.to_string()).await;
        if last.iter().any(|d| d["status"] == "failed") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(last.len(), 1, "{last:#?}");
    assert_eq!(last[0]["status"], "failed", "{last:#?}");
    let error = last[0]["lastError"].as_str().unwrap();
    assert!(error.contains("loopback, private or link-local"), "{error}");
}

#[tokio::test]
async fn an_interview_left_open_is_announced_ended_after_the_idle_time() {
    let (i, acme, receiver, _endpoint, _secret) = platform(&[("INTERVIEW_IDLE_SECS", "1")]).await;
    i.app.login_as(&i.candidate).await;
    i.app.open_session(&i.application).await;
    receiver.wait_for_event("interview.started").await;
    let ended = receiver.wait_for_event("interview.ended").await;
    assert_eq!(ended["payload"]["data"]["state"], "ended");
    receiver.wait_for_event("interview.analysed").await;
    // The platform's own listing reports the state and filters by it.
    let listed = |state: Value| {
        let (app, acme) = (&i.app, acme.clone());
        async move {
            let answer = call(
                app,
                &acme,
                "/api/integration/applications/list",
                &json!({"state": state}),
            )
            .await;
            let status = answer.status();
            (status, answer.json::<Value>().await.unwrap())
        }
    };
    let (status, analysed) = listed(json!("analysed")).await;
    assert_eq!(status, 200);
    let found: Vec<&Value> = analysed["applications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["id"] == i.application.as_str())
        .collect();
    assert_eq!(found.len(), 1, "{analysed}");
    assert_eq!(found[0]["state"], "analysed");
    let (_, invited) = listed(json!("invited")).await;
    assert!(!invited.to_string().contains(&i.application), "{invited}");
    let (_, all) = listed(json!(null)).await;
    assert!(all.to_string().contains(&i.application), "{all}");
    assert_eq!(listed(json!("x".repeat(5000))).await.0, 400);
    // A new session does not start it again for the platform.
    i.app.open_session(&i.application).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(
        of_type(&receiver.delivered().await, "interview.started").len(),
        1
    );
}

async fn trade(app: &TestApp, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/api/integration/capture-sessions"))
        .json(&json!({"token": token}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_invitation_opens_sessions_for_days_until_the_interview_ends() {
    let (i, acme, _receiver, _endpoint, _secret) = platform(&[]).await;
    let app = &i.app;
    let invited = call(
        app,
        &acme,
        "/api/integration/invitations",
        &json!({"applicationId": i.application, "validDays": 3}),
    )
    .await;
    assert_eq!(invited.status(), 200);
    let invited: Value = invited.json().await.unwrap();
    let token = invited["token"].as_str().unwrap();
    assert!(invited["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/capture/{token}")));
    let expires =
        chrono::DateTime::parse_from_rfc3339(invited["expiresAt"].as_str().unwrap()).unwrap();
    let hours = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours();
    assert!((71..=72).contains(&hours), "{hours}");

    // Opened twice (a reload, another device): a session each time.
    let first = trade(app, token).await;
    assert_eq!(first.status(), 200);
    let second = trade(app, token).await;
    assert_eq!(second.status(), 200);
    let session: Value = second.json().await.unwrap();
    let bearer = session["sessionToken"].as_str().unwrap();
    let from_panel = |path: &str, body: Value| {
        reqwest::Client::new()
            .post(app.url(path))
            .bearer_auth(bearer)
            .json(&body)
            .send()
    };
    let consent = from_panel(
        "/api/monitoring/consent",
        json!({"applicationId": i.application, "consentVersion": shared::integrity::CONSENT_VERSION}),
    )
    .await
    .unwrap();
    assert_eq!(consent.status(), 200);
    let started: Value = from_panel(
        "/api/monitoring/session/start",
        json!({"applicationId": i.application, "cameraInterval": 30, "screenInterval": 30}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let ended = from_panel(
        "/api/monitoring/session/end",
        json!({"applicationId": i.application, "sessionId": started["sessionId"]}),
    )
    .await
    .unwrap();
    assert_eq!(ended.status(), 200);
    // The interview ended: the invitation is used up.
    assert_eq!(trade(app, token).await.status(), 404);
    assert_eq!(
        reqwest::get(invited["url"].as_str().unwrap())
            .await
            .unwrap()
            .status(),
        410
    );

    // Revoked: it opens nothing; only its organization may revoke it.
    let other =
        crate::integration::provision(app, &acme, "lin@example.test", json!({"title": "SRE"}))
            .await;
    let invitation: Value = call(
        app,
        &acme,
        "/api/integration/invitations",
        &json!({"applicationId": other["id"]}),
    )
    .await
    .json()
    .await
    .unwrap();
    let days = (chrono::DateTime::parse_from_rfc3339(invitation["expiresAt"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc)
        - chrono::Utc::now())
    .num_hours();
    assert!(
        (167..=168).contains(&days),
        "INVITATION_DAYS defaults to 7: {days} hours"
    );
    let token = invitation["token"].as_str().unwrap();
    app.organization("globex").await;
    let globex = key(app, "globex", "globex-ats").await;
    let theirs = call(
        app,
        &globex,
        "/api/integration/invitations/revoke",
        &json!({"token": token}),
    )
    .await;
    assert_eq!(theirs.status(), 404);
    let revoked = call(
        app,
        &acme,
        "/api/integration/invitations/revoke",
        &json!({"token": token}),
    )
    .await;
    assert_eq!(revoked.status(), 200);
    assert_eq!(trade(app, token).await.status(), 404);
    for days in [json!(0), json!(91), json!(u32::MAX), json!(-1), json!("a")] {
        let refused = call(
            app,
            &acme,
            "/api/integration/invitations",
            &json!({"applicationId": other["id"], "validDays": days}),
        )
        .await;
        assert_eq!(refused.status(), 400, "{days}");
    }
}

#[tokio::test]
async fn the_command_line_registers_lists_rotates_and_deletes_endpoints() {
    let (i, _acme, receiver, _endpoint, first) = platform(&[]).await;
    let text = |output: &std::process::Output| String::from_utf8_lossy(&output.stdout).to_string();
    let private = [("WEBHOOK_ALLOW_PRIVATE", "1")];
    let url = format!("{}/cli", receiver.url);
    let added = i
        .app
        .cli(
            &[
                "webhook",
                "add",
                "--org",
                "acme",
                "--url",
                &url,
                "--events",
                "interview.started",
            ],
            &private,
        )
        .await;
    assert!(added.status.success(), "{added:?}");
    let lines: Vec<String> = text(&added).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let (id, secret) = (&lines[0], &lines[1]);
    assert!(secret.starts_with("whsec_"));
    let listed = text(&i.app.cli(&["webhook", "list"], &[]).await);
    assert!(
        listed.contains(&format!("{id}\tinterview.started\t{url}")),
        "{listed}"
    );
    assert!(!listed.contains("whsec_"));

    // The endpoint it made is sent what it asked for, and verifies with its secret.
    receiver.control(json!({"secrets": [first, secret]})).await;
    i.app.login_as(&i.candidate).await;
    i.app.open_session(&i.application).await;
    for _ in 0..100 {
        if receiver.attempts().await.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let attempts = receiver.attempts().await;
    assert_eq!(attempts.len(), 2, "one message per endpoint: {attempts:#?}");
    assert!(attempts.iter().all(|a| a["status"] == 200), "{attempts:#?}");
    let log = text(&i.app.cli(&["webhook", "deliveries", id], &[]).await);
    assert!(log.contains("\tinterview.started\tdelivered\t1\t"), "{log}");

    let rotated = i.app.cli(&["webhook", "rotate", id], &[]).await;
    assert!(text(&rotated).trim().starts_with("whsec_") && text(&rotated).trim() != secret);
    assert!(i
        .app
        .cli(&["webhook", "delete", id], &[])
        .await
        .status
        .success());
    assert!(!text(&i.app.cli(&["webhook", "list"], &[]).await).contains(id.as_str()));

    // Refused: a private address without WEBHOOK_ALLOW_PRIVATE, an unknown
    // organization, an unknown event, a malformed id.
    for args in [
        vec![
            "webhook",
            "add",
            "--org",
            "acme",
            "--url",
            "https://127.0.0.1/x",
        ],
        vec![
            "webhook",
            "add",
            "--org",
            "nope",
            "--url",
            "https://example.com/x",
        ],
        vec![
            "webhook",
            "add",
            "--org",
            "acme",
            "--url",
            "https://example.com/x",
            "--events",
            "x",
        ],
        vec!["webhook", "delete", "not-an-id"],
    ] {
        let refused = i.app.cli(&args, &[]).await;
        assert!(!refused.status.success(), "{args:?}");
        assert!(
            !String::from_utf8_lossy(&refused.stderr).trim().is_empty(),
            "{args:?}"
        );
    }
}

#[tokio::test]
async fn an_endpoint_that_never_answers_does_not_hold_up_the_others() {
    let (i, acme, receiver, _endpoint, _secret) = platform(&[]).await;
    // A listener that accepts and never answers: each attempt waits out its timeout.
    let hanging = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = hanging.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = hanging.accept().await {
            open.push(stream);
        }
    });
    let registered = call(
        &i.app,
        &acme,
        "/api/integration/webhooks",
        &json!({"url": format!("http://{address}/hangs")}),
    )
    .await;
    assert_eq!(registered.status(), 200);
    i.app.login_as(&i.candidate).await;
    i.app.open_session(&i.application).await;
    let flags: Vec<Value> = (0..30)
        .map(|_| event(&uuid::Uuid::new_v4().to_string(), "tab_hidden"))
        .collect();
    assert_eq!(
        i.app.post_events(&i.application, Value::Array(flags)).await,
        200
    );
    // 31 messages for each endpoint: the hanging one holds at most its share
    // of the attempts in flight, so the receiver gets all of its own promptly.
    let started = std::time::Instant::now();
    loop {
        if receiver.delivered().await.len() == 31 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{} of 31",
            receiver.delivered().await.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    held.abort();
}
