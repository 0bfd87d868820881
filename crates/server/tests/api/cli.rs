use std::process::{Command, Output, Stdio};

use crate::helpers::{spawn_app, TestApp};

/// The binary against the test app's data. Awaited, not blocked on: the server
/// under test runs on this test's runtime and must go on while the command waits.
async fn run(app: &TestApp, args: &[&str], stdin: &str) -> Output {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_interview-monitor"))
        .args(args)
        .env("DATA_DIR", &app.data_dir)
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the binary");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    child.wait_with_output().await.unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn one_line_error(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "expected failure, got {}",
        stdout(output)
    );
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    stderr
}

#[tokio::test]
async fn an_operator_creates_an_organization_users_and_an_application_that_then_sign_in() {
    let app = spawn_app().await;
    let org = run(
        &app,
        &["org", "create", "--slug", "acme", "--name", "Acme Inc."],
        "",
    )
    .await;
    assert!(org.status.success());
    assert!(stdout(&org).parse::<uuid::Uuid>().is_ok());

    let recruiter = run(
        &app,
        &[
            "user",
            "create",
            "--email",
            "r@acme.test",
            "--role",
            "recruiter",
            "--org",
            "acme",
            "--password-stdin",
        ],
        "recruiter-pass\n",
    )
    .await;
    assert!(
        recruiter.status.success(),
        "{}",
        String::from_utf8_lossy(&recruiter.stderr)
    );
    let candidate = run(
        &app,
        &[
            "user",
            "create",
            "--email",
            "c@acme.test",
            "--role",
            "candidate",
            "--password-stdin",
        ],
        "candidate-pass\n",
    )
    .await;
    assert!(candidate.status.success());

    let application = run(
        &app,
        &[
            "application",
            "create",
            "--org",
            "acme",
            "--candidate",
            "c@acme.test",
            "--title",
            "Rust Engineer",
        ],
        "",
    )
    .await;
    assert!(application.status.success());
    let id = stdout(&application);
    assert!(id.parse::<uuid::Uuid>().is_ok(), "prints the new id: {id}");

    assert_eq!(
        app.login("r@acme.test", "recruiter-pass").await.status(),
        200
    );
    let list: serde_json::Value = app
        .post_json("/api/applications", &serde_json::json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["candidateEmail"], "c@acme.test");
}

#[tokio::test]
async fn demo_prints_credentials_that_work_and_refuses_to_run_twice() {
    let app = spawn_app().await;
    let demo = run(&app, &["demo"], "").await;
    assert!(demo.status.success());
    let text = stdout(&demo);
    let line = text
        .lines()
        .find(|l| l.contains("recruiter@demo.test"))
        .expect("recruiter line");
    let password = line.rsplit("password: ").next().unwrap().trim();
    assert_eq!(
        app.login("recruiter@demo.test", password).await.status(),
        200
    );
    assert!(text.contains("Senior Rust Engineer"));

    let again = run(&app, &["demo"], "").await;
    assert!(one_line_error(&again).contains("already exists"));
}

#[tokio::test]
async fn bad_arguments_exit_non_zero_with_one_line() {
    let app = spawn_app().await;
    run(
        &app,
        &["org", "create", "--slug", "acme", "--name", "Acme"],
        "",
    )
    .await;
    run(
        &app,
        &[
            "user",
            "create",
            "--email",
            "taken@acme.test",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "long-enough\n",
    )
    .await;

    let cases: &[(&[&str], &str, &str)] = &[
        (
            &[
                "user",
                "create",
                "--email",
                "x@acme.test",
                "--role",
                "wizard",
                "--password-stdin",
            ],
            "password1\n",
            "unknown role",
        ),
        (
            &[
                "user",
                "create",
                "--email",
                "x@acme.test",
                "--role",
                "recruiter",
                "--org",
                "nope",
                "--password-stdin",
            ],
            "password1\n",
            "unknown organization",
        ),
        (
            &[
                "user",
                "create",
                "--email",
                "taken@acme.test",
                "--role",
                "admin",
                "--password-stdin",
            ],
            "password1\n",
            "already exists",
        ),
        (
            &[
                "user",
                "create",
                "--email",
                "x@acme.test",
                "--role",
                "admin",
                "--password-stdin",
            ],
            "short\n",
            "at least 8",
        ),
        (
            &[
                "user",
                "create",
                "--email",
                "not-an-email",
                "--role",
                "admin",
                "--password-stdin",
            ],
            "password1\n",
            "not an email",
        ),
        (
            &[
                "user",
                "create",
                "--email",
                "x@acme.test",
                "--role",
                "admin",
            ],
            "",
            "--password-stdin",
        ),
        (
            &["org", "create", "--slug", "acme", "--name", "Again"],
            "",
            "already exists",
        ),
        (
            &["org", "create", "--slug", "Bad Slug", "--name", "X"],
            "",
            "slug",
        ),
        (
            &[
                "application",
                "create",
                "--org",
                "acme",
                "--candidate",
                "nobody@acme.test",
                "--title",
                "T",
            ],
            "",
            "unknown candidate",
        ),
        (
            &[
                "application",
                "create",
                "--org",
                "acme",
                "--candidate",
                "taken@acme.test",
                "--title",
                "T",
            ],
            "",
            "not a candidate",
        ),
        (&["frobnicate"], "", "unrecognized subcommand"),
        (&["org", "create", "--slug", "x"], "", "--name"),
    ];
    for (args, stdin, expected) in cases {
        let output = run(&app, args, stdin).await;
        let error = one_line_error(&output);
        assert!(
            error.contains(expected),
            "{args:?}: `{error}` should mention `{expected}`"
        );
    }
}

#[tokio::test]
async fn a_bad_setting_stops_start_up_with_one_line() {
    let output = Command::new(env!("CARGO_BIN_EXE_interview-monitor"))
        .arg("migrate")
        .env("MAX_IMAGE_BYTES", "lots")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert_eq!(stderr.trim().lines().count(), 1);
    assert!(stderr.contains("MAX_IMAGE_BYTES"));
}
