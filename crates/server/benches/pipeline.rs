//! Throughput, latency and memory of the image pipeline, printed as figures.
//! Run by `scripts/bench.sh`, which builds the release server, starts SeaweedFS and
//! passes SERVER_BIN, BENCH_S3_ENDPOINT and the credentials. Not a test: it asserts
//! nothing, it measures.

mod common;

use std::{
    sync::Arc,
    time::Instant,
};

use common::{env, jpeg, Server};

use aws_sdk_s3::primitives::ByteStream;
use base64::Engine;
use futures::{stream, StreamExt};
use serde_json::{json, Value};

const IMAGE_BYTES: usize = 64 * 1024;
// One user may have 8 binary uploads in flight (429 beyond: per-user upload slots),
// and the bench uploads as one user.
const IN_FLIGHT: usize = 8;
const UPLOADS: usize = 640;


impl Server {
    async fn start_pipeline(s3_bucket: Option<&str>) -> Server {
        let mut vars: Vec<(String, String)> = Vec::new();
        if let Some(bucket) = s3_bucket {
            vars.extend([
                ("AWS_S3_BUCKET_NAME".into(), bucket.to_string()),
                ("AWS_REGION".into(), "us-east-1".into()),
                ("AWS_ENDPOINT_URL_S3".into(), env("BENCH_S3_ENDPOINT")),
                ("AWS_ACCESS_KEY_ID".into(), env("BENCH_S3_ACCESS_KEY")),
                ("AWS_SECRET_ACCESS_KEY".into(), env("BENCH_S3_SECRET_KEY")),
            ]);
        }
        Server::start(vars).await
    }

    async fn upload_binary(&self, image: Vec<u8>) -> String {
        let response = self
            .client
            .post(format!("{}/api/monitoring/upload-binary?applicationId={}&imageType=camera", self.url, self.application))
            .header("content-type", "image/jpeg")
            .body(image)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.unwrap()["s3Key"].as_str().unwrap().to_string()
    }

    async fn upload_base64(&self, image: &[u8]) -> String {
        let data = base64::engine::general_purpose::STANDARD.encode(image);
        let response = self
            .client
            .post(format!("{}/api/monitoring/upload", self.url))
            .json(&json!({"applicationId": self.application, "imageType": "screen", "imageData": data}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.unwrap()["s3Key"].as_str().unwrap().to_string()
    }
}

/// Runs `count` operations with `in_flight` at a time; operations per second.
async fn rate<F, Fut>(count: usize, in_flight: usize, op: F) -> f64
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let start = Instant::now();
    stream::iter(0..count).map(&op).buffer_unordered(in_flight).collect::<Vec<()>>().await;
    count as f64 / start.elapsed().as_secs_f64()
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[samples.len() / 2]
}

async fn time_ms<Fut: std::future::Future<Output = ()>>(runs: usize, op: impl Fn() -> Fut) -> f64 {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        op().await;
        samples.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    median(samples)
}

/// A client of the benchmark's S3 server, as the server itself makes one.
fn s3_client() -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(env("BENCH_S3_ENDPOINT"))
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(env("BENCH_S3_ACCESS_KEY"), env("BENCH_S3_SECRET_KEY"), None, None, "bench"))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

async fn raw_put_rate(images: &Arc<Vec<Vec<u8>>>) -> f64 {
    let client = s3_client();
    client.create_bucket().bucket("bench-raw").send().await.ok();
    rate(UPLOADS, IN_FLIGHT, |n| {
        let client = client.clone();
        let images = images.clone();
        async move {
            client
                .put_object()
                .bucket("bench-raw")
                .key(format!("raw/{n}.jpg"))
                .content_type("image/jpeg")
                .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::Aes256)
                .body(ByteStream::from(images[n % images.len()].clone()))
                .send()
                .await
                .unwrap();
        }
    })
    .await
}

async fn create_bucket(name: &str) {
    s3_client().create_bucket().bucket(name).send().await.ok();
}

