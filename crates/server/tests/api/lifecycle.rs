//! An interview's lifecycle: `invited` → `in_progress` → `ended` → `analysed`
//! → `reviewed` (README, "Integration").

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{interview, interview_with, jpeg, TestApp};

impl TestApp {
    async fn state_of(&self, application: &str) -> String {
        let answer = self
            .post_json(
                "/api/applications/get",
                &json!({"applicationId": application}),
            )
            .await;
        assert_eq!(answer.status(), 200);
        let body: Value = answer.json().await.unwrap();
        body["state"].as_str().unwrap().to_string()
    }

    async fn listed_in(&self, state: &str) -> Vec<String> {
        let answer = self
            .post_json("/api/applications", &json!({"state": state}))
            .await;
        assert_eq!(answer.status(), 200, "state {state}");
        let body: Vec<Value> = answer.json().await.unwrap();
        body.iter()
            .map(|a| a["id"].as_str().unwrap().to_string())
            .collect()
    }

    /// Polls until the application is in `state` (face analysis runs in the background).
    async fn wait_for_state(&self, application: &str, state: &str) {
        for _ in 0..300 {
            if self.state_of(application).await == state {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{application} never reached {state}: {}",
            self.state_of(application).await
        );
    }
}

#[tokio::test]
async fn an_interview_goes_from_invited_to_reviewed() {
    let i = interview().await;
    let app = &i.app;
    app.login_as(&i.recruiter).await;
    assert_eq!(app.state_of(&i.application).await, "invited");
    assert!(app.listed_in("invited").await.contains(&i.application));
    assert!(!app.listed_in("in_progress").await.contains(&i.application));

    app.login_as(&i.candidate).await;
    let started: Value = app
        .post_json(
            "/api/monitoring/session/start",
            &json!({"applicationId": i.application, "cameraInterval": 30, "screenInterval": 30}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(app.state_of(&i.application).await, "in_progress");
    assert_eq!(
        app.upload_binary(&i.application, "camera", jpeg(900, 1))
            .await
            .status(),
        200
    );
    let paste = json!({"eventId": uuid::Uuid::new_v4().to_string(), "kind": "paste",
        "at": shared::monitoring::millis::format(&chrono::Utc::now()), "detail": {"length": 12}});
    let sent = app
        .post_json(
            "/api/monitoring/events",
            &json!({"applicationId": i.application, "events": [paste]}),
        )
        .await;
    assert_eq!(sent.status(), 200);
    assert_eq!(app.state_of(&i.application).await, "in_progress");

    // The panel's end(): ended, then analysed once the face queue has drained.
    let end = app
        .post_json(
            "/api/monitoring/session/end",
            &json!({"applicationId": i.application, "sessionId": started["sessionId"]}),
        )
        .await;
    assert_eq!(end.status(), 200);
    let state = app.state_of(&i.application).await;
    assert!(state == "ended" || state == "analysed", "{state}");
    app.wait_for_state(&i.application, "analysed").await;

    // Reviewed once every flag has a verdict.
    app.login_as(&i.recruiter).await;
    let events: Value = app
        .post_json(
            "/api/monitoring/events/list",
            &json!({"applicationId": i.application}),
        )
        .await
        .json()
        .await
        .unwrap();
    let flags: Vec<&Value> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !["copy", "offline", "page_reload"].contains(&e["kind"].as_str().unwrap()))
        .collect();
    assert!(!flags.is_empty(), "{events}");
    for (n, flag) in flags.iter().enumerate() {
        assert_eq!(
            app.state_of(&i.application).await,
            "analysed",
            "before verdict {n}"
        );
        let review = app
            .post_json(
                "/api/monitoring/flags/review",
                &json!({"applicationId": i.application, "eventId": flag["eventId"], "verdict": "ok"}),
            )
            .await;
        assert_eq!(review.status(), 200);
    }
    assert_eq!(app.state_of(&i.application).await, "reviewed");
    assert!(app.listed_in("reviewed").await.contains(&i.application));
    assert!(!app.listed_in("analysed").await.contains(&i.application));

    // A state that does not exist.
    let bad = app
        .post_json("/api/applications", &json!({"state": "x".repeat(5000)}))
        .await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn a_session_left_open_ends_after_the_idle_time() {
    let i = interview_with(&[("INTERVIEW_IDLE_SECS", "1")]).await;
    let app = &i.app;
    app.login_as(&i.candidate).await;
    let started = app
        .post_json(
            "/api/monitoring/session/start",
            &json!({"applicationId": i.application, "cameraInterval": 30, "screenInterval": 30}),
        )
        .await;
    assert_eq!(started.status(), 200);
    assert_eq!(app.state_of(&i.application).await, "in_progress");
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    // No capture, nothing to analyse: straight to analysed.
    assert_eq!(app.state_of(&i.application).await, "analysed");
    // A new session opens it again.
    let again = app
        .post_json(
            "/api/monitoring/session/start",
            &json!({"applicationId": i.application, "cameraInterval": 30, "screenInterval": 30}),
        )
        .await;
    assert_eq!(again.status(), 200);
    assert_eq!(app.state_of(&i.application).await, "in_progress");
}
