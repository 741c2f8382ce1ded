//! The daemon's two writing threads (see [`super::service`]): the writer,
//! which writes each flush into the store, and the archive's, which writes
//! the raw packets. Both log their failures and go on: a flush that failed
//! is written whole by the next one; an archive write that failed ends the
//! files it was writing, so the archive has a gap, not a torn file.

use std::sync::Arc;

use crossbeam_channel::Receiver;

use super::archive::Archive;
use super::log::log;
use super::service::{Job, ToArchive};
use super::shared::{ArchiveView, Shared, StoredView, latency_histogram, update, write};
use crate::report::Period;
use crate::report::{ReportOptions, build, hourly_ports};
use crate::store::LiveStore;
use crate::time::Timestamp;

/// The writer thread: writes each flush and publishes how it went, and
/// after a flush that succeeded the status page's view of the store;
/// gives the last flush's error.
pub(super) fn write_flushes(mut store: LiveStore, jobs: Receiver<Job>, shared: &Arc<Shared>) -> Result<(), String> {
    let mut last = Ok(());
    let mut durations = latency_histogram();
    for job in jobs {
        match job {
            Job::Flush { mut days, now, records, alerts } => {
                let started = std::time::Instant::now();
                let result =
                    store.write(&mut days, now, records, alerts.as_deref()).map_err(|e| e.on_full_disk(store.dir()));
                let took = started.elapsed();
                let _ = durations.record(u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1));
                let wall = super::clock::Clock::now(&super::clock::SystemClock);
                update(&shared.writer, |w| {
                    w.flushes += 1;
                    w.durations = Some(durations.clone());
                    match &result {
                        Ok(_) => (w.last_success, w.failing) = (Some(wall), None),
                        Err(e) => (w.failures, w.failing) = (w.failures + 1, Some(e.to_string())),
                    }
                });
                last = match result {
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
                        publish_stored(&store, shared, now, wall);
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
pub(super) fn write_archive(mut archive: Archive, messages: Receiver<ToArchive>, shared: &Arc<Shared>) {
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
                write(&shared.archive, ArchiveView { files: archive.finished, bytes: archive.bytes });
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

/// The status page's numbers, read back from the store after a flush at
/// `now` (the clock's): that day, compared with the day before.
fn publish_stored(store: &LiveStore, shared: &Shared, now: i64, wall: i64) {
    let day = Timestamp(now).day();
    let sensors = vec![shared.sensor_name.clone()];
    let options = ReportOptions {
        period: Some(Period { from: day, to: day }),
        baseline: None,
        top: 10,
        home_country: "JP".into(),
        min_baseline: 100,
        sensors: sensors.clone(),
        changes: false,
    };
    let view = build(store.dir(), &options).and_then(|report| {
        let Some(report) = report else {
            return Ok(None);
        };
        let ports: Vec<String> = report.tables.ports.iter().map(|r| r.key.clone()).collect();
        // The day so far: up to the flush's hour.
        let hours = ((now - day.start().0) / crate::time::NANOS_PER_HOUR + 1).clamp(1, 24) as usize;
        let mut hourly = hourly_ports(store.dir(), day, &sensors, &ports)?;
        hourly.iter_mut().for_each(|(_, counts)| counts.truncate(hours));
        Ok(Some(StoredView { report, hourly, flushed: wall }))
    });
    match view {
        Ok(view) => write(&shared.stored, view.map(Arc::new)),
        Err(e) => log!(Warn, "status page: reading the store back: {e}"),
    }
}
