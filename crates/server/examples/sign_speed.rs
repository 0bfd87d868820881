//! Times signing 1,000 presigned URLs: ours against the SDK's, alternated in rounds.
use std::time::{Duration, Instant};

use server::{
    settings::{S3Settings, Secret},
    storage::{s3::S3Store, ObjectStore},
};
use shared::ObjectKey;

#[tokio::main]
async fn main() {
    let store = S3Store::new(&S3Settings {
        bucket: "b".into(),
        region: "us-east-1".into(),
        endpoints: vec!["http://127.0.0.1:8333".into()],
        access_key_id: Some("AK".into()),
        secret_access_key: Some(Secret::new("SK")),
    });
    let keys: Vec<ObjectKey> = (0..1000)
        .map(|n| format!("monitoring/6f1c2a3b-0000-4000-8000-00000000abcd/camera/{}-0b7e0000-1111-4222-8333-444455556666.jpg", 1764063000123u64 + n).parse().unwrap())
        .collect();
    let ttl = Duration::from_secs(3600);
    let (mut ours, mut sdk) = (Vec::new(), Vec::new());
    for round in 0..7 {
        let start = Instant::now();
        let urls = store
            .signed_urls(&keys, ttl, chrono::Utc::now() + chrono::Duration::hours(1))
            .await
            .unwrap();
        let t = start.elapsed().as_secs_f64() * 1000.0;
        let start = Instant::now();
        for key in &keys {
            store.sdk_signed_url(key, ttl, None).await.unwrap();
        }
        let s = start.elapsed().as_secs_f64() * 1000.0;
        assert_eq!(urls.len(), 1000);
        if round > 0 {
            ours.push(t);
            sdk.push(s);
        }
    }
    ours.sort_by(f64::total_cmp);
    sdk.sort_by(f64::total_cmp);
    println!("1,000 URLs: ours median {:.2} ms ({:.2}-{:.2}), SDK median {:.1} ms ({:.1}-{:.1}), 6 rounds", ours[3], ours[0], ours[5], sdk[3], sdk[0], sdk[5]);
}
