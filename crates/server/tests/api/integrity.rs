//! Consent, sessions, events, the summary and reviewers' verdicts (README,
//! "Integrity signals").

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use shared::integrity::CONSENT_VERSION;

use crate::helpers::{error_body, interview, jpeg, TestApp, TestUser};

pub(crate) fn event(kind: &str, at: DateTime<Utc>, ended: Option<DateTime<Utc>>) -> Value {
    let mut event = json!({"eventId": uuid::Uuid::new_v4().to_string(), "kind": kind, "at": shared::monitoring::millis::format(&at)});
    if let Some(end) = ended {
        event["endedAt"] = json!(shared::monitoring::millis::format(&end));
    }
    event
}

impl TestApp {
    pub(crate) async fn send_events(
        &self,
        application: &str,
        events: &[Value],
    ) -> reqwest::Response {
        self.post_json(
            "/api/monitoring/events",
            &json!({"applicationId": application, "events": events}),
        )
        .await
    }

    pub(crate) async fn events_of(&self, application: &str) -> Value {
        let response = self
            .post_json(
                "/api/monitoring/events/list",
                &json!({"applicationId": application}),
            )
            .await;
        assert_eq!(response.status(), 200, "events/list");
        response.json().await.expect("json")
    }

    async fn start_session(
        &self,
        application: &str,
        camera: i64,
        screen: i64,
    ) -> reqwest::Response {
        self.post_json("/api/monitoring/session/start", &json!({"applicationId": application, "cameraInterval": camera, "screenInterval": screen}))
            .await
    }

    pub(crate) async fn review(
        &self,
        application: &str,
        event: &str,
        verdict: &str,
        note: &str,
    ) -> reqwest::Response {
        self.post_json("/api/monitoring/flags/review", &json!({"applicationId": application, "eventId": event, "verdict": verdict, "note": note}))
            .await
    }

    /// Moves every session of the application back to `at`.
    async fn set_sessions_started(&self, at: DateTime<Utc>) {
        use sea_orm::EntityTrait;
        use server::db::entities::monitoring_session;
        monitoring_session::Entity::update_many()
            .col_expr(monitoring_session::Column::StartedAt, at.into())
            .exec(&self.db)
            .await
            .expect("update sessions");
    }
}