async fn bench_store(name: &str, bucket: Option<&str>, images: &Arc<Vec<Vec<u8>>>, raw: f64) {
    let server = Arc::new(Server::start_pipeline(bucket).await);
    // Warm up connections and the database.
    for image in images.iter().take(8) {
        server.upload_binary(image.clone()).await;
    }
    let binary = rate(UPLOADS, IN_FLIGHT, |n| {
        let (server, images) = (server.clone(), images.clone());
        async move {
            server.upload_binary(images[n % images.len()].clone()).await;
        }
    })
    .await;
    let base64 = rate(UPLOADS, IN_FLIGHT, |n| {
        let (server, images) = (server.clone(), images.clone());
        async move {
            server.upload_base64(&images[n % images.len()]).await;
        }
    })
    .await;
    println!("{name}: upload-binary {binary:.0}/s ({:.2} of raw PutObject), base64 upload {base64:.0}/s ({:.2} of raw PutObject)", binary / raw, base64 / raw);

    // 1,000 keys in one signed-urls call.
    let list = server.images().await;
    let mut keys: Vec<String> = ["camera", "screen"]
        .iter()
        .flat_map(|kind| list[*kind].as_array().unwrap().iter().map(|i| i["s3Key"].as_str().unwrap().to_string()))
        .collect();
    keys.truncate(1000);
    assert_eq!(keys.len(), 1000);
    let sign = time_ms(20, || {
        let server = server.clone();
        let keys = keys.clone();
        async move {
            let response =
                server.client.post(format!("{}/api/monitoring/signed-urls", server.url)).json(&json!({"s3Keys": keys})).send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.bytes().await.unwrap();
        }
    })
    .await;
    println!("{name}: signed-urls with 1,000 keys: {sign:.1} ms per call (median of 20, round trip on loopback)");

    // Peak memory with 256 uploads in flight: base64 ones, whose bodies the server
    // holds whole (binary uploads beyond a user's 8 slots are refused at once).
    let before = server.peak_rss_mib();
    rate(256, 256, |n| {
        let (server, images) = (server.clone(), images.clone());
        async move {
            server.upload_base64(&images[n % images.len()]).await;
        }
    })
    .await;
    println!("{name}: peak server RSS {:.1} MiB after 256 uploads in flight (peak before that burst: {before:.1} MiB)", server.peak_rss_mib());
}

async fn bench_listing() {
    // 20,000 rows for one application, written straight into the database.
    let server = Server::start_pipeline(None).await;
    let dir = server.dir.path().display().to_string();
    let db = sea_orm::Database::connect(format!("sqlite://{dir}/interview-monitor.db?mode=rwc")).await.unwrap();
    use sea_orm::{ConnectionTrait, EntityTrait, Set};
    use server::db::entities::monitoring_image;
    let application: uuid::Uuid = server.application.parse().unwrap();
    let uploader: uuid::Uuid = {
        let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT id FROM users WHERE role = 'candidate'")).await.unwrap().unwrap();
        row.try_get_by_index(0).unwrap()
    };
    let start = chrono::Utc::now() - chrono::Duration::hours(100);
    for chunk in (0..20_000).collect::<Vec<i64>>().chunks(500) {
        let rows = chunk.iter().map(|n| {
            let kind = if n % 2 == 0 { shared::ImageKind::Camera } else { shared::ImageKind::Screen };
            let captured = start + chrono::Duration::seconds(*n * 15);
            let key = shared::ObjectKey::new(shared::ApplicationId(application), kind, captured.timestamp_millis(), uuid::Uuid::new_v4())
                .expect("a time after 1970");
            monitoring_image::ActiveModel {
                id: Set(key.id),
                application_id: Set(application),
                kind: Set(kind.as_str().into()),
                object_key: Set(key.to_string()),
                captured_at: Set(captured),
                stored_at: Set(captured),
                size_bytes: Set(65536),
                sha256: Set("0".repeat(64)),
                uploaded_by: Set(uploader),
                pending: Set(false),
            }
        });
        monitoring_image::Entity::insert_many(rows).exec_without_returning(&db).await.unwrap();
    }
    let images = time_ms(20, || async {
        let response = server
            .client
            .post(format!("{}/api/monitoring/images", server.url))
            .json(&json!({"applicationId": server.application}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["camera"].as_array().unwrap().len() + body["screen"].as_array().unwrap().len(), 20_000);
    })
    .await;
    println!("images with 20,000 rows (SQLite): {images:.1} ms per call (median of 20, round trip incl. 20,000 entries of JSON)");
}

#[tokio::main]
async fn main() {
    let images: Arc<Vec<Vec<u8>>> = Arc::new((0..64).map(|seed| jpeg(IMAGE_BYTES, seed)).collect());
    println!("interview-monitor pipeline benchmark: {} KiB JPEGs, {IN_FLIGHT} in flight, {UPLOADS} uploads per figure", IMAGE_BYTES / 1024);
    let raw = raw_put_rate(&images).await;
    println!("raw aws-sdk-s3 PutObject (SSE AES256) to SeaweedFS: {raw:.0}/s");
    create_bucket("bench-server").await;
    bench_store("S3 (SeaweedFS)", Some("bench-server"), &images, raw).await;
    bench_store("built-in store", None, &images, raw).await;
    bench_listing().await;
}
