//! Settings, read once at start from the environment (the README's Configuration table), with defaults.
//! Nothing else reads the environment.

use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

use ipnet::IpNet;
use leptos::config::LeptosOptions;

/// A value that must not end up in logs: `Debug` prints a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// `http://a:8333,http://b:8333`: each an http:// or https:// URL.
fn endpoints(list: &str) -> Result<Vec<String>, SettingsError> {
    let endpoints: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect();
    match endpoints
        .iter()
        .find(|e| !(e.starts_with("http://") || e.starts_with("https://")))
    {
        Some(bad) => Err(SettingsError::Invalid {
            name: "AWS_ENDPOINT_URL_S3",
            value: bad.clone(),
            reason: "expected an http:// or https:// URL (several separated by commas)".into(),
        }),
        None if endpoints.is_empty() => Err(SettingsError::Invalid {
            name: "AWS_ENDPOINT_URL_S3",
            value: list.to_string(),
            reason: "expected an http:// or https:// URL".into(),
        }),
        None => Ok(endpoints),
    }
}

/// The longest retention period a setting may ask for (100 years).
pub const MAX_RETENTION_DAYS: u32 = 36_500;
/// The longest ID_RETENTION_DAYS: an ID photo is for the interview's review, not an archive.
pub const MAX_ID_RETENTION_DAYS: u32 = 365;
/// The longest an invitation may be valid (INVITATION_DAYS, `validDays`).
pub const MAX_INVITATION_DAYS: u32 = 90;

#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    /// May hold a password, hence secret.
    pub database_url: Secret,
    pub session_ttl: Duration,
    /// INTERVIEW_IDLE_SECS: an interview whose session is still open counts as
    /// `ended` after this long without a session start or a capture.
    pub interview_idle: Duration,
    pub signed_url_ttl: Duration,
    pub max_image_bytes: usize,
    /// Uploads one user may make per minute before 429.
    pub uploads_per_minute: u64,
    /// Distinct images one user may have signed per minute before 429
    /// (VIEWS_PER_MINUTE, default 20,000).
    pub views_per_minute: u64,
    pub login_throttle: LoginThrottle,
    pub storage: StorageSettings,
    /// AUDIT_KEY: signs checkpoints of the audit trail (32 bytes, hex or base64);
    /// unset, a key is made once in `DATA_DIR/audit.key`. Instances sharing a
    /// database must share it.
    pub audit_key: Option<Secret>,
    /// Peers whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed (TRUSTED_PROXIES).
    pub trusted_proxies: Vec<IpNet>,
    /// The origin users reach the server at (PUBLIC_URL), e.g. `https://monitor.example.com`;
    /// cross-site checks compare against it. Unset: the request's own scheme and host.
    pub public_origin: Option<String>,
    /// Origins that may embed the panel and call the API from the browser
    /// (ALLOWED_ORIGINS, comma-separated): CORS with credentials for them only.
    pub allowed_origins: Vec<String>,
    /// How often each instance sweeps storage (RECONCILE_INTERVAL_SECS), leaving alone
    /// what is younger than RECONCILE_GRACE_SECS (uploads in flight).
    pub reconcile_every: Duration,
    pub reconcile_grace: Duration,
    /// RETENTION_DAYS (default 90; `0` or `off`: kept until deleted): images, events
    /// and sessions older than this are purged.
    pub retention_days: Option<u32>,
    /// ID_RETENTION_DAYS (default 7, 0 to 365): days an ID photo is kept after
    /// its interview's last capture or session start (RETENTION_DAYS may remove it sooner).
    pub id_retention_days: u32,
    /// FACE_DETECTION (`on`, the default, or `off`): camera images are analysed for faces.
    pub face_detection: bool,
    /// FACE_WORKERS (default 1): detections this instance runs at once; 0 queues
    /// analyses for other instances and runs none.
    pub face_workers: usize,
    /// Where webhooks may go and how often they are retried.
    pub webhooks: WebhookSettings,
    /// INVITATION_DAYS (default 7, at most 90): how long an invitation is
    /// valid when its request names no `validDays`.
    pub invitation_days: u32,
    /// `(certificate chain, private key)` PEM files: the server speaks HTTPS itself.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub leptos: LeptosOptions,
}

