//! Retention (RETENTION_DAYS): what is older goes, objects first; one instance
//! purges at a time; a purge stopped half-way is finished by the next.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::helpers::{interview, jpeg, ServerProcess};

#[tokio::test]
async fn retention_run_removes_what_is_older_than_retention_and_dry_run_only_counts() {
    let (mut server, application) = ServerProcess::prepare_interview().await;
    let db = sea_orm::Database::connect(&server.database_url)
        .await
        .unwrap();
    {
        use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
        use server::db::entities::job_application;
        let id = uuid::Uuid::parse_str(&application).unwrap();
        let mut row = job_application::Entity::find_by_id(id)
            .one(&db)
            .await
            .unwrap()
            .unwrap()
            .into_active_model();
        row.created_at = Set(Utc::now() - Duration::days(400));
        row.update(&db).await.unwrap();
    }
    server.serve_with(&[("RETENTION_DAYS", "90")]).await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = client
        .post(format!("{}/api/auth/login", server.address))
        .json(&json!({"email": "r@example.test", "password": "recruiter-pass"}));
    assert_eq!(login.send().await.unwrap().status(), 200);
    let at = |days: i64| shared::monitoring::millis::format(&(Utc::now() - Duration::days(days)));
    let mut keys = Vec::new();
    for (days, seed) in [(120, 1u8), (91, 2), (89, 3), (1, 4)] {
        let url = format!("{}/api/monitoring/upload-binary?applicationId={application}&imageType=camera&capturedAt={}", server.address, at(days));
        let response = client
            .post(url)
            .header("content-type", "image/jpeg")
            .body(jpeg(2000, seed))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        keys.push(
            response.json::<Value>().await.unwrap()["s3Key"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let events = json!({"applicationId": application, "events": [
        {"eventId": uuid::Uuid::new_v4().to_string(), "kind": "paste", "at": at(100)},
        {"eventId": uuid::Uuid::new_v4().to_string(), "kind": "paste", "at": at(2)},
    ]});
    assert_eq!(
        client
            .post(format!("{}/api/monitoring/events", server.address))
            .json(&events)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    server.kill();

    let dry = server.cli_with(
        &["retention", "run", "--dry-run"],
        &[("RETENTION_DAYS", "90")],
    );
    assert_eq!(
        dry,
        "would remove 2 images, 1 event, 0 sessions older than 90 days"
    );
    let objects = server.data_dir().join("objects");
    assert!(
        keys.iter().all(|key| objects.join(key).exists()),
        "a dry run removes nothing"
    );

    // A purge stopped half-way: the oldest object is gone, its row is not.
    std::fs::remove_file(objects.join(&keys[0])).unwrap();
    let purged = server.cli_with(&["retention", "run"], &[("RETENTION_DAYS", "90")]);
    assert_eq!(
        purged,
        "removed 2 images, 1 event, 0 sessions older than 90 days"
    );
    assert!(
        !objects.join(&keys[1]).exists(),
        "the expired object is gone"
    );
    assert!(
        objects.join(&keys[2]).exists() && objects.join(&keys[3]).exists(),
        "the rest stay"
    );
    let again = server.cli_with(&["retention", "run"], &[("RETENTION_DAYS", "90")]);
    assert_eq!(
        again,
        "removed 0 images, 0 events, 0 sessions older than 90 days"
    );
    let off = server.cli_with(&["retention", "run"], &[("RETENTION_DAYS", "off")]);
    assert!(off.contains("kept until deleted"), "{off}");

    server.serve_with(&[("RETENTION_DAYS", "90")]).await;
    let list: Value = client
        .post(format!("{}/api/monitoring/images", server.address))
        .json(&json!({"applicationId": application}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let left: Vec<&str> = list["camera"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["s3Key"].as_str().unwrap())
        .collect();
    assert_eq!(left, [keys[2].as_str(), keys[3].as_str()]);
}

#[tokio::test]
async fn one_instance_holds_the_retention_lease_at_a_time() {
    let i = interview().await;
    let db = &i.app.db;
    let now = Utc::now();
    let until = now + Duration::minutes(15);
    let holders: Vec<String> = (0..8).map(|n| format!("instance-{n}")).collect();
    let takes = holders
        .iter()
        .map(|holder| server::db::retention::take_lease(db, "test-lease", holder, now, until));
    let taken = futures::future::join_all(takes)
        .await
        .into_iter()
        .filter(|t| *t.as_ref().expect("lease"))
        .count();
    assert_eq!(taken, 1, "exactly one instance gets the lease");
    // Once it has run out, another may take it; given back early, at once.
    let later = until + Duration::seconds(1);
    assert!(server::db::retention::take_lease(
        db,
        "test-lease",
        "latecomer",
        later,
        later + Duration::minutes(15)
    )
    .await
    .unwrap());
    server::db::retention::release_lease(db, "test-lease", "latecomer")
        .await
        .unwrap();
    assert!(server::db::retention::take_lease(
        db,
        "test-lease",
        "next",
        later,
        later + Duration::minutes(15)
    )
    .await
    .unwrap());
}

#[tokio::test]
async fn the_consent_states_the_retention_period() {
    let i = interview().await;
    i.app.login_as(&i.candidate).await;
    let terms: Value = i
        .app
        .post_json(
            "/api/monitoring/consent/terms",
            &json!({"applicationId": i.application}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(terms["retentionDays"], 90);
    assert_eq!(terms["signedUrlTtlSecs"], 3600);
}

/// The real store, counting the deletes made through it.
struct CountingDeletes {
    inner: std::sync::Arc<dyn server::storage::ObjectStore>,
    deletes: std::sync::Mutex<std::collections::HashMap<String, u32>>,
}

#[async_trait::async_trait]
impl server::storage::ObjectStore for CountingDeletes {
    async fn put(
        &self,
        key: &shared::ObjectKey,
        payload: &server::storage::Payload,
    ) -> Result<(), server::storage::StorageError> {
        self.inner.put(key, payload).await
    }
    async fn get(
        &self,
        key: &shared::ObjectKey,
    ) -> Result<bytes::Bytes, server::storage::StorageError> {
        self.inner.get(key).await
    }
    async fn delete(&self, key: &shared::ObjectKey) -> Result<(), server::storage::StorageError> {
        *self
            .deletes
            .lock()
            .unwrap()
            .entry(key.to_string())
            .or_default() += 1;
        self.inner.delete(key).await
    }
    async fn list(
        &self,
    ) -> Result<Vec<server::storage::ListedObject>, server::storage::StorageError> {
        self.inner.list().await
    }
    async fn signed_url(
        &self,
        key: &shared::ObjectKey,
        ttl: std::time::Duration,
        expires_at: chrono::DateTime<Utc>,
    ) -> Result<String, server::storage::StorageError> {
        self.inner.signed_url(key, ttl, expires_at).await
    }
}

#[tokio::test]
async fn two_instances_purging_at_once_delete_each_object_once_and_agree_on_the_counts() {
    let i = interview().await;
    i.app.login_as(&i.candidate).await;
    let mut keys = Vec::new();
    for seed in 0..12u8 {
        keys.push(
            i.app
                .uploaded(
                    &i.application,
                    if seed % 2 == 0 { "camera" } else { "screen" },
                    &jpeg(3000, seed),
                )
                .await,
        );
    }
    let store = CountingDeletes {
        inner: i.app.store.clone(),
        deletes: Default::default(),
    };
    // 100 days on, everything is past the 90-day period; two instances try at once.
    let later = Utc::now() + Duration::days(100);
    let (a, b) = tokio::join!(
        server::retention::purge(&i.app.db, &store, Some(90), later, false, "instance-a"),
        server::retention::purge(&i.app.db, &store, Some(90), later, false, "instance-b"),
    );
    let (a, b) = (a.expect("purge a"), b.expect("purge b"));
    assert_eq!(
        a.images + b.images,
        12,
        "together they report every image once: {a:?} {b:?}"
    );
    assert!(
        a.skipped || b.skipped || a.images == 0 || b.images == 0,
        "one purged, the other found it held or done: {a:?} {b:?}"
    );
    let deletes = store.deletes.lock().unwrap().clone();
    assert_eq!(deletes.len(), 12, "every object was deleted");
    assert!(
        deletes.values().all(|count| *count == 1),
        "each object once: {deletes:?}"
    );
    for key in &keys {
        assert!(
            !i.app.object_exists(key).await,
            "{key} is gone from the store"
        );
    }
    assert_eq!(i.app.count_image_rows().await, 0);
    let trail: Value = i
        .app
        .post_json(
            "/api/audit/application",
            &json!({"applicationId": i.application}),
        )
        .await
        .json()
        .await
        .unwrap();
    let purges = trail["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "purge")
        .count();
    assert_eq!(purges, 1, "one purge entry: {trail}");
}

#[tokio::test]
async fn a_lease_is_renewed_while_its_work_runs() {
    let app = crate::helpers::spawn_app().await;
    let lease_for = std::time::Duration::from_millis(600);
    let db = app.db.clone();
    // The work lasts five lease periods; meanwhile another holder keeps trying.
    let held = server::retention::hold_lease_while(&app.db, "test", "first", lease_for, async {
        for _ in 0..15 {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            let now = chrono::Utc::now();
            let taken = server::db::retention::take_lease(
                &db,
                "test",
                "second",
                now,
                now + chrono::Duration::milliseconds(600),
            )
            .await
            .unwrap();
            assert!(!taken, "the lease was taken while its work ran");
        }
    })
    .await
    .unwrap();
    assert!(held.is_some(), "the work ran");
    // Given back when the work is done.
    let now = chrono::Utc::now();
    assert!(server::db::retention::take_lease(
        &db,
        "test",
        "second",
        now,
        now + chrono::Duration::seconds(1)
    )
    .await
    .unwrap());
    assert_eq!(
        server::retention::hold_lease_while(&app.db, "test", "first", lease_for, async {})
            .await
            .unwrap(),
        None,
        "nothing runs while another holds it"
    );
}
