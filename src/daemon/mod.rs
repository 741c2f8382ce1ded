//! The capture daemon (`darkscope capture`, DESIGN.md "Live capture"): live
//! packets through the same decode → classify → aggregate path as replayed
//! ones, flushed into the store every interval as the sensor's live part of
//! each open day, continued exactly after a restart, archived raw for later
//! replays.
//!
//! [`sensor`] holds the state between flushes (no threads, no I/O, an
//! injected [`clock`]); [`service`] runs the threads, the signals and the
//! shutdown protocol; [`archive`] writes the raw packets; [`links`] watches
//! the interfaces go down and up; [`log`] the operator's log lines;
//! [`alerts`] counts the IDS alerts that [`eve`] follows.

pub mod alerts;
pub mod archive;
pub mod clock;
mod counting;
mod eve;
mod http;
pub mod links;
pub mod log;
pub mod metrics;
pub mod privileges;
pub mod sensor;
pub mod service;
pub mod shared;
mod workers;

pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use sensor::{Monitored, Sensor, SensorError};
pub use service::{CaptureHandle, Daemon, DaemonError, Event, Reload, Reloaded, Settings, serve};
