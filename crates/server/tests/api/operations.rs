//! Running the server as an operator does: signals, restarts.

use std::time::Duration;

use futures::{future::join_all, StreamExt};
use serde_json::{json, Value};

use crate::helpers::{jpeg, ServerProcess};

/// A body that arrives in 15 pieces over about 1.5 s.
fn slow_body(image: Vec<u8>) -> reqwest::Body {
    let chunks: Vec<Vec<u8>> = image
        .chunks(image.len().div_ceil(15))
        .map(<[u8]>::to_vec)
        .collect();
    reqwest::Body::wrap_stream(futures::stream::unfold(
        chunks.into_iter(),
        |mut chunks| async move {
            let chunk = chunks.next()?;
            tokio::time::sleep(Duration::from_millis(100)).await;
            Some((Ok::<_, std::io::Error>(chunk), chunks))
        },
    ))
}

/// How the server process exited, if it did within 10 s.
async fn exit_of(server: &mut ServerProcess) -> Option<std::process::ExitStatus> {
    let child = server.child.as_mut()?;
    for _ in 0..100 {
        if let Some(status) = child.try_wait().ok()? {
            return Some(status);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// A running server process with the CLI-made interview of
/// [`ServerProcess::prepare_interview`]; the application's id.
async fn candidate_server() -> (ServerProcess, String) {
    let (mut server, application) = ServerProcess::prepare_interview().await;
    server.serve().await;
    (server, application)
}

/// A client signed in as the candidate of [`candidate_server`], who has consented.
async fn candidate_client(address: &str, application: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = client
        .post(format!("{address}/api/auth/login"))
        .json(&json!({"email": "c@example.test", "password": "candidate-pass"}));
    assert_eq!(login.send().await.unwrap().status(), 200);
    let consent = client
        .post(format!("{address}/api/monitoring/consent"))
        .json(&json!({"applicationId": application, "consentVersion": shared::integrity::CONSENT_VERSION}));
    assert_eq!(consent.send().await.unwrap().status(), 200);
    client
}

/// A JSON `POST` to `path` and its JSON answer.
async fn post_json(client: &reqwest::Client, address: &str, path: &str, body: Value) -> Value {
    client
        .post(format!("{address}{path}"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn camera_keys(client: &reqwest::Client, address: &str, application: &str) -> Vec<String> {
    let list = post_json(
        client,
        address,
        "/api/monitoring/images",
        json!({"applicationId": application}),
    )
    .await;
    list["camera"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["s3Key"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn sigterm_lets_the_uploads_in_flight_finish_and_loses_none() {
    let (mut server, application) = candidate_server().await;
    let client = candidate_client(&server.address, &application).await;

    // A user's share of upload slots, all in flight when the signal comes.
    let uploads = (0..8u8).map(|n| {
        client
            .post(format!(
                "{}/api/monitoring/upload-binary?applicationId={application}&imageType=camera",
                server.address
            ))
            .header("content-type", "image/jpeg")
            .body(slow_body(jpeg(30_000, n)))
            .send()
    });
    let address = server.address.clone();
    let pid = server.pid();
    let signal = async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap()
            .success());
        tokio::time::sleep(Duration::from_millis(300)).await;
        // No longer accepting.
        reqwest::Client::new()
            .get(format!("{address}/healthz"))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .is_err()
    };
    let (answers, refused_new) = tokio::join!(join_all(uploads), signal);
    let statuses: Vec<u16> = answers
        .into_iter()
        .map(|r| r.map(|r| r.status().as_u16()).unwrap_or(0))
        .collect();
    assert_eq!(statuses, vec![200; 8], "every upload in flight finished");
    assert!(
        refused_new,
        "new connections are refused once shutting down"
    );

    let exited = exit_of(&mut server).await;
    assert!(
        exited.is_some_and(|status| status.success()),
        "the server exits cleanly: {exited:?}"
    );

    // After a restart every one of them is there.
    server.serve().await;
    let client = candidate_client(&server.address, &application).await;
    assert_eq!(
        camera_keys(&client, &server.address, &application)
            .await
            .len(),
        8
    );
}

#[tokio::test]
async fn an_open_live_view_does_not_hold_up_shutdown() {
    let (mut server, _) = candidate_server().await;
    let recruiter = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = recruiter
        .post(format!("{}/api/auth/login", server.address))
        .json(&json!({"email": "r@example.test", "password": "recruiter-pass"}));
    assert_eq!(login.send().await.unwrap().status(), 200);
    let live = recruiter
        .get(format!("{}{}", server.address, server::live::LIVE_PATH))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    let signalled = std::time::Instant::now();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap()
        .success());
    // The stream ends (its body completes) and the server exits well before
    // the 30 s it would give a request that never ends.
    let body = tokio::time::timeout(Duration::from_secs(10), live.text()).await;
    assert!(
        body.is_ok_and(|text| text.is_ok()),
        "the stream ended cleanly"
    );
    let exited = exit_of(&mut server).await;
    assert!(exited.is_some_and(|s| s.success()), "{exited:?}");
    assert!(
        signalled.elapsed() < Duration::from_secs(10),
        "{:?}",
        signalled.elapsed()
    );
}

/// The value of one series in Prometheus text (0 when absent).
fn series(text: &str, name_and_labels: &str) -> f64 {
    text.lines()
        .find(|line| {
            line.starts_with(name_and_labels) && line[name_and_labels.len()..].starts_with(' ')
        })
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_uploads_sign_ins_and_signing_in_prometheus_text() {
    let i = crate::helpers::interview().await;
    let metrics = || async {
        let response = i
            .app
            .client
            .get(i.app.url("/metrics"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"));
        response.text().await.unwrap()
    };
    let before = metrics().await;
    i.app.login_as(&i.candidate).await;
    assert_eq!(
        i.app
            .login(&i.candidate.email, "wrong-password")
            .await
            .status(),
        401
    );
    i.app.login_as(&i.candidate).await;
    let key = i
        .app
        .uploaded(&i.application, "camera", &jpeg(3000, 1))
        .await;
    assert_eq!(
        i.app
            .upload_base64(&i.application, "camera", b"not a jpeg")
            .await
            .status(),
        415
    );
    assert_eq!(i.app.signed_url(&key).await.status(), 200);
    let after = metrics().await;

    let grew = |name: &str| series(&after, name) - series(&before, name);
    assert!(
        grew(r#"interview_monitor_uploads_total{kind="camera",outcome="stored"}"#) >= 1.0,
        "{after}"
    );
    assert!(
        grew(r#"interview_monitor_uploads_total{kind="camera",outcome="unsupported_media_type"}"#)
            >= 1.0
    );
    assert!(grew(r#"interview_monitor_upload_bytes_total{kind="camera"}"#) >= 3000.0);
    assert!(grew(r#"interview_monitor_sign_ins_total{outcome="ok"}"#) >= 2.0);
    assert!(grew(r#"interview_monitor_sign_ins_total{outcome="unauthenticated"}"#) >= 1.0);
    assert!(grew("interview_monitor_signed_urls_total") >= 1.0);
    assert!(
        after.contains("interview_monitor_upload_seconds_bucket{le=\"0.005\"}"),
        "latency histograms with buckets"
    );
    assert!(after.contains("interview_monitor_signing_seconds_count"));
}

#[tokio::test]
async fn sigkill_with_64_uploads_in_flight_leaves_no_image_without_its_object() {
    let (mut server, application) = candidate_server().await;
    let client = candidate_client(&server.address, &application).await;

    let images: Vec<String> = (0..64u8)
        .map(|n| crate::helpers::base64(&jpeg(64 * 1024, n)))
        .collect();
    let uploads = images.iter().map(|image| {
        client
            .post(format!("{}/api/monitoring/upload", server.address))
            .json(&json!({"applicationId": application, "imageType": "camera", "imageData": image}))
            .send()
    });
    // Killed once a quarter of them are answered: the rest are at every stage of storing.
    let mut in_flight: futures::stream::FuturesUnordered<_> = uploads.collect();
    let mut answers = Vec::new();
    while let Some(answer) = in_flight.next().await {
        answers.push(answer);
        if answers.len() == 16 {
            assert!(std::process::Command::new("kill")
                .args(["-KILL", &server.pid().to_string()])
                .status()
                .unwrap()
                .success());
            break;
        }
    }
    while let Some(answer) = in_flight.next().await {
        answers.push(answer);
    }
    let stored = answers
        .iter()
        .filter(|r| r.as_ref().is_ok_and(|r| r.status() == 200))
        .count();
    let _ = server.child.as_mut().unwrap().wait();

    server.serve().await;
    let client = candidate_client(&server.address, &application).await;
    let keys = camera_keys(&client, &server.address, &application).await;
    assert!(
        keys.len() >= stored,
        "every answered upload is listed ({} listed, {stored} answered 200)",
        keys.len()
    );
    for key in &keys {
        let signed = post_json(
            &client,
            &server.address,
            "/api/monitoring/signed-url",
            json!({"s3Key": key}),
        )
        .await;
        let image = client
            .get(format!(
                "{}{}",
                server.address,
                signed["url"].as_str().unwrap()
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(
            image.status(),
            200,
            "{key} is listed, so its object is there"
        );
    }
    println!("SIGKILL with 64 uploads in flight: {stored} answered, {} listed after restart, each readable", keys.len());
    // What the crash left (at most reservations and objects of unfinished uploads) is
    // not an image without its object, and the sweep's fix leaves nothing behind.
    let report = server.cli(&["storage", "reconcile", "--grace-secs", "0"], None);
    assert!(report.contains(" 0 rows without objects"), "{report}");
    server.cli(
        &["storage", "reconcile", "--fix", "--grace-secs", "0"],
        None,
    );
    let report = server.cli(&["storage", "reconcile", "--grace-secs", "0"], None);
    assert!(report.ends_with("0 objects without rows, 0 rows without objects, 0 abandoned reservations found; 0 damaged objects"), "{report}");
}
