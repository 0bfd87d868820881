//! What a review found an adversary or an unlucky user could do, each replayed
//! from outside: anonymous clients holding upload slots, verdicts crossing
//! organizations, floods of signed URLs, sessions and events, forged audit
//! rows, retried captures without a time, images no camera makes.

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, Set};
use serde_json::{json, Value};
use server::db::{audit, entities};
use tokio::{
    io::AsyncWriteExt,
    net::{TcpSocket, TcpStream},
};

use crate::helpers::{error_body, host_of, interview, interview_with, jpeg, status_of, TestUser};

/// A connection to `address` from the loopback address `from` (127.0.0.x).
async fn connect_from(from: [u8; 4], address: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind((std::net::Ipv4Addr::from(from), 0).into())
        .expect("bind to a loopback address");
    socket
        .connect(host_of(address).parse().expect("socket address"))
        .await
        .expect("connect")
}

#[tokio::test]
async fn anonymous_clients_trickling_upload_bodies_hold_no_slot() {
    let i = interview().await;
    // 40 uploads without a session from five addresses, declaring 6 MB and
    // sending a byte every so often: each is turned away before its body is read.
    let mut trickling = Vec::new();
    for n in 0..40u8 {
        let mut stream = connect_from([127, 0, 0, 2 + n % 5], &i.app.address).await;
        let head = format!(
            "POST /api/monitoring/upload HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 6000000\r\n\r\n{{",
            host_of(&i.app.address)
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        trickling.push(stream);
    }
    let started = Instant::now();
    let mut unauthenticated = 0;
    for stream in trickling.iter_mut() {
        let _ = stream.write_all(b" ").await;
        if status_of(stream, Duration::from_secs(2)).await == Some(401) {
            unauthenticated += 1;
        }
    }
    assert_eq!(unauthenticated, 40, "every anonymous upload is 401 at once");
    assert!(started.elapsed() < Duration::from_secs(10));

    // Every signed-in candidate's upload goes straight through.
    i.app.login_as(&i.candidate).await;
    for n in 0..5 {
        let started = Instant::now();
        let response = i
            .app
            .upload_binary(&i.application, "camera", jpeg(4000, n))
            .await;
        assert_eq!(response.status(), 200);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
    // The same for the other paths that cost work: nothing is read without a caller.
    let anonymous = crate::helpers::new_client();
    for path in [
        "/api/monitoring/upload-binary?applicationId=x&imageType=camera",
        "/api/monitoring/signed-urls",
        "/api/monitoring/events",
        "/api/audit/application",
    ] {
        let content_type = if path.contains("binary") {
            "image/jpeg"
        } else {
            "application/json"
        };
        let response = anonymous
            .post(i.app.url(path))
            .header("content-type", content_type)
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{path}");
        assert_eq!(
            error_body(response).await["error"],
            "unauthenticated",
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_body_trickling_under_the_minimum_rate_is_cut_with_408() {
    let i = interview().await;
    let cookie = i.app.session_cookie_of(&i.candidate).await;
    let mut stream = TcpStream::connect(host_of(&i.app.address)).await.unwrap();
    let head = format!(
        "POST /api/monitoring/upload HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\nContent-Type: application/json\r\nContent-Length: 6000000\r\n\r\n{{",
        host_of(&i.app.address)
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    // A byte a second: never idle for long, far below the minimum rate.
    let status = loop {
        if let Some(status) = status_of(&mut stream, Duration::from_secs(1)).await {
            break Some(status);
        }
        if started.elapsed() > Duration::from_secs(20) || stream.write_all(b" ").await.is_err() {
            break status_of(&mut stream, Duration::from_secs(1)).await;
        }
    };
    assert_eq!(status, Some(408));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(12), "cut after {took:?}");
    println!("a body trickling a byte a second was cut after {took:?}");
}

#[tokio::test]
async fn a_user_has_at_most_eight_uploads_read_at_once_whatever_their_form() {
    let i = interview().await;
    let cookie = i.app.session_cookie_of(&i.candidate).await;
    // Eight JSON uploads whose bodies stop after `{`: they hold the user's share.
    let mut stalled = Vec::new();
    for _ in 0..8 {
        let mut stream = TcpStream::connect(host_of(&i.app.address)).await.unwrap();
        let head = format!(
            "POST /api/monitoring/upload HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{",
            host_of(&i.app.address)
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stalled.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    i.app.login_as(&i.candidate).await;
    let started = Instant::now();
    let ninth = i
        .app
        .upload_binary(&i.application, "camera", jpeg(4000, 1))
        .await;
    assert_eq!(ninth.status(), 429);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "refused at once"
    );
    assert!(error_body(ninth).await["message"]
        .as_str()
        .unwrap()
        .contains("already in progress"));
    // Another user from the same address is not held up.
    i.app.login_as(&i.recruiter).await;
    assert_eq!(
        i.app
            .upload_base64(&i.application, "screen", &jpeg(4000, 2))
            .await
            .status(),
        200
    );
    // The stalled ones give up; the candidate's share comes back.
    drop(stalled);
    i.app.login_as(&i.candidate).await;
    let mut status = 0;
    for _ in 0..50 {
        status = i
            .app
            .upload_binary(&i.application, "camera", jpeg(4000, 3))
            .await
            .status()
            .as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200);
}

/// A second organization `other` with a recruiter, and an application of the
/// same candidate there.
async fn second_organization(i: &crate::helpers::Interview) -> (TestUser, String) {
    i.app.organization("other").await;
    let recruiter = i.app.user("recruiter", Some("other")).await;
    let application =
        server::cli::create_application(&i.app.db, "other", &i.candidate.email, "Elsewhere")
            .await
            .unwrap()
            .to_string();
    i.app.record_consent(&i.candidate, &application).await;
    (recruiter, application)
}

async fn listed_events(app: &crate::helpers::TestApp, application: &str) -> Vec<Value> {
    let response = app
        .post_json(
            "/api/monitoring/events/list",
            &json!({"applicationId": application}),
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["events"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn an_event_id_and_its_verdict_belong_to_one_application() {
    let i = interview().await.backdated().await;
    let (other_recruiter, other) = second_organization(&i).await;
    let app = &i.app;
    app.login_as(&i.candidate).await;
    // The candidate sends the same eventId to both applications.
    let id = uuid::Uuid::new_v4().to_string();
    let at = shared::monitoring::millis::format(&chrono::Utc::now());
    for application in [&i.application, &other] {
        let response = app
            .post_json(
                "/api/monitoring/events",
                &json!({"applicationId": application, "events": [{"eventId": id, "kind": "paste", "at": at}]}),
            )
            .await;
        assert_eq!(
            response.status(),
            200,
            "an id of another application is not this one's"
        );
    }
    // Each organization's recruiter gives a verdict on its own application's event.
    app.login_as(&other_recruiter).await;
    let review = |application: &str, verdict: &str, note: &str| {
        let body =
            json!({"applicationId": application, "eventId": id, "verdict": verdict, "note": note});
        async move { app.post_json("/api/monitoring/flags/review", &body).await }
    };
    assert_eq!(
        review(&other, "concern", "other's note").await.status(),
        200
    );
    // Naming the other organization's application is refused and changes nothing.
    assert_eq!(review(&i.application, "ok", "crossing").await.status(), 403);
    app.login_as(&i.recruiter).await;
    assert_eq!(
        review(&i.application, "ok", "acme's note").await.status(),
        200
    );

    let mine = listed_events(app, &i.application).await;
    let event = mine.iter().find(|e| e["eventId"] == id.as_str()).unwrap();
    assert_eq!(event["review"]["verdict"], "ok");
    assert_eq!(event["review"]["note"], "acme's note");
    assert_eq!(event["review"]["by"], i.recruiter.email.as_str());
    app.login_as(&other_recruiter).await;
    let theirs = listed_events(app, &other).await;
    let event = theirs.iter().find(|e| e["eventId"] == id.as_str()).unwrap();
    assert_eq!(event["review"]["verdict"], "concern");
    assert_eq!(event["review"]["note"], "other's note");
    assert_eq!(event["review"]["by"], other_recruiter.email.as_str());
}

#[tokio::test]
async fn a_computed_events_verdict_stays_in_its_application() {
    // A capture gap's id is derived from the gap: the candidate reads it in one
    // application and sends an event with that id to another.
    let i = interview().await.backdated().await;
    let (other_recruiter, other) = second_organization(&i).await;
    let app = &i.app;
    app.login_as(&i.candidate).await;
    let start = chrono::Utc::now() - chrono::Duration::minutes(30);
    let session = app
        .post_json(
            "/api/monitoring/session/start",
            &json!({"applicationId": i.application, "cameraInterval": 5, "screenInterval": 5}),
        )
        .await;
    assert_eq!(session.status(), 200);
    use sea_orm::EntityTrait as _;
    entities::monitoring_session::Entity::update_many()
        .col_expr(
            entities::monitoring_session::Column::StartedAt,
            start.into(),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let millis = |t: chrono::DateTime<chrono::Utc>| shared::monitoring::millis::format(&t);
    for minutes in [0, 1, 20] {
        let at = millis(start + chrono::Duration::minutes(minutes));
        let response = app
            .upload_capture(
                &i.application,
                "camera",
                Some(&at),
                None,
                jpeg(3000, minutes as u8),
            )
            .await;
        assert_eq!(response.status(), 200);
    }
    app.login_as(&i.recruiter).await;
    let gap = listed_events(app, &i.application)
        .await
        .into_iter()
        .find(|e| e["kind"] == "capture_gap")
        .expect("a capture gap");
    let gap_id = gap["eventId"].as_str().unwrap().to_string();
    app.login_as(&i.candidate).await;
    let response = app
        .post_json(
            "/api/monitoring/events",
            &json!({"applicationId": other, "events": [{"eventId": gap_id, "kind": "paste", "at": millis(chrono::Utc::now())}]}),
        )
        .await;
    assert_eq!(response.status(), 200);
    app.login_as(&other_recruiter).await;
    let response = app
        .post_json(
            "/api/monitoring/flags/review",
            &json!({"applicationId": other, "eventId": gap_id, "verdict": "concern", "note": "other's note"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    // acme's gap has no verdict, and acme's verdict does not show on other's event.
    app.login_as(&i.recruiter).await;
    let gap = listed_events(app, &i.application)
        .await
        .into_iter()
        .find(|e| e["eventId"] == gap_id.as_str())
        .unwrap();
    assert!(gap.get("review").is_none_or(Value::is_null), "{gap}");
    let response = app
        .post_json(
            "/api/monitoring/flags/review",
            &json!({"applicationId": i.application, "eventId": gap_id, "verdict": "ok", "note": "acme's note"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    app.login_as(&other_recruiter).await;
    let theirs = listed_events(app, &other)
        .await
        .into_iter()
        .find(|e| e["eventId"] == gap_id.as_str())
        .unwrap();
    assert_eq!(theirs["review"]["note"], "other's note");
    assert_eq!(theirs["review"]["verdict"], "concern");
}

async fn audit_rows(app: &crate::helpers::TestApp) -> u64 {
    entities::audit_entry::Entity::find()
        .count(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_key_asked_for_a_thousand_times_is_signed_and_recorded_once() {
    let i = interview().await;
    i.app.login_as(&i.candidate).await;
    let key = i
        .app
        .uploaded(&i.application, "camera", &jpeg(3000, 1))
        .await;
    i.app.login_as(&i.recruiter).await;
    let before = audit_rows(&i.app).await;
    let keys = vec![key.clone(); 1000];
    let mut target_bytes = 0;
    for _ in 0..100 {
        let response = i
            .app
            .post_json("/api/monitoring/signed-urls", &json!({"s3Keys": keys}))
            .await;
        assert_eq!(response.status(), 200);
        let urls = response.json::<Value>().await.unwrap()["urls"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(urls.len(), 1000, "answered at every place it was asked");
        assert!(urls
            .iter()
            .all(|u| u["s3Key"] == key.as_str() && u["url"] == urls[0]["url"]));
    }
    let entries = entities::audit_entry::Entity::find()
        .all(&i.app.db)
        .await
        .unwrap();
    assert_eq!(audit_rows(&i.app).await - before, 100, "one entry per call");
    for entry in entries.iter().filter(|e| e.action == "view") {
        assert_eq!(entry.target, key, "each distinct key once");
        target_bytes += entry.target.len() + entry.hash.len() + entry.prev_hash.len();
    }
    println!("100 calls of signed-urls with one key 1,000 times: 100 audit entries, {target_bytes} bytes of target and hashes");
}

#[tokio::test]
async fn signing_more_than_the_views_per_minute_is_429() {
    let i = interview_with(&[("VIEWS_PER_MINUTE", "3")]).await;
    i.app.login_as(&i.candidate).await;
    let mut keys = Vec::new();
    for n in 0..4 {
        keys.push(
            i.app
                .uploaded(&i.application, "camera", &jpeg(3000, n))
                .await,
        );
    }
    i.app.login_as(&i.recruiter).await;
    let sign = |keys: Vec<String>| {
        let body = json!({"s3Keys": keys});
        let app = &i.app;
        async move { app.post_json("/api/monitoring/signed-urls", &body).await }
    };
    assert_eq!(sign(keys[..3].to_vec()).await.status(), 200);
    let before = audit_rows(&i.app).await;
    let refused = sign(keys[3..].to_vec()).await;
    assert_eq!(refused.status(), 429);
    assert!(error_body(refused).await["message"]
        .as_str()
        .unwrap()
        .contains("in a minute"));
    assert_eq!(
        audit_rows(&i.app).await,
        before,
        "nothing recorded for a refusal"
    );
}

/// An interview with one camera image the recruiter viewed three times (three
/// audit entries), signed in as the recruiter.
async fn viewed_three_times() -> crate::helpers::Interview {
    let i = interview().await;
    i.app.login_as(&i.candidate).await;
    let key = i
        .app
        .uploaded(&i.application, "camera", &jpeg(3000, 1))
        .await;
    i.app.login_as(&i.recruiter).await;
    for _ in 0..3 {
        assert_eq!(i.app.signed_url(&key).await.status(), 200);
    }
    i
}

#[tokio::test]
async fn rows_written_into_the_audit_table_break_verify_and_are_not_listed() {
    let i = viewed_three_times().await;
    let verify = || audit::verify(&i.app.db, &i.app.audit_key);
    assert!(verify().await.unwrap().is_ok());
    let forged = |seq: i64| entities::audit_entry::ActiveModel {
        seq: Set(seq),
        at: Set(chrono::Utc::now()),
        actor_id: Set(None),
        actor_role: Set("admin".into()),
        actor_organization: Set(None),
        action: Set("view".into()),
        application_id: Set(Some(uuid::Uuid::parse_str(&i.application).unwrap())),
        target: Set("forged".into()),
        prev_hash: Set(audit::GENESIS.into()),
        hash: Set(audit::GENESIS.into()),
    };
    entities::audit_entry::Entity::insert(forged(0))
        .exec(&i.app.db)
        .await
        .unwrap();
    let broken = verify()
        .await
        .unwrap()
        .expect_err("a row with seq 0 is found");
    assert_eq!(broken.seq, 0, "{broken:?}");
    let trail = i
        .app
        .post_json(
            "/api/audit/application",
            &json!({"applicationId": i.application}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert!(
        trail["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["target"] != "forged"),
        "{trail}"
    );
    entities::audit_entry::Entity::delete_by_id(0i64)
        .exec(&i.app.db)
        .await
        .unwrap();
    entities::audit_entry::Entity::insert(forged(1000))
        .exec(&i.app.db)
        .await
        .unwrap();
    let broken = verify()
        .await
        .unwrap()
        .expect_err("a row past the head is found");
    assert_eq!(broken.seq, 1000, "{broken:?}");
    entities::audit_entry::Entity::delete_by_id(1000i64)
        .exec(&i.app.db)
        .await
        .unwrap();
    assert!(verify().await.unwrap().is_ok());
}

#[tokio::test]
async fn entries_appended_while_verify_runs_are_not_an_error() {
    let i = interview().await;
    i.app.login_as(&i.candidate).await;
    let key = i
        .app
        .uploaded(&i.application, "camera", &jpeg(3000, 1))
        .await;
    i.app.login_as(&i.recruiter).await;
    let appending = async {
        for _ in 0..60 {
            assert_eq!(i.app.signed_url(&key).await.status(), 200);
        }
    };
    let verifying = async {
        let mut runs = 0;
        for _ in 0..30 {
            let result = audit::verify(&i.app.db, &i.app.audit_key).await.unwrap();
            assert!(result.is_ok(), "a live server's trail verifies: {result:?}");
            runs += 1;
        }
        runs
    };
    let ((), runs) = tokio::join!(appending, verifying);
    assert_eq!(runs, 30);
}

#[tokio::test]
async fn history_rewritten_with_database_access_alone_is_found_by_its_checkpoint() {
    let i = viewed_three_times().await;
    let signed = audit::checkpoint(&i.app.db, &i.app.audit_key, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(signed, Some(3));
    assert_eq!(
        audit::checkpoint(&i.app.db, &i.app.audit_key, chrono::Utc::now())
            .await
            .unwrap(),
        None,
        "an unmoved head is not signed twice"
    );
    // Rewrite entry 2's target and every hash after it, and the head: a chain
    // that fits together, as someone with write access could make.
    let mut entries = entities::audit_entry::Entity::find()
        .all(&i.app.db)
        .await
        .unwrap();
    entries.sort_by_key(|e| e.seq);
    let mut prev = audit::GENESIS.to_string();
    for entry in entries {
        let target = if entry.seq == 2 {
            "rewritten".to_string()
        } else {
            entry.target.clone()
        };
        let actor = audit::Actor {
            id: entry.actor_id,
            role: entry.actor_role.clone(),
            organization: entry.actor_organization,
        };
        let hash = audit::entry_hash(
            &prev,
            entry.seq,
            entry.at.timestamp_millis(),
            &actor,
            &entry.action,
            entry.application_id,
            &target,
        );
        let mut row: entities::audit_entry::ActiveModel = entry.into();
        row.target = Set(target);
        row.prev_hash = Set(prev.clone());
        row.hash = Set(hash.clone());
        sea_orm::ActiveModelTrait::update(row, &i.app.db)
            .await
            .unwrap();
        prev = hash;
    }
    i.app
        .db
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            i.app.db.get_database_backend(),
            "UPDATE audit_head SET hash = $1 WHERE id = 1",
            vec![prev.into()],
        ))
        .await
        .unwrap();
    let broken = audit::verify(&i.app.db, &i.app.audit_key)
        .await
        .unwrap()
        .expect_err("the checkpoint finds the rewrite");
    assert_eq!(broken.seq, 3, "{broken:?}");
    assert!(broken.reason.contains("checkpoint"), "{broken:?}");
    // And re-signing the checkpoint needs the key, which the database does not hold.
    let other_key = audit::AuditKey::new([7; 32]);
    let broken = audit::verify(&i.app.db, &other_key)
        .await
        .unwrap()
        .expect_err("another key");
    assert!(broken.reason.contains("another audit key"), "{broken:?}");
}

#[tokio::test]
async fn copies_of_a_capture_without_its_time_are_one_capture() {
    let i = interview().await;
    i.app.login_as(&i.candidate).await;
    let capture = uuid::Uuid::new_v4().to_string();
    let bytes = jpeg(5000, 9);
    let copies = (0..8).map(|_| {
        i.app.upload_capture(
            &i.application,
            "camera",
            None,
            Some(&capture),
            bytes.clone(),
        )
    });
    let mut keys = Vec::new();
    for response in futures::future::join_all(copies).await {
        assert_eq!(response.status(), 200);
        keys.push(
            response.json::<Value>().await.unwrap()["s3Key"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
    // A later retry the same way is the same capture too.
    let again = i
        .app
        .upload_capture(
            &i.application,
            "camera",
            None,
            Some(&capture),
            bytes.clone(),
        )
        .await;
    assert_eq!(again.status(), 200);
    assert_eq!(
        again.json::<Value>().await.unwrap()["s3Key"],
        keys[0].as_str()
    );
    assert_eq!(i.app.count_image_rows().await, 1);
    // Other bytes or another kind under that id are another image.
    let other_bytes = i
        .app
        .upload_capture(
            &i.application,
            "camera",
            None,
            Some(&capture),
            jpeg(5000, 10),
        )
        .await;
    assert_eq!(other_bytes.status(), 409);
    let other_kind = i
        .app
        .upload_capture(&i.application, "screen", None, Some(&capture), bytes)
        .await;
    assert_eq!(other_kind.status(), 409);
    assert_eq!(i.app.count_image_rows().await, 1);
}

#[tokio::test]
async fn an_application_has_at_most_two_hundred_sessions() {
    let i = interview().await;
    i.app.login_as(&i.candidate).await;
    let start = || {
        let body =
            json!({"applicationId": i.application, "cameraInterval": 5, "screenInterval": 5});
        let app = &i.app;
        async move { app.post_json("/api/monitoring/session/start", &body).await }
    };
    // Many at once: exactly the limit is started.
    let mut started = 0;
    for batch in 0..5 {
        let responses = futures::future::join_all((0..45).map(|_| start())).await;
        for response in responses {
            match response.status().as_u16() {
                200 => started += 1,
                429 => assert!(batch >= 4, "refused before the limit"),
                other => panic!("status {other}"),
            }
        }
    }
    assert_eq!(started, 200);
    let refused = start().await;
    assert_eq!(refused.status(), 429);
    assert!(error_body(refused).await["message"]
        .as_str()
        .unwrap()
        .contains("200"));
    let sessions = entities::monitoring_session::Entity::find()
        .count(&i.app.db)
        .await
        .unwrap();
    assert_eq!(sessions, 200);
}

#[tokio::test]
async fn an_application_has_at_most_twenty_thousand_events() {
    let i = interview().await.backdated().await;
    i.app.login_as(&i.candidate).await;
    let at = shared::monitoring::millis::format(&chrono::Utc::now());
    let batch = || -> Value {
        (0..500)
            .map(|_| json!({"eventId": uuid::Uuid::new_v4().to_string(), "kind": "copy", "at": at}))
            .collect()
    };
    for _ in 0..40 {
        let response = i
            .app
            .post_json(
                "/api/monitoring/events",
                &json!({"applicationId": i.application, "events": batch()}),
            )
            .await;
        assert_eq!(response.status(), 200);
    }
    let refused = i
        .app
        .post_json(
            "/api/monitoring/events",
            &json!({"applicationId": i.application, "events": batch()}),
        )
        .await;
    assert_eq!(refused.status(), 429);
    assert!(error_body(refused).await["message"]
        .as_str()
        .unwrap()
        .contains("20000"));
    let events = entities::monitoring_event::Entity::find()
        .count(&i.app.db)
        .await
        .unwrap();
    assert_eq!(events, 20_000, "nothing of the refused batch is kept");
}

/// A JPEG whose frame header declares `width`×`height` (its data is tiny).
fn declaring(width: u16, height: u16) -> Vec<u8> {
    let mut bytes = jpeg(3000, 1);
    // SOF0 at 20: FF C0, length (2), precision (1), height (2), width (2).
    bytes[25..27].copy_from_slice(&height.to_be_bytes());
    bytes[27..29].copy_from_slice(&width.to_be_bytes());
    bytes
}

#[tokio::test]
async fn images_declaring_more_pixels_than_a_camera_or_screen_makes_are_400() {
    let i = interview().await;
    i.app.login_as(&i.candidate).await;
    for (width, height) in [(8000, 5000), (4097, 10), (10, 4097), (u16::MAX, u16::MAX)] {
        let response = i
            .app
            .upload_binary(&i.application, "camera", declaring(width, height))
            .await;
        assert_eq!(response.status(), 400, "{width}×{height}");
        assert!(error_body(response).await["message"]
            .as_str()
            .unwrap()
            .contains("4096"));
    }
    assert_eq!(i.app.count_image_rows().await, 0);
    let fits = i
        .app
        .upload_binary(&i.application, "screen", declaring(4096, 4096))
        .await;
    assert_eq!(fits.status(), 200);
}

#[tokio::test]
async fn an_acknowledged_upload_is_synced_to_disk_on_the_embedded_defaults() {
    let i = interview().await;
    if i.app.db.get_database_backend() != sea_orm::DatabaseBackend::Sqlite {
        return; // PostgreSQL's commits are durable by its own default (fsync on).
    }
    // SQLite's own answer, on the server's connections: 2 is FULL (the WAL is
    // synced at every commit), 1 NORMAL (the last commits can be lost).
    for _ in 0..4 {
        let row = i
            .app
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Sqlite,
                "PRAGMA synchronous",
            ))
            .await
            .unwrap()
            .unwrap();
        let level: i64 = row.try_get_by_index(0).unwrap();
        assert_eq!(level, 2, "synchronous=FULL");
    }
}

#[tokio::test]
async fn exports_nobody_reads_cannot_pin_the_server() {
    let i = interview().await;
    i.app.login_as(&i.candidate).await;
    // About 24 MB of evidence: more than the connection's buffers hold.
    for n in 0..12 {
        let response = i
            .app
            .upload_binary(&i.application, "camera", jpeg(2_000_000, n))
            .await;
        assert_eq!(response.status(), 200);
    }
    let cookie = i.app.session_cookie_of(&i.recruiter).await;
    let body = json!({"applicationId": i.application}).to_string();
    // A hundred exports that are never read.
    let mut unread = Vec::new();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for _ in 0..100 {
        let mut stream = TcpStream::connect(host_of(&i.app.address)).await.unwrap();
        let request = format!(
            "POST /api/monitoring/export HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            host_of(&i.app.address),
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        // Only the status line is read; the zip is left unread.
        let status = status_of(&mut stream, Duration::from_secs(5))
            .await
            .unwrap_or(0);
        *statuses.entry(status).or_default() += 1;
        unread.push(stream);
    }
    assert_eq!(
        statuses.get(&200),
        Some(&2),
        "two exports of one user at once: {statuses:?}"
    );
    assert_eq!(statuses.get(&429), Some(&98), "{statuses:?}");
    // Uploads and everything else go on.
    i.app.login_as(&i.candidate).await;
    for n in 0..3 {
        let started = Instant::now();
        let response = i
            .app
            .upload_binary(&i.application, "screen", jpeg(4000, 100 + n))
            .await;
        assert_eq!(response.status(), 200);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
    // A client that stops reading is cut off, and its slot comes back.
    i.app.login_as(&i.recruiter).await;
    let started = Instant::now();
    let status = loop {
        let response = i.app.export(&i.application).await;
        let status = response.status().as_u16();
        if status != 429 || started.elapsed() > Duration::from_secs(60) {
            break status;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    assert_eq!(status, 200);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(20),
        "the unread exports held their slots for {waited:?}"
    );
    println!("exports left unread were cut off and their slots free after {waited:?}");
    drop(unread);
}

/// The application's row in the recruiter's applications list.
async fn listed_application(app: &crate::helpers::TestApp, application: &str) -> Value {
    let response = app.post_json("/api/applications", &json!({})).await;
    assert_eq!(response.status(), 200);
    let list: Value = response.json().await.unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == application)
        .cloned()
        .expect("listed")
}

#[tokio::test]
async fn the_list_shows_each_change_to_a_stored_summary() {
    let i = interview().await.backdated().await;
    let app = &i.app;
    app.login_as(&i.recruiter).await;
    assert_eq!(
        listed_application(app, &i.application).await["unreviewedFlags"],
        0
    );
    // Shown once and stored; shown again from what was stored.
    assert_eq!(
        listed_application(app, &i.application).await["unreviewedFlags"],
        0
    );
    let stored = entities::integrity_summary::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, 1);

    let millis = |t: chrono::DateTime<chrono::Utc>| shared::monitoring::millis::format(&t);
    let start = chrono::Utc::now() - chrono::Duration::minutes(5);
    let paste = uuid::Uuid::new_v4().to_string();
    let hidden = uuid::Uuid::new_v4().to_string();
    app.login_as(&i.candidate).await;
    let send = |events: Value| {
        let body = json!({"applicationId": i.application, "events": events});
        async move {
            app.post_json("/api/monitoring/events", &body)
                .await
                .status()
        }
    };
    assert_eq!(
        send(
            json!([{"eventId": paste, "kind": "paste", "at": millis(start)},
                    {"eventId": hidden, "kind": "tab_hidden", "at": millis(start)}])
        )
        .await,
        200
    );
    app.login_as(&i.recruiter).await;
    let row = listed_application(app, &i.application).await;
    assert_eq!(row["unreviewedFlags"], 2, "{row}");
    let review = |event: &str, verdict: &str| {
        let body = json!({"applicationId": i.application, "eventId": event, "verdict": verdict});
        async move {
            app.post_json("/api/monitoring/flags/review", &body)
                .await
                .status()
        }
    };
    assert_eq!(review(&paste, "concern").await, 200);
    assert_eq!(
        listed_application(app, &i.application).await["unreviewedFlags"],
        1
    );
    assert_eq!(review(&paste, "ok").await, 200);
    assert_eq!(review(&hidden, "ok").await, 200);
    assert_eq!(
        listed_application(app, &i.application).await["unreviewedFlags"],
        0
    );
    // An open event that ends, and a new flag, move it again.
    app.login_as(&i.candidate).await;
    assert_eq!(
        send(json!([{"eventId": hidden, "kind": "tab_hidden", "at": millis(start), "endedAt": millis(start + chrono::Duration::minutes(4))},
                    {"eventId": uuid::Uuid::new_v4().to_string(), "kind": "fullscreen_exit", "at": millis(start)}]))
        .await,
        200
    );
    app.login_as(&i.recruiter).await;
    let row = listed_application(app, &i.application).await;
    assert_eq!(row["unreviewedFlags"], 1, "{row}");
    // The list agrees with the review page's own count.
    let listed = app
        .post_json(
            "/api/monitoring/events/list",
            &json!({"applicationId": i.application}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(listed["summary"]["unreviewedFlags"], row["unreviewedFlags"]);
    assert_eq!(listed["summary"]["level"], row["integrityLevel"]);
}

#[tokio::test]
async fn an_api_path_that_does_not_exist_is_a_json_404() {
    let i = interview().await;
    i.app.login_as(&i.recruiter).await;
    for path in [
        "/api/monitoring/flags/appeal",
        "/api/nothing",
        "/api/monitoring/images/extra",
    ] {
        let response = i.app.post_json(path, &json!({})).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(error_body(response).await["error"], "not_found", "{path}");
    }
    // Without a caller it is refused before anything else, like every API path.
    let anonymous = crate::helpers::new_client()
        .post(i.app.url("/api/nothing"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    // Pages are still the app's.
    let page = i
        .app
        .client
        .get(i.app.url("/no-such-page"))
        .send()
        .await
        .unwrap();
    assert!(page
        .headers()
        .get("content-type")
        .is_some_and(|v| v.to_str().unwrap().starts_with("text/html")));
}
