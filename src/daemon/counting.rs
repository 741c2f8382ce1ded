//! The sensor thread (see [`super::service`]): counts each batch, hands it
//! to the archive, takes the flush snapshots, answers SIGHUP's reloads, and
//! publishes its counters for the HTTP side ([`super::shared`]) at most
//! every [`PUBLISH_EVERY`] and at each flush.

use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender, select};
use hdrhistogram::Histogram;

use super::clock::SharedClock;
use super::log::log;
use super::sensor::Sensor;
use super::service::{Control, Job, ToArchive};
use super::shared::{PUBLISH_EVERY, Shared, latency_histogram, update};
use crate::source::Batch;
use crate::store::LiveDay;

/// The sensor thread's state besides the sensor.
pub(super) struct Counting<'a> {
    pub sensor: &'a mut Sensor,
    pub clock: SharedClock,
    pub shared: Arc<Shared>,
    pub jobs: Sender<Job>,
    pub archive: Option<Sender<ToArchive>>,
    /// Capture timestamp to counted, µs.
    latency: Histogram<u64>,
    published: Instant,
    /// Capture drops at the last flush (for the log).
    drops: u64,
    /// The followed alert file's name, for warnings.
    pub alert_file: String,
}

impl<'a> Counting<'a> {
    pub fn new(
        sensor: &'a mut Sensor,
        clock: SharedClock,
        shared: Arc<Shared>,
        jobs: Sender<Job>,
        archive: Option<Sender<ToArchive>>,
    ) -> Counting<'a> {
        let latency = latency_histogram();
        let alert_file = String::new();
        Counting { sensor, clock, shared, jobs, archive, latency, published: Instant::now(), drops: 0, alert_file }
    }

    /// Until every capture is gone; then the final flush.
    pub fn run(&mut self, data: &Receiver<Batch>, control: &Receiver<Control>) {
        loop {
            select! {
                recv(data) -> batch => match batch {
                    Ok(batch) => self.ingest(batch),
                    Err(_) => break,
                },
                recv(control) -> message => match message {
                    Ok(Control::Flush) => {
                        // Every flush writes the whole state: while the writer
                        // is still busy with two, this one is skipped, not lost.
                        if self.jobs.is_full() {
                            log!(Warn, "flush skipped: the previous flush is still being written");
                            continue;
                        }
                        self.flush();
                        self.to_archive(ToArchive::Sync);
                    }
                    Ok(Control::Rotate) => self.to_archive(ToArchive::Rotate),
                    Ok(Control::Reloaded(reloaded)) => {
                        if let Some(geo) = reloaded.geo {
                            update(&self.shared.build, |b| b.1 = geo.description());
                            log!(Info, "reloaded the country database: {}", geo.description());
                            self.sensor.aggregator_mut().set_geo(geo.clone());
                            let _ = self.jobs.send(Job::Geo(geo));
                        }
                        if let Some(scanners) = reloaded.scanners {
                            update(&self.shared.build, |b| b.2 = scanners.description());
                            log!(Info, "reloaded the scanner list: {}", scanners.description());
                            let _ = self.jobs.send(Job::Scanners(scanners));
                        }
                    }
                    Ok(Control::Alerts { lines, position }) => self.alerts(&lines, position),
                    Err(_) => {}
                },
            }
        }
        // Alert lines sent before the captures stopped count in the final flush.
        for message in control.try_iter() {
            if let Control::Alerts { lines, position } = message {
                self.alerts(&lines, position);
            }
        }
        self.flush();
    }

    fn alerts(&mut self, lines: &[u8], position: crate::source::follow::Position) {
        let name = self.alert_file.clone();
        // The warning's line number counts within this read: not worth showing.
        if let Some(warning) = self.sensor.ingest_alerts(lines, position, &name) {
            let why = warning.split_once(": ").map_or(warning.as_str(), |(_, why)| why);
            log!(Warn, "--alerts {name}: {why}");
        }
        if self.published.elapsed() >= PUBLISH_EVERY {
            self.publish(None);
        }
    }

    fn to_archive(&self, message: ToArchive) {
        if let Some(archive) = &self.archive {
            let _ = archive.send(message);
        }
    }

    fn ingest(&mut self, batch: Batch) {
        let now = self.clock.now();
        self.sensor.ingest(&batch, now);
        if let Some((first, _)) = batch.span()
            && now > first
        {
            let _ = self.latency.record(u64::try_from((now - first) / 1_000).unwrap_or(u64::MAX).max(1));
        }
        let has_records = !batch.is_empty();
        self.to_archive(ToArchive::Batch(batch));
        if has_records {
            update(&self.shared.sensor, |v| v.last_packet = Some(now));
        }
        if self.published.elapsed() >= PUBLISH_EVERY {
            self.publish(None);
        }
    }

    /// Publishes the counters, and with a flush's days the open days'
    /// figures.
    fn publish(&mut self, days: Option<&[LiveDay]>) {
        self.published = Instant::now();
        let agg = self.sensor.aggregator();
        let capture = self.sensor.capture_stats().to_vec();
        let open = days.map(OpenDays::of);
        let latency = self.latency.clone();
        let alerts = self.sensor.alerts().map(|a| a.counts.clone());
        update(&self.shared.sensor, |v| {
            v.count(agg);
            v.alerts = alerts;
            v.capture = capture;
            v.batch_latency = Some(latency);
            if let Some(open) = open {
                v.open_days = open.figures;
                v.source_packets = open.source_packets;
            }
        });
    }

    /// Takes the snapshot and hands it to the writer (waiting for room).
    fn flush(&mut self) {
        let now = self.clock.now();
        match self.sensor.flush(now) {
            Ok(days) => {
                self.publish(Some(&days));
                let drops: u64 = self.sensor.capture_stats().iter().map(|s| s.dropped + s.if_dropped).sum();
                if drops > self.drops {
                    log!(
                        Warn,
                        "the capture dropped {} packets since the last flush ({drops} in all)",
                        drops - self.drops
                    );
                }
                self.drops = drops;
                let records = self.sensor.aggregator().counts.records;
                let alerts = self.sensor.alert_state();
                let _ = self.jobs.send(Job::Flush { days, now, records, alerts });
            }
            Err(e) => log!(Error, "flush: {e}"),
        }
    }
}