/// Webhook delivery.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// WEBHOOK_ALLOW_PRIVATE=1: endpoints may be `http` and reach loopback,
    /// private and link-local addresses (tests, private networks).
    pub allow_private: bool,
    /// WEBHOOK_RETRY_SECS (comma-separated seconds): the waits before each
    /// attempt after the first; after the last, the delivery fails. The
    /// default retries for about 27 hours.
    pub retry_after: Vec<Duration>,
}

/// The waits between attempts by default: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
/// 10 h (27.6 hours in all), each with up to a fifth of jitter.
pub const DEFAULT_WEBHOOK_RETRIES: [u64; 7] = [5, 300, 1800, 7200, 18000, 36000, 36000];

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            allow_private: false,
            retry_after: DEFAULT_WEBHOOK_RETRIES
                .iter()
                .map(|s| Duration::from_secs(*s))
                .collect(),
        }
    }
}

/// `5,300,1800`: seconds, at most 20 of them, each at most a day.
fn retry_schedule(text: &str) -> Result<Vec<Duration>, String> {
    let waits = text
        .split(',')
        .map(|part| match part.trim().parse::<u64>() {
            Ok(secs) if (1..=86_400).contains(&secs) => Ok(Duration::from_secs(secs)),
            _ => Err(format!(
                "`{}` is not a wait: whole seconds from 1 to 86400",
                part.trim().chars().take(32).collect::<String>()
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if waits.len() > 20 {
        return Err("at most 20 retries".into());
    }
    Ok(waits)
}

/// How many failed sign-ins within `window` lock out an email or a client address.
#[derive(Debug, Clone, Copy)]
pub struct LoginThrottle {
    pub window: Duration,
    pub per_email: u64,
    pub per_address: u64,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle {
            window: Duration::from_secs(15 * 60),
            per_email: 5,
            per_address: 20,
        }
    }
}

#[derive(Debug, Clone)]
pub enum StorageSettings {
    /// Files under `DATA_DIR`, encrypted at rest.
    BuiltIn {
        key: Option<Secret>,
    },
    S3(S3Settings),
}

#[derive(Debug, Clone)]
pub struct S3Settings {
    pub bucket: String,
    pub region: String,
    /// AWS_ENDPOINT_URL_S3: one S3-compatible endpoint, or several gateways of
    /// one cluster separated by commas (used in turn when one is unreachable).
    /// Empty: AWS itself.
    pub endpoints: Vec<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret>,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{name}={value:?} is not valid: {reason}")]
    Invalid {
        name: &'static str,
        value: String,
        reason: String,
    },
    #[error("{0} is required when AWS_S3_BUCKET_NAME is set")]
    Missing(&'static str),
    #[error("the Leptos site settings (LEPTOS_*) are not valid: {0}")]
    Leptos(String),
}

pub const DEFAULT_MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;

impl Settings {
    /// RETENTION_DAYS and ID_RETENTION_DAYS.
    pub fn retention(&self) -> crate::periods::Periods {
        crate::periods::Periods {
            all: self.retention_days,
            id_photos: self.id_retention_days,
        }
    }

    /// Reads the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        // cargo-leptos passes the site layout as LEPTOS_* variables; without them
        // (a plain `cargo run`, the CLI) the defaults below apply.
        let from_cargo_leptos = std::env::var_os("LEPTOS_OUTPUT_NAME").is_some()
            || option_env!("LEPTOS_OUTPUT_NAME").is_some();
        let leptos = if from_cargo_leptos {
            leptos::config::get_configuration(None)
                .map_err(|e| SettingsError::Leptos(e.to_string()))?
                .leptos_options
        } else {
            LeptosOptions::builder()
                .output_name("interview-monitor")
                .site_root(
                    std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into()),
                )
                .build()
        };
        Self::from_vars(|name| std::env::var(name).ok(), leptos)
    }

    /// Reads settings from `var` (the environment, or a map in tests).
    pub fn from_vars(
        var: impl Fn(&str) -> Option<String>,
        mut leptos: LeptosOptions,
    ) -> Result<Self, SettingsError> {
        let get = |name: &str| {
            var(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };

        let bind = parse(
            &get,
            "BIND",
            "127.0.0.1:3000".parse().expect("valid default"),
            |v| v.parse::<SocketAddr>().map_err(|e| e.to_string()),
        )?;
        let data_dir = PathBuf::from(get("DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = match get("DATABASE_URL") {
            Some(url)
                if url.starts_with("sqlite:")
                    || url.starts_with("postgres://")
                    || url.starts_with("postgresql://") =>
            {
                url
            }
            Some(url) => {
                return Err(SettingsError::Invalid {
                    name: "DATABASE_URL",
                    value: url.split(':').next().unwrap_or_default().to_string() + ":…",
                    reason: "expected sqlite://... or postgres://...".into(),
                })
            }
            None => format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("interview-monitor.db").display()
            ),
        };
        let seconds = |name: &'static str, default: u64| {
            parse(&get, name, Duration::from_secs(default), |v| {
                match v.parse::<u64>() {
                    Ok(0) => Err("must be at least 1 second".to_string()),
                    Ok(secs) if secs > 365 * 24 * 3600 => Err("must be at most a year".to_string()),
                    Ok(secs) => Ok(Duration::from_secs(secs)),
                    Err(_) => Err("expected a whole number of seconds".to_string()),
                }
            })
        };
        let session_ttl = seconds("SESSION_TTL_SECS", 12 * 3600)?;
        let interview_idle = seconds("INTERVIEW_IDLE_SECS", 1800)?;
        let signed_url_ttl = seconds("SIGNED_URL_TTL_SECS", 3600)?;
        if signed_url_ttl > Duration::from_secs(7 * 24 * 3600) {
            return Err(SettingsError::Invalid {
                name: "SIGNED_URL_TTL_SECS",
                value: signed_url_ttl.as_secs().to_string(),
                reason: "S3 presigned URLs last at most 7 days (604800 s)".into(),
            });
        }
        let max_image_bytes =
            parse(
                &get,
                "MAX_IMAGE_BYTES",
                DEFAULT_MAX_IMAGE_BYTES,
                |v| match v.parse::<usize>() {
                    Ok(n) if (1024..=64 * 1024 * 1024).contains(&n) => Ok(n),
                    Ok(_) => Err("must be between 1024 and 67108864 bytes".to_string()),
                    Err(_) => Err("expected a number of bytes".to_string()),
                },
            )?;

        let per_minute = |v: &str| match v.parse::<u64>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err("expected a whole number of at least 1".to_string()),
        };
        let uploads_per_minute = parse(&get, "UPLOADS_PER_MINUTE", 120, per_minute)?;
        let views_per_minute = parse(&get, "VIEWS_PER_MINUTE", 20_000, per_minute)?;

        let storage = match get("AWS_S3_BUCKET_NAME") {
            Some(bucket) => StorageSettings::S3(S3Settings {
                bucket,
                region: get("AWS_REGION").ok_or(SettingsError::Missing("AWS_REGION"))?,
                endpoints: match get("AWS_ENDPOINT_URL_S3") {
                    Some(list) => endpoints(&list)?,
                    None => Vec::new(),
                },
                access_key_id: get("AWS_ACCESS_KEY_ID"),
                secret_access_key: get("AWS_SECRET_ACCESS_KEY").map(Secret::new),
            }),
            None => StorageSettings::BuiltIn {
                key: get("STORAGE_ENCRYPTION_KEY").map(Secret::new),
            },
        };

        let reconcile_every = seconds("RECONCILE_INTERVAL_SECS", 3600)?;
        let reconcile_grace = seconds("RECONCILE_GRACE_SECS", 900)?;
        let retention_days = parse(&get, "RETENTION_DAYS", Some(90), |v| {
            match v {
            "off" | "0" => Ok(None),
            _ => match v.parse::<u32>() {
                Ok(days) if days <= MAX_RETENTION_DAYS => Ok(Some(days)),
                _ => Err("expected a number of days (1 to 36500), or 0 / off to keep images until deleted".to_string()),
            },
        }
        })?;
        let id_retention_days = parse(&get, "ID_RETENTION_DAYS", 7, |v| {
            match v.parse::<u32>() {
            Ok(days) if days <= MAX_ID_RETENTION_DAYS => Ok(days),
            _ => Err(format!(
                "expected a number of days from 0 to {MAX_ID_RETENTION_DAYS}: ID photos are always deleted"
            )),
        }
        })?;
        let face_detection = parse(&get, "FACE_DETECTION", true, |v| match v {
            "on" => Ok(true),
            "off" => Ok(false),
            _ => Err("expected `on` or `off`".to_string()),
        })?;
        let face_workers = parse(&get, "FACE_WORKERS", 1, |v| match v.parse::<usize>() {
            Ok(n) if n <= 64 => Ok(n),
            _ => Err("expected a whole number from 0 to 64".to_string()),
        })?;
        let webhooks = WebhookSettings {
            allow_private: parse(&get, "WEBHOOK_ALLOW_PRIVATE", false, |v| match v {
                "1" | "true" => Ok(true),
                "0" | "false" => Ok(false),
                _ => Err("expected 1 or 0".to_string()),
            })?,
            retry_after: parse(
                &get,
                "WEBHOOK_RETRY_SECS",
                WebhookSettings::default().retry_after,
                retry_schedule,
            )?,
        };
        let invitation_days = parse(&get, "INVITATION_DAYS", 7, |v| match v.parse::<u32>() {
            Ok(days) if (1..=MAX_INVITATION_DAYS).contains(&days) => Ok(days),
            _ => Err(format!(
                "expected a number of days from 1 to {MAX_INVITATION_DAYS}"
            )),
        })?;
        let trusted_proxies = parse(&get, "TRUSTED_PROXIES", Vec::new(), trusted_proxies)?;
        let public_origin = get("PUBLIC_URL")
            .map(|url| {
                origin_of(&url).ok_or_else(|| SettingsError::Invalid {
                    name: "PUBLIC_URL",
                    value: url.clone(),
                    reason: "expected http(s)://host[:port], without a path".into(),
                })
            })
            .transpose()?;
        let allowed_origins = parse(&get, "ALLOWED_ORIGINS", Vec::new(), |text| {
            text.split(',')
                .map(str::trim)
                .filter(|part| !part.is_empty())
                .map(|part| {
                    origin_of(part).ok_or_else(|| {
                        format!("`{part}` is not an origin: expected http(s)://host[:port], without a path")
                    })
                })
                .collect()
        })?;

        let tls = match (get("TLS_CERT_FILE"), get("TLS_KEY_FILE")) {
            (Some(cert), Some(key)) => Some((PathBuf::from(cert), PathBuf::from(key))),
            (None, None) => None,
            (Some(_), None) => {
                return Err(SettingsError::Invalid {
                    name: "TLS_KEY_FILE",
                    value: String::new(),
                    reason: "required with TLS_CERT_FILE".into(),
                })
            }
            (None, Some(_)) => {
                return Err(SettingsError::Invalid {
                    name: "TLS_CERT_FILE",
                    value: String::new(),
                    reason: "required with TLS_KEY_FILE".into(),
                })
            }
        };

        leptos.site_addr = bind;
        if leptos.output_name.is_empty() {
            leptos.output_name = "interview-monitor".into();
        }

        Ok(Settings {
            bind,
            data_dir,
            database_url: Secret::new(database_url),
            session_ttl,
            interview_idle,
            signed_url_ttl,
            max_image_bytes,
            uploads_per_minute,
            views_per_minute,
            login_throttle: LoginThrottle::default(),
            storage,
            audit_key: get("AUDIT_KEY").map(Secret::new),
            trusted_proxies,
            public_origin,
            allowed_origins,
            reconcile_every,
            reconcile_grace,
            retention_days,
            id_retention_days,
            face_detection,
            face_workers,
            webhooks,
            invitation_days,
            tls,
            leptos,
        })
    }
}

/// `10.0.0.0/8, 192.168.1.7`: networks, or single addresses (as /32 or /128).
fn trusted_proxies(text: &str) -> Result<Vec<IpNet>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<IpNet>()
                .or_else(|_| part.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| format!("`{part}` is not an IP address or CIDR network"))
        })
        .collect()
}

