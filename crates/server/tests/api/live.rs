//! The live view's stream (README, "Review at scale"): frames and flags pushed
//! to reviewers from whichever instance stored them.

use std::time::{Duration, Instant};

use chrono::Utc;
use futures::StreamExt;
use serde_json::{json, Value};

use crate::helpers::{interview, jpeg, spawn_instance_of, TestApp};
use crate::integrity::event;

/// A live stream as a reader of its events.
struct Live {
    body: std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buffer: String,
}

impl Live {
    async fn open(app: &TestApp) -> Self {
        let response = app
            .client
            .get(app.url("/api/monitoring/live"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Live {
            body: Box::pin(response.bytes_stream()),
            buffer: String::new(),
        }
    }

    /// The next event named `name` within `wait`, with its data.
    async fn next(&mut self, name: &str, wait: Duration) -> Option<Value> {
        let deadline = Instant::now() + wait;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = "message";
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(rest) = line.strip_prefix("event:") {
                        event = rest.trim();
                    } else if let Some(rest) = line.strip_prefix("data:") {
                        data.push_str(rest.trim());
                    }
                }
                if event == name {
                    return Some(serde_json::from_str(&data).unwrap());
                }
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            match tokio::time::timeout(left, self.body.next()).await {
                Ok(Some(Ok(chunk))) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return None,
            }
        }
    }
}

#[tokio::test]
async fn reviewers_see_frames_and_flags_stored_through_another_instance() {
    let i = interview().await;
    let watcher = spawn_instance_of(&i.app, &[]).await;
    i.app.login_as(&i.candidate).await;
    let started = i
        .app
        .post_json(
            "/api/monitoring/session/start",
            &json!({"applicationId": i.application, "cameraInterval": 5, "screenInterval": 5}),
        )
        .await;
    assert_eq!(started.status(), 200);
    let first = i
        .app
        .uploaded(&i.application, "camera", &jpeg(2_000, 1))
        .await;

    watcher.login_as(&i.recruiter).await;
    let mut live = Live::open(&watcher).await;
    let shown = live
        .next("frame", Duration::from_secs(5))
        .await
        .expect("the latest frame at once");
    assert_eq!(shown["s3Key"], first.as_str());
    assert_eq!(shown["applicationId"], i.application.as_str());
    assert_eq!(shown["kind"], "camera");

    // A new frame through the other instance arrives within the target (5 s).
    let uploaded_at = Instant::now();
    let second = i
        .app
        .uploaded(&i.application, "screen", &jpeg(2_000, 2))
        .await;
    let pushed = live
        .next("frame", Duration::from_secs(5))
        .await
        .expect("a new frame within 5 s");
    let delay = uploaded_at.elapsed();
    assert_eq!(pushed["s3Key"], second.as_str());
    assert_eq!(pushed["kind"], "screen");
    println!("live frame delay: {} ms", delay.as_millis());

    // A flag as it is recorded; the stream carries keys and ids, never URLs.
    let paste = event("paste", Utc::now(), None);
    let sent = i
        .app
        .post_json(
            "/api/monitoring/events",
            &json!({"applicationId": i.application, "events": [paste.clone()]}),
        )
        .await;
    assert_eq!(sent.status(), 200);
    let flag = live
        .next("flag", Duration::from_secs(5))
        .await
        .expect("a flag within 5 s");
    assert_eq!(flag["kind"], "paste");
    assert_eq!(flag["eventId"], paste["eventId"]);
    assert!(!flag.to_string().contains("http"), "{flag}");
    // Nothing twice.
    assert_eq!(live.next("frame", Duration::from_secs(3)).await, None);
}

#[tokio::test]
async fn only_reviewers_of_the_organization_watch() {
    let i = interview().await;
    i.app.organization("beta").await;
    let stranger = i.app.user("recruiter", Some("beta")).await;
    let admin = i.app.user("admin", None).await;
    let stream = |app: &TestApp| {
        let request = app.client.get(app.url("/api/monitoring/live"));
        async move { request.send().await.unwrap() }
    };

    assert_eq!(stream(&i.app).await.status(), 401);
    i.app.login_as(&i.candidate).await;
    assert_eq!(stream(&i.app).await.status(), 403);
    i.app
        .uploaded(&i.application, "camera", &jpeg(2_000, 3))
        .await;

    // Another organization's recruiter sees nothing of acme's.
    i.app.login_as(&stranger).await;
    let mut theirs = Live::open(&i.app).await;
    let other = spawn_instance_of(&i.app, &[]).await;
    other.login_as(&i.candidate).await;
    other
        .uploaded(&i.application, "camera", &jpeg(2_000, 4))
        .await;
    assert_eq!(theirs.next("frame", Duration::from_secs(3)).await, None);

    // An admin sees every organization's.
    let watcher = spawn_instance_of(&i.app, &[]).await;
    watcher.login_as(&admin).await;
    let mut all = Live::open(&watcher).await;
    other
        .uploaded(&i.application, "camera", &jpeg(2_000, 5))
        .await;
    assert!(all.next("frame", Duration::from_secs(5)).await.is_some());

    // A user holds at most 4 streams at once; a closed one gives its place back.
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(stream(&watcher).await);
    }
    assert!(open.iter().all(|r| r.status() == 200));
    assert_eq!(stream(&watcher).await.status(), 429);
    drop(open.pop());
    drop(all);
    let mut again = None;
    // (The server learns of a closed connection when it next writes to it: a
    // keep-alive comment at the latest.)
    for _ in 0..100 {
        let response = stream(&watcher).await;
        if response.status() == 200 {
            again = Some(response);
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(again.is_some(), "a closed stream's place is taken again");
}
