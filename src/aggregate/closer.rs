//! What happens to a day's tables once the day closes: its pair logs are
//! folded, its summary joins the [`ClosedDays`] and the tables go to the
//! [`DaySink`] (the store). Folding a day's logs is a sort of every pair of
//! the day, a sixth of the work of counting it; with `--threads` ≥ 2 it
//! runs on a thread of its own, so the day worker goes on counting the
//! next day meanwhile. Days are closed one after another in the order they
//! were handed over, on either path, so the summaries and the store are the
//! same.

use std::sync::mpsc::{Receiver, SyncSender};
use std::thread::JoinHandle;

use super::closed::{ClosedDays, DaySink, SinkError};
use super::day::DayTables;
use super::scans::{Probe, ScanBook, ScanRules};

/// The closed days' summaries and the sink they went to.
pub struct Closing {
    pub closed: ClosedDays,
    sink: Option<DaySink>,
    pub sink_error: Option<SinkError>,
}

impl Closing {
    /// Folds the day's pair logs, keeps its summary and hands the tables
    /// to the sink.
    fn close(&mut self, mut tables: DayTables) {
        tables.finish();
        self.closed.add(&tables);
        self.closed.scans.add_day(&mut tables);
        if let Some(sink) = &mut self.sink
            && let Err(e) = sink(tables)
        {
            self.sink_error = Some(e);
            self.sink = None;
        }
    }
}

/// Closes days here or on a thread of its own.
pub enum Closer {
    Inline(Box<Closing>),
    Thread {
        send: SyncSender<DayTables>,
        /// Emptied probe logs coming back for the next days.
        spares: Receiver<Vec<Probe>>,
        thread: JoinHandle<Box<Closing>>,
    },
    /// Only while switching between the two.
    Moving,
}

impl Closer {
    pub fn new(closed: ClosedDays) -> Closer {
        Closer::Inline(Box::new(Closing { closed, sink: None, sink_error: None }))
    }

    /// Gives each closed day's tables to `sink`. Call before the first day
    /// closes.
    pub fn set_sink(&mut self, sink: DaySink) {
        if let Closer::Inline(closing) = self {
            closing.sink = Some(sink);
        }
    }

    /// Finds scan events by `rules` (None: off). Call before the first day
    /// closes.
    pub fn set_scans(&mut self, rules: Option<ScanRules>) {
        if let Closer::Inline(closing) = self {
            closing.closed.scans = ScanBook::new(rules);
        }
    }

    /// The emptied probe log of a day closed before (an empty one when
    /// none has come back yet), so a new day's log need not grow again.
    pub fn spare_scan_log(&mut self) -> Vec<Probe> {
        match self {
            Closer::Inline(closing) => closing.closed.scans.spare(),
            Closer::Thread { spares, .. } => spares.try_recv().unwrap_or_default(),
            Closer::Moving => Vec::new(),
        }
    }

    /// Closes the days handed over from now on on a thread of its own; one
    /// more day may wait for it (so memory holds at most two closing days).
    pub fn start_thread(&mut self) {
        let Closer::Inline(mut closing) = std::mem::replace(self, Closer::Moving) else {
            return;
        };
        let (send, receive) = std::sync::mpsc::sync_channel::<DayTables>(1);
        let (give_back, spares) = std::sync::mpsc::sync_channel::<Vec<Probe>>(2);
        let thread = std::thread::spawn(move || {
            for tables in receive {
                closing.close(tables);
                // Full (the reader has enough spares) or gone: drop it.
                let _ = give_back.try_send(closing.closed.scans.spare());
            }
            closing
        });
        *self = Closer::Thread { send, spares, thread };
    }

    /// Closes `tables` (here, or queued for the closing thread).
    pub fn close(&mut self, tables: DayTables) {
        match self {
            Closer::Inline(closing) => closing.close(tables),
            Closer::Thread { send, .. } => {
                if let Err(returned) = send.send(tables) {
                    // The thread is gone (it panicked): `finish` says so.
                    drop(returned);
                }
            }
            Closer::Moving => {}
        }
    }

    /// Waits for every day handed over, drops the sink (and with it what it
    /// holds) and gives the summaries. A panic of the closing thread is
    /// raised again here.
    pub fn finish(&mut self) -> &mut Closing {
        if let Closer::Thread { .. } = self
            && let Closer::Thread { send, thread, .. } = std::mem::replace(self, Closer::Moving)
        {
            drop(send);
            match thread.join() {
                Ok(closing) => *self = Closer::Inline(closing),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        match self {
            Closer::Inline(closing) => {
                closing.sink = None;
                closing
            }
            _ => unreachable!("the closer is inline once finished"),
        }
    }
}
