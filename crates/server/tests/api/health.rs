use crate::helpers::spawn_app;

#[tokio::test]
async fn health_is_200_while_the_database_answers_and_503_after() {
    let app = spawn_app().await;
    let response = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(response.status(), 200);

    app.db.close_by_ref().await.unwrap();
    let response = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(response.status(), 503);
}
