//! Privacy and accountability: the hash-chained audit trail, erasure, damaged
//! objects, evidence export and organizations' own retention periods.

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, PaginatorTrait, Set};
use serde_json::{json, Value};
use server::db::{audit, entities};

use crate::helpers::{error_body, interview, jpeg, new_client, using_s3, Interview};

pub(crate) async fn trail(i: &Interview) -> Vec<Value> {
    let response = i
        .app
        .post_json(
            "/api/audit/application",
            &json!({"applicationId": i.application}),
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["entries"]
        .as_array()
        .unwrap()
        .clone()
}

impl crate::helpers::TestApp {
    /// `POST /api/monitoring/export` for the application.
    pub async fn export(&self, application: &str) -> reqwest::Response {
        self.post_json(
            "/api/monitoring/export",
            &json!({"applicationId": application}),
        )
        .await
    }
}

async fn intact(i: &Interview) -> audit::Intact {
    audit::verify(&i.app.db, &i.app.audit_key)
        .await
        .unwrap()
        .expect("the chain is intact")
}

#[tokio::test]
async fn a_recruiters_viewing_appears_in_the_candidates_trail() {
    let i = interview().await;
    i.app.login_as(&i.candidate).await;
    let key = i
        .app
        .uploaded(&i.application, "camera", &jpeg(3000, 1))
        .await;
    i.app.login_as(&i.recruiter).await;
    assert_eq!(i.app.signed_url(&key).await.status(), 200);
    i.app.login_as(&i.candidate).await;
    let entries = trail(&i).await;
    let view = entries
        .iter()
        .find(|e| e["action"] == "view")
        .expect("a view entry");
    assert_eq!(view["actor"], "a recruiter of Org acme");
    assert_eq!(view["target"], key.as_str());
    assert!(view["at"].as_str().is_some_and(|at| at.ends_with('Z')));
    // Another organization's recruiter sees neither the images nor the trail.
    i.app.organization("other").await;
    let stranger = i.app.user("recruiter", Some("other")).await;
    i.app.login_as(&stranger).await;
    let refused = i
        .app
        .post_json(
            "/api/audit/application",
            &json!({"applicationId": i.application}),
        )
        .await;
    assert_eq!(refused.status(), 403);
    let bad = i
        .app
        .post_json(
            "/api/audit/application",
            &json!({"applicationId": "x".repeat(5000)}),
        )
        .await;
    assert_eq!(bad.status(), 400);
    // The whole trail is for admins only.
    assert_eq!(
        i.app
            .post_json("/api/audit/entries", &json!({}))
            .await
            .status(),
        403
    );
    let admin = i.app.user("admin", None).await;
    i.app.login_as(&admin).await;
    let all: Value = i
        .app
        .post_json("/api/audit/entries", &json!({"limit": 1000}))
        .await
        .json()
        .await
        .unwrap();
    assert!(all["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["target"] == key.as_str()));
    for bad in [
        json!({"limit": 0}),
        json!({"limit": 1001}),
        json!({"limit": u32::MAX as u64 + 1}),
        json!({"before": 0}),
    ] {
        assert_eq!(
            i.app.post_json("/api/audit/entries", &bad).await.status(),
            400,
            "{bad}"
        );
    }
    intact(&i).await;
}

#[tokio::test]
async fn consent_through_the_api_is_an_entry_once() {
    let i = interview().await;
    let application =
        server::cli::create_application(&i.app.db, "acme", &i.candidate.email, "Second")
            .await
            .unwrap()
            .to_string();
    i.app.login_as(&i.candidate).await;
    let consent =
        json!({"applicationId": application, "consentVersion": shared::integrity::CONSENT_VERSION});
    for _ in 0..3 {
        assert_eq!(
            i.app
                .post_json("/api/monitoring/consent", &consent)
                .await
                .status(),
            200
        );
    }
    let entries: Value = i
        .app
        .post_json(
            "/api/audit/application",
            &json!({"applicationId": application}),
        )
        .await
        .json()
        .await
        .unwrap();
    let consents: Vec<&Value> = entries["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "consent")
        .collect();
    assert_eq!(
        consents.len(),
        1,
        "consenting again to the same text is not a new entry"
    );
    assert_eq!(consents[0]["actor"], "you");
}

#[tokio::test]
async fn a_changed_or_removed_entry_breaks_the_chain_where_it_happened() {
    let i = interview().await;
    i.app.login_as(&i.recruiter).await;
    let key = i
        .app
        .uploaded(&i.application, "camera", &jpeg(3000, 2))
        .await;
    for _ in 0..4 {
        assert_eq!(i.app.signed_url(&key).await.status(), 200);
    }
    let chain = intact(&i).await;
    assert_eq!(chain.entries, 4);

    let mut second = entities::audit_entry::Entity::find_by_id(2i64)
        .one(&i.app.db)
        .await
        .unwrap()
        .unwrap()
        .into_active_model();
    second.target = Set("monitoring/someone-else.jpg".into());
    second.update(&i.app.db).await.unwrap();
    let broken = audit::verify(&i.app.db, &i.app.audit_key)
        .await
        .unwrap()
        .expect_err("a changed entry is found");
    assert_eq!(broken.seq, 2, "{broken:?}");
    assert!(broken.reason.contains("changed"), "{broken:?}");

    // Put it back, then remove the last entry: the head no longer matches.
    let mut second = entities::audit_entry::Entity::find_by_id(2i64)
        .one(&i.app.db)
        .await
        .unwrap()
        .unwrap()
        .into_active_model();
    second.target = Set(key.clone());
    second.update(&i.app.db).await.unwrap();
    assert_eq!(intact(&i).await.head, chain.head);
    entities::audit_entry::Entity::delete_by_id(4i64)
        .exec(&i.app.db)
        .await
        .unwrap();
    let broken = audit::verify(&i.app.db, &i.app.audit_key)
        .await
        .unwrap()
        .expect_err("a removed entry is found");
    assert_eq!(broken.seq, 4, "{broken:?}");
    // And one from the middle.
    entities::audit_entry::Entity::delete_by_id(2i64)
        .exec(&i.app.db)
        .await
        .unwrap();
    assert_eq!(
        audit::verify(&i.app.db, &i.app.audit_key)
            .await
            .unwrap()
            .expect_err("a hole")
            .seq,
        2
    );
}

#[tokio::test]
async fn twenty_concurrent_writers_leave_one_intact_chain() {
    let i = interview().await;
    i.app.login_as(&i.recruiter).await;
    let key = i
        .app
        .uploaded(&i.application, "camera", &jpeg(3000, 3))
        .await;
    let cookie = i.app.session_cookie_of(&i.recruiter).await;
    let url = i.app.url("/api/monitoring/signed-urls");
    let requests = (0..20).map(|_| {
        let (url, cookie, key) = (url.clone(), cookie.clone(), key.clone());
        async move {
            new_client()
                .post(url)
                .header("cookie", cookie)
                .json(&json!({"s3Keys": [key]}))
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures::future::join_all(requests).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let chain = intact(&i).await;
    assert_eq!(chain.entries, 20);
    assert_eq!(
        entities::audit_entry::Entity::find()
            .count(&i.app.db)
            .await
            .unwrap(),
        20
    );
}

#[tokio::test]
async fn erasure_removes_every_object_and_row_and_keeps_the_record() {
    let i = interview().await.backdated().await;
    i.app.login_as(&i.candidate).await;
    let camera = i
        .app
        .uploaded(&i.application, "camera", &jpeg(3000, 4))
        .await;
    let screen = i
        .app
        .uploaded(&i.application, "screen", &jpeg(3000, 5))
        .await;
    let session =
        json!({"applicationId": i.application, "cameraInterval": 30, "screenInterval": 60});
    assert_eq!(
        i.app
            .post_json("/api/monitoring/session/start", &session)
            .await
            .status(),
        200
    );
    let events = json!({"applicationId": i.application, "events": [
        {"eventId": uuid::Uuid::new_v4().to_string(), "kind": "paste", "at": shared::monitoring::millis::format(&Utc::now())}
    ]});
    assert_eq!(
        i.app
            .post_json("/api/monitoring/events", &events)
            .await
            .status(),
        200
    );
    // An object nobody recorded (an upload that crashed between put and insert).
    let orphan = format!(
        "monitoring/{}/camera/1764063000123-{}.jpg",
        i.application,
        uuid::Uuid::new_v4()
    );
    i.app.put_raw_object(&orphan, jpeg(3000, 6)).await;

    assert_eq!(
        i.app
            .post_json(
                "/api/applications/erase",
                &json!({"applicationId": i.application})
            )
            .await
            .status(),
        403
    );
    i.app.login_as(&i.recruiter).await;
    let refused = i
        .app
        .post_json(
            "/api/applications/erase",
            &json!({"applicationId": i.application}),
        )
        .await;
    assert_eq!(refused.status(), 403, "a recruiter cannot erase");
    let admin = i.app.user("admin", None).await;
    i.app.login_as(&admin).await;
    assert_eq!(
        i.app
            .post_json(
                "/api/applications/erase",
                &json!({"applicationId": uuid::Uuid::new_v4()})
            )
            .await
            .status(),
        404
    );
    assert_eq!(
        i.app
            .post_json("/api/applications/erase", &json!({"applicationId": "nope"}))
            .await
            .status(),
        400
    );
    let erased = i
        .app
        .post_json(
            "/api/applications/erase",
            &json!({"applicationId": i.application}),
        )
        .await;
    assert_eq!(erased.status(), 200);
    let receipt: Value = erased.json().await.unwrap();
    assert_eq!(
        receipt,
        json!({"success": true, "erasedImages": 2, "erasedEvents": 1})
    );

    for key in [&camera, &screen, &orphan] {
        assert!(
            !i.app.object_exists(key).await,
            "{key} is gone from the store"
        );
    }
    let db = &i.app.db;
    assert_eq!(i.app.count_image_rows().await, 0);
    assert_eq!(
        entities::monitoring_event::Entity::find()
            .count(db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        entities::monitoring_session::Entity::find()
            .count(db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        entities::consent::Entity::find().count(db).await.unwrap(),
        0
    );
    // The application stays, marked; the trail says when and by whom, never what.
    let listed: Value = i
        .app
        .post_json(
            "/api/applications/get",
            &json!({"applicationId": i.application}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(listed["erasedAt"].as_str().is_some(), "{listed}");
    let entries = trail(&i).await;
    let erase = entries
        .iter()
        .find(|e| e["action"] == "erase")
        .expect("an erase entry");
    assert_eq!(erase["actor"], "an administrator");
    assert_eq!(erase["target"], "2 images, 1 event, 1 session");
    // Nothing new is recorded for it.
    let late = i
        .app
        .upload_binary(&i.application, "camera", jpeg(3000, 7))
        .await;
    assert_eq!(late.status(), 409);
    assert!(error_body(late).await["message"]
        .as_str()
        .unwrap()
        .contains("erased"));
    // Erasing again is harmless.
    let again: Value = i
        .app
        .post_json(
            "/api/applications/erase",
            &json!({"applicationId": i.application}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["erasedImages"], 0);
    intact(&i).await;
}

#[tokio::test]
async fn a_damaged_object_is_refused_not_served_and_reconcile_reports_it() {
    let i = interview().await;
    i.app.login_as(&i.recruiter).await;
    let key = i
        .app
        .uploaded(&i.application, "camera", &jpeg(3000, 8))
        .await;
    let intact_key = i
        .app
        .uploaded(&i.application, "camera", &jpeg(3000, 9))
        .await;
    if using_s3() {
        // Replaced behind the server's back with other bytes.
        i.app.put_raw_object(&key, jpeg(3000, 10)).await;
    } else {
        let path = i.app.data_dir.join("objects").join(&key);
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x01;
        std::fs::write(&path, bytes).unwrap();
        let signed: Value = i.app.signed_url(&key).await.json().await.unwrap();
        let served = i.app.fetch(signed["url"].as_str().unwrap()).await;
        assert_eq!(served.status(), 500);
        assert_eq!(served.text().await.unwrap(), "image damaged");
    }
    let damaged = server::monitoring::reconcile::damaged(&i.app.db, i.app.store.as_ref())
        .await
        .unwrap();
    assert_eq!(damaged, std::slice::from_ref(&key));
    let signed: Value = i.app.signed_url(&intact_key).await.json().await.unwrap();
    assert_eq!(
        i.app.fetch(signed["url"].as_str().unwrap()).await.status(),
        200
    );
    // An export refuses to hand over a damaged image: the download breaks off.
    let export = i.app.export(&i.application).await;
    assert_eq!(export.status(), 200);
    let body = export.bytes().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("e.zip");
    std::fs::write(&file, body.map(|b| b.to_vec()).unwrap_or_default()).unwrap();
    assert!(
        server::export::verify(&file).is_err(),
        "an export with a damaged image does not verify"
    );
}

#[tokio::test]
async fn the_export_matches_its_manifest_and_verify_catches_a_changed_byte() {
    let i = interview().await.backdated().await;
    i.app.login_as(&i.candidate).await;
    let images = [jpeg(4000, 11), jpeg(5000, 12), jpeg(6000, 13)];
    let mut keys = Vec::new();
    for (n, bytes) in images.iter().enumerate() {
        keys.push(
            i.app
                .uploaded(
                    &i.application,
                    if n == 1 { "screen" } else { "camera" },
                    bytes,
                )
                .await,
        );
    }
    assert_eq!(
        i.app.export(&i.application).await.status(),
        403,
        "candidates do not export"
    );
    i.app.login_as(&i.recruiter).await;
    let cross = i
        .app
        .client
        .post(i.app.url("/api/monitoring/export"))
        .header("sec-fetch-site", "cross-site")
        .json(&json!({"applicationId": i.application}))
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    // A GET (a link or an image tag on another page) starts nothing.
    let get = i
        .app
        .client
        .get(i.app.url(&format!(
            "/api/monitoring/export?applicationId={}",
            i.application
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 405);
    for bad in [
        json!({}),
        json!({"applicationId": "nope"}),
        json!({"applicationId": 5}),
    ] {
        let response = i.app.post_json("/api/monitoring/export", &bad).await;
        assert_eq!(response.status(), 400, "{bad}");
        error_body(response).await;
    }
    let response = i.app.export(&i.application).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let zip = response.bytes().await.unwrap().to_vec();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("evidence.zip");
    std::fs::write(&file, &zip).unwrap();
    let verified = server::export::verify(&file).expect("the export verifies");
    assert!(verified.starts_with("intact: 4 files"), "{verified}");

    let mut archive = zip::ZipArchive::new(std::fs::File::open(&file).unwrap()).unwrap();
    let manifest: shared::audit::ExportManifest =
        serde_json::from_reader(archive.by_name("manifest.json").unwrap()).unwrap();
    assert_eq!(manifest.application_id.to_string(), i.application);
    // The manifest names the chain's head before the export; the export's own
    // entry follows it and records the manifest's digest.
    let mut manifest_bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut archive.by_name("manifest.json").unwrap(),
        &mut manifest_bytes,
    )
    .unwrap();
    let head = intact(&i).await.head;
    let export_entry = entities::audit_entry::Entity::find()
        .all(&i.app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.hash == head)
        .unwrap();
    assert_eq!(export_entry.action, "export");
    assert_eq!(export_entry.prev_hash, manifest.audit_head);
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&manifest_bytes));
    assert!(
        export_entry
            .target
            .ends_with(&format!("manifest sha256 {digest}")),
        "{}",
        export_entry.target
    );
    for (key, bytes) in keys.iter().zip(&images) {
        let name = key.rsplit('/').next().unwrap();
        let kind = if key.contains("/screen/") {
            "screen"
        } else {
            "camera"
        };
        let listed = manifest
            .files
            .iter()
            .find(|f| f.path == format!("images/{kind}/{name}"))
            .expect("listed");
        assert_eq!(
            listed.sha256,
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))
        );
        assert_eq!(listed.size, bytes.len() as u64);
        assert!(listed.captured_at.is_some());
    }
    assert!(manifest.files.iter().any(|f| f.path == "events.json"));
    assert_eq!(
        trail(&i)
            .await
            .iter()
            .filter(|e| e["action"] == "export")
            .count(),
        1
    );

    // One changed byte inside an image: verify names it.
    let needle = &images[2][100..164];
    let at = zip
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the image is stored uncompressed");
    let mut changed = zip.clone();
    changed[at + 10] ^= 0xff;
    let bad = dir.path().join("changed.zip");
    std::fs::write(&bad, changed).unwrap();
    let error = server::export::verify(&bad)
        .expect_err("a changed byte is found")
        .to_string();
    assert!(error.contains("images/camera/"), "{error}");
}

#[tokio::test]
async fn an_organizations_shorter_period_is_purged_and_shown() {
    let i = interview().await;
    let db = &i.app.db;
    server::cli::create_organization_keeping(db, "brief", "Brief Co.", Some(30), Some(90))
        .await
        .unwrap();
    let refused =
        server::cli::create_organization_keeping(db, "long", "Long Co.", Some(120), Some(90))
            .await
            .unwrap_err()
            .to_string();
    assert!(refused.contains("1 to 90"), "{refused}");
    for bad in [0, u32::MAX] {
        assert!(
            server::cli::create_organization_keeping(db, "bad", "Bad", Some(bad), None)
                .await
                .is_err(),
            "{bad}"
        );
    }
    let brief_recruiter = i.app.user("recruiter", Some("brief")).await;
    let brief = server::cli::create_application(db, "brief", &i.candidate.email, "Brief")
        .await
        .unwrap()
        .to_string();
    let old = (Utc::now() - Duration::days(400)).to_rfc3339();
    i.app.set_application_created(&brief, &old).await;
    i.app.set_application_created(&i.application, &old).await;
    i.app.login_as(&brief_recruiter).await;
    let listed: Value = i
        .app
        .post_json("/api/applications/get", &json!({"applicationId": brief}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["retentionDays"], 30);
    let at = |days: i64| shared::monitoring::millis::format(&(Utc::now() - Duration::days(days)));
    let upload = |application: String, days: i64, seed: u8| {
        let app = &i.app;
        async move {
            app.upload_capture(
                &application,
                "camera",
                Some(&at(days)),
                None,
                jpeg(2000, seed),
            )
            .await
            .status()
        }
    };
    assert_eq!(upload(brief.clone(), 45, 20).await, 200);
    assert_eq!(upload(brief.clone(), 10, 21).await, 200);
    i.app.login_as(&i.recruiter).await;
    assert_eq!(upload(i.application.clone(), 45, 22).await, 200);

    // Two instances at once: one purges, the other finds the lease taken.
    let now = Utc::now();
    let (a, b) = futures::join!(
        server::retention::purge(db, i.app.store.as_ref(), Some(90), now, false, "instance-a"),
        server::retention::purge(db, i.app.store.as_ref(), Some(90), now, false, "instance-b"),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.images + b.images, 1, "{a:?} {b:?}");
    assert!(a.skipped != b.skipped, "exactly one purged: {a:?} {b:?}");
    assert_eq!(
        i.app.count_image_rows().await,
        2,
        "the 45-day-old image of the 90-day organization stays"
    );
    i.app.login_as(&i.candidate).await;
    let entries: Value = i
        .app
        .post_json("/api/audit/application", &json!({"applicationId": brief}))
        .await
        .json()
        .await
        .unwrap();
    let purge = entries["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "purge")
        .cloned()
        .expect("a purge entry");
    assert_eq!(purge["actor"], "the automatic retention purge");
    assert_eq!(
        purge["target"],
        "1 image, 0 events, 0 sessions older than 30 days"
    );
}

/// The binary against the test's data (and its S3 store, when the tests use one).
/// Awaited, not blocked on: the server under test runs on this test's runtime and
/// must go on committing while the command waits for its locks.
async fn cli(i: &Interview, args: &[&str], vars: &[(&str, &str)]) -> std::process::Output {
    i.app.cli(args, vars).await
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_string()
}

#[tokio::test]
async fn the_command_line_verifies_the_chain_and_an_export_and_erases() {
    let i = interview().await;
    i.app.login_as(&i.recruiter).await;
    let key = i
        .app
        .uploaded(&i.application, "camera", &jpeg(3000, 30))
        .await;
    assert_eq!(i.app.signed_url(&key).await.status(), 200);
    let zip = i.app.export(&i.application).await;
    let zip = zip.bytes().await.unwrap().to_vec();
    let dir = tempfile::tempdir().unwrap();
    let (good, bad) = (dir.path().join("good.zip"), dir.path().join("bad.zip"));
    std::fs::write(&good, &zip).unwrap();
    let mut changed = zip.clone();
    let at = zip
        .windows(64)
        .position(|w| w == &jpeg(3000, 30)[200..264])
        .expect("the image in the zip");
    changed[at] ^= 0x55;
    std::fs::write(&bad, changed).unwrap();

    let verified = cli(&i, &["export", "verify", good.to_str().unwrap()], &[]).await;
    assert!(verified.status.success(), "{}", text(&verified.stderr));
    assert!(
        text(&verified.stdout).starts_with("intact: 2 files"),
        "{}",
        text(&verified.stdout)
    );
    let refused = cli(&i, &["export", "verify", bad.to_str().unwrap()], &[]).await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("images/camera/"),
        "{}",
        text(&refused.stderr)
    );
    let missing = cli(&i, &["export", "verify", "/nonexistent.zip"], &[]).await;
    assert_eq!(missing.status.code(), Some(1));

    let chain = cli(&i, &["audit", "verify"], &[]).await;
    assert!(chain.status.success());
    assert!(
        text(&chain.stdout).starts_with("the audit trail is intact: 2 entries"),
        "{}",
        text(&chain.stdout)
    );
    let mut first = entities::audit_entry::Entity::find_by_id(1i64)
        .one(&i.app.db)
        .await
        .unwrap()
        .unwrap()
        .into_active_model();
    first.actor_role = Set("candidate".into());
    first.update(&i.app.db).await.unwrap();
    let broken = cli(&i, &["audit", "verify"], &[]).await;
    assert_eq!(broken.status.code(), Some(1));
    let reason = text(&broken.stderr);
    assert_eq!(reason.lines().count(), 1, "{reason}");
    assert!(reason.contains("broken at entry 1"), "{reason}");

    let erased = cli(&i, &["application", "erase", &i.application], &[]).await;
    assert!(erased.status.success(), "{}", text(&erased.stderr));
    assert_eq!(text(&erased.stdout), "erased 1 image, 0 events, 0 sessions");
    assert!(!i.app.object_exists(&key).await);
    let entries = audit::for_application(
        &i.app.db,
        uuid::Uuid::parse_str(&i.application).unwrap(),
        None,
        1000,
    )
    .await
    .unwrap();
    assert_eq!(
        entries
            .last()
            .map(|e| (e.action.as_str(), e.actor_role.as_str())),
        Some(("erase", "operator"))
    );
    for bad in [
        &["application", "erase", "not-an-id"][..],
        &["application", "erase", &uuid::Uuid::new_v4().to_string()],
    ] {
        let refused = cli(&i, bad, &[]).await;
        assert_eq!(refused.status.code(), Some(1), "{bad:?}");
    }

    let org = |days: &str| {
        [
            "org",
            "create",
            "--slug",
            "kept",
            "--name",
            "Kept",
            "--retention-days",
            days,
        ]
        .map(str::to_string)
    };
    for (days, setting) in [
        ("0", "90"),
        ("91", "90"),
        ("4294967296", "90"),
        ("-1", "90"),
        ("36501", "off"),
    ] {
        let args = org(days);
        let refused = cli(
            &i,
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            &[("RETENTION_DAYS", setting)],
        )
        .await;
        assert!(
            !refused.status.success(),
            "--retention-days {days} with RETENTION_DAYS={setting}"
        );
    }
    let args = org("30");
    let made = cli(
        &i,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        &[("RETENTION_DAYS", "90")],
    )
    .await;
    assert!(made.status.success(), "{}", text(&made.stderr));
}
