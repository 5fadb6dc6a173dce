//! Logs and traces: how a node reports what it does.
//!
//! Log lines go to stderr, filtered by `SHOAL_LOG` (an `EnvFilter` directive; default
//! `info,openraft=error`), as text or as one JSON object per line (`telemetry.log_format`,
//! or `SHOAL_LOG_FORMAT`). Colour codes only when stderr is a terminal: a log file or a
//! container log holds plain text.
//!
//! Traces are exported over OTLP/gRPC (`opentelemetry-otlp` on shoal's own tonic, through
//! `tracing-opentelemetry`) when `telemetry.otlp_endpoint` or the standard
//! `OTEL_EXPORTER_OTLP_ENDPOINT` names a receiver. The spans are shoal's own, at DEBUG
//! (requests, forwards, proposals, control operations; never openraft's internal ones,
//! heartbeats or idle loops), and reach only the exporter: the log filter does not see
//! them. With no receiver there is no exporter layer, DEBUG spans are disabled at their
//! call sites, and none is built. W3C trace context (`traceparent`) is the propagation
//! format.

use std::io::IsTerminal;

use anyhow::Context as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use serde::{Deserialize, Serialize};
use tracing::Level;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::config::TelemetryConfig;

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

/// What goes to the exporter: shoal's spans (DEBUG and above) and its warnings and errors
/// (as events of the span they happen in).
fn exported(metadata: &tracing::Metadata<'_>) -> bool {
    metadata.target().starts_with("shoal")
        && if metadata.is_span() {
            *metadata.level() <= Level::DEBUG
        } else {
            *metadata.level() <= Level::WARN
        }
}

/// The process's trace exporter, flushed by [`Telemetry::shutdown`].
#[must_use = "shut telemetry down at exit, or the last spans are lost"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are exported.
    pub fn exporting(&self) -> bool {
        self.provider.is_some()
    }

    /// Sends the spans still queued, then stops the exporter (call before the runtime
    /// ends; it blocks a thread of its own while it flushes).
    pub async fn shutdown(self) {
        let Some(provider) = self.provider else {
            return;
        };
        let flushed = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        if let Ok(Err(error)) = flushed {
            tracing::warn!(%error, "the trace exporter did not flush cleanly");
        }
    }
}

/// Installs the process's log output, with no trace export (commands other than `start`).
pub fn init_logging(format: LogFormat) {
    install(format, None);
}

/// Installs logs and, when a receiver is configured, the trace exporter (once, at start;
/// inside the tokio runtime: the exporter's client lives on it). `instance` names this
/// node in the spans' resource (`service.instance.id`: its configured node id or name).
pub fn init(config: &TelemetryConfig, instance: Option<String>) -> anyhow::Result<Telemetry> {
    let endpoint = config.otlp_endpoint.clone().or_else(|| {
        [
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "OTEL_EXPORTER_OTLP_ENDPOINT",
        ]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    });
    let Some(endpoint) = endpoint else {
        install(config.log_format, None);
        return Ok(Telemetry { provider: None });
    };
    if !endpoint.starts_with("http://") {
        anyhow::bail!(
            "the OTLP endpoint {endpoint:?} is not an http:// URL: spans go in plaintext \
             OTLP/gRPC to a collector or agent beside the node, which forwards them with TLS"
        );
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint.clone())
        .with_timeout(std::time::Duration::from_secs(5))
        .build()
        .with_context(|| format!("the OTLP exporter to {endpoint}"))?;
    let mut resource = opentelemetry_sdk::Resource::builder();
    if let Some(name) = config.service_name.clone().or_else(|| {
        std::env::var("OTEL_SERVICE_NAME")
            .err()
            .map(|_| "shoal".to_owned())
    }) {
        resource = resource.with_service_name(name);
    }
    if let Some(instance) = instance {
        resource = resource.with_attribute(opentelemetry::KeyValue::new(
            "service.instance.id",
            instance,
        ));
    }
    // Requests are sampled at the head, in the request layer, before any span is built
    // (an unsampled request costs nothing); what reaches the SDK is kept.
    let ratio = config
        .trace_sample_ratio
        .or_else(sample_ratio_from_env)
        .unwrap_or(1.0);
    shoal_gateway::telemetry::set_sample_ratio(ratio);
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)))
        .build();
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    install(config.log_format, Some(&provider));
    tracing::info!(%endpoint, sample_ratio = ratio, "exporting traces over OTLP");
    Ok(Telemetry {
        provider: Some(provider),
    })
}