#[tokio::test]
async fn a_candidate_captures_and_sends_events_only_after_consenting() {
    let i = interview().await;
    let app = &i.app;
    // A second application of the same candidate, not consented to.
    let fresh = server::cli::create_application(&app.db, "acme", &i.candidate.email, "Second")
        .await
        .unwrap()
        .to_string();
    app.login_as(&i.candidate).await;

    let upload = app.upload_binary(&fresh, "camera", jpeg(900, 1)).await;
    assert_eq!(upload.status(), 403);
    assert_eq!(error_body(upload).await["error"], "consent_required");
    let events = app
        .send_events(&fresh, &[event("paste", Utc::now(), None)])
        .await;
    assert_eq!(events.status(), 403);
    assert_eq!(error_body(events).await["error"], "consent_required");
    assert_eq!(app.start_session(&fresh, 30, 30).await.status(), 403);
    assert_eq!(app.count_image_rows().await, 0, "nothing stored");

    // The text shown must be the current one.
    let stale = app
        .post_json(
            "/api/monitoring/consent",
            &json!({"applicationId": fresh, "consentVersion": "2020-01-01"}),
        )
        .await;
    assert_eq!(stale.status(), 400);
    let consent = app
        .post_json(
            "/api/monitoring/consent",
            &json!({"applicationId": fresh, "consentVersion": CONSENT_VERSION}),
        )
        .await;
    assert_eq!(consent.status(), 200);
    let first: Value = consent.json().await.unwrap();
    assert_eq!(first["consentVersion"], CONSENT_VERSION);
    assert!(first["consentedAt"].as_str().is_some());
    assert!(first.get("retentionDays").is_some(), "{first}");
    // Consenting again keeps the first time.
    let again: Value = app
        .post_json(
            "/api/monitoring/consent",
            &json!({"applicationId": fresh, "consentVersion": CONSENT_VERSION}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["consentedAt"], first["consentedAt"]);
    assert_eq!(
        app.upload_binary(&fresh, "camera", jpeg(900, 1))
            .await
            .status(),
        200
    );

    // Nobody consents for the candidate; recruiters' own captures need no consent.
    app.login_as(&i.recruiter).await;
    let for_them = app
        .post_json(
            "/api/monitoring/consent",
            &json!({"applicationId": fresh, "consentVersion": CONSENT_VERSION}),
        )
        .await;
    assert_eq!(for_them.status(), 403);
    let third = server::cli::create_application(&app.db, "acme", &i.candidate.email, "Third")
        .await
        .unwrap()
        .to_string();
    assert_eq!(
        app.upload_binary(&third, "camera", jpeg(900, 2))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_session_records_its_intervals_and_the_server_clock() {
    let i = interview().await;
    let app = &i.app;
    app.login_as(&i.candidate).await;
    let before = Utc::now();
    let response = app.start_session(&i.application, 10, 45).await;
    assert_eq!(response.status(), 200);
    let started: Value = response.json().await.unwrap();
    let server_time: DateTime<Utc> = started["serverTime"].as_str().unwrap().parse().unwrap();
    assert!(
        server_time >= before - Duration::seconds(1)
            && server_time <= Utc::now() + Duration::seconds(1)
    );
    assert!(started["sessionId"]
        .as_str()
        .is_some_and(|id| id.len() == 36));
    for (camera, screen) in [(0, 30), (30, 3601), (-1, 30), (i64::from(u32::MAX), 30)] {
        assert_eq!(
            app.start_session(&i.application, camera, screen)
                .await
                .status(),
            400,
            "{camera}/{screen}"
        );
    }
}

#[tokio::test]
async fn events_are_stored_once_per_event_id_and_checked() {
    let i = interview().await.backdated().await;
    let app = &i.app;
    app.login_as(&i.candidate).await;
    let now = Utc::now();
    let batch = vec![
        event("paste", now - Duration::seconds(3), None),
        event("tab_hidden", now - Duration::seconds(2), None),
        event("copy", now - Duration::seconds(1), None),
    ];
    let accepted: Value = app
        .send_events(&i.application, &batch)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(accepted["accepted"], 3);
    // The same batch again (a retry) stores nothing new.
    assert_eq!(app.send_events(&i.application, &batch).await.status(), 200);
    // The hidden tab comes back: its end is added.
    let mut ended = batch[1].clone();
    ended["endedAt"] = json!(shared::monitoring::millis::format(&now));
    ended["detail"] = json!({"captureIds": [uuid::Uuid::new_v4().to_string()]});
    assert_eq!(
        app.send_events(&i.application, &[ended.clone()])
            .await
            .status(),
        200
    );
    // An older copy of the open event arriving late changes nothing.
    assert_eq!(
        app.send_events(&i.application, &[batch[1].clone()])
            .await
            .status(),
        200
    );

    // An id reused for another event is 409, and nothing of that call is kept.
    let mut reused = batch[0].clone();
    reused["kind"] = json!("copy");
    let newcomer = event("window_blur", now, None);
    let conflict = app
        .send_events(&i.application, &[newcomer.clone(), reused])
        .await;
    assert_eq!(conflict.status(), 409);
    assert_eq!(error_body(conflict).await["error"], "conflict");
    let mut moved = ended.clone();
    moved["endedAt"] = json!(shared::monitoring::millis::format(
        &(now + Duration::seconds(1))
    ));
    assert_eq!(
        app.send_events(&i.application, &[moved]).await.status(),
        409,
        "an end is not changed once recorded"
    );

    let listed = app.events_of(&i.application).await;
    let events = listed["events"].as_array().unwrap();
    assert_eq!(events.len(), 3, "{listed}");
    assert!(events.iter().all(|e| e["eventId"] != newcomer["eventId"]));
    let hidden = events.iter().find(|e| e["kind"] == "tab_hidden").unwrap();
    assert_eq!(hidden["endedAt"], ended["endedAt"]);
    assert_eq!(hidden["source"], "browser");
    assert_eq!(hidden["detail"], ended["detail"]);
    let times: Vec<&str> = events.iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first");
}

#[tokio::test]
async fn malformed_events_are_refused_whole() {
    let i = interview().await.backdated().await;
    let app = &i.app;
    app.login_as(&i.candidate).await;
    let now = Utc::now();
    // The application was created (backdated) on 2026-01-01.
    let created = DateTime::parse_from_rfc3339("2025-12-31T23:59:59Z")
        .unwrap()
        .with_timezone(&Utc);
    let mut backwards = event("window_blur", now, None);
    backwards["endedAt"] = json!(shared::monitoring::millis::format(
        &(now - Duration::seconds(5))
    ));
    let mut array_detail = event("paste", now, None);
    array_detail["detail"] = json!([1, 2, 3]);
    let mut huge_detail = event("paste", now, None);
    huge_detail["detail"] = json!({"x": "y".repeat(5000)});
    let mut bad_id = event("paste", now, None);
    bad_id["eventId"] = json!("not-a-uuid");
    let cases: Vec<(&str, Value)> = vec![
        ("unknown kind", event("tab_switch", now, None)),
        ("5,000-character kind", event(&"k".repeat(5000), now, None)),
        ("a kind the server adds", event("no_face", now, None)),
        (
            "before 1970",
            event("paste", DateTime::from_timestamp(-86_400, 0).unwrap(), None),
        ),
        ("before the application", event("paste", created, None)),
        (
            "in the future",
            event("paste", now + Duration::minutes(5), None),
        ),
        ("ends before it starts", backwards),
        ("detail not an object", array_detail),
        ("detail too large", huge_detail),
        ("bad event id", bad_id),
    ];
    for (what, bad) in cases {
        let good = event("copy", now, None);
        let response = app.send_events(&i.application, &[good, bad]).await;
        assert_eq!(response.status(), 400, "{what}");
        let message = error_body(response).await["message"]
            .as_str()
            .unwrap()
            .len();
        assert!(message < 400, "{what}: the message does not echo the input");
    }
    let at = |n: i64| now - Duration::milliseconds(n);
    let too_many: Vec<Value> = (0..501).map(|n| event("copy", at(n), None)).collect();
    assert_eq!(
        app.send_events(&i.application, &too_many).await.status(),
        400,
        "501 events"
    );
    assert_eq!(
        app.events_of(&i.application).await["events"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "nothing kept"
    );
    let most: Vec<Value> = (0..500).map(|n| event("copy", at(n), None)).collect();
    assert_eq!(
        app.send_events(&i.application, &most).await.status(),
        200,
        "500 events"
    );
    assert_eq!(
        app.send_events(&i.application, &[]).await.status(),
        200,
        "none"
    );
    let unknown_session = app
        .post_json("/api/monitoring/events", &json!({"applicationId": i.application, "sessionId": uuid::Uuid::new_v4().to_string(), "events": []}))
        .await;
    assert_eq!(unknown_session.status(), 404);
    let missing = app
        .post_json(
            "/api/monitoring/events",
            &json!({"applicationId": i.application}),
        )
        .await;
    assert_eq!(missing.status(), 400);
}

#[tokio::test]
async fn copies_of_a_batch_sent_at_once_store_each_event_once() {
    let i = interview().await.backdated().await;
    let app = &i.app;
    app.login_as(&i.candidate).await;
    let now = Utc::now();
    let batch: Vec<Value> = (0..50)
        .map(|n| event("paste", now - Duration::milliseconds(n), None))
        .collect();
    let sends = (0..16).map(|_| app.send_events(&i.application, &batch));
    let statuses: Vec<u16> = futures::future::join_all(sends)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(
        app.events_of(&i.application).await["events"]
            .as_array()
            .unwrap()
            .len(),
        50
    );
}

#[tokio::test]
async fn who_may_send_list_and_review_events() {
    let i = interview().await.backdated().await;
    let app = &i.app;
    app.organization("globex").await;
    let other_candidate = app.user("candidate", None).await;
    let other_recruiter = app.user("recruiter", Some("globex")).await;
    let admin = app.user("admin", None).await;
    app.login_as(&i.candidate).await;
    let flag = event("paste", Utc::now(), None);
    assert_eq!(
        app.send_events(&i.application, std::slice::from_ref(&flag))
            .await
            .status(),
        200
    );
    let flag_id = flag["eventId"].as_str().unwrap();

    // (who, [send, list, review])
    let table: Vec<(&str, &TestUser, [u16; 3])> = vec![
        ("own candidate", &i.candidate, [200, 200, 403]),
        ("other candidate", &other_candidate, [403, 403, 403]),
        (
            "recruiter of the organization",
            &i.recruiter,
            [200, 200, 200],
        ),
        (
            "recruiter of another organization",
            &other_recruiter,
            [403, 403, 403],
        ),
        ("admin", &admin, [200, 200, 200]),
    ];
    for (who, user, expected) in table {
        app.login_as(user).await;
        let got = [
            app.send_events(&i.application, &[event("copy", Utc::now(), None)])
                .await
                .status()
                .as_u16(),
            app.post_json(
                "/api/monitoring/events/list",
                &json!({"applicationId": i.application}),
            )
            .await
            .status()
            .as_u16(),
            app.review(&i.application, flag_id, "ok", "")
                .await
                .status()
                .as_u16(),
        ];
        assert_eq!(got, expected, "{who}: [send, list, review]");
    }
}

#[tokio::test]
async fn the_summary_counts_a_known_interview_and_verdicts_stay() {
    let i = interview().await.backdated().await;
    let app = &i.app;
    app.login_as(&i.candidate).await;
    assert_eq!(
        app.start_session(&i.application, 60, 60).await.status(),
        200
    );
    // The session began an hour ago (moved back: the server dates it itself).
    let start =
        DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap() - Duration::minutes(60);
    app.set_sessions_started(start).await;
    let at =
        |minute: i64, second: i64| start + Duration::minutes(minute) + Duration::seconds(second);
    // Camera and screen every minute for 50 minutes, with the camera silent from minute 20 to 30.
    for minute in (1..=50).filter(|m| !(21..30).contains(m)) {
        let time = shared::monitoring::millis::format(&at(minute, 0));
        assert_eq!(
            app.upload_capture(
                &i.application,
                "camera",
                Some(&time),
                None,
                jpeg(900, minute as u8)
            )
            .await
            .status(),
            200
        );
    }
    for minute in 1..=50 {
        let time = shared::monitoring::millis::format(&at(minute, 1));
        assert_eq!(
            app.upload_capture(
                &i.application,
                "screen",
                Some(&time),
                None,
                jpeg(900, 100 + minute as u8)
            )
            .await
            .status(),
            200
        );
    }
    let mut events = vec![
        // Switching tabs hides the tab and blurs the window at once: counted once as away.
        event("tab_hidden", at(5, 0), Some(at(8, 0))),
        event("window_blur", at(5, 0), Some(at(8, 0))),
        event("window_blur", at(40, 0), Some(at(41, 0))),
        event("paste", at(10, 0), None),
        event("copy", at(11, 0), None),
        event("screen_share_ended", at(12, 0), Some(at(12, 30))),
        event("offline", at(13, 0), Some(at(13, 20))),
        event("page_reload", at(14, 0), None),
    ];
    events[3]["detail"] = json!({"length": 42});
    assert_eq!(app.send_events(&i.application, &events).await.status(), 200);

    app.login_as(&i.recruiter).await;
    let listed = app.events_of(&i.application).await;
    let summary = &listed["summary"];
    assert_eq!(
        summary["monitoredSeconds"],
        50 * 60 + 1,
        "from the start to the last capture: {summary}"
    );
    assert_eq!(summary["awaySeconds"], 4 * 60);
    assert_eq!(
        (
            summary["tabSwitches"].as_u64(),
            summary["windowBlurs"].as_u64()
        ),
        (Some(1), Some(2))
    );
    assert_eq!(
        (summary["pastes"].as_u64(), summary["copies"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        (
            summary["screenShareInterruptions"].as_u64(),
            summary["screenUnsharedSeconds"].as_u64()
        ),
        (Some(1), Some(30))
    );
    assert_eq!(
        (
            summary["offlineSeconds"].as_u64(),
            summary["reloads"].as_u64()
        ),
        (Some(20), Some(1))
    );
    // The camera's 10 silent minutes against its recorded 60 s interval: one gap.
    assert_eq!(summary["gaps"], 1, "{listed}");
    assert_eq!(summary["gapSeconds"], 10 * 60);
    // Flags: tab, 2 blurs, paste, share ended, gap (copy, offline, reload are not).
    assert_eq!(summary["flags"], 6);
    assert_eq!(summary["unreviewedFlags"], 6);
    // 10 minutes without camera of 50 is 20% (> 10%): major.
    assert_eq!(summary["level"], "major");
    assert!(
        summary["reasons"][0]
            .as_str()
            .unwrap()
            .contains("no captures"),
        "{summary}"
    );
    let gap = listed["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "capture_gap")
        .expect("a gap")
        .clone();
    assert_eq!(gap["source"], "server");
    assert_eq!(gap["detail"]["imageType"], "camera");
    assert_eq!(gap["detail"]["expectedEverySeconds"], 60);

    // A verdict on the gap (computed, yet it keeps its verdict) and on the paste.
    assert_eq!(
        app.review(
            &i.application,
            gap["eventId"].as_str().unwrap(),
            "ok",
            "camera was unplugged, said so in the call"
        )
        .await
        .status(),
        200
    );
    let paste = events[3]["eventId"].as_str().unwrap();
    assert_eq!(
        app.review(&i.application, paste, "concern", "")
            .await
            .status(),
        200
    );
    assert_eq!(
        app.review(&i.application, paste, "ok", "their own snippet")
            .await
            .status(),
        200,
        "a later verdict replaces"
    );
    let listed = app.events_of(&i.application).await;
    let find = |id: &Value| {
        listed["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["eventId"] == *id)
            .unwrap()
            .clone()
    };
    let gap = find(&gap["eventId"]);
    assert_eq!(gap["review"]["verdict"], "ok");
    assert_eq!(gap["review"]["by"], i.recruiter.email.as_str());
    assert!(gap["review"]["at"].as_str().is_some());
    assert_eq!(
        find(&events[3]["eventId"])["review"]["note"],
        "their own snippet"
    );
    assert_eq!(listed["summary"]["unreviewedFlags"], 4);

    // The list shows the level and what is left to review.
    let applications: Value = app
        .post_json("/api/applications", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let row = applications
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == i.application.as_str())
        .unwrap();
    assert_eq!(row["integrityLevel"], "major");
    assert_eq!(row["unreviewedFlags"], 4);

    // The candidate sees the events, never the verdicts.
    app.login_as(&i.candidate).await;
    let theirs = app.events_of(&i.application).await;
    assert!(
        theirs["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e.get("review").is_none()),
        "{theirs}"
    );

    // Every verdict is in the trail: who, which event, which verdict for the
    // recruiter; only that a flag was reviewed for the candidate; never the note.
    let reviews = |entries: &Value| -> Vec<String> {
        entries["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "review")
            .map(|e| {
                format!(
                    "{} | {}",
                    e["actor"].as_str().unwrap(),
                    e["target"].as_str().unwrap()
                )
            })
            .collect()
    };
    let (gap_id, paste_id) = (gap["eventId"].as_str().unwrap(), paste);
    let theirs = trail_of(app, &i.application).await;
    assert_eq!(
        reviews(&theirs),
        [
            format!("a recruiter of Org acme | event {gap_id}"),
            format!("a recruiter of Org acme | event {paste_id}"),
            format!("a recruiter of Org acme | event {paste_id}"),
        ],
        "{theirs}"
    );
    app.login_as(&i.recruiter).await;
    let recruiters = trail_of(app, &i.application).await;
    assert_eq!(
        reviews(&recruiters),
        [
            format!("a recruiter of Org acme | event {gap_id}: ok"),
            format!("a recruiter of Org acme | event {paste_id}: concern"),
            format!("a recruiter of Org acme | event {paste_id}: ok"),
        ]
    );
    let text = recruiters.to_string();
    assert!(
        !text.contains("unplugged") && !text.contains("snippet"),
        "{text}"
    );
}

#[tokio::test]
async fn a_verdict_needs_a_flag_of_the_application() {
    let i = interview().await.backdated().await;
    let app = &i.app;
    app.login_as(&i.candidate).await;
    let copy = event("copy", Utc::now(), None);
    let paste = event("paste", Utc::now(), None);
    assert_eq!(
        app.send_events(&i.application, &[copy.clone(), paste.clone()])
            .await
            .status(),
        200
    );
    app.login_as(&i.recruiter).await;
    let paste_id = paste["eventId"].as_str().unwrap();
    assert_eq!(
        app.review(&i.application, paste_id, "maybe", "")
            .await
            .status(),
        400
    );
    assert_eq!(
        app.review(&i.application, copy["eventId"].as_str().unwrap(), "ok", "")
            .await
            .status(),
        400,
        "copying is not a flag"
    );
    assert_eq!(
        app.review(&i.application, &uuid::Uuid::new_v4().to_string(), "ok", "")
            .await
            .status(),
        404
    );
    assert_eq!(
        app.review(&i.application, paste_id, "ok", &"n".repeat(2001))
            .await
            .status(),
        400
    );
    assert_eq!(
        app.review(&i.application, paste_id, "ok", &"n".repeat(2000))
            .await
            .status(),
        200
    );
    // Another application's event id is not this one's.
    let other = server::cli::create_application(&app.db, "acme", &i.candidate.email, "Other")
        .await
        .unwrap()
        .to_string();
    assert_eq!(app.review(&other, paste_id, "ok", "").await.status(), 404);
}

#[tokio::test]
async fn a_session_ends_once_for_its_application_and_candidate_only() {
    let i = interview().await;
    let app = &i.app;
    app.login_as(&i.candidate).await;
    let started: Value = app
        .start_session(&i.application, 30, 30)
        .await
        .json()
        .await
        .unwrap();
    let session = started["sessionId"].as_str().unwrap().to_string();
    let end = |session: String| {
        let body = json!({"applicationId": i.application, "sessionId": session});
        async move { app.post_json("/api/monitoring/session/end", &body).await }
    };

    // Ten ends at once: every one answers the same (first) end.
    let answers = futures::future::join_all((0..10).map(|_| end(session.clone()))).await;
    let mut ended_at = std::collections::BTreeSet::new();
    for answer in answers {
        assert_eq!(answer.status(), 200);
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["sessionId"], session.as_str());
        ended_at.insert(body["endedAt"].as_str().unwrap().to_string());
    }
    assert_eq!(ended_at.len(), 1, "{ended_at:?}");
    let first = ended_at.into_iter().next().unwrap();
    assert!(
        DateTime::parse_from_rfc3339(&first).unwrap()
            >= DateTime::parse_from_rfc3339(started["startedAt"].as_str().unwrap()).unwrap()
    );
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let again: Value = end(session.clone()).await.json().await.unwrap();
    assert_eq!(again["endedAt"], first.as_str(), "the first end is kept");

    // A session id of no session, or not a UUID.
    let unknown = end(uuid::Uuid::new_v4().to_string()).await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(end("x".repeat(5000)).await.status(), 400);

    // Another application's session (another candidate's): not found from here.
    let other = app.user("candidate", None).await;
    let theirs = server::cli::create_application(&app.db, "acme", &other.email, "Other")
        .await
        .unwrap()
        .to_string();
    let foreign = app
        .post_json(
            "/api/monitoring/session/end",
            &json!({"applicationId": theirs, "sessionId": session}),
        )
        .await;
    assert_eq!(foreign.status(), 403, "not this candidate's application");
    app.record_consent(&other, &theirs).await;
    app.login_as(&other).await;
    let foreign = app
        .post_json(
            "/api/monitoring/session/end",
            &json!({"applicationId": theirs, "sessionId": session}),
        )
        .await;
    assert_eq!(foreign.status(), 404, "a session of another application");

    // Signed out: 401.
    assert_eq!(
        app.post_json("/api/auth/logout", &json!({})).await.status(),
        200
    );
    assert_eq!(end(session).await.status(), 401);
}

async fn trail_of(app: &TestApp, application: &str) -> Value {
    let response = app
        .post_json(
            "/api/audit/application",
            &json!({"applicationId": application}),
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()
}
