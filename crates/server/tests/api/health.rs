use crate::helpers::{spawn_app, test_s3, ServerProcess};

#[tokio::test]
async fn health_is_200_while_the_database_answers_and_503_after() {
    let app = spawn_app().await;
    let response = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(response.status(), 200);

    app.db.close_by_ref().await.unwrap();
    let response = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(response.status(), 503);
}

/// A bucket the store does not have, and a name no S3 takes (SeaweedFS answers
/// it 404 too), stop the server as it starts, naming the bucket (it would fail
/// every upload). A store that does not answer does not stop it, and holds the
/// start up no longer than the check's 3 s (it may come back): one that refuses
/// the connection, and one that takes it and never answers (the SDK alone would
/// wait 25 s). With TEST_STORAGE=s3 only: the built-in store has no bucket.
#[tokio::test]
async fn a_bucket_the_store_refuses_stops_the_start_and_a_store_that_is_down_does_not() {
    let Some(s3) = test_s3().await else {
        return;
    };
    let mut server = ServerProcess::prepare().await;
    // This test's settings with another bucket or endpoint.
    let with = |bucket: &str, endpoint: Option<&str>| -> Vec<(String, String)> {
        s3.iter()
            .map(|(name, value)| match (name.as_str(), endpoint) {
                ("AWS_S3_BUCKET_NAME", _) => (name.clone(), bucket.to_string()),
                ("AWS_ENDPOINT_URL_S3", Some(endpoint)) => (name.clone(), endpoint.to_string()),
                _ => (name.clone(), value.clone()),
            })
            .collect()
    };
    for bucket in ["im-test-no-such-bucket", "Not_A_Bucket.Name"] {
        let vars = with(bucket, None);
        let vars: Vec<(&str, &str)> = vars.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let (status, stderr) = server.serve_until_it_stops(&vars);
        assert_eq!(status.code(), Some(1), "{bucket}: {status}, {stderr}");
        assert!(
            stderr.contains("cannot open object storage")
                && stderr.contains(&format!("AWS_S3_BUCKET_NAME={bucket:?}")),
            "{bucket}: {stderr}"
        );
    }

    // Connections taken into the backlog, never answered.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent = format!("http://{}", listener.local_addr().unwrap());
    // Nothing listens on port 1.
    for endpoint in ["http://127.0.0.1:1", silent.as_str()] {
        let vars = with("im-test-no-such-bucket", Some(endpoint));
        let vars: Vec<(&str, &str)> = vars.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let started = std::time::Instant::now();
        server.serve_with(&vars).await;
        let waited = started.elapsed();
        assert!(
            waited < std::time::Duration::from_secs(10),
            "{endpoint}: the server answered after {waited:?}"
        );
        let health = reqwest::get(format!("{}/healthz", server.address))
            .await
            .unwrap();
        assert_eq!(health.status(), 200, "{endpoint}");
        server.kill();
    }
}
