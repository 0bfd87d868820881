//! Accounts and sessions: the server's side of `app::services::Accounts`.

pub mod password;

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

fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}

impl SessionAccounts {
    async fn throttled(&self, subjects: &[(String, u64)]) -> Result<bool, AppError> {
        let since = Utc::now() - chrono_duration(self.throttle.window);
        for (subject, limit) in subjects {
            if repo::count_login_failures(&self.db, subject, since).await? >= *limit {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

#[async_trait]
impl Accounts for SessionAccounts {
    #[tracing::instrument(skip_all)]
    async fn sign_in(&self, email: &str, password: &str, client: Option<IpAddr>) -> Result<NewSession, AppError> {
        let email = normalize_email(email);
        let email_subject = format!("email:{email}");
        let mut subjects = vec![(email_subject.clone(), self.throttle.per_email)];
        if let Some(addr) = client {
            subjects.push((format!("addr:{addr}"), self.throttle.per_address));
        }
        if self.throttled(&subjects).await? {
            return Err(AppError::TooManyRequests(
                "too many failed sign-in attempts; wait a few minutes and try again".into(),
            ));
        }

        let user = repo::user_by_email(&self.db, &email).await?;
        let matches = password::verify(password.to_string(), user.as_ref().map(|u| u.password_hash.clone())).await?;
        let now = Utc::now();
        let Some(user) = user.filter(|_| matches) else {
            let names: Vec<String> = subjects.into_iter().map(|(subject, _)| subject).collect();
            repo::record_login_failures(&self.db, &names, now).await?;
            return Err(AppError::Unauthenticated("wrong email or password".into()));
        };

        let token = random_token::<32>();
        let current = repo::current_user(&user)?;
        repo::create_session(&self.db, token_hash(&token), current.id, now + chrono_duration(self.session_ttl)).await?;
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
