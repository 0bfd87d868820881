//! The upload queue's rules, free of the browser so they are unit-tested natively:
//! what to do with each outcome, how long to wait before a retry, and the bound.

use std::collections::VecDeque;

use crate::error::PanelError;

/// Delays grow from `BASE_MS` doubling per attempt up to `MAX_MS`, with full jitter.
pub const BASE_MS: f64 = 500.0;
/// The longest delay between two tries.
pub const MAX_MS: f64 = 30_000.0;
/// Captures kept while uploads cannot go through; the newest are dropped beyond
/// either bound.
pub const QUEUE_BOUND: usize = 200;
/// The bytes the queue keeps at most.
pub const QUEUE_BYTES: usize = 50 * 1024 * 1024;

/// What happened to one upload attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The server stored it (2xx).
    Stored,
    /// No answer: offline, connection refused, timed out.
    NetworkFailure,
    /// An HTTP error status with the server's error (its kind and words).
    Status(u16, PanelError),
}

/// What the queue does after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Done with this capture; go on to the next.
    Advance,
    /// Keep it at the head and try again after a delay.
    Retry,
    /// Give it up and show why (a 4xx: retrying cannot help).
    GiveUp(PanelError),
    /// The session has ended (401): keep everything, ask for a new sign-in, try again.
    WaitForSignIn,
}

/// What to do after `attempt`: go on, try again later, give up, or wait for a new session.
pub fn next(attempt: &Attempt) -> Next {
    match attempt {
        Attempt::Stored => Next::Advance,
        Attempt::NetworkFailure => Next::Retry,
        // Throttled, or the server or storage is failing: worth another try.
        Attempt::Status(429 | 500..=599, _) => Next::Retry,
        Attempt::Status(401, _) => Next::WaitForSignIn,
        Attempt::Status(status, error) => Next::GiveUp(PanelError::new(
            error.kind,
            format!("{} ({status})", error.message),
        )),
    }
}

/// Milliseconds to wait before retry number `attempt` (0-based); `random` in [0, 1).
pub fn backoff_ms(attempt: u32, random: f64) -> u32 {
    let ceiling = (BASE_MS * 2f64.powi(attempt.min(16) as i32)).min(MAX_MS);
    // Full jitter, but never less than a quarter of the ceiling.
    (ceiling * (0.25 + 0.75 * random.clamp(0.0, 1.0))) as u32
}

/// A `Retry-After` header in milliseconds: delay-seconds only (what our server
/// sends), capped at ten minutes so a wrong header cannot stall the queue.
pub fn retry_after_ms(value: &str) -> Option<u32> {
    let seconds: u32 = value.trim().parse().ok()?;
    Some(seconds.min(600).saturating_mul(1000))
}

/// The wait before a retry: the backoff, but never less than the server asked for.
pub fn retry_wait_ms(backoff: u32, retry_after: Option<u32>) -> u32 {
    backoff.max(retry_after.unwrap_or(0))
}

/// A FIFO bounded by count and by bytes that keeps its oldest items when full
/// and counts what it turned away.
#[derive(Debug)]
pub struct BoundedQueue<T> {
    items: VecDeque<(T, usize)>,
    bound: usize,
    max_bytes: usize,
    bytes: usize,
    dropped: usize,
}

impl<T> BoundedQueue<T> {
    /// An empty queue of at most `bound` items and `max_bytes` bytes.
    pub fn new(bound: usize, max_bytes: usize) -> Self {
        BoundedQueue {
            items: VecDeque::new(),
            bound,
            max_bytes,
            bytes: 0,
            dropped: 0,
        }
    }

    /// Whether it was kept (`size` is its bytes).
    pub fn push(&mut self, item: T, size: usize) -> bool {
        if self.items.len() >= self.bound || self.bytes.saturating_add(size) > self.max_bytes {
            self.dropped += 1;
            return false;
        }
        self.bytes += size;
        self.items.push_back((item, size));
        true
    }

    /// The oldest item.
    pub fn front(&self) -> Option<&T> {
        self.items.front().map(|(item, _)| item)
    }

    /// The oldest item, to change it (its attempts).
    pub fn front_mut(&mut self) -> Option<&mut T> {
        self.items.front_mut().map(|(item, _)| item)
    }

    /// Takes the oldest item out.
    pub fn pop_front(&mut self) -> Option<T> {
        let (item, size) = self.items.pop_front()?;
        self.bytes -= size;
        Some(item)
    }

    /// The items, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.iter().map(|(item, _)| item)
    }

    /// Bytes waiting.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Items waiting.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How many items it keeps at most.
    pub fn bound(&self) -> usize {
        self.bound
    }

    /// How many items it turned away, full.
    pub fn dropped(&self) -> usize {
        self.dropped
    }
}

