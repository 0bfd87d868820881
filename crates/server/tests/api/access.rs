use serde_json::json;

use crate::helpers::{interview, jpeg, TestUser};

/// The README's access table over HTTP: every role × own/other organization (or own/other
/// candidate) × every action, against one application of `acme`.
#[tokio::test]
async fn the_access_matrix() {
    let i = interview().await;
    let app = &i.app;
    app.organization("globex").await;
    let other_candidate = app.user("candidate", None).await;
    let other_recruiter = app.user("recruiter", Some("globex")).await;
    let admin = app.user("admin", None).await;
    let admin_of_globex = app.user("admin", Some("globex")).await;

    // (who, [upload, list, sign, delete]) with 200 = allowed, 403 = refused.
    let table: Vec<(&str, &TestUser, [u16; 4])> = vec![
        ("own candidate", &i.candidate, [200, 200, 200, 403]),
        ("other candidate", &other_candidate, [403, 403, 403, 403]),
        (
            "recruiter of the organization",
            &i.recruiter,
            [200, 200, 200, 200],
        ),
        (
            "recruiter of another organization",
            &other_recruiter,
            [403, 403, 403, 403],
        ),
        ("admin", &admin, [200, 200, 200, 200]),
        (
            "admin of another organization",
            &admin_of_globex,
            [200, 200, 200, 200],
        ),
    ];
    for (who, user, [upload, list, sign, delete]) in table {
        // A fresh image for this row, put there by an admin.
        app.login_as(&admin).await;
        let key = app.uploaded(&i.application, "camera", &jpeg(900, 1)).await;

        app.login_as(user).await;
        let got = [
            app.upload_binary(&i.application, "screen", jpeg(900, 2))
                .await
                .status()
                .as_u16(),
            app.images(&i.application).await.status().as_u16(),
            app.post_json("/api/monitoring/signed-urls", &json!({"s3Keys": [key]}))
                .await
                .status()
                .as_u16(),
            app.post_json(
                "/api/monitoring/delete",
                &json!({"applicationId": i.application, "imageType": "camera", "s3Key": key}),
            )
            .await
            .status()
            .as_u16(),
        ];
        assert_eq!(
            got,
            [upload, list, sign, delete],
            "{who}: [upload, list, sign, delete]"
        );
    }
}
