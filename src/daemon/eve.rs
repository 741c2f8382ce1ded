//! Following the IDS's alert file on the daemon's tokio runtime
//! (`capture --alerts FILE`): every [`POLL`] the new complete lines go to
//! the sensor thread, which counts them ([`super::alerts`]) in order with
//! the packets and the flushes. On shutdown the file is read once more to
//! its end before the captures stop, so the final flush counts every line
//! written until the signal.

use std::time::Duration;

use crossbeam_channel::Sender;
use tokio::sync::oneshot;

use super::log::log;
use super::service::Control;
use crate::source::follow::Follower;

/// How often the file is read.
pub const POLL: Duration = Duration::from_millis(200);

/// Follows until `stop` fires (or its sender goes), then reads to the end.
pub(super) async fn follow(mut follower: Follower, control: Sender<Control>, mut stop: oneshot::Receiver<()>) {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing: Option<String> = None;
    loop {
        let stopping = tokio::select! {
            _ = tick.tick() => false,
            _ = &mut stop => true,
        };
        loop {
            let mut lines = Vec::new();
            let polled = match follower.poll(&mut lines) {
                Ok(polled) => {
                    if failing.take().is_some() {
                        log!(Info, "--alerts {}: reading again", follower.path().display());
                    }
                    polled
                }
                Err(e) => {
                    let e = e.to_string();
                    if failing.as_ref() != Some(&e) {
                        log!(Warn, "--alerts {}: {e}; trying again every {POLL:?}", follower.path().display());
                    }
                    failing = Some(e);
                    break;
                }
            };
            if polled.rotated {
                log!(Info, "--alerts {}: the file was rotated; following the new one", follower.path().display());
            }
            if polled.truncated {
                log!(Info, "--alerts {}: the file was truncated; reading it from its start", follower.path().display());
            }
            if !lines.is_empty() && control.send(Control::Alerts { lines, position: follower.position() }).is_err() {
                return;
            }
            if !polled.more {
                break;
            }
        }
        if stopping {
            return;
        }
    }
}
