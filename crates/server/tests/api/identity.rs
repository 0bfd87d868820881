//! The optional ID check (README, "The ID check"): an application that asks
//! for it takes `id` photos, kept apart from the camera's and removed
//! ID_RETENTION_DAYS after the interview; an application that does not
//! refuses them. No face is compared with anything.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::helpers::{error_body, interview, jpeg, Interview, TestApp};
use crate::integration::{key, provision};
use server::periods::Periods;

/// The fixture's organization, recruiter and candidate with a second
/// application that asks for an ID check; the candidate has consented to it
/// and is signed in. Its id.
async fn with_id_check(i: &Interview) -> String {
    let key = key(&i.app, "acme", "platform").await;
    let application = provision(
        &i.app,
        &key,
        &i.candidate.email,
        json!({"title": "Staff Engineer", "idCheck": true}),
    )
    .await;
    assert_eq!(application["capture"]["idCheck"], true, "{application}");
    let id = application["id"].as_str().expect("id").to_string();
    i.app.record_consent(&i.candidate, &id).await;
    i.app.login_as(&i.candidate).await;
    id
}

async fn listing(app: &TestApp, application: &str) -> Value {
    app.ok_json(
        "/api/monitoring/images",
        &json!({"applicationId": application}),
    )
    .await
}

#[tokio::test]
async fn an_application_without_an_id_check_refuses_id_photos() {
    let i = interview().await;
    i.app.login_as(&i.candidate).await;
    let refused = i
        .app
        .upload_base64(&i.application, "id", &jpeg(2_000, 1))
        .await;
    assert_eq!(refused.status(), 409);
    let body = error_body(refused).await;
    assert_eq!(body["error"], "conflict");
    assert!(
        body["message"].as_str().unwrap().contains("ID check"),
        "{body}"
    );
    let binary = i
        .app
        .upload_binary(&i.application, "id", jpeg(2_000, 2))
        .await;
    assert_eq!(binary.status(), 409);
    assert_eq!(i.app.count_image_rows().await, 0, "nothing stored");
    // The application says so.
    let application = i
        .app
        .post_json(
            "/api/applications/get",
            &json!({"applicationId": i.application}),
        )
        .await;
    let application: Value = application.json().await.expect("json");
    assert_eq!(application["capture"]["idCheck"], false, "{application}");
}

#[tokio::test]
async fn an_id_check_needs_the_camera() {
    let i = interview().await;
    let key = key(&i.app, "acme", "platform").await;
    let refused = crate::integration::call(
        &i.app,
        &key,
        "/api/integration/applications",
        &json!({"candidateEmail": i.candidate.email, "title": "Screen only",
                "camera": false, "idCheck": true}),
    )
    .await;
    assert_eq!(refused.status(), 400);
    assert!(error_body(refused).await["message"]
        .as_str()
        .unwrap()
        .contains("camera"));
}

#[tokio::test]
async fn id_photos_are_stored_and_listed_apart_from_the_camera() {
    let i = interview().await;
    let application = with_id_check(&i).await;
    let key = i.app.uploaded(&application, "id", &jpeg(3_000, 3)).await;
    assert!(
        key.starts_with(&format!("monitoring/{application}/id/")) && key.ends_with(".jpg"),
        "{key}"
    );
    i.app
        .uploaded(&application, "camera", &jpeg(3_000, 4))
        .await;
    let list = listing(&i.app, &application).await;
    assert_eq!(list["id"].as_array().expect("id").len(), 1, "{list}");
    assert_eq!(list["id"][0]["s3Key"], key.as_str());
    assert_eq!(list["camera"].as_array().unwrap().len(), 1);
    assert_eq!(list["screen"].as_array().unwrap().len(), 0);
    // The candidate and the organization's recruiter may look at it; the
    // application's counts are of the camera and the screen only.
    assert_eq!(i.app.signed_url(&key).await.status(), 200);
    i.app.login_as(&i.recruiter).await;
    assert_eq!(i.app.signed_url(&key).await.status(), 200);
    let summary = i
        .app
        .ok_json(
            "/api/applications/get",
            &json!({"applicationId": application}),
        )
        .await;
    assert_eq!(summary["cameraImages"], 1, "{summary}");
    // No face analysis runs on an ID photo.
    let jobs = {
        use sea_orm::{EntityTrait, PaginatorTrait};
        server::db::entities::face_job::Entity::find()
            .count(&i.app.db)
            .await
            .expect("count")
    };
    assert!(jobs <= 1, "the camera snapshot's job at most: {jobs}");
}