/// What the HTTP side shows of a flush's open days.
struct OpenDays {
    /// (day, packets, distinct sources).
    figures: Vec<(String, u64, u64)>,
    /// Percentiles of the newest open day's packets per source.
    source_packets: Vec<(f64, u64)>,
}

impl OpenDays {
    fn of(days: &[LiveDay]) -> OpenDays {
        let open: Vec<&LiveDay> = days.iter().filter(|d| !d.snapshot.closed).collect();
        let figures = open
            .iter()
            .map(|d| {
                let t = d.snapshot.tables.as_ref();
                (d.snapshot.day.to_string(), t.map_or(0, |t| t.packets), t.map_or(0, |t| t.sources.len() as u64))
            })
            .collect();
        OpenDays { figures, source_packets: source_packets(open.last().copied()) }
    }
}

/// Percentiles of the packets per source of a day (its heavy tail).
fn source_packets(day: Option<&LiveDay>) -> Vec<(f64, u64)> {
    let Some(tables) = day.and_then(|d| d.snapshot.tables.as_ref()) else {
        return Vec::new();
    };
    let Ok(mut h) = Histogram::<u64>::new(2) else {
        return Vec::new();
    };
    for record in tables.sources.records() {
        let _ = h.record(record.packets.max(1));
    }
    if h.is_empty() {
        return Vec::new();
    }
    [50.0, 90.0, 99.0, 99.9, 100.0].iter().map(|&p| (p, h.value_at_percentile(p))).collect()
}
