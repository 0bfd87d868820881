//! Face presence over the API: camera images are analysed after they are stored,
//! absences become `no_face` runs, jobs survive restarts and crashed workers, and
//! instances never analyse one image twice.

use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};

use crate::helpers::{interview_with, ServerProcess, TestApp};

/// A photo from `$TEST_PHOTOS` as the JPEG a camera snapshot would be.
pub fn photo_jpeg(name: &str) -> Vec<u8> {
    let dir = std::env::var("TEST_PHOTOS")
        .unwrap_or_else(|_| "/var/cache/interview-monitor/tools/photos".into());
    let path = std::path::Path::new(&dir).join(name);
    let image = image::open(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/setup.sh --test)", path.display()));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image.to_rgb8())
        .write_to(&mut bytes, image::ImageFormat::Jpeg)
        .expect("encode");
    bytes.into_inner()
}

impl TestApp {
    /// The camera images' listing once every one has its analysis (or the last listing after 30 s).
    async fn analysed_camera(&self, application: &str, expected: usize) -> Vec<Value> {
        for _ in 0..300 {
            let list: Value = self.images(application).await.json().await.expect("json");
            let camera = list["camera"].as_array().cloned().unwrap_or_default();
            if camera.len() >= expected && camera.iter().all(|i| i.get("faces").is_some()) {
                return camera;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("camera images of {application} were not analysed within 30 s");
    }
}

#[tokio::test]
async fn a_face_is_found_and_an_absence_is_one_no_face_run() {
    let i = interview_with(&[]).await.backdated().await;
    let app = &i.app;
    app.login_as(&i.candidate).await;
    let start = Utc::now() - chrono::Duration::minutes(10);
    let at = |minute: i64| {
        shared::monitoring::millis::format(&(start + chrono::Duration::minutes(minute)))
    };
    let astronaut = photo_jpeg("astronaut.png");
    let coffee = photo_jpeg("coffee.png");
    // A face, then the candidate away for three snapshots, then back.
    for (minute, photo) in [
        (1, &astronaut),
        (2, &coffee),
        (3, &coffee),
        (4, &coffee),
        (5, &astronaut),
    ] {
        let response = app
            .upload_capture(
                &i.application,
                "camera",
                Some(&at(minute)),
                None,
                photo.clone(),
            )
            .await;
        assert_eq!(response.status(), 200);
    }
    let camera = app.analysed_camera(&i.application, 5).await;
    let faces: Vec<u64> = camera
        .iter()
        .map(|i| i["faces"].as_u64().unwrap())
        .collect();
    assert_eq!(faces, [1, 0, 0, 0, 1]);
    let face = &camera[0]["faceBoxes"][0];
    for field in ["x", "y", "w", "h"] {
        let value = face[field].as_f64().unwrap();
        assert!(
            (0.0..=1.0).contains(&value),
            "{field} is a fraction: {face}"
        );
    }
    assert!(
        face["w"].as_f64().unwrap() > 0.1,
        "the astronaut's face is large: {face}"
    );

    app.login_as(&i.recruiter).await;
    let listed: Value = app
        .post_json(
            "/api/monitoring/events/list",
            &json!({"applicationId": i.application}),
        )
        .await
        .json()
        .await
        .unwrap();
    let runs: Vec<&Value> = listed["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "no_face")
        .collect();
    assert_eq!(runs.len(), 1, "one absence, one flag: {listed}");
    assert_eq!(runs[0]["source"], "server");
    assert_eq!(runs[0]["detail"]["snapshots"], 3);
    assert_eq!(runs[0]["at"].as_str().unwrap(), at(2));
    assert_eq!(runs[0]["endedAt"].as_str().unwrap(), at(4));
    assert_eq!(listed["summary"]["noFaceRuns"], 1);
    assert_eq!(listed["summary"]["noFaceSeconds"], 120);
    // A verdict stays with the run.
    let run_id = runs[0]["eventId"].as_str().unwrap();
    let reviewed = app
        .post_json(
            "/api/monitoring/flags/review",
            &json!({"applicationId": i.application, "eventId": run_id, "verdict": "ok"}),
        )
        .await;
    assert_eq!(reviewed.status(), 200);
    let listed: Value = app
        .post_json(
            "/api/monitoring/events/list",
            &json!({"applicationId": i.application}),
        )
        .await
        .json()
        .await
        .unwrap();
    let run = listed["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["eventId"] == run_id)
        .expect("the same run")
        .clone();
    assert_eq!(run["review"]["verdict"], "ok");
}

#[tokio::test]
async fn two_faces_make_a_multiple_faces_run_and_screens_are_not_analysed() {
    let i = interview_with(&[]).await;
    let app = &i.app;
    app.login_as(&i.candidate).await;
    let astronaut = image::load_from_memory(&photo_jpeg("astronaut.png")).unwrap();
    let face = astronaut.crop_imm(96, 0, 320, 320).to_rgb8();
    let mut pair = image::RgbImage::new(640, 320);
    image::imageops::overlay(&mut pair, &face, 0, 0);
    image::imageops::overlay(&mut pair, &image::imageops::flip_horizontal(&face), 320, 0);
    let mut bytes = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(pair)
        .write_to(&mut bytes, image::ImageFormat::Jpeg)
        .unwrap();
    assert_eq!(
        app.upload_binary(&i.application, "camera", bytes.into_inner())
            .await
            .status(),
        200
    );
    assert_eq!(
        app.upload_binary(&i.application, "screen", photo_jpeg("coffee.png"))
            .await
            .status(),
        200
    );
    let camera = app.analysed_camera(&i.application, 1).await;
    assert!(camera[0]["faces"].as_u64().unwrap() >= 2);
    let list: Value = app.images(&i.application).await.json().await.unwrap();
    assert!(
        list["screen"][0].get("faces").is_none(),
        "screens are not analysed"
    );
    let listed: Value = app
        .post_json(
            "/api/monitoring/events/list",
            &json!({"applicationId": i.application}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["summary"]["multipleFacesRuns"], 1);
    assert_eq!(
        listed["summary"]["level"], "major",
        "a second face is major"
    );
}

#[tokio::test]
async fn with_face_detection_off_nothing_is_analysed() {
    let i = interview_with(&[("FACE_DETECTION", "off")]).await;
    let app = &i.app;
    app.login_as(&i.candidate).await;
    assert_eq!(
        app.upload_binary(&i.application, "camera", photo_jpeg("astronaut.png"))
            .await
            .status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let list: Value = app.images(&i.application).await.json().await.unwrap();
    assert!(list["camera"][0].get("faces").is_none());
    assert_eq!(
        server::db::faces::backlog(&app.db).await.unwrap(),
        0,
        "no job was queued"
    );
}

#[tokio::test]
async fn workers_never_take_the_same_job_twice() {
    // An instance that only queues (FACE_WORKERS=0), so the jobs wait.
    let i = interview_with(&[("FACE_WORKERS", "0")]).await;
    let app = &i.app;
    app.login_as(&i.candidate).await;
    let jpeg = photo_jpeg("coffee.png");
    for _ in 0..20 {
        let capture = uuid::Uuid::new_v4().to_string();
        assert_eq!(
            app.upload_capture(&i.application, "camera", None, Some(&capture), jpeg.clone())
                .await
                .status(),
            200
        );
    }
    assert_eq!(server::db::faces::backlog(&app.db).await.unwrap(), 20);
    // Eight workers claim at once, as eight instances would.
    let now = Utc::now();
    let claims = (0..8)
        .map(|_| server::db::faces::claim(&app.db, 5, now, now + chrono::Duration::minutes(2)));
    let mut claimed: Vec<uuid::Uuid> = futures::future::join_all(claims)
        .await
        .into_iter()
        .flat_map(|c| c.expect("claim"))
        .map(|j| j.image_id)
        .collect();
    let total = claimed.len();
    claimed.sort();
    claimed.dedup();
    assert_eq!(claimed.len(), total, "no job was claimed twice");
    assert_eq!(total, 20, "every job was claimed once");
    // Held jobs are not taken again while their lease lasts.
    assert!(server::db::faces::claim(&app.db, 50, now, now)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_job_outlives_a_restart_and_a_crashed_worker() {
    let (mut server, application) = ServerProcess::prepare_interview().await;
    server.serve_with(&[("FACE_WORKERS", "0")]).await;

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = client
        .post(format!("{}/api/auth/login", server.address))
        .json(&json!({"email": "r@example.test", "password": "recruiter-pass"}));
    assert_eq!(login.send().await.unwrap().status(), 200);
    let upload = |bytes: Vec<u8>| {
        client
            .post(format!(
                "{}/api/monitoring/upload-binary?applicationId={application}&imageType=camera",
                server.address
            ))
            .header("content-type", "image/jpeg")
            .body(bytes)
            .send()
    };
    assert_eq!(
        upload(photo_jpeg("astronaut.png")).await.unwrap().status(),
        200
    );
    assert_eq!(
        upload(photo_jpeg("coffee.png")).await.unwrap().status(),
        200
    );
    let db = sea_orm::Database::connect(&server.database_url)
        .await
        .unwrap();
    assert_eq!(server::db::faces::backlog(&db).await.unwrap(), 2);
    // A worker took one and died with it: its lease runs out (here, at once).
    let now = Utc::now();
    let held = server::db::faces::claim(&db, 1, now, now + chrono::Duration::milliseconds(1))
        .await
        .unwrap();
    assert_eq!(held.len(), 1);

    // Restarted with a worker: both are analysed.
    server.kill();
    server.serve_with(&[]).await;
    let mut faces = Vec::new();
    for _ in 0..300 {
        let response = client
            .post(format!("{}/api/monitoring/images", server.address))
            .json(&json!({"applicationId": application}))
            .send()
            .await
            .unwrap();
        let listed = response.json::<Value>().await.unwrap();
        faces = listed["camera"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["faces"].as_u64())
            .collect::<Vec<_>>();
        if faces.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    faces.sort();
    assert_eq!(faces, [0, 1]);
    assert_eq!(server::db::faces::backlog(&db).await.unwrap(), 0);
    let metrics = reqwest::get(format!("{}/metrics", server.address))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("interview_monitor_face_jobs_waiting"),
        "the backlog is shown"
    );
    assert!(metrics.contains("interview_monitor_face_analyses_total"));
}