/// Captures found from an earlier visit go first, in the order they were taken:
/// by capture time (RFC 3339 UTC with milliseconds sorts as text), then id.
pub fn restore_order<T>(items: &mut [T], key: impl Fn(&T) -> (&str, &str)) {
    items.sort_by(|a, b| key(a).cmp(&key(b)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn a_servers_retry_after_lengthens_the_wait_never_shortens_it() {
        assert_eq!(retry_after_ms("5"), Some(5000));
        assert_eq!(retry_after_ms(" 0 "), Some(0));
        assert_eq!(retry_after_ms("4294967295"), Some(600_000));
        for bad in ["", "-1", "soon", "Wed, 21 Oct 2026 07:28:00 GMT", "1.5"] {
            assert_eq!(retry_after_ms(bad), None, "{bad}");
        }
        assert_eq!(retry_wait_ms(800, Some(5000)), 5000);
        assert_eq!(retry_wait_ms(30_000, Some(5000)), 30_000);
        assert_eq!(retry_wait_ms(800, None), 800);
    }

    #[test]
    fn network_failures_and_server_trouble_are_retried_client_errors_are_not() {
        assert_eq!(next(&Attempt::Stored), Next::Advance);
        assert_eq!(next(&Attempt::NetworkFailure), Next::Retry);
        for status in [429, 500, 502, 503, 504] {
            assert_eq!(
                next(&Attempt::Status(
                    status,
                    PanelError::from_answer(status, "")
                )),
                Next::Retry,
                "{status}"
            );
        }
        assert_eq!(
            next(&Attempt::Status(401, PanelError::from_answer(401, ""))),
            Next::WaitForSignIn
        );
        for status in [400, 403, 404, 409, 413, 415] {
            let error = PanelError::from_answer(status, r#"{"error":"conflict","message":"why"}"#);
            assert!(
                matches!(next(&Attempt::Status(status, error)), Next::GiveUp(e) if e.message.contains("why") && e.kind == ErrorKind::Conflict),
                "{status}"
            );
        }
        // The server's kind survives to the host: consent_required is not a bare 403.
        let refused = PanelError::from_answer(
            403,
            r#"{"error":"consent_required","message":"agree first"}"#,
        );
        assert!(matches!(
            next(&Attempt::Status(403, refused)),
            Next::GiveUp(e) if e.kind == ErrorKind::ConsentRequired
        ));
    }

    #[test]
    fn backoff_doubles_up_to_a_ceiling_with_jitter() {
        assert_eq!(backoff_ms(0, 1.0), 500);
        assert_eq!(backoff_ms(1, 1.0), 1000);
        assert_eq!(backoff_ms(3, 1.0), 4000);
        assert_eq!(backoff_ms(30, 1.0), 30_000);
        assert_eq!(backoff_ms(3, 0.0), 1000);
        let jittered: Vec<u32> = [0.1, 0.5, 0.9].iter().map(|r| backoff_ms(4, *r)).collect();
        assert!(
            jittered.windows(2).all(|w| w[0] < w[1])
                && jittered.iter().all(|ms| (2000..=8000).contains(ms))
        );
    }

    #[test]
    fn a_full_queue_keeps_its_oldest_and_counts_the_rest() {
        let mut queue = BoundedQueue::new(2, 1000);
        assert!(queue.push(1, 10) && queue.push(2, 10));
        assert!(!queue.push(3, 10));
        assert_eq!((queue.len(), queue.dropped()), (2, 1));
        assert_eq!(queue.pop_front(), Some(1));
        assert!(queue.push(4, 10));
        assert_eq!(queue.pop_front(), Some(2));
        assert_eq!(queue.pop_front(), Some(4));
        assert!(queue.is_empty());
        assert_eq!(queue.bytes(), 0);
    }

    #[test]
    fn the_byte_bound_turns_away_what_does_not_fit_and_frees_what_leaves() {
        let mut queue = BoundedQueue::new(200, 100);
        assert!(queue.push("a", 60));
        assert!(!queue.push("too big", 41), "60 + 41 > 100");
        assert!(queue.push("b", 40), "exactly the bound fits");
        assert!(!queue.push("c", 1));
        assert_eq!((queue.bytes(), queue.dropped()), (100, 2));
        assert_eq!(queue.pop_front(), Some("a"));
        assert!(queue.push("c", 60));
        assert_eq!(queue.bytes(), 100);
        assert!(!queue.push("huge", usize::MAX), "no overflow");
    }

    #[test]
    fn restored_captures_go_in_the_order_they_were_taken() {
        let mut kept = vec![
            ("2026-11-25T10:00:02.000Z", "b"),
            ("2026-11-25T09:59:59.999Z", "z"),
            ("2026-11-25T10:00:02.000Z", "a"),
            ("2026-11-25T10:00:01.500Z", "c"),
        ];
        restore_order(&mut kept, |(time, id)| (*time, *id));
        let ids: Vec<&str> = kept.iter().map(|(_, id)| *id).collect();
        assert_eq!(ids, ["z", "c", "a", "b"]);
    }
}
