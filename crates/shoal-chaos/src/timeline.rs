//! A self-contained HTML page (inline SVG, no scripts, nothing fetched) showing every
//! operation of a run on a time axis, one lane per client, under bands marking the faults.
//! Hovering an operation or a fault shows what it was.

use std::fmt::Write;

use shoal_verify::{History, OpKind, Outcome};

use crate::nemesis::Injected;

const WIDTH: f64 = 1600.0;
const LEFT: f64 = 90.0;
const LANE: f64 = 14.0;
const TOP: f64 = 150.0;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Renders the page. `anomalous` holds the ids of operations named by anomalies.
pub fn render(title: &str, history: &History, faults: &[Injected], anomalous: &[u64]) -> String {
    let end_ns = history
        .ops
        .iter()
        .map(|op| op.complete_ns.unwrap_or(op.invoke_ns))
        .chain(faults.iter().map(|f| f.end_ns))
        .max()
        .unwrap_or(1)
        .max(1);
    let scale = (WIDTH - LEFT - 10.0) / end_ns as f64;
    let x = |ns: u64| LEFT + ns as f64 * scale;
    let mut clients: Vec<u64> = history.ops.iter().map(|op| op.client).collect();
    clients.sort_unstable();
    clients.dedup();
    let lane_of = |client: u64| clients.binary_search(&client).unwrap_or(0);
    let height = TOP + LANE * clients.len() as f64 + 40.0;

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="11">"#
    );
    // Time axis, a tick every 10 s.
    let seconds = end_ns / 1_000_000_000;
    for second in (0..=seconds).step_by(10) {
        let tx = x(second * 1_000_000_000);
        let _ = write!(
            svg,
            r##"<line x1="{tx:.1}" y1="{}" x2="{tx:.1}" y2="{}" stroke="#ddd"/><text x="{tx:.1}" y="{}" text-anchor="middle">{second}s</text>"##,
            TOP - 5.0,
            height - 25.0,
            height - 10.0
        );
    }
    // Faults: a band over every lane, with a label row above.
    for (index, fault) in faults.iter().enumerate() {
        let x0 = x(fault.start_ns);
        let width = (x(fault.end_ns) - x0).max(2.0);
        let color = if fault.error.is_some() {
            "#999"
        } else {
            "#e33"
        };
        let row = 10.0 + (index % 8) as f64 * 16.0;
        let label = escape(&format!("{:?}: {}", fault.kind, fault.description));
        let _ = write!(
            svg,
            r##"<g><title>{label}</title><rect x="{x0:.1}" y="{}" width="{width:.1}" height="{}" fill="{color}" opacity="0.12"/><rect x="{x0:.1}" y="{row}" width="{width:.1}" height="12" fill="{color}" opacity="0.6"/><text x="{:.1}" y="{}" fill="#000">{}</text></g>"##,
            TOP - 5.0,
            LANE * clients.len() as f64 + 5.0,
            x0 + 2.0,
            row + 10.0,
            escape(&format!("{:?}", fault.kind)),
        );
    }
    // Lanes and operations.
    for (lane, client) in clients.iter().enumerate() {
        let y = TOP + lane as f64 * LANE;
        let name = if *client == u64::MAX {
            "final reads".to_owned()
        } else {
            format!("client {client}")
        };
        let _ = write!(
            svg,
            r#"<text x="4" y="{:.1}">{name}</text>"#,
            y + LANE - 4.0
        );
    }
    for op in &history.ops {
        let y = TOP + lane_of(op.client) as f64 * LANE + 2.0;
        let x0 = x(op.invoke_ns);
        let x1 = x(op.complete_ns.unwrap_or(end_ns));
        let color = if anomalous.contains(&op.id) {
            "#000"
        } else {
            match (&op.outcome, &op.kind) {
                (Outcome::Ok(_), OpKind::Get) => "#2a2",
                (Outcome::Ok(_), _) => "#36c",
                (Outcome::Fail { .. }, _) => "#aaa",
                (Outcome::Indeterminate, _) => "#f90",
            }
        };
        let label = escape(&format!(
            "#{} client {} {} {}: {} ({:.3}s..{})",
            op.id,
            op.client,
            op.key,
            op.kind,
            op.outcome,
            op.invoke_ns as f64 / 1e9,
            op.complete_ns
                .map_or("?".to_owned(), |ns| format!("{:.3}s", ns as f64 / 1e9)),
        ));
        let _ = write!(
            svg,
            r#"<rect x="{x0:.2}" y="{y:.1}" width="{:.2}" height="{}" fill="{color}"><title>{label}</title></rect>"#,
            (x1 - x0).max(0.8),
            LANE - 4.0
        );
    }
    svg.push_str("</svg>");
    format!(
        r##"<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:16px}} .k{{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}}</style>
</head><body>
<h2>{title}</h2>
<p>{ops} operations, {faults} faults. Legend:
<span class="k" style="background:#36c"></span>write ok
<span class="k" style="background:#2a2"></span>read ok
<span class="k" style="background:#aaa"></span>failed (no effect)
<span class="k" style="background:#f90"></span>outcome unknown
<span class="k" style="background:#000"></span>named by an anomaly
<span class="k" style="background:#e33;opacity:.6"></span>fault (hover for details)</p>
<div style="overflow-x:auto">{svg}</div>
</body></html>
"##,
        title = escape(title),
        ops = history.len(),
        faults = faults.len(),
    )
}