/// The share of traces `OTEL_TRACES_SAMPLER` (and `OTEL_TRACES_SAMPLER_ARG`) ask for:
/// `always_on`, `always_off`, `traceidratio` and their `parentbased_` forms (a caller's
/// decision always wins: the request layer is parent-based).
fn sample_ratio_from_env() -> Option<f64> {
    let sampler = std::env::var("OTEL_TRACES_SAMPLER").ok()?;
    let argument = || {
        std::env::var("OTEL_TRACES_SAMPLER_ARG")
            .ok()
            .and_then(|arg| arg.parse::<f64>().ok())
            .filter(|ratio| (0.0..=1.0).contains(ratio))
            .unwrap_or(1.0)
    };
    match sampler.trim_start_matches("parentbased_") {
        "always_on" => Some(1.0),
        "always_off" => Some(0.0),
        "traceidratio" => Some(argument()),
        other => {
            eprintln!("OTEL_TRACES_SAMPLER={other:?} is not supported here; tracing every request");
            None
        }
    }
}

fn install(format: LogFormat, provider: Option<&SdkTracerProvider>) {
    let ansi = std::io::stderr().is_terminal();
    let logs = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(ansi)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::stderr)
            .boxed(),
    }
    .with_filter(filter());
    let traces = provider.map(|provider| {
        // Per span only what a trace viewer needs: no busy/idle timings (two clock reads
        // per poll of every instrumented future), no OpenTelemetry context switched on
        // every poll (no other OpenTelemetry instrumentation runs in the process: parents
        // come from the tracing spans), no thread or code-location attributes.
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("shoal"))
            .with_context_activation(false)
            .with_tracked_inactivity(false)
            .with_threads(false)
            .with_location(false)
            .with_target(false)
            .with_filter(tracing_subscriber::filter::filter_fn(exported))
    });
    let _ = tracing_subscriber::registry()
        .with(logs)
        .with(traces)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With export off, the request path's DEBUG spans are disabled where they are made:
    /// nothing is built, whatever the log filter says at INFO.
    #[test]
    fn without_a_receiver_no_span_is_built() {
        let logs = tracing_subscriber::fmt::layer()
            .with_writer(std::io::sink)
            .with_filter(tracing_subscriber::EnvFilter::new("info,openraft=error"));
        let subscriber = tracing_subscriber::registry().with(logs);
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::debug_span!(target: "shoal_gateway::telemetry", "request");
            assert!(span.is_disabled());
            assert!(!tracing::info_span!(target: "shoal_gateway", "x").is_disabled());
        });
    }

    #[test]
    fn only_shoals_spans_and_its_warnings_are_exported() {
        struct Check;
        impl tracing::Subscriber for Check {
            fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
                let expected = match (metadata.target(), metadata.is_span()) {
                    ("shoal_gateway::telemetry", true) => true,
                    ("openraft::core", true) => false,
                    ("shoal_consensus::pipe", false) => *metadata.level() <= Level::WARN,
                    _ => return true,
                };
                assert_eq!(exported(metadata), expected, "{metadata:?}");
                true
            }
            fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
                tracing::span::Id::from_u64(1)
            }
            fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
            fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
            fn event(&self, _: &tracing::Event<'_>) {}
            fn enter(&self, _: &tracing::span::Id) {}
            fn exit(&self, _: &tracing::span::Id) {}
        }
        tracing::subscriber::with_default(Check, || {
            let _ = tracing::debug_span!(target: "shoal_gateway::telemetry", "request");
            let _ = tracing::debug_span!(target: "openraft::core", "append");
            tracing::info!(target: "shoal_consensus::pipe", "a line");
            tracing::warn!(target: "shoal_consensus::pipe", "a warning");
        });
    }
}
