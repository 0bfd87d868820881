//! The milestones nobody's request marks: an interview that ends because
//! nothing was captured for INTERVIEW_IDLE_SECS, and one whose last face
//! analysis finished. Every instance looks each [`EVERY`]; moving an
//! application's announced milestone is a conditional update, so of all the
//! instances one announces it, in the transaction that moves it.
//! (`interview.started` and an `interview.ended` by the panel are announced
//! by the requests that start and end the session.) It also prunes messages
//! older than [`LOG_KEPT`] that nothing is still sending.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{DatabaseConnection, TransactionTrait};
use shared::{lifecycle::InterviewState, webhooks::WebhookEvent};
use uuid::Uuid;

use crate::{
    db::{
        integration::use_up_invitations,
        webhooks::{self as repo, Announcement},
        PersistenceError,
    },
    telemetry::error_chain,
};

/// How often each instance looks.
pub const EVERY: Duration = Duration::from_secs(1);
/// How long messages are kept for the delivery log once nothing is sending them.
pub const LOG_KEPT: chrono::Duration = chrono::Duration::days(30);
/// How often each instance prunes the log (a thousand messages at a time).
const PRUNE_EVERY: u32 = 3_600;

/// Looks for milestones reached, and prunes the delivery log now and then,
/// until the task is aborted (at shutdown).
pub async fn watch(db: DatabaseConnection, idle: Duration) {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut tick: u32 = 0;
    loop {
        ticks.tick().await;
        if let Err(error) = look(&db, idle).await {
            tracing::warn!(error = %error, "could not look for interview milestones");
        }
        if tick.is_multiple_of(PRUNE_EVERY) {
            match repo::prune(&db, Utc::now() - LOG_KEPT).await {
                Ok(0) => {}
                Ok(pruned) => tracing::info!(pruned, "old webhook messages pruned"),
                Err(error) => {
                    tracing::warn!(error = %error_chain(&error), "could not prune webhook messages")
                }
            }
        }
        tick = tick.wrapping_add(1);
    }
}

/// Announces what the unsettled interviews reached since they were last looked at.
pub async fn look(db: &DatabaseConnection, idle: Duration) -> Result<(), String> {
    let unsettled = repo::unsettled(db).await.map_err(|e| error_chain(&e))?;
    if unsettled.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = unsettled.iter().map(|(id, _)| *id).collect();
    let now = Utc::now();
    // Facts alone: a milestone does not depend on flags (and no interview is loaded).
    let states = crate::db::applications::stages(db, &ids, idle, now)
        .await
        .map_err(|e| e.to_string())?;
    for (id, announced) in unsettled {
        let Some(state) = states.get(&id).copied() else {
            continue;
        };
        if let Err(error) = advance(db, id, &announced, state).await {
            tracing::warn!(application = %id, error, "could not announce an interview milestone");
        }
    }
    Ok(())
}

/// Announces `ended` and then `analysed` as far as `state` reached, in one transaction.
async fn advance(
    db: &DatabaseConnection,
    application: Uuid,
    announced: &str,
    state: InterviewState,
) -> Result<(), String> {
    let ended = state >= InterviewState::Ended;
    let analysed = state >= InterviewState::Analysed;
    if !ended || (announced == "ended" && !analysed) {
        return Ok(());
    }
    let fail = |e: PersistenceError| error_chain(&e);
    let now = Utc::now();
    let txn = db.begin().await.map_err(|e| fail(e.into()))?;
    let mut milestone = announced.to_string();
    if milestone == "in_progress" {
        if !repo::advance_milestone(&txn, application, Some("in_progress"), "ended")
            .await
            .map_err(fail)?
        {
            return Ok(());
        }
        use_up_invitations(&txn, application, now)
            .await
            .map_err(fail)?;
        repo::announce(
            &txn,
            Announcement::new(
                WebhookEvent::InterviewEnded,
                application,
                InterviewState::Ended,
            ),
            now,
        )
        .await
        .map_err(fail)?;
        milestone = "ended".into();
    }
    if analysed && milestone == "ended" {
        if !repo::advance_milestone(&txn, application, Some("ended"), "analysed")
            .await
            .map_err(fail)?
        {
            return Ok(());
        }
        // The flags only the server raises are known now the analysis is done.
        let raised = crate::integrity::server_flags(&txn, application)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|(event_id, kind)| {
                let mut raised = Announcement::new(WebhookEvent::FlagRaised, application, state);
                raised.event_id = Some(event_id);
                raised.kind = Some(kind.as_str().to_string());
                raised
            })
            .collect();
        repo::announce_all(&txn, application, raised, now)
            .await
            .map_err(fail)?;
        repo::announce(
            &txn,
            Announcement::new(
                WebhookEvent::InterviewAnalysed,
                application,
                InterviewState::Analysed,
            ),
            now,
        )
        .await
        .map_err(fail)?;
    }
    txn.commit().await.map_err(|e| fail(e.into()))?;
    Ok(())
}
