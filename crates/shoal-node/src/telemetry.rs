//! Logs (and, with the observability work, traces): how a node reports what it does.
//!
//! Log lines go to stderr, filtered by `SHOAL_LOG` (an `EnvFilter` directive; default
//! `info,openraft=error`), as text or as one JSON object per line (`telemetry.log_format`,
//! or `SHOAL_LOG_FORMAT`). Colour codes only when stderr is a terminal: a log file or a
//! container log holds plain text.

use std::io::IsTerminal;

use serde::{Deserialize, Serialize};

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line (timestamp, level, target, fields, span).
    Json,
}

impl LogFormat {
    /// The format `SHOAL_LOG_FORMAT` names (`text`, `json`), for commands that read no
    /// configuration; text when unset.
    pub fn from_env() -> anyhow::Result<LogFormat> {
        match std::env::var("SHOAL_LOG_FORMAT") {
            Err(_) => Ok(LogFormat::Text),
            Ok(value) => match value.to_ascii_lowercase().as_str() {
                "text" => Ok(LogFormat::Text),
                "json" => Ok(LogFormat::Json),
                _ => anyhow::bail!("SHOAL_LOG_FORMAT: expected text or json, got {value:?}"),
            },
        }
    }
}

/// The log filter of `SHOAL_LOG`, or the default.
fn filter() -> tracing_subscriber::EnvFilter {
    tracing_subscriber::EnvFilter::try_from_env("SHOAL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,openraft=error"))
}

/// Installs the process's log output (once, at start).
pub fn init_logging(format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}
