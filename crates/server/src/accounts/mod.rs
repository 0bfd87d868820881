//! Accounts and sessions: the server's side of `app::services::Accounts`.

pub mod password;
pub mod sign_in_form;

use std::{net::IpAddr, time::Duration};

use app::{
    services::{Accounts, NewSession},
    AppError,
};
use async_trait::async_trait;
use chrono::Utc;
use sea_orm::DatabaseConnection;
use shared::CurrentUser;

use crate::{
    db::{accounts as repo, counters},
    encoding::random_token,
    settings::LoginThrottle,
};

pub struct SessionAccounts {
    pub db: DatabaseConnection,
    pub session_ttl: Duration,
    pub throttle: LoginThrottle,
}

use shared::user::{normalize_email, MAX_EMAIL_CHARS};

/// Refuses credentials no account can have, before any work is done for them.
pub fn check_credential_sizes(email: &str, password: &str) -> Result<(), AppError> {
    if email.trim().chars().count() > MAX_EMAIL_CHARS {
        return Err(AppError::BadRequest(format!(
            "an email address has at most {MAX_EMAIL_CHARS} characters"
        )));
    }
    if password.len() > password::MAX_PASSWORD_BYTES {
        return Err(AppError::BadRequest(format!(
            "a password has at most {} bytes",
            password::MAX_PASSWORD_BYTES
        )));
    }
    Ok(())
}

use crate::encoding::token_hash;

fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}

impl SessionAccounts {
    /// Checks the password: `Ok(Some(user))` when it matches.
    async fn check_password(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Option<crate::db::entities::user::Model>, AppError> {
        // A provisioned candidate has no password (capture links only): checked
        // like an unknown email, in the same time.
        let user = repo::user_by_email(&self.db, email)
            .await?
            .filter(|u| !u.password_hash.is_empty());
        let matches = password::verify(
            password.to_string(),
            user.as_ref().map(|u| u.password_hash.clone()),
        )
        .await?;
        Ok(user.filter(|_| matches))
    }

    /// Counts this attempt against each subject in turn, stopping at the first
    /// over its limit. `Err(counted)` names the subjects counted before that one,
    /// whose counts go back: an attempt refused for its address is not a failure
    /// of its email, and one refused for its email never inflates its address.
    async fn count_attempt<'a>(
        &self,
        subjects: &'a [(String, u64)],
        now: chrono::DateTime<Utc>,
    ) -> Result<Result<(), &'a [(String, u64)]>, AppError> {
        let window = self.throttle.window.as_secs() as i64;
        for (index, (subject, limit)) in subjects.iter().enumerate() {
            if counters::take(&self.db, subject, now, window).await? > *limit {
                return Ok(Err(&subjects[..index]));
            }
        }
        Ok(Ok(()))
    }

    /// An attempt that was not a failure of the password gives its count back.
    async fn give_back<'a>(&self, subjects: impl IntoIterator<Item = &'a (String, u64)>) {
        for (subject, _) in subjects {
            if let Err(error) = counters::give_back(&self.db, subject).await {
                tracing::warn!(error = %crate::telemetry::error_chain(&error), "could not give back a sign-in attempt");
            }
        }
    }
}

#[async_trait]
impl Accounts for SessionAccounts {
    #[tracing::instrument(skip_all)]
    async fn sign_in(
        &self,
        email: &str,
        password: &str,
        client: Option<IpAddr>,
        replaces: Option<&str>,
    ) -> Result<NewSession, AppError> {
        let result = self.open_session(email, password, client, replaces).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(error) => error.kind(),
        };
        metrics::counter!("interview_monitor_sign_ins_total", "outcome" => outcome).increment(1);
        result
    }

    async fn sign_out(&self, token: &str) -> Result<(), AppError> {
        Ok(repo::delete_session(&self.db, &token_hash(token)).await?)
    }

    async fn session_user(&self, token: &str) -> Result<Option<CurrentUser>, AppError> {
        let user = repo::session_user(&self.db, &token_hash(token), Utc::now()).await?;
        Ok(user.as_ref().map(repo::SessionUser::current).transpose()?)
    }

    async fn key_user(&self, key: &str, path: &str) -> Result<Option<CurrentUser>, AppError> {
        if key.len() > crate::integration::keys::MAX_KEY_CHARS {
            return Ok(None);
        }
        let Some(found) = crate::db::integration::live_key(&self.db, &token_hash(key)).await?
        else {
            tracing::info!(path, "an unknown or revoked service key was refused");
            return Ok(None);
        };
        tracing::info!(key = %found.name, path, "service key used");
        metrics::counter!("interview_monitor_service_key_requests_total").increment(1);
        // Recorded at most once a minute, and not even asked for in between: on
        // SQLite an UPDATE that changes nothing still takes the one writer slot.
        let now = Utc::now();
        if crate::db::integration::use_is_stale(found.last_used_at, now) {
            crate::db::integration::touch_key(&self.db, found.id, now).await?;
        }
        Ok(Some(crate::integration::keys::acting_as(&found)))
    }
}

