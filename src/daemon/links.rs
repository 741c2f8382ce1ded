//! Watches the capture interfaces' link state, once a second. libpcap's
//! socket survives an interface going down and coming back (it captures
//! again by itself) but reports nothing in between, so the daemon asks the
//! kernel: a change is logged, a link that is not up makes `/healthz`
//! unhealthy, and `/metrics` shows each link's state and how often it went
//! down. What arrives while a link is down never reaches the sensor; its
//! time stays uncovered like any other silence longer than the gap rule.

use std::sync::Arc;
use std::time::Duration;

use super::clock::SharedClock;
use super::log::log;
use super::shared::{Shared, update};
use crate::source::{LinkState, link_state};

/// How often the links are looked at.
pub const WATCH_EVERY: Duration = Duration::from_secs(1);

/// One capture interface's link, as last seen.
#[derive(Clone, Debug)]
pub struct LinkView {
    pub state: LinkState,
    /// Since when (wall clock, ns) it has been in that state.
    pub since: i64,
    /// Times it went from up to anything else.
    pub downs: u64,
}

/// The links of `interfaces` as they are at the start (`now`, ns).
pub fn initial(interfaces: &[String], now: i64) -> Vec<LinkView> {
    let state = |iface: &String| link_state(iface).unwrap_or(LinkState::Up);
    interfaces.iter().map(|iface| LinkView { state: state(iface), since: now, downs: 0 }).collect()
}

/// Looks at every link of `shared` each [`WATCH_EVERY`], until the runtime
/// ends. A failed look (the kernel not answering) keeps the last state.
pub async fn watch(shared: Arc<Shared>, clock: SharedClock) {
    let mut tick = tokio::time::interval(WATCH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        for (index, iface) in shared.interfaces.iter().enumerate() {
            if let Ok(state) = link_state(iface) {
                observe(&shared, index, state, clock.now());
            }
        }
    }
}

/// Records that the `index`-th interface is in `state` at `now`; logs a
/// change.
fn observe(shared: &Shared, index: usize, state: LinkState, now: i64) {
    let mut changed = None;
    update(&shared.links, |links| {
        let Some(link) = links.get_mut(index) else { return };
        if link.state != state {
            if link.state == LinkState::Up {
                link.downs += 1;
            }
            changed = Some((link.state, now.saturating_sub(link.since)));
            (link.state, link.since) = (state, now);
        }
    });
    let Some((before, lasted)) = changed else { return };
    let iface = &shared.interfaces[index];
    let seconds = Duration::from_nanos(u64::try_from(lasted).unwrap_or(0)).as_secs();
    if state == LinkState::Up {
        log!(Info, "{iface} is up again (it was {} for {seconds} s): capturing", before.name());
    } else {
        log!(Warn, "{iface} is {}: nothing can be captured on it until it is up again", state.name());
    }
}

/// Why the links make the sensor unhealthy, if they do.
pub fn unhealthy(shared: &Shared, links: &[LinkView], now: i64) -> Option<String> {
    let (iface, link) = shared.interfaces.iter().zip(links).find(|(_, l)| l.state != LinkState::Up)?;
    let seconds = Duration::from_nanos(u64::try_from(now.saturating_sub(link.since)).unwrap_or(0)).as_secs();
    Some(format!("interface {iface} is {} (for {seconds} s)", link.state.name()))
}
