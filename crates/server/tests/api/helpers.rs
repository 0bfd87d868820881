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
    /// The server's own object store (for purges and checks called directly).
    pub store: std::sync::Arc<dyn server::storage::ObjectStore>,
    /// The key that signs the audit trail's checkpoints.
    pub audit_key: server::db::audit::AuditKey,
    pub database_url: String,
    pub data_dir: PathBuf,
    /// `(endpoint, bucket)` when images go to S3.
    pub s3: Option<(String, String)>,
    _dir: TempDir,
    _shutdown: oneshot::Sender<()>,
}

/// A free loopback port below the kernel's ephemeral range (32768 and up), for a
/// process that is stopped and started again on the same port: in between, an
/// outgoing connection of a test running alongside could be given a port from
/// that range, and the restart would fail to bind.
pub fn restartable_port() -> u16 {
    for _ in 0..1000 {
        let port = 20_000 + (uuid::Uuid::new_v4().as_u128() % 12_000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port between 20000 and 32000");
}

pub struct TestUser {
    pub email: String,
    pub password: String,
}

pub fn new_client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A fresh database: a SQLite file in `dir`, or a new uniquely named PostgreSQL
/// database on TEST_POSTGRES_URL when TEST_DATABASE=postgres.
pub async fn fresh_database_url(dir: &TempDir) -> String {
    if std::env::var("TEST_DATABASE").as_deref() == Ok("postgres") {
        let server = std::env::var("TEST_POSTGRES_URL")
            .expect("TEST_POSTGRES_URL is set by scripts/test.sh");
        let name = format!("im_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(format!("{server}/postgres"))
            .await
            .expect("connect to PostgreSQL");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        admin.close().await.ok();
        format!("{server}/{name}")
    } else {
        format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display())
    }
}

/// Whether this run stores images in S3 (TEST_STORAGE=s3, set by scripts/test.sh).
pub fn using_s3() -> bool {
    std::env::var("TEST_STORAGE").as_deref() == Ok("s3")
}

/// With TEST_STORAGE=s3: the AWS_* settings for a new bucket of this test's own.
pub async fn test_s3() -> Option<Vec<(String, String)>> {
    if !using_s3() {
        return None;
    }
    let endpoint =
        std::env::var("TEST_S3_ENDPOINT").expect("TEST_S3_ENDPOINT is set by scripts/test.sh");
    let bucket = format!("im-test-{}", uuid::Uuid::new_v4().simple());
    create_bucket(&endpoint, &bucket).await;
    Some(vec![
        ("AWS_S3_BUCKET_NAME".into(), bucket),
        ("AWS_REGION".into(), "us-east-1".into()),
        ("AWS_ENDPOINT_URL_S3".into(), endpoint),
        ("AWS_ACCESS_KEY_ID".into(), S3_ACCESS_KEY.into()),
        ("AWS_SECRET_ACCESS_KEY".into(), S3_SECRET_KEY.into()),
    ])
}

pub const S3_ACCESS_KEY: &str = "interview-monitor-test";
pub const S3_SECRET_KEY: &str = "interview-monitor-test-secret";

pub fn s3_client(endpoint: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            S3_ACCESS_KEY,
            S3_SECRET_KEY,
            None,
            None,
            "test",
        ))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

pub async fn create_bucket(endpoint: &str, bucket: &str) {
    s3_client(endpoint)
        .create_bucket()
        .bucket(bucket)
        .send()
        .await
        .expect("create the test bucket");
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(vars: &[(&str, &str)]) -> TestApp {
    spawn_app_on(None, vars).await
}

/// Another instance over `app`'s database (with a data directory and, under
/// TEST_STORAGE=s3, a bucket of its own).
pub async fn spawn_instance_of(app: &TestApp, vars: &[(&str, &str)]) -> TestApp {
    spawn_app_on(Some(app.database_url.clone()), vars).await
}

async fn spawn_app_on(database_url: Option<String>, vars: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = match database_url {
        Some(url) => url,
        None => fresh_database_url(&dir).await,
    };
    let mut env: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env.insert("DATA_DIR".into(), dir.path().display().to_string());
    env.insert("DATABASE_URL".into(), database_url.clone());
    if !vars.iter().any(|(name, _)| *name == "AWS_S3_BUCKET_NAME") {
        if let Some(s3) = test_s3().await {
            for (name, value) in s3 {
                env.entry(name).or_insert(value);
            }
        }
    }
    let s3 = env
        .get("AWS_S3_BUCKET_NAME")
        .map(|bucket| (env["AWS_ENDPOINT_URL_S3"].clone(), bucket.clone()));
    let leptos = LeptosOptions::builder()
        .output_name("interview-monitor")
        .site_root(dir.path().display().to_string())
        .build();
    let settings = Settings::from_vars(|name| env.get(name).cloned(), leptos).expect("settings");

    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    let state = startup::build_state(&settings).await.expect("state");
    let db = state.db.clone();
    let store = state.store.clone();
    let audit_key = state.audit_key.clone();
    let (shutdown, stop) = oneshot::channel::<()>();
    tokio::spawn(startup::serve(state, listener, async move {
        let _ = stop.await;
    }));

    TestApp {
        address,
        client: new_client(),
        db,
        store,
        audit_key,
        database_url,
        data_dir: dir.path().to_path_buf(),
        s3,
        _dir: dir,
        _shutdown: shutdown,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// `post_json`'s answer, which must be 200, as JSON.
    pub async fn ok_json(&self, path: &str, body: &Value) -> Value {
        let response = self.post_json(path, body).await;
        assert_eq!(response.status(), 200, "{path}");
        response.json().await.expect("JSON")
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/auth/login",
            &json!({"email": email, "password": password}),
        )
        .await
    }

    pub async fn me(&self) -> Response {
        self.post_json("/api/auth/me", &json!({})).await
    }

    pub async fn organization(&self, slug: &str) {
        cli::create_organization(&self.db, slug, &format!("Org {slug}"))
            .await
            .expect("org");
    }

    /// The id of the organization `slug`.
    pub async fn organization_id(&self, slug: &str) -> uuid::Uuid {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        use server::db::entities::organization;
        organization::Entity::find()
            .filter(organization::Column::Slug.eq(slug))
            .one(&self.db)
            .await
            .expect("query")
            .expect("organization")
            .id
    }

    /// A user with a random email; recruiters belong to `org`.
    pub async fn user(&self, role: &str, org: Option<&str>) -> TestUser {
        let email = format!("{role}-{}@example.test", uuid::Uuid::new_v4().simple());
        let password = format!("pw-{}", uuid::Uuid::new_v4().simple());
        cli::create_user(&self.db, &email, role, org, password.clone())
            .await
            .expect("user");
        TestUser { email, password }
    }

    pub async fn login_as(&self, user: &TestUser) -> Value {
        let response = self.login(&user.email, &user.password).await;
        assert_eq!(response.status(), 200, "login as {}", user.email);
        response.json().await.expect("json")
    }
}

/// A well-formed JPEG of about `size` bytes (SOI, APP0, SOF0, SOS, data, EOI),
/// different for each `seed`.
pub fn jpeg(size: usize, seed: u8) -> Vec<u8> {
    let mut jpeg = vec![0xFF, 0xD8];
    jpeg.extend([
        0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
    ]);
    jpeg.extend([0xFF, 0xC0, 0x00, 0x0B, 8, 0, 1, 0, 1, 1, 1, 0x11, 0]);
    jpeg.extend([0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 0x3F, 0]);
    let data = size.saturating_sub(jpeg.len() + 2);
    jpeg.extend((0..data).map(|i| ((i as u8).wrapping_mul(31).wrapping_add(seed)) % 0xFE));
    jpeg.extend([0xFF, 0xD9]);
    jpeg
}

pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl TestApp {
    pub async fn upload_base64(&self, application: &str, kind: &str, bytes: &[u8]) -> Response {
        self.post_json(
            "/api/monitoring/upload",
            &json!({"applicationId": application, "imageType": kind, "imageData": base64(bytes)}),
        )
        .await
    }

    pub async fn upload_binary(&self, application: &str, kind: &str, bytes: Vec<u8>) -> Response {
        self.upload_capture(application, kind, None, None, bytes)
            .await
    }

    /// A binary upload of one capture, with its time and id when given.
    pub async fn upload_capture(
        &self,
        application: &str,
        kind: &str,
        at: Option<&str>,
        capture: Option<&str>,
        bytes: Vec<u8>,
    ) -> Response {
        let mut url =
            format!("/api/monitoring/upload-binary?applicationId={application}&imageType={kind}");
        if let Some(at) = at {
            url.push_str(&format!("&capturedAt={at}"));
        }
        if let Some(capture) = capture {
            url.push_str(&format!("&captureId={capture}"));
        }
        self.client
            .post(self.url(&url))
            .header("content-type", "image/jpeg")
            .body(bytes)
            .send()
            .await
            .expect("request")
    }

    /// A sign-in from a fresh client that says it forwards for `client`.
    pub async fn login_forwarded(&self, client: &str, email: &str, password: &str) -> Response {
        new_client()
            .post(self.url("/api/auth/login"))
            .header("x-forwarded-for", client)
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("request")
    }

    /// Uploads and returns the new key; panics unless it succeeded.
    pub async fn uploaded(&self, application: &str, kind: &str, bytes: &[u8]) -> String {
        let response = self.upload_base64(application, kind, bytes).await;
        assert_eq!(response.status(), 200, "upload");
        let body: Value = response.json().await.expect("json");
        body["s3Key"].as_str().expect("s3Key").to_string()
    }

    pub async fn images(&self, application: &str) -> Response {
        self.post_json(
            "/api/monitoring/images",
            &json!({"applicationId": application}),
        )
        .await
    }

    pub async fn signed_url(&self, key: &str) -> Response {
        self.post_json("/api/monitoring/signed-url", &json!({"s3Key": key}))
            .await
    }

    /// Fetches a signed URL (relative ones from this server) without cookies.
    pub async fn fetch(&self, url: &str) -> Response {
        let absolute = if url.starts_with('/') {
            self.url(url)
        } else {
            url.to_string()
        };
        reqwest::get(absolute).await.expect("fetch")
    }

    /// Whether storage holds the object, asked of the store itself.
    pub async fn object_exists(&self, key: &str) -> bool {
        match &self.s3 {
            Some((endpoint, bucket)) => s3_client(endpoint)
                .head_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .is_ok(),
            None => self.data_dir.join("objects").join(key).exists(),
        }
    }

    /// Puts bytes into the store directly, behind the server's back.
    pub async fn put_raw_object(&self, key: &str, bytes: Vec<u8>) {
        match &self.s3 {
            Some((endpoint, bucket)) => {
                s3_client(endpoint)
                    .put_object()
                    .bucket(bucket)
                    .key(key)
                    .body(bytes.into())
                    .send()
                    .await
                    .expect("put");
            }
            None => {
                let path = self.data_dir.join("objects").join(key);
                std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
                std::fs::write(path, bytes).expect("write");
            }
        }
    }

    pub async fn count_image_rows(&self) -> u64 {
        use sea_orm::{EntityTrait, PaginatorTrait};
        server::db::entities::monitoring_image::Entity::find()
            .count(&self.db)
            .await
            .expect("count")
    }
}

/// An organization `acme` with a recruiter, a candidate and one application of theirs.
pub struct Interview {
    pub app: TestApp,
    pub recruiter: TestUser,
    pub candidate: TestUser,
    pub application: String,
}

pub async fn interview_with(vars: &[(&str, &str)]) -> Interview {
    let app = spawn_app_with(vars).await;
    app.organization("acme").await;
    let recruiter = app.user("recruiter", Some("acme")).await;
    let candidate = app.user("candidate", None).await;
    let application = cli::create_application(&app.db, "acme", &candidate.email, "Rust Engineer")
        .await
        .expect("application")
        .to_string();
    app.record_consent(&candidate, &application).await;
    Interview {
        app,
        recruiter,
        candidate,
        application,
    }
}

pub async fn interview() -> Interview {
    interview_with(&[]).await
}

impl Interview {
    /// Moves the application's creation back to 2026-01-01, so captures with
    /// fixed times in 2026 (before the test ran) are accepted.
    pub async fn backdated(self) -> Self {
        self.app
            .set_application_created(&self.application, "2026-01-01T00:00:00Z")
            .await;
        self
    }
}

impl TestApp {
    pub async fn set_application_created(&self, application: &str, at: &str) {
        use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
        use server::db::entities::job_application;
        let id = uuid::Uuid::parse_str(application).expect("application id");
        let mut row = job_application::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .expect("query")
            .expect("application")
            .into_active_model();
        row.created_at = Set(chrono::DateTime::parse_from_rfc3339(at)
            .expect("time")
            .with_timezone(&chrono::Utc));
        row.update(&self.db).await.expect("update");
    }

    /// The fixture's candidate has consented (as the consent page records it; the
    /// API's own path is tested in `integrity`).
    pub async fn record_consent(&self, user: &TestUser, application: &str) {
        use sea_orm::{ActiveModelTrait, Set};
        use server::db::entities::consent;
        let user = server::db::accounts::user_by_email(&self.db, &user.email)
            .await
            .expect("query")
            .expect("user");
        consent::ActiveModel {
            id: Set(uuid::Uuid::new_v4()),
            application_id: Set(uuid::Uuid::parse_str(application).expect("application id")),
            user_id: Set(user.id),
            consent_version: Set(shared::integrity::CONSENT_VERSION.into()),
            language: Set("en".into()),
            consented_at: Set(chrono::Utc::now()),
        }
        .insert(&self.db)
        .await
        .expect("consent");
    }

    /// The session cookie this app's client holds after `login_as` (as `name=value`).
    pub async fn session_cookie_of(&self, user: &TestUser) -> String {
        let response = new_client()
            .post(self.url("/api/auth/login"))
            .json(&json!({"email": user.email, "password": user.password}))
            .send()
            .await
            .expect("login");
        assert_eq!(response.status(), 200);
        let cookie = response
            .headers()
            .get("set-cookie")
            .expect("a cookie")
            .to_str()
            .expect("text");
        cookie.split(';').next().expect("name=value").to_string()
    }
}

/// The error body every failure carries: `{error, message}`.
pub async fn error_body(response: Response) -> Value {
    let body: Value = response.json().await.expect("error body is JSON");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "error has a message: {body}"
    );
    body
}

/// The server binary as its own process, so its memory can be read and signals
/// sent to it (`IM_SERVER_BIN` names another build, e.g. the release one for the
/// README's figures).
pub struct ServerProcess {
    pub child: Option<std::process::Child>,
    pub address: String,
    pub database_url: String,
    port: u16,
    dir: TempDir,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl ServerProcess {
    /// A data directory, a fresh database and a free port; nothing running yet.
    pub async fn prepare() -> ServerProcess {
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = fresh_database_url(&dir).await;
        let port = restartable_port();
        ServerProcess {
            child: None,
            address: format!("http://127.0.0.1:{port}"),
            database_url,
            port,
            dir,
        }
    }

    /// As [`prepare`](Self::prepare), with organization `acme`, a recruiter
    /// `r@example.test` (`recruiter-pass`), a candidate `c@example.test`
    /// (`candidate-pass`) and one application of theirs, made with the CLI; its id.
    pub async fn prepare_interview() -> (ServerProcess, String) {
        let server = ServerProcess::prepare().await;
        server.cli(&["org", "create", "--slug", "acme", "--name", "Acme"], None);
        server.cli(
            &[
                "user",
                "create",
                "--email",
                "r@example.test",
                "--role",
                "recruiter",
                "--org",
                "acme",
                "--password-stdin",
            ],
            Some("recruiter-pass"),
        );
        server.cli(
            &[
                "user",
                "create",
                "--email",
                "c@example.test",
                "--role",
                "candidate",
                "--password-stdin",
            ],
            Some("candidate-pass"),
        );
        let application = server.cli(
            &[
                "application",
                "create",
                "--org",
                "acme",
                "--candidate",
                "c@example.test",
                "--title",
                "T",
            ],
            None,
        );
        (server, application)
    }

    fn command(&self) -> std::process::Command {
        let binary = std::env::var("IM_SERVER_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_interview-monitor").to_string());
        let mut command = std::process::Command::new(binary);
        command
            .env("DATA_DIR", self.dir.path())
            .env("DATABASE_URL", &self.database_url)
            .env("BIND", format!("127.0.0.1:{}", self.port))
            .env("RUST_LOG", "warn")
            .env_remove("AWS_S3_BUCKET_NAME");
        command
    }

    /// Runs a command of the CLI against this server's data; its output.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> String {
        self.cli_run(args, stdin, &[])
    }

    /// A CLI command with more settings.
    pub fn cli_with(&self, args: &[&str], vars: &[(&str, &str)]) -> String {
        self.cli_run(args, None, vars)
    }

    pub fn data_dir(&self) -> std::path::PathBuf {
        self.dir.path().to_path_buf()
    }

    fn cli_run(&self, args: &[&str], stdin: Option<&str>, vars: &[(&str, &str)]) -> String {
        use std::io::Write;
        let mut child = self
            .command()
            .envs(vars.iter().copied())
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the CLI starts");
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(format!("{text}\n").as_bytes())
                .expect("write stdin");
        }
        let output = child.wait_with_output().expect("the CLI ends");
        assert!(output.status.success(), "interview-monitor {args:?} failed");
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// Starts `serve` and waits until it answers.
    pub async fn serve(&mut self) {
        self.serve_with(&[]).await;
    }

    /// Starts `serve` with more settings and waits until it answers.
    pub async fn serve_with(&mut self, vars: &[(&str, &str)]) {
        let mut command = self.command();
        command.envs(vars.iter().copied());
        // Its warnings and errors go to a file of the data directory, so a
        // test that fails can say what the server saw (`log_tail`).
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("the server's log file");
        let child = command
            .arg("serve")
            .stderr(log)
            .spawn()
            .expect("serve starts");
        self.child = Some(child);
        for _ in 0..150 {
            if reqwest::get(format!("{}/healthz", self.address))
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the server did not start");
    }

    fn log_path(&self) -> std::path::PathBuf {
        self.dir.path().join("serve.log")
    }

    /// The last `lines` lines the server logged (warnings and errors), for a
    /// failing assertion's message.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let all: Vec<&str> = log.lines().collect();
        let tail = all[all.len().saturating_sub(lines)..].join("\n");
        format!("the server's log, last {lines} lines:\n{tail}")
    }

    /// Runs `serve` with more settings, expecting it to stop by itself within
    /// 30 s (killed after that); how it ended and what it printed on stderr.
    pub fn serve_until_it_stops(
        &self,
        vars: &[(&str, &str)],
    ) -> (std::process::ExitStatus, String) {
        // Into a file, not a pipe: a pipe nobody reads until the end could
        // fill and hold the server up.
        let path = self.dir.path().join("stopped.log");
        let log = std::fs::File::create(&path).expect("a log file");
        let mut child = self
            .command()
            .envs(vars.iter().copied())
            .arg("serve")
            .stderr(log)
            .spawn()
            .expect("serve starts");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for serve") {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                break child.wait().expect("wait for serve");
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        };
        (status, std::fs::read_to_string(&path).unwrap_or_default())
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// `(current, peak)` resident memory in MiB.
    pub fn memory_mib(&self) -> (f64, f64) {
        (self.status_mib("VmRSS:"), self.status_mib("VmHWM:"))
    }

    /// Resident memory of the server's own allocations (anonymous pages, no
    /// file-backed code), in MiB.
    pub fn anonymous_mib(&self) -> f64 {
        self.status_mib("RssAnon:")
    }

    /// Starts the peak resident memory over from the current one (Linux: 5
    /// written to /proc/PID/clear_refs), so `memory_mib`'s peak covers what follows.
    pub fn reset_peak_memory(&self) {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5")
            .expect("the peak RSS can be reset");
    }

    fn status_mib(&self, field: &str) -> f64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find(|line| line.starts_with(field))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kib| kib.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    }
}

