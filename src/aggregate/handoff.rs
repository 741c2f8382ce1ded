//! Where the day worker runs: on the reading thread (`--threads 1`), or on
//! a thread of its own, fed chunks through a bounded channel and giving
//! them back to be filled again (so chunk buffers are reused, not
//! reallocated).

use std::sync::mpsc::{Receiver, SyncSender};
use std::thread::JoinHandle;

use super::days::{Chunk, DayWorker};

/// Chunks the reading side may queue ahead of the day worker (32 MiB of
/// packets): enough to keep reading through the worker's pauses (handing
/// over a closed day, folding a full pair log). With 4, the reader waited
/// for a fifth of the run (measured before days closed on a thread of
/// their own).
const QUEUED_CHUNKS: usize = 64;

pub enum Days {
    Inline(Box<DayWorker>),
    Thread {
        send: SyncSender<Chunk>,
        /// Chunks the worker is done with, to be filled again.
        recycled: Receiver<Chunk>,
        thread: JoinHandle<Box<DayWorker>>,
    },
    /// Only while switching between the two.
    Moving,
}

impl Days {
    pub fn worker_mut(&mut self) -> Option<&mut DayWorker> {
        match self {
            Days::Inline(worker) => Some(worker),
            _ => None,
        }
    }

    /// Moves the worker (and the closing of days) to threads of their own.
    #[cold]
    pub fn start_thread(&mut self) {
        let Days::Inline(mut worker) = std::mem::replace(self, Days::Moving) else {
            return;
        };
        worker.close_on_a_thread();
        let (send, receive) = std::sync::mpsc::sync_channel::<Chunk>(QUEUED_CHUNKS);
        let (give_back, recycled) = std::sync::mpsc::channel::<Chunk>();
        let thread = std::thread::spawn(move || {
            for chunk in receive {
                worker.run(&chunk);
                let _ = give_back.send(chunk);
            }
            worker
        });
        *self = Days::Thread { send, recycled, thread };
    }

    /// Hands `chunk` to the worker and leaves an empty chunk in its place:
    /// runs it here, or sends it to the worker's thread and takes back a
    /// chunk it is done with. False when the worker's thread is gone (it
    /// panicked: [`Days::join`] raises the panic again).
    pub fn hand_over(&mut self, chunk: &mut Chunk) -> bool {
        match self {
            Days::Inline(worker) => {
                worker.run(chunk);
                chunk.clear();
                true
            }
            Days::Thread { send, recycled, .. } => {
                let mut next = recycled.try_recv().unwrap_or_default();
                next.clear();
                send.send(std::mem::replace(chunk, next)).is_ok()
            }
            Days::Moving => {
                chunk.clear();
                true
            }
        }
    }

    /// Waits for the worker's thread, if any, and gives the worker back.
    pub fn join(&mut self) -> Option<Box<DayWorker>> {
        match std::mem::replace(self, Days::Moving) {
            Days::Inline(worker) => Some(worker),
            Days::Thread { send, thread, .. } => {
                drop(send);
                match thread.join() {
                    Ok(worker) => Some(worker),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            Days::Moving => None,
        }
    }
}