/// `scheme://host[:port]` of an http(s) URL with no path beyond `/`, lowercased.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = rest.strip_suffix('/').unwrap_or(rest);
    let valid = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    valid.then(|| format!("{scheme}://{}", host.to_ascii_lowercase()))
}

fn parse<T>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
    convert: impl Fn(&str) -> Result<T, String>,
) -> Result<T, SettingsError> {
    match get(name) {
        None => Ok(default),
        Some(value) => convert(&value).map_err(|reason| SettingsError::Invalid {
            name,
            value,
            reason,
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_vars(
            |name| vars.get(name).cloned(),
            LeptosOptions::builder().output_name("x").build(),
        )
    }

    #[test]
    fn defaults_need_no_environment() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(s.signed_url_ttl, Duration::from_secs(3600));
        assert_eq!(s.max_image_bytes, 5 * 1024 * 1024);
        assert!(s.database_url.expose().starts_with("sqlite://./data/"));
        assert!(matches!(s.storage, StorageSettings::BuiltIn { key: None }));
    }

    #[test]
    fn id_photos_are_kept_a_week_by_default_and_never_for_good() {
        assert_eq!(settings(&[]).unwrap().retention().id_photos, 7);
        let two = settings(&[("ID_RETENTION_DAYS", "2"), ("RETENTION_DAYS", "off")]).unwrap();
        assert_eq!(
            two.retention(),
            crate::periods::Periods {
                all: None,
                id_photos: 2
            }
        );
        for bad in ["off", "-1", "366", "4294967296", "seven"] {
            let message = settings(&[("ID_RETENTION_DAYS", bad)])
                .unwrap_err()
                .to_string();
            assert!(message.starts_with("ID_RETENTION_DAYS"), "{message}");
        }
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (name, value) in [
            ("BIND", "nowhere"),
            ("SIGNED_URL_TTL_SECS", "0"),
            ("MAX_IMAGE_BYTES", "lots"),
            ("DATABASE_URL", "mysql://x"),
        ] {
            let message = settings(&[(name, value)]).unwrap_err().to_string();
            assert!(message.starts_with(name), "{message}");
            assert!(!message.contains('\n'));
        }
    }

    #[test]
    fn trusted_proxies_and_the_public_url_are_checked() {
        let s = settings(&[
            ("TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1 ,::1"),
            ("PUBLIC_URL", "https://Monitor.Example.com/"),
        ])
        .unwrap();
        assert_eq!(s.trusted_proxies.len(), 3);
        assert!(s.trusted_proxies[1].contains(&"127.0.0.1".parse::<std::net::IpAddr>().unwrap()));
        assert_eq!(
            s.public_origin.as_deref(),
            Some("https://monitor.example.com")
        );
        let s = settings(&[(
            "ALLOWED_ORIGINS",
            " https://Platform.Example ,http://127.0.0.1:3001/,",
        )])
        .unwrap();
        assert_eq!(
            s.allowed_origins,
            ["https://platform.example", "http://127.0.0.1:3001"]
        );
        for (name, value) in [
            ("TRUSTED_PROXIES", "10.0.0.0/33"),
            ("TRUSTED_PROXIES", "proxy.local"),
            ("PUBLIC_URL", "ftp://x"),
            ("PUBLIC_URL", "https://x/app"),
            ("ALLOWED_ORIGINS", "https://a.example, *"),
            ("ALLOWED_ORIGINS", "https://a.example/embed"),
            ("ALLOWED_ORIGINS", "null"),
        ] {
            assert!(
                settings(&[(name, value)])
                    .unwrap_err()
                    .to_string()
                    .starts_with(name),
                "{name}={value}"
            );
        }
    }

    #[test]
    fn a_bucket_switches_to_s3_and_needs_a_region() {
        assert!(matches!(
            settings(&[("AWS_S3_BUCKET_NAME", "b")]),
            Err(SettingsError::Missing("AWS_REGION"))
        ));
        let s = settings(&[
            ("AWS_S3_BUCKET_NAME", "b"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_SECRET_ACCESS_KEY", "sk"),
        ])
        .unwrap();
        assert!(matches!(s.storage, StorageSettings::S3(ref s3) if s3.bucket == "b"));
        assert!(!format!("{s:?}").contains("sk\""));
    }
}