impl TestApp {
    /// Runs the command line, as a process, against this server's database and store.
    pub async fn cli(&self, args: &[&str], vars: &[(&str, &str)]) -> std::process::Output {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_interview-monitor"));
        command
            .args(args)
            .env("DATA_DIR", &self.data_dir)
            .env("DATABASE_URL", &self.database_url)
            .env("RUST_LOG", "error");
        if let Some((endpoint, bucket)) = &self.s3 {
            use crate::helpers::{S3_ACCESS_KEY, S3_SECRET_KEY};
            command
                .env("AWS_S3_BUCKET_NAME", bucket)
                .env("AWS_REGION", "us-east-1")
                .env("AWS_ENDPOINT_URL_S3", endpoint);
            command
                .env("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY)
                .env("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY);
        }
        command
            .envs(vars.iter().copied())
            .output()
            .await
            .expect("the CLI runs")
    }
}

/// `host:port` of a test server's address.
pub fn host_of(address: &str) -> String {
    address.trim_start_matches("http://").to_string()
}

/// The status of the answer that arrives on `stream` within `wait`.
pub async fn status_of(
    stream: &mut tokio::net::TcpStream,
    wait: std::time::Duration,
) -> Option<u16> {
    use tokio::io::AsyncReadExt;
    let mut buffer = vec![0u8; 1024];
    let read = tokio::time::timeout(wait, stream.read(&mut buffer))
        .await
        .ok()?
        .ok()?;
    let text = String::from_utf8_lossy(&buffer[..read]);
    text.split(' ').nth(1)?.parse().ok()
}

/// The ids of `{applications: [...]}` (a search's page, a key's listing), in order.
pub fn application_ids(listed: &Value) -> Vec<String> {
    listed["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .map(|a| a["id"].as_str().expect("id").to_string())
        .collect()
}