impl SessionAccounts {
    /// Opens a session for `user` limited to `application` (a capture link's),
    /// replacing the browser's current session if it had one; through `db`, the
    /// transaction that uses the link.
    pub async fn open_link_session(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        user: shared::UserId,
        application: uuid::Uuid,
        replaces: Option<&str>,
    ) -> Result<NewSession, AppError> {
        let token = random_token::<32>();
        let now = Utc::now();
        repo::create_session(
            db,
            token_hash(&token),
            user,
            now + chrono_duration(self.session_ttl),
            Some(application),
        )
        .await?;
        if let Some(old) = replaces {
            repo::delete_session(db, &token_hash(old)).await?;
        }
        let found = repo::session_user(db, &token_hash(&token), now)
            .await?
            .ok_or_else(AppError::internal)?;
        Ok(NewSession {
            user: found.current()?,
            token,
            lifetime: self.session_ttl,
        })
    }
}

impl SessionAccounts {
    /// Checks the credentials under the throttle and opens a session.
    async fn open_session(
        &self,
        email: &str,
        password: &str,
        client: Option<IpAddr>,
        replaces: Option<&str>,
    ) -> Result<NewSession, AppError> {
        check_credential_sizes(email, password)?;
        let email = normalize_email(email);
        let email_subject = format!("email:{email}");
        let mut subjects = vec![(email_subject.clone(), self.throttle.per_email)];
        if let Some(addr) = client {
            subjects.push((format!("addr:{addr}"), self.throttle.per_address));
        }
        // Every attempt is counted before the password is checked, with one atomic
        // step per subject: however many arrive at once, no more than the limit get
        // as far as the (costly) hash. Only wrong passwords keep their count.
        let now = Utc::now();
        let user = match self.count_attempt(&subjects, now).await {
            Ok(Ok(())) => self.check_password(&email, password).await,
            Ok(Err(counted)) => {
                self.give_back(counted).await;
                Err(AppError::TooManyRequests(
                    "too many failed sign-in attempts; wait a few minutes and try again".into(),
                ))
            }
            Err(error) => Err(error),
        };
        let user = match user {
            Ok(Some(user)) => user,
            Ok(None) => return Err(AppError::Unauthenticated("wrong email or password".into())),
            Err(error) => {
                // Failed before the password was checked: not a failure of the user's.
                // (A refused attempt keeps the over-limit count where it is.)
                if !matches!(error, AppError::TooManyRequests(_)) {
                    self.give_back(&subjects).await;
                }
                return Err(error);
            }
        };

        let token = random_token::<32>();
        let current = repo::current_user(&user)?;
        repo::create_session(
            &self.db,
            token_hash(&token),
            current.id,
            now + chrono_duration(self.session_ttl),
            None,
        )
        .await?;
        if let Some(old) = replaces {
            repo::delete_session(&self.db, &token_hash(old)).await?;
        }
        counters::reset(&self.db, &email_subject).await?;
        self.give_back(&subjects[1..]).await;
        // Housekeeping rides on sign-ins: cheap with the indexes, and needs no timer per instance.
        repo::delete_expired_sessions(&self.db, now).await?;
        counters::forget_before(
            &self.db,
            now - chrono_duration(self.throttle.window) - chrono::Duration::days(1),
        )
        .await?;
        tracing::info!(user = %current.id, "signed in");
        Ok(NewSession {
            user: current,
            token,
            lifetime: self.session_ttl,
        })
    }
}
