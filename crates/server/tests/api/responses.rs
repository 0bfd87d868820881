//! The candidate's responses to the flags raised about them (README, "What
//! a candidate sees and can do"): one per flag, changed until a verdict
//! follows it, each change an audit entry without its text, closed after the
//! organization's window; verdicts given before the candidate saw a flag are
//! marked.

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::{error_body, interview, Interview, TestApp};
use crate::integrity::event;

impl TestApp {
    async fn respond(&self, application: &str, event: &str, text: &str) -> reqwest::Response {
        self.post_json(
            "/api/monitoring/flags/respond",
            &json!({"applicationId": application, "eventId": event, "response": text}),
        )
        .await
    }
}

/// The listed event `id` of the application, as the signed-in user sees it.
async fn listed(app: &TestApp, application: &str, id: &str) -> Value {
    app.events_of(application).await["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["eventId"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("event {id} listed"))
}

/// The `respond` entries of the application's trail, as the signed-in user reads it.
async fn respond_entries(i: &Interview) -> Vec<Value> {
    crate::accountability::trail(i)
        .await
        .into_iter()
        .filter(|e| e["action"] == "respond")
        .collect()
}

/// A flag and an ordinary event sent by the candidate: (flag id, copy id).
async fn flag_and_copy(i: &Interview) -> (String, String) {
    let now = Utc::now();
    let flag = event(
        "tab_hidden",
        now - Duration::seconds(60),
        Some(now - Duration::seconds(30)),
    );
    let copy = event("copy", now - Duration::seconds(20), None);
    i.app.login_as(&i.candidate).await;
    let sent = i
        .app
        .send_events(&i.application, &[flag.clone(), copy.clone()])
        .await;
    assert_eq!(sent.status(), 200);
    (
        flag["eventId"].as_str().expect("id").to_string(),
        copy["eventId"].as_str().expect("id").to_string(),
    )
}

#[tokio::test]
async fn a_candidate_answers_a_flag_and_a_verdict_after_it_locks_it() {
    let i = interview().await.backdated().await;
    let app = &i.app;
    let (flag, copy) = flag_and_copy(&i).await;

    // Bad input first: each a 400 with its reason, nothing stored.
    for (text, why) in [
        ("   \n ", "empty"),
        (&"x".repeat(1001) as &str, "1001 characters"),
        (&"x".repeat(5000), "5000 characters"),
        ("a\u{0}b", "control characters"),
    ] {
        let refused = app.respond(&i.application, &flag, text).await;
        assert_eq!(refused.status(), 400, "{why}");
        let message = error_body(refused).await["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            message.contains(why) && message.len() < 200,
            "{why}: {message}"
        );
    }
    let not_a_flag = app
        .respond(&i.application, &copy, "I copied my own code")
        .await;
    assert_eq!(not_a_flag.status(), 400, "a copy is not a flag");
    let unknown = app
        .respond(&i.application, &uuid::Uuid::new_v4().to_string(), "hm")
        .await;
    assert_eq!(unknown.status(), 404);
    assert!(
        respond_entries(&i).await.is_empty(),
        "refusals leave no entry"
    );

    // The first response, and the same text again: one entry.
    let words = "My password manager opened a window.";
    for _ in 0..2 {
        assert_eq!(
            app.respond(&i.application, &flag, words).await.status(),
            200
        );
    }
    let entries = respond_entries(&i).await;
    assert_eq!(entries.len(), 1, "the same text again changes nothing");
    assert_eq!(entries[0]["actor"], "you");
    assert_eq!(entries[0]["target"], format!("event {flag}"));
    // Ten identical new texts at once: stored once, one entry.
    let changed = "My password manager opened a window; I closed it.";
    let at_once =
        futures::future::join_all((0..10).map(|_| app.respond(&i.application, &flag, changed)))
            .await;
    assert!(at_once.iter().all(|r| r.status() == 200));
    assert_eq!(respond_entries(&i).await.len(), 2);
    let mine = listed(app, &i.application, &flag).await;
    assert_eq!(mine["response"]["text"], changed);
    assert!(mine["response"]["locked"].is_null());

    // Nobody else responds, nor to someone else's application.
    app.login_as(&i.recruiter).await;
    let recruiter = app.respond(&i.application, &flag, "on their behalf").await;
    assert_eq!(recruiter.status(), 403);
    assert!(error_body(recruiter).await["message"]
        .as_str()
        .unwrap_or_default()
        .contains("only the application's candidate"));
    let admin = app.user("admin", None).await;
    app.login_as(&admin).await;
    assert_eq!(app.respond(&i.application, &flag, "x").await.status(), 403);
    let other = app.user("candidate", None).await;
    app.login_as(&other).await;
    assert_eq!(app.respond(&i.application, &flag, "x").await.status(), 403);

    // The reviewer reads it beside the flag; the candidate had seen the flag
    // (they listed their events above), so the verdict is not marked.
    app.login_as(&i.recruiter).await;
    let seen = listed(app, &i.application, &flag).await;
    assert_eq!(seen["response"]["text"], changed);
    assert_eq!(
        app.review(&i.application, &flag, "ok", "understood")
            .await
            .status(),
        200
    );
    let reviewed = listed(app, &i.application, &flag).await;
    assert!(reviewed["review"]["beforeCandidateSaw"].is_null());
    assert_eq!(reviewed["response"]["locked"], true);

    // After the verdict the response stands: a change is 409, the same text is fine.
    app.login_as(&i.candidate).await;
    let late = app.respond(&i.application, &flag, "something else").await;
    assert_eq!(late.status(), 409);
    assert_eq!(
        app.respond(&i.application, &flag, changed).await.status(),
        200
    );
    let mine = listed(app, &i.application, &flag).await;
    assert_eq!(mine["response"]["locked"], true);
    assert!(mine["review"].is_null(), "candidates never read verdicts");
    assert_eq!(respond_entries(&i).await.len(), 2);
    let trail = serde_json::to_string(&respond_entries(&i).await).expect("json");
    assert!(
        !trail.contains("password manager"),
        "the text stays out of the trail"
    );
}

#[tokio::test]
async fn a_verdict_before_the_candidate_saw_the_flag_is_marked_and_they_may_still_answer() {
    let i = interview().await.backdated().await;
    let app = &i.app;
    let (flag, _) = flag_and_copy(&i).await;
    // The recruiter is quick: the candidate has not opened their page since.
    app.login_as(&i.recruiter).await;
    assert_eq!(
        app.review(&i.application, &flag, "concern", "")
            .await
            .status(),
        200
    );
    let reviewed = listed(app, &i.application, &flag).await;
    assert_eq!(reviewed["review"]["beforeCandidateSaw"], true);
    // The candidate's first response after it is taken (and stands).
    app.login_as(&i.candidate).await;
    assert_eq!(
        app.respond(&i.application, &flag, "I was reading the task aloud.")
            .await
            .status(),
        200
    );
    app.login_as(&i.recruiter).await;
    let answered = listed(app, &i.application, &flag).await;
    assert_eq!(
        answered["response"]["text"],
        "I was reading the task aloud."
    );
    assert!(answered["response"]["locked"].is_null());
    // A verdict given again, now that the candidate has seen it, is not marked.
    assert_eq!(
        app.review(&i.application, &flag, "ok", "").await.status(),
        200
    );
    assert!(listed(app, &i.application, &flag).await["review"]["beforeCandidateSaw"].is_null());
}

#[tokio::test]
async fn responses_close_after_the_organizations_window() {
    let i = interview().await.backdated().await;
    let app = &i.app;
    // The command line's checks.
    for bad in ["0", "3651", "-1", "soon", ""] {
        assert!(
            server::cli::set_response_days(&app.db, "acme", bad)
                .await
                .is_err(),
            "--days {bad}"
        );
    }
    assert!(server::cli::set_response_days(&app.db, "nobody", "3")
        .await
        .is_err());
    server::cli::set_response_days(&app.db, "acme", "2")
        .await
        .expect("set");

    // An interview three days ago: a session and a flag then.
    app.login_as(&i.candidate).await;
    let started = app
        .post_json(
            "/api/monitoring/session/start",
            &json!({"applicationId": i.application, "cameraInterval": 30, "screenInterval": 30}),
        )
        .await;
    assert_eq!(started.status(), 200);
    let then = Utc::now() - Duration::days(3);
    use server::db::entities::monitoring_session;
    monitoring_session::Entity::update_many()
        .col_expr(
            monitoring_session::Column::StartedAt,
            sea_orm::sea_query::Expr::value(then),
        )
        .filter(
            monitoring_session::Column::ApplicationId
                .eq(uuid::Uuid::parse_str(&i.application).expect("id")),
        )
        .exec(&app.db)
        .await
        .expect("backdate the session");
    let flag = event("window_blur", then, Some(then + Duration::seconds(40)));
    assert_eq!(
        app.send_events(&i.application, std::slice::from_ref(&flag))
            .await
            .status(),
        200
    );
    let flag = flag["eventId"].as_str().expect("id");

    let list = app.events_of(&i.application).await;
    let closes =
        chrono::DateTime::parse_from_rfc3339(list["responsesCloseAt"].as_str().unwrap_or_default())
            .ok()
            .map(|at| at.with_timezone(&Utc));
    assert!(
        closes.is_some_and(|at| (at - (then + Duration::days(2))).num_seconds().abs() < 2),
        "two days after the interview: {}",
        list["responsesCloseAt"]
    );
    let closed = app.respond(&i.application, flag, "too late?").await;
    assert_eq!(closed.status(), 409);
    assert!(error_body(closed).await["message"]
        .as_str()
        .unwrap_or_default()
        .contains("closed"));

    // A longer window, or none, opens them again.
    server::cli::set_response_days(&app.db, "acme", "5")
        .await
        .expect("set");
    assert_eq!(
        app.respond(&i.application, flag, "in time").await.status(),
        200
    );
    server::cli::set_response_days(&app.db, "acme", "off")
        .await
        .expect("set");
    assert!(app.events_of(&i.application).await["responsesCloseAt"].is_null());
    assert_eq!(
        app.respond(&i.application, flag, "still in time")
            .await
            .status(),
        200
    );
}

/// Each change of a response is an audit entry: a candidate (or a script with
/// their session) cannot flood the trail; past the hour's allowance it is 429
/// and nothing is stored or recorded.
#[tokio::test]
async fn a_candidate_changes_responses_at_most_sixty_times_an_hour() {
    let i = interview().await.backdated().await;
    let app = &i.app;
    let (flag, _) = flag_and_copy(&i).await;
    for n in 0..60 {
        let sent = app
            .respond(&i.application, &flag, &format!("take {n}"))
            .await;
        assert_eq!(sent.status(), 200, "change {n}");
    }
    let refused = app.respond(&i.application, &flag, "take 60").await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    assert!(error_body(refused).await["message"]
        .as_str()
        .unwrap()
        .contains("60"));
    assert_eq!(respond_entries(&i).await.len(), 60);
    let stored = listed(app, &i.application, &flag).await;
    assert_eq!(stored["response"]["text"], "take 59");
}
