//! The consensus layer's spans (when traces are exported): the proposal of a request, and
//! the work done for batches of proposals — the durable log write on each node and the
//! replication to each follower — linked to the requests that proposed their entries.
//!
//! A proposal's trace context rides with its command in memory ([`Command`]'s second
//! field) from the leader's `client_write` to its log write and its append messages; an
//! append message carries the contexts of its traced entries beside the openraft message
//! ([`encode_append`]), so the follower's log write links to them too. Work for entries
//! no traced request proposed (heartbeats, idle groups, untraced requests) builds no span.

use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId};
use serde::{Deserialize, Serialize};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::storage::{decode, decode_prefix, encode};
use crate::types::{Command, Entry, TypeConfig};
use openraft::EntryPayload;
use openraft::raft::AppendEntriesRequest;

/// A span below the current one (`make` builds it) when there is a current span, else
/// none: the spans below an untraced request (the request layer decides, before building
/// any) are never built, and a call outside any request (heartbeats, idle loops,
/// housekeeping) makes none.
pub fn child_span(make: impl FnOnce() -> tracing::Span) -> tracing::Span {
    if tracing::Span::current().is_none() {
        tracing::Span::none()
    } else {
        make()
    }
}

/// The exported, sampled context of `span`: what a command proposed under it carries.
pub(crate) fn context_of(span: &tracing::Span) -> Option<SpanContext> {
    if span.is_disabled() {
        return None;
    }
    let context = span.context().span().span_context().clone();
    (context.is_valid() && context.is_sampled()).then_some(context)
}

/// Adds the trace context `entry` carries to `found`, unless it is there already (the
/// commands of one `propose_many` share theirs).
pub(crate) fn add_proposal(found: &mut Vec<SpanContext>, entry: &Entry) {
    if let EntryPayload::Normal(Command(_, Some(context))) = &entry.payload
        && !found.iter().any(|seen| seen.span_id() == context.span_id())
    {
        found.push(context.clone());
    }
}

/// A span for work done for the proposals `links` (a log write, an append to a follower):
/// none when no proposal in it is traced; otherwise a child of the first proposal (so it
/// shows in that request's trace) with a link to each of them (so every request of a
/// batch finds it).
pub(crate) fn linked_span(
    links: &[SpanContext],
    make: impl FnOnce() -> tracing::Span,
) -> tracing::Span {
    let Some(first) = links.first() else {
        return tracing::Span::none();
    };
    let span = make();
    if span.is_disabled() {
        return span;
    }
    let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(first.clone()));
    for link in links {
        span.add_link(link.clone());
    }
    span
}

/// The trace context of one entry of an append message, on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct EntryTrace {
    index: u64,
    trace_id: u128,
    span_id: u64,
    flags: u8,
}

/// An append message on the wire: `encoded` (the openraft message as
/// [`encode`] writes it) followed, when some of its entries are traced, by their trace
/// contexts. The contexts come after the message, so a node that does not read them
/// (postcard stops at the end of the message) still decodes it.
pub(crate) fn encode_append(
    rpc: &AppendEntriesRequest<TypeConfig>,
    mut encoded: Vec<u8>,
) -> Vec<u8> {
    let traces: Vec<EntryTrace> = rpc
        .entries
        .iter()
        .filter_map(|entry| match &entry.payload {
            EntryPayload::Normal(Command(_, Some(context))) => Some(EntryTrace {
                index: entry.log_id.index,
                trace_id: u128::from_be_bytes(context.trace_id().to_bytes()),
                span_id: u64::from_be_bytes(context.span_id().to_bytes()),
                flags: context.trace_flags().to_u8(),
            }),
            _ => None,
        })
        .collect();
    if !traces.is_empty()
        && let Ok(trailer) = encode(&traces)
    {
        encoded.extend_from_slice(&trailer);
    }
    encoded
}

/// Decodes an append message written by [`encode_append`] (or by a node that sends no
/// trace contexts), giving each traced entry its context back.
pub(crate) fn decode_append(payload: &[u8]) -> std::io::Result<AppendEntriesRequest<TypeConfig>> {
    let (mut rpc, trailer): (AppendEntriesRequest<TypeConfig>, _) = decode_prefix(payload)?;
    if trailer.is_empty() {
        return Ok(rpc);
    }
    // A trailer that does not decode is ignored: traces are never worth refusing a message.
    let Ok(traces) = decode::<Vec<EntryTrace>>(trailer) else {
        return Ok(rpc);
    };
    // The entries of one append are consecutive, so an index finds its entry directly.
    let Some(first) = rpc.entries.first().map(|entry| entry.log_id.index) else {
        return Ok(rpc);
    };
    for trace in traces {
        let Some(entry) = trace
            .index
            .checked_sub(first)
            .and_then(|at| usize::try_from(at).ok())
            .and_then(|at| rpc.entries.get_mut(at))
            .filter(|entry| entry.log_id.index == trace.index)
        else {
            continue;
        };
        if let EntryPayload::Normal(Command(_, context)) = &mut entry.payload {
            *context = Some(SpanContext::new(
                TraceId::from_bytes(trace.trace_id.to_be_bytes()),
                SpanId::from_bytes(trace.span_id.to_be_bytes()),
                TraceFlags::new(trace.flags),
                true,
                Default::default(),
            ));
        }
    }
    Ok(rpc)
}
