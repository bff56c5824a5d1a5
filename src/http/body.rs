//! Request bodies read under a deadline, and measured (SHA-256 and size) as they stream
//! through, so nothing has to be buffered to be accounted for.
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use futures_util::Stream;
use sha2::{Digest, Sha256};
use tokio::time::Sleep;

/// What passed through one body.
#[derive(Default)]
pub struct Meter {
    sha: Sha256,
    size: u64,
    ended: bool,
    timed_out: bool,
}

impl Meter {
    /// `{sha256, size}` of what was read (`complete: false` when the reader stopped early), or
    /// `None` when nothing was read.
    pub fn summary(&self) -> Option<serde_json::Value> {
        if self.size == 0 && !self.ended {
            return None;
        }
        let sha = hex::encode(self.sha.clone().finalize());
        let mut out = serde_json::json!({"sha256": sha, "size": self.size});
        if !self.ended {
            out["complete"] = false.into();
        }
        Some(out)
    }

    pub fn timed_out(&self) -> bool {
        self.timed_out
    }
}

/// A [`Meter`] shared between the stream and whoever reports on it.
#[derive(Clone, Default)]
pub struct SharedMeter(Arc<Mutex<Meter>>);

impl SharedMeter {
    pub fn with<R>(&self, f: impl FnOnce(&mut Meter) -> R) -> R {
        f(&mut self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Wraps `payload` so that reading it fails with a timeout once `limit` has passed since the
/// request arrived, and every chunk is measured into `meter`.
pub fn tap(payload: Payload, meter: SharedMeter, limit: Duration) -> Payload {
    let tap = Tap {
        inner: payload,
        meter,
        deadline: Box::pin(tokio::time::sleep(limit)),
        done: false,
    };
    Payload::Stream {
        payload: Box::pin(tap),
    }
}

struct Tap {
    inner: Payload,
    meter: SharedMeter,
    deadline: Pin<Box<Sleep>>,
    done: bool,
}

impl Stream for Tap {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.done = true;
            self.meter.with(|m| m.timed_out = true);
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body did not arrive in time",
            )))));
        }
        let polled = Pin::new(&mut self.inner).poll_next(cx);
        match &polled {
            Poll::Ready(Some(Ok(chunk))) => self.meter.with(|m| {
                m.sha.update(chunk);
                m.size += chunk.len() as u64;
            }),
            Poll::Ready(None) => {
                self.done = true;
                self.meter.with(|m| m.ended = true);
            }
            _ => {}
        }
        polled
    }
}

/// True when a payload error is the deadline of [`tap`].
pub fn is_timeout(e: &PayloadError) -> bool {
    matches!(e, PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut)
}
