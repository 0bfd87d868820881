//! Reading a request body whole, within a size limit and two deadlines: no
//! client can hold a connection (or an upload slot) by sending slowly or not at all.

use std::time::Duration;

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use tokio::time::{timeout_at, Instant};

/// Longest wait for the next piece of a body.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest time a whole body may take (5 MiB at about 700 kbit/s).
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(60);
/// After [`RATE_GRACE`], a body must have arrived at this many bytes a second
/// on average (32 kbit/s): a trickle that pauses just under the idle timeout
/// is cut long before the total deadline.
pub const MIN_BYTES_PER_SEC: u64 = 4096;
pub const RATE_GRACE: Duration = Duration::from_secs(5);

/// When a body for which reading started at `started` must have shown its
/// next bytes, having `so_far` of them: the minimum rate's moment, the idle
/// timeout's, or the deadline, whichever comes first.
fn next_deadline(started: Instant, so_far: usize, idle: Duration, deadline: Instant) -> Instant {
    let rate = started
        + RATE_GRACE
        + Duration::from_millis((so_far as u64).saturating_mul(1000) / MIN_BYTES_PER_SEC);
    (Instant::now() + idle).min(deadline).min(rate)
}

/// The idle timeout and the deadline for a body whose reading starts now.
pub fn body_deadline() -> (Duration, Instant) {
    (IDLE_TIMEOUT, Instant::now() + TOTAL_TIMEOUT)
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BodyError {
    #[error("the request body is larger than the limit of {0} bytes")]
    TooLarge(usize),
    #[error("the request body stopped arriving")]
    TimedOut,
    #[error("the request body could not be read")]
    Broken,
}

/// Reads `body` to its end: at most `limit` bytes, no pause longer than `idle`,
/// no slower than [`MIN_BYTES_PER_SEC`] after [`RATE_GRACE`], and all of it by
/// `deadline`.
pub async fn read_limited(
    body: Body,
    limit: usize,
    idle: Duration,
    deadline: Instant,
) -> Result<Bytes, BodyError> {
    let mut body = body;
    let mut buffer = BytesMut::new();
    let mut first: Option<Bytes> = None;
    let started = Instant::now();
    loop {
        let so_far = first.as_ref().map_or(0, Bytes::len) + buffer.len();
        let until = next_deadline(started, so_far, idle, deadline);
        let frame = match timeout_at(until, body.frame()).await {
            Err(_) => return Err(BodyError::TimedOut),
            Ok(None) => break,
            Ok(Some(Err(_))) => return Err(BodyError::Broken),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if so_far + data.len() > limit {
            return Err(BodyError::TooLarge(limit));
        }
        // A body that comes in one piece is kept as it is, without a copy.
        match first.take() {
            None if buffer.is_empty() => first = Some(data),
            None => buffer.extend_from_slice(&data),
            Some(earlier) => {
                buffer.reserve(earlier.len() + data.len());
                buffer.extend_from_slice(&earlier);
                buffer.extend_from_slice(&data);
            }
        }
    }
    Ok(first.unwrap_or_else(|| buffer.freeze()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::{stream, StreamExt};

    fn chunks(parts: Vec<&'static [u8]>) -> Body {
        Body::from_stream(stream::iter(
            parts
                .into_iter()
                .map(|p| Ok::<_, std::io::Error>(Bytes::from_static(p))),
        ))
    }

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    #[tokio::test]
    async fn a_body_in_pieces_is_read_whole() {
        let bytes = read_limited(chunks(vec![b"ab", b"cd", b"e"]), 10, IDLE_TIMEOUT, soon())
            .await
            .unwrap();
        assert_eq!(&bytes[..], b"abcde");
        let bytes = read_limited(Body::from("whole"), 10, IDLE_TIMEOUT, soon())
            .await
            .unwrap();
        assert_eq!(&bytes[..], b"whole");
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_refused_as_it_arrives() {
        assert_eq!(
            read_limited(chunks(vec![b"abc", b"def"]), 5, IDLE_TIMEOUT, soon()).await,
            Err(BodyError::TooLarge(5))
        );
        assert_eq!(
            read_limited(Body::from("exactly"), 7, IDLE_TIMEOUT, soon())
                .await
                .unwrap()
                .len(),
            7
        );
    }

    #[tokio::test]
    async fn a_trickle_under_the_minimum_rate_is_cut() {
        // One byte a second: never idle for long, far under the minimum rate.
        let trickle = Body::from_stream(stream::unfold((), |_| async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Some((Ok::<_, std::io::Error>(Bytes::from_static(b"x")), ()))
        }));
        let started = Instant::now();
        let result = read_limited(
            trickle,
            1_000_000,
            IDLE_TIMEOUT,
            Instant::now() + TOTAL_TIMEOUT,
        )
        .await;
        assert_eq!(result, Err(BodyError::TimedOut));
        let took = started.elapsed();
        assert!(
            took >= RATE_GRACE && took < RATE_GRACE + Duration::from_secs(2),
            "{took:?}"
        );
        // A body at twice the minimum rate is read whole.
        let steady = Body::from_stream(stream::iter(0..14).then(|_| async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; MIN_BYTES_PER_SEC as usize]))
        }));
        let bytes = read_limited(
            steady,
            1_000_000,
            IDLE_TIMEOUT,
            Instant::now() + TOTAL_TIMEOUT,
        )
        .await
        .unwrap();
        assert_eq!(bytes.len(), 14 * MIN_BYTES_PER_SEC as usize);
    }

    #[tokio::test]
    async fn a_body_that_stops_arriving_times_out() {
        let stalled = Body::from_stream(
            stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"x"))])
                .chain(stream::pending()),
        );
        let started = std::time::Instant::now();
        let result = read_limited(stalled, 100, Duration::from_millis(100), soon()).await;
        assert_eq!(result, Err(BodyError::TimedOut));
        assert!(started.elapsed() < Duration::from_secs(2));
        // A trickle that never pauses long is still cut off at the deadline.
        let trickle = Body::from_stream(stream::unfold((), |_| async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Some((Ok::<_, std::io::Error>(Bytes::from_static(b"x")), ()))
        }));
        let result = read_limited(
            trickle,
            1_000_000,
            Duration::from_secs(1),
            Instant::now() + Duration::from_millis(200),
        )
        .await;
        assert_eq!(result, Err(BodyError::TimedOut));
    }
}
