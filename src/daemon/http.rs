//! The daemon's HTTP side, on its tokio runtime (axum): `/metrics` for
//! Prometheus, `/healthz` for a monitoring system, `/` the live status
//! page. It only reads what the threads published ([`super::shared`]).

use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::clock::SharedClock;
use super::log::log;
use super::shared::{Shared, read, unhealthy};
use crate::report::render::numbers::grouped;
use crate::report::render::status::{StatusPage, render};

/// Serves until the runtime ends.
pub async fn serve(listener: std::net::TcpListener, shared: Arc<Shared>, clock: SharedClock) {
    let address = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    let listener = match listener.set_nonblocking(true).and_then(|()| tokio::net::TcpListener::from_std(listener)) {
        Ok(listener) => listener,
        Err(e) => {
            log!(Error, "metrics: cannot serve on {address}: {e}");
            return;
        }
    };
    let metrics = {
        let (shared, clock) = (shared.clone(), clock.clone());
        move || async move {
            let body = super::metrics::encode(&shared, clock.now());
            ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body)
        }
    };
    let health = {
        let (shared, clock) = (shared.clone(), clock.clone());
        move || async move {
            match unhealthy(&shared, clock.now()) {
                None => (StatusCode::OK, "ok\n".to_string()),
                Some(reason) => (StatusCode::SERVICE_UNAVAILABLE, format!("unhealthy: {reason}\n")),
            }
        }
    };
    let page = move || async move { status_page(&shared, clock.now()) };
    let app = Router::new().route("/metrics", get(metrics)).route("/healthz", get(health)).route("/", get(page));
    log!(Info, "serving /metrics, /healthz and the status page on http://{address}/");
    if let Err(e) = axum::serve(listener, app).await {
        log!(Error, "metrics: the HTTP server stopped: {e}");
    }
}

/// The status page: the store's numbers after the last flush, and the
/// live ones.
fn status_page(shared: &Shared, now: i64) -> Response {
    let sensor = read(&shared.sensor);
    let writer = read(&shared.writer);
    let stored = read(&shared.stored);
    let health = unhealthy(shared, now);
    let c = &sensor.counts;
    let drops: u64 = sensor.capture.iter().map(|s| s.dropped + s.if_dropped).sum();
    let mut facts = vec![
        ("records captured since the start".to_string(), grouped(c.records)),
        ("darknet packets since the start".to_string(), grouped(c.darknet_inside)),
        ("packets dropped by the capture since the start".to_string(), grouped(drops)),
        ("flushes (failed)".to_string(), format!("{} ({})", grouped(writer.flushes), grouped(writer.failures))),
    ];
    for (iface, link) in shared.interfaces.iter().zip(read(&shared.links)) {
        let downs = if link.downs == 0 { String::new() } else { format!(", down {} times", grouped(link.downs)) };
        facts.push((format!("interface {iface}"), format!("{}{downs}", link.state.name())));
    }
    if let Some(a) = &sensor.alerts {
        let other = a.outside + a.excluded + a.late;
        let value = format!("{} ({} others, {} lines read)", grouped(a.counted), grouped(other), grouped(a.lines));
        facts.push(("IDS alerts counted since the start (--alerts)".to_string(), value));
    }
    if let Some(t) = writer.last_success {
        facts.push(("last flush".to_string(), super::log::utc_seconds(t)));
    }
    let page = StatusPage {
        sensor: &shared.sensor_name,
        now,
        health: health.as_deref(),
        report: stored.as_ref().map(|s| &s.report),
        hourly: stored.as_ref().map_or(&[][..], |s| &s.hourly),
        facts: &facts,
    };
    Html(render(&page)).into_response()
}
