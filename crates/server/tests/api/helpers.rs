use std::{collections::HashMap, path::PathBuf};

use leptos::config::LeptosOptions;
use reqwest::{Client, Response};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{json, Value};
use server::{cli, settings::Settings, startup};
use tempfile::TempDir;
use tokio::{net::TcpListener, sync::oneshot};

pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub db: DatabaseConnection,
    pub database_url: String,
    pub data_dir: PathBuf,
    _dir: TempDir,
    _shutdown: oneshot::Sender<()>,
}

pub struct TestUser {
    pub email: String,
    pub password: String,
}

pub fn new_client() -> Client {
    Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// A fresh database: a SQLite file in `dir`, or a new uniquely named PostgreSQL
/// database on TEST_POSTGRES_URL when TEST_DATABASE=postgres.
pub async fn fresh_database_url(dir: &TempDir) -> String {
    if std::env::var("TEST_DATABASE").as_deref() == Ok("postgres") {
        let server = std::env::var("TEST_POSTGRES_URL").expect("TEST_POSTGRES_URL is set by scripts/test.sh");
        let name = format!("im_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(format!("{server}/postgres")).await.expect("connect to PostgreSQL");
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
        admin.close().await.ok();
        format!("{server}/{name}")
    } else {
        format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display())
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(vars: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database_url(&dir).await;
    let mut env: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    env.insert("DATA_DIR".into(), dir.path().display().to_string());
    env.insert("DATABASE_URL".into(), database_url.clone());
    let leptos = LeptosOptions::builder().output_name("interview-monitor").site_root(dir.path().display().to_string()).build();
    let settings = Settings::from_vars(|name| env.get(name).cloned(), leptos).expect("settings");

    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    let state = startup::build_state(&settings).await.expect("state");
    let db = state.db.clone();
    let (shutdown, stop) = oneshot::channel::<()>();
    tokio::spawn(startup::serve(state, listener, async move {
        let _ = stop.await;
    }));

    TestApp {
        address,
        client: new_client(),
        db,
        database_url,
        data_dir: dir.path().to_path_buf(),
        _dir: dir,
        _shutdown: shutdown,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client.post(self.url(path)).json(body).send().await.expect("request")
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_json("/api/auth/login", &json!({"email": email, "password": password})).await
    }

    pub async fn me(&self) -> Response {
        self.post_json("/api/auth/me", &json!({})).await
    }

    pub async fn organization(&self, slug: &str) {
        cli::create_organization(&self.db, slug, &format!("Org {slug}")).await.expect("org");
    }

    /// A user with a random email; recruiters belong to `org`.
    pub async fn user(&self, role: &str, org: Option<&str>) -> TestUser {
        let email = format!("{role}-{}@example.test", uuid::Uuid::new_v4().simple());
        let password = format!("pw-{}", uuid::Uuid::new_v4().simple());
        cli::create_user(&self.db, &email, role, org, password.clone()).await.expect("user");
        TestUser { email, password }
    }

    pub async fn login_as(&self, user: &TestUser) -> Value {
        let response = self.login(&user.email, &user.password).await;
        assert_eq!(response.status(), 200, "login as {}", user.email);
        response.json().await.expect("json")
    }
}

/// The error body every failure carries: `{error, message}`.
pub async fn error_body(response: Response) -> Value {
    let body: Value = response.json().await.expect("error body is JSON");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "error has a message: {body}");
    body
}
