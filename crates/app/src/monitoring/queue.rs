//! The upload queue's rules, free of the browser so they are unit-tested natively:
//! what to do with each outcome, how long to wait before a retry, and the bound.

use std::collections::VecDeque;

/// Delays grow from `BASE_MS` doubling per attempt up to `MAX_MS`, with full jitter.
pub const BASE_MS: f64 = 500.0;
pub const MAX_MS: f64 = 30_000.0;
/// Captures kept while uploads cannot go through; the newest are dropped beyond it.
pub const QUEUE_BOUND: usize = 200;

/// What happened to one upload attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Stored,
    /// No answer: offline, connection refused, timed out.
    NetworkFailure,
    /// An HTTP error status with the server's message.
    Status(u16, String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Done with this capture; go on to the next.
    Advance,
    /// Keep it at the head and try again after a delay.
    Retry,
    /// Give it up and show why (a 4xx: retrying cannot help).
    GiveUp(String),
}

pub fn next(attempt: &Attempt) -> Next {
    match attempt {
        Attempt::Stored => Next::Advance,
        Attempt::NetworkFailure => Next::Retry,
        // Throttled, or the server or storage is failing: worth another try.
        Attempt::Status(429 | 500..=599, _) => Next::Retry,
        Attempt::Status(status, message) => Next::GiveUp(format!("{message} ({status})")),
    }
}

/// Milliseconds to wait before retry number `attempt` (0-based); `random` in [0, 1).
pub fn backoff_ms(attempt: u32, random: f64) -> u32 {
    let ceiling = (BASE_MS * 2f64.powi(attempt.min(16) as i32)).min(MAX_MS);
    // Full jitter, but never less than a quarter of the ceiling.
    (ceiling * (0.25 + 0.75 * random.clamp(0.0, 1.0))) as u32
}

/// A FIFO that keeps its oldest items when full and counts what it turned away.
#[derive(Debug)]
pub struct BoundedQueue<T> {
    items: VecDeque<T>,
    bound: usize,
    dropped: usize,
}

impl<T> BoundedQueue<T> {
    pub fn new(bound: usize) -> Self {
        BoundedQueue { items: VecDeque::new(), bound, dropped: 0 }
    }

    /// Whether it was kept.
    pub fn push(&mut self, item: T) -> bool {
        if self.items.len() >= self.bound {
            self.dropped += 1;
            return false;
        }
        self.items.push_back(item);
        true
    }

    pub fn front(&self) -> Option<&T> {
        self.items.front()
    }

    pub fn front_mut(&mut self) -> Option<&mut T> {
        self.items.front_mut()
    }

    pub fn pop_front(&mut self) -> Option<T> {
        self.items.pop_front()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn bound(&self) -> usize {
        self.bound
    }

    pub fn dropped(&self) -> usize {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_failures_and_server_trouble_are_retried_client_errors_are_not() {
        assert_eq!(next(&Attempt::Stored), Next::Advance);
        assert_eq!(next(&Attempt::NetworkFailure), Next::Retry);
        for status in [429, 500, 502, 503, 504] {
            assert_eq!(next(&Attempt::Status(status, "x".into())), Next::Retry, "{status}");
        }
        for status in [400, 401, 403, 404, 413, 415] {
            assert!(matches!(next(&Attempt::Status(status, "why".into())), Next::GiveUp(m) if m.contains("why")), "{status}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_a_ceiling_with_jitter() {
        assert_eq!(backoff_ms(0, 1.0), 500);
        assert_eq!(backoff_ms(1, 1.0), 1000);
        assert_eq!(backoff_ms(3, 1.0), 4000);
        assert_eq!(backoff_ms(30, 1.0), 30_000);
        assert_eq!(backoff_ms(3, 0.0), 1000);
        let jittered: Vec<u32> = [0.1, 0.5, 0.9].iter().map(|r| backoff_ms(4, *r)).collect();
        assert!(jittered.windows(2).all(|w| w[0] < w[1]) && jittered.iter().all(|ms| (2000..=8000).contains(ms)));
    }

    #[test]
    fn a_full_queue_keeps_its_oldest_and_counts_the_rest() {
        let mut queue = BoundedQueue::new(2);
        assert!(queue.push(1) && queue.push(2));
        assert!(!queue.push(3));
        assert_eq!((queue.len(), queue.dropped()), (2, 1));
        assert_eq!(queue.pop_front(), Some(1));
        assert!(queue.push(4));
        assert_eq!(queue.pop_front(), Some(2));
        assert_eq!(queue.pop_front(), Some(4));
        assert!(queue.is_empty());
    }
}
