//! How reports look: the analyst report ([`super::analysis`]'s numbers) as
//! Markdown, one HTML page with inline SVG charts, or CSV files; a replay
//! run as the summary JSON and the terminal summary; and the number formats
//! they share. The capture daemon's status page is made of the same pieces.

pub mod csv;
pub mod dos;
pub mod html;
pub mod intrusions;
pub mod markdown;
pub mod networks;
pub mod numbers;
pub mod scans;
pub mod status;
pub mod summary;
pub mod svg;
pub mod terminal;

/// What the report's days are, when not UTC days.
fn day_note(r: &super::analysis::Report) -> Option<String> {
    (r.day_offset != crate::time::DayOffset::UTC.to_string()).then(|| {
        format!("Days run from midnight to midnight at UTC{} (the store's day offset); times are UTC.", r.day_offset)
    })
}
