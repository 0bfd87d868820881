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
use sha2::{Digest, Sha256};
use shared::CurrentUser;

use crate::{
    db::accounts as repo,
    encoding::{hex, random_token},
    settings::LoginThrottle,
};

pub struct SessionAccounts {
    pub db: DatabaseConnection,
    pub session_ttl: Duration,
    pub throttle: LoginThrottle,
}

/// Emails are compared case-insensitively; they are stored in this form.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The longest email address (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// Refuses credentials no account can have, before any work is done for them.
pub fn check_credential_sizes(email: &str, password: &str) -> Result<(), AppError> {
    if email.trim().chars().count() > MAX_EMAIL_CHARS {
        return Err(AppError::BadRequest(format!("an email address has at most {MAX_EMAIL_CHARS} characters")));
    }
    if password.len() > password::MAX_PASSWORD_BYTES {
        return Err(AppError::BadRequest(format!("a password has at most {} bytes", password::MAX_PASSWORD_BYTES)));
    }
    Ok(())
}

fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}

impl SessionAccounts {
    /// Whether any subject has more than its limit of attempts in the window,
    /// counting the attempt just recorded (so concurrent attempts see each other).
    async fn throttled(&self, subjects: &[(String, u64)], now: chrono::DateTime<Utc>) -> Result<bool, AppError> {
        let since = now - chrono_duration(self.throttle.window);
        for (subject, limit) in subjects {
            if repo::count_login_failures(&self.db, subject, since).await? > *limit {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Checks the password of a recorded attempt: `Ok(Some(user))` when it matches.
    async fn check_password(&self, email: &str, password: &str) -> Result<Option<crate::db::entities::user::Model>, AppError> {
        let user = repo::user_by_email(&self.db, email).await?;
        let matches = password::verify(password.to_string(), user.as_ref().map(|u| u.password_hash.clone())).await?;
        Ok(user.filter(|_| matches))
    }
}

#[async_trait]
impl Accounts for SessionAccounts {
    #[tracing::instrument(skip_all)]
    async fn sign_in(&self, email: &str, password: &str, client: Option<IpAddr>, replaces: Option<&str>) -> Result<NewSession, AppError> {
        check_credential_sizes(email, password)?;
        let email = normalize_email(email);
        let email_subject = format!("email:{email}");
        let mut subjects = vec![(email_subject.clone(), self.throttle.per_email)];
        if let Some(addr) = client {
            subjects.push((format!("addr:{addr}"), self.throttle.per_address));
        }
        // The attempt is recorded as a failure before the password is checked and
        // only forgotten if it succeeds: however many arrive at once, no more than
        // the limit get as far as the (costly) hash.
        let now = Utc::now();
        let names: Vec<String> = subjects.iter().map(|(subject, _)| subject.clone()).collect();
        let attempt = repo::record_login_failures(&self.db, &names, now).await?;
        let user = match self.throttled(&subjects, now).await {
            Ok(false) => self.check_password(&email, password).await,
            Ok(true) => Err(AppError::TooManyRequests("too many failed sign-in attempts; wait a few minutes and try again".into())),
            Err(error) => Err(error),
        };
        let user = match user {
            Ok(Some(user)) => user,
            // A wrong password stays recorded: that is the failure the throttle counts.
            Ok(None) => return Err(AppError::Unauthenticated("wrong email or password".into())),
            // Refused or failed before the password was checked: not a failure of the user's.
            Err(error) => {
                if let Err(cleanup) = repo::forget_login_attempt(&self.db, &attempt).await {
                    tracing::warn!(error = %crate::error::error_chain(&cleanup), "could not forget a sign-in attempt");
                }
                return Err(error);
            }
        };

        let token = random_token::<32>();
        let current = repo::current_user(&user)?;
        repo::create_session(&self.db, token_hash(&token), current.id, now + chrono_duration(self.session_ttl)).await?;
        if let Some(old) = replaces {
            repo::delete_session(&self.db, &token_hash(old)).await?;
        }
        repo::forget_login_attempt(&self.db, &attempt).await?;
        repo::forget_login_failures(&self.db, Some(&email_subject), now).await?;
        // Housekeeping rides on sign-ins: cheap with the indexes, and needs no timer per instance.
        repo::delete_expired_sessions(&self.db, now).await?;
        repo::forget_login_failures(&self.db, None, now - chrono_duration(self.throttle.window)).await?;
        tracing::info!(user = %current.id, "signed in");
        Ok(NewSession { user: current, token, lifetime: self.session_ttl })
    }

    async fn sign_out(&self, token: &str) -> Result<(), AppError> {
        Ok(repo::delete_session(&self.db, &token_hash(token)).await?)
    }

    async fn session_user(&self, token: &str) -> Result<Option<CurrentUser>, AppError> {
        let user = repo::session_user(&self.db, &token_hash(token), Utc::now()).await?;
        Ok(user.as_ref().map(repo::current_user).transpose()?)
    }
}