#[tokio::test]
async fn id_photos_go_a_week_after_the_interview_and_nothing_else_does() {
    let i = interview().await;
    let application = with_id_check(&i).await;
    let id_key = i.app.uploaded(&application, "id", &jpeg(3_000, 5)).await;
    let camera_key = i
        .app
        .uploaded(&application, "camera", &jpeg(3_000, 6))
        .await;
    let purge = |days: i64, periods: Periods| {
        let (db, store) = (i.app.db.clone(), i.app.store.clone());
        async move {
            server::retention::purge(
                &db,
                store.as_ref(),
                periods,
                Utc::now() + Duration::days(days),
                false,
                "test",
            )
            .await
            .expect("purge")
        }
    };
    // Six days after the interview: kept (the default is seven).
    let early = purge(6, Some(90).into()).await;
    assert_eq!(early.id_photos, 0, "{early:?}");
    assert_eq!(
        listing(&i.app, &application).await["id"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Eight days after: the ID photo and its object go; the camera's stays.
    let late = purge(8, Some(90).into()).await;
    assert_eq!((late.id_photos, late.images), (1, 0), "{late:?}");
    let list = listing(&i.app, &application).await;
    assert!(list["id"].as_array().unwrap().is_empty(), "{list}");
    assert_eq!(list["camera"][0]["s3Key"], camera_key.as_str());
    assert!(!i.app.object_exists(&id_key).await, "the object is gone");
    assert!(i.app.object_exists(&camera_key).await);
    // The trail says what went and why (to the organization's recruiter).
    i.app.login_as(&i.recruiter).await;
    let trail = i
        .app
        .ok_json(
            "/api/audit/application",
            &json!({"applicationId": application}),
        )
        .await;
    let purged: Vec<&Value> = trail["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "purge")
        .collect();
    assert_eq!(purged.len(), 1, "{trail}");
    assert!(
        purged[0]["target"].as_str().unwrap().contains("1 ID photo"),
        "{trail}"
    );
    // Nothing is left to remove: a second purge finds nothing.
    let again = purge(9, Some(90).into()).await;
    assert_eq!(again.id_photos, 0);
}

#[tokio::test]
async fn a_shorter_id_period_removes_sooner_and_a_dry_run_only_counts() {
    let i = interview().await;
    let application = with_id_check(&i).await;
    i.app.uploaded(&application, "id", &jpeg(3_000, 9)).await;
    let purge = |dry_run: bool| {
        server::retention::purge(
            &i.app.db,
            i.app.store.as_ref(),
            Periods {
                all: None,
                id_photos: 2,
            },
            Utc::now() + Duration::days(3),
            dry_run,
            "test",
        )
    };
    assert_eq!(purge(true).await.expect("dry run").id_photos, 1);
    assert_eq!(
        listing(&i.app, &application).await["id"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(purge(false).await.expect("purge").id_photos, 1);
    assert!(listing(&i.app, &application).await["id"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn an_id_photo_is_kept_while_its_interview_goes_on_however_old_it_is() {
    let i = interview().await;
    let application = with_id_check(&i).await;
    i.app.uploaded(&application, "id", &jpeg(3_000, 7)).await;
    // The ID photo was taken ten days ago; the interview's last capture is now.
    {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        use server::db::entities::monitoring_image;
        monitoring_image::Entity::update_many()
            .col_expr(
                monitoring_image::Column::CapturedAt,
                (Utc::now() - Duration::days(10)).into(),
            )
            .filter(monitoring_image::Column::Kind.eq("id"))
            .exec(&i.app.db)
            .await
            .expect("backdate");
    }
    i.app
        .uploaded(&application, "camera", &jpeg(3_000, 8))
        .await;
    let report = server::retention::purge(
        &i.app.db,
        i.app.store.as_ref(),
        Periods {
            all: Some(90),
            id_photos: 7,
        },
        Utc::now(),
        false,
        "test",
    )
    .await
    .expect("purge");
    assert_eq!(report.id_photos, 0, "{report:?}");
    assert_eq!(
        listing(&i.app, &application).await["id"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
