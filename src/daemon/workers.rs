//! The daemon's two writing threads (see [`super::service`]): the writer,
//! which writes each flush into the store, and the archive's, which writes
//! the raw packets. Both log their failures and go on: a flush that failed
//! is written whole by the next one; an archive write that failed ends the
//! files it was writing, so the archive has a gap, not a torn file.

use crossbeam_channel::Receiver;

use super::archive::Archive;
use super::log::log;
use super::service::{Job, ToArchive};
use crate::store::LiveStore;

/// The writer thread: writes each flush; gives the last flush's error.
pub(super) fn write_flushes(mut store: LiveStore, jobs: Receiver<Job>) -> Result<(), String> {
    let mut last = Ok(());
    for job in jobs {
        match job {
            Job::Flush { mut days, now, records } => {
                let started = std::time::Instant::now();
                last = match store.write(&mut days, now, records) {
                    Ok(written) => {
                        log!(
                            Debug,
                            "flushed {} days ({} files, {} rows) in {:.3} s",
                            written.days,
                            written.files,
                            written.rows,
                            started.elapsed().as_secs_f64()
                        );
                        for day in &written.closed {
                            let totals = days.iter().find(|d| d.snapshot.day == *day);
                            let packets = totals.and_then(|d| d.snapshot.tables.as_ref()).map_or(0, |t| t.packets);
                            let drops = totals.map_or(0, |d| d.drops);
                            log!(Info, "day {day} closed: {packets} packets, {drops} dropped; its part is final");
                        }
                        Ok(())
                    }
                    Err(e) => {
                        log!(Error, "flush failed: {e}; the next flush writes everything again");
                        Err(e.to_string())
                    }
                };
            }
            Job::Geo(geo) => store.set_geo(geo),
            Job::Scanners(scanners) => store.set_scanners(scanners),
        }
    }
    last
}

/// The archive thread: writes batches, ends frames at flushes, rotates.
/// A write that fails (a full disk) ends the files it was writing: the
/// next batch starts new ones, so the archive has a gap, not a torn file.
pub(super) fn write_archive(mut archive: Archive, messages: Receiver<ToArchive>) {
    let mut failing = false;
    for message in messages {
        let result = match message {
            ToArchive::Batch(batch) => archive.write(&batch),
            ToArchive::Sync => archive.sync(),
            ToArchive::Rotate => archive.rotate(),
        };
        match result {
            Err(e) => {
                let _ = archive.rotate();
                if !failing {
                    log!(Error, "archive: {e}; the archive has a gap until writing works again");
                }
                failing = true;
            }
            Ok(()) => {
                if failing {
                    log!(Info, "archive: writing works again");
                }
                failing = false;
            }
        }
    }
    if let Err(e) = archive.rotate() {
        log!(Error, "archive: finishing the files: {e}");
    }
}
