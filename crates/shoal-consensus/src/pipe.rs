//! One long-lived, multiplexed stream per ordered node pair, carrying the Raft messages of
//! every group between the two nodes (appends and heartbeats, votes, pre-votes, leader
//! transfers) — instead of one unary gRPC call per message, whose per-call cost (a new
//! HTTP/2 stream, headers, a task, trailers) dominated a replicated write.
//!
//! The opener (`PipeClient`) sends requests in frames: whatever is queued for the peer
//! goes out as one frame (no linger), each item with a correlation id; the other side
//! (`serve`) hands every item to its group without waiting for it, and answers in frames,
//! each answer carrying its request's id. Both ends are generic over the wire (a sender of
//! frames and a stream of frames), so tests can drop, delay and reorder frames.
//!
//! Failure, exactly once per call: a call that was never written to a connection (queue
//! full, no connection, the connection broke first) is [`PipeError::NotSent`]; one written
//! and left unanswered when its connection broke is [`PipeError::Lost`]. A caller that
//! gives up (its deadline) only drops its waiter: the stream is never reset for one
//! message, and the late answer is discarded. A broken connection is reopened on the next
//! call, after a backoff; nothing is replayed on it (Raft resends by itself).

use std::collections::HashMap;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use shoal_proto::internal as pb;
use shoal_shardmap::NodeId;
use tokio::sync::{mpsc, oneshot};

/// Most items in one frame.
const MAX_ITEMS: usize = 512;
/// Most bytes of payload in one frame (a frame may exceed it by one item).
const MAX_FRAME_BYTES: usize = 4 << 20;
/// Calls queued for a peer before callers are refused (`NotSent`): backpressure.
const QUEUE: usize = 8192;
/// Waiters whose caller gave up are swept once this many are pending.
const SWEEP_AT: usize = 4096;

/// Why a call got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PipeError {
    /// Never written to a connection: nothing reached the peer.
    NotSent(String),
    /// Written, and the connection broke before its answer came: it may have been handled.
    Lost(String),
    /// The peer does not serve pipes (an older release): use single calls.
    Unsupported,
}

impl std::fmt::Display for PipeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PipeError::NotSent(why) => write!(f, "not sent: {why}"),
            PipeError::Lost(why) => write!(f, "sent, then the connection broke: {why}"),
            PipeError::Unsupported => f.write_str("the peer does not serve pipes"),
        }
    }
}

/// An open connection: frames to send, and the frames the peer sends back.
pub(crate) type Wire = (
    mpsc::Sender<pb::PeerFrame>,
    BoxStream<'static, Result<pb::PeerFrame, String>>,
);

/// Opens connections to one peer.
pub(crate) trait Connector: Send + 'static {
    /// A failure is `NotSent` (with why) or `Unsupported`.
    fn connect(&mut self) -> BoxFuture<'static, Result<Wire, PipeError>>;
}

struct Call {
    group: u64,
    kind: pb::PeerKind,
    payload: Vec<u8>,
    reply: oneshot::Sender<Result<Vec<u8>, PipeError>>,
}

/// The client end of the pipe to one peer (cheap to clone; its task ends with the last
/// clone).
#[derive(Debug, Clone)]
pub(crate) struct PipeClient {
    calls: mpsc::Sender<Call>,
}

impl PipeClient {
    /// Starts the pipe from `me` to `peer`; it connects on the first call.
    pub(crate) fn spawn(me: NodeId, peer: NodeId, connector: impl Connector) -> PipeClient {
        let (calls, queue) = mpsc::channel(QUEUE);
        tokio::spawn(run(me, peer, queue, connector));
        PipeClient { calls }
    }

    /// Sends one request and waits for its answer (the caller bounds the wait).
    pub(crate) async fn call(
        &self,
        group: u64,
        kind: pb::PeerKind,
        payload: Vec<u8>,
    ) -> Result<Vec<u8>, PipeError> {
        let (reply, answer) = oneshot::channel();
        let call = Call {
            group,
            kind,
            payload,
            reply,
        };
        self.calls.try_send(call).map_err(|error| match error {
            mpsc::error::TrySendError::Full(_) => {
                PipeError::NotSent("too many messages queued for the peer".into())
            }
            mpsc::error::TrySendError::Closed(_) => PipeError::NotSent("the pipe stopped".into()),
        })?;
        answer
            .await
            .unwrap_or_else(|_| Err(PipeError::NotSent("the pipe stopped".into())))
    }
}

/// The pipe's task: connect when there is something to send, write queued calls as frames,
/// route answers to their waiters, and on a broken connection fail what it held.
async fn run(
    me: NodeId,
    peer: NodeId,
    mut queue: mpsc::Receiver<Call>,
    mut connector: impl Connector,
) {
    let mut backoff = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(20))
        .with_max_delay(Duration::from_secs(1))
        .without_max_times()
        .build();
    let mut next_id: u64 = 1;
    'connect: loop {
        // Lazy: connect only once there is a call.
        let Some(first) = queue.recv().await else {
            return;
        };
        let (frames_out, mut frames_in) = match connector.connect().await {
            Ok(wire) => wire,
            Err(error) => {
                let error = match error {
                    PipeError::NotSent(why) => {
                        PipeError::NotSent(format!("cannot reach node {peer}: {why}"))
                    }
                    other => other,
                };
                let _ = first.reply.send(Err(error.clone()));
                while let Ok(call) = queue.try_recv() {
                    let _ = call.reply.send(Err(error.clone()));
                }
                tokio::time::sleep(backoff.next().unwrap_or(Duration::from_secs(1))).await;
                continue 'connect;
            }
        };
        metrics::counter!("shoal_peer_pipe_connects_total", "peer" => peer.to_string())
            .increment(1);
        backoff = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(20))
            .with_max_delay(Duration::from_secs(1))
            .without_max_times()
            .build();
        let mut pending: HashMap<u64, oneshot::Sender<Result<Vec<u8>, PipeError>>> = HashMap::new();
        let mut carry = Some(first);
        loop {
            let call = match carry.take() {
                Some(call) => Some(call),
                None => tokio::select! {
                    biased;
                    answer = frames_in.next() => {
                        match answer {
                            Some(Ok(frame)) => {
                                for item in frame.items {
                                    // A waiter that gave up, or a duplicate: discarded.
                                    if let Some(reply) = pending.remove(&item.id) {
                                        let _ = reply.send(Ok(item.payload));
                                    }
                                }
                                continue;
                            }
                            broken => {
                                let why = match broken {
                                    Some(Err(why)) => why,
                                    _ => "the peer closed the stream".into(),
                                };
                                tracing::info!(%peer, %why, lost = pending.len(), "the pipe to a peer broke");
                                for (_, reply) in pending.drain() {
                                    let _ = reply.send(Err(PipeError::Lost(format!(
                                        "the connection to node {peer} broke: {why}"
                                    ))));
                                }
                                continue 'connect;
                            }
                        }
                    }
                    call = queue.recv() => call,
                },
            };
            let Some(call) = call else {
                return;
            };
            // Whatever else is queued goes in the same frame.
            let mut batch = vec![call];
            let mut bytes = batch[0].payload.len();
            while batch.len() < MAX_ITEMS && bytes < MAX_FRAME_BYTES {
                match queue.try_recv() {
                    Ok(call) => {
                        bytes += call.payload.len();
                        batch.push(call);
                    }
                    Err(_) => break,
                }
            }
            let mut frame = pb::PeerFrame {
                from_node: me.0,
                to_node: peer.0,
                items: Vec::with_capacity(batch.len()),
            };
            let mut waiters = Vec::with_capacity(batch.len());
            for call in batch {
                if call.reply.is_closed() {
                    continue;
                }
                let id = next_id;
                next_id += 1;
                frame.items.push(pb::PeerItem {
                    id,
                    group_id: call.group,
                    kind: call.kind as i32,
                    payload: call.payload,
                });
                waiters.push((id, call.reply));
            }
            if frame.items.is_empty() {
                continue;
            }
            if frames_out.send(frame).await.is_err() {
                for (_, reply) in waiters {
                    let _ = reply.send(Err(PipeError::NotSent(format!(
                        "the connection to node {peer} closed"
                    ))));
                }
                for (_, reply) in pending.drain() {
                    let _ = reply.send(Err(PipeError::Lost(format!(
                        "the connection to node {peer} closed"
                    ))));
                }
                continue 'connect;
            }
            pending.extend(waiters);
            if pending.len() >= SWEEP_AT {
                pending.retain(|_, reply| !reply.is_closed());
            }
        }
    }
}

/// Handles one request item: its group, kind and payload; returns the answer's payload.
pub(crate) type Dispatch =
    std::sync::Arc<dyn Fn(u64, pb::PeerKind, Vec<u8>) -> BoxFuture<'static, Vec<u8>> + Send + Sync>;

/// The answering end of one pipe: reads request frames, hands every item to `dispatch`
/// (each in a task of its own: the reader never waits for a group), and writes the answers
/// in frames to `answers`. `refuse` turns a frame meant for another node into answers.
pub(crate) fn serve(
    me: NodeId,
    frames_in: impl Stream<Item = Result<pb::PeerFrame, String>> + Send + 'static,
    answers: mpsc::Sender<pb::PeerFrame>,
    dispatch: Dispatch,
    refuse: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static,
) {
    let (items_tx, mut items_rx) = mpsc::channel::<pb::PeerItem>(QUEUE);
    // The writer: whatever answers are ready go out as one frame.
    tokio::spawn(async move {
        while let Some(first) = items_rx.recv().await {
            let mut frame = pb::PeerFrame {
                from_node: me.0,
                to_node: 0,
                items: vec![first],
            };
            while frame.items.len() < MAX_ITEMS {
                match items_rx.try_recv() {
                    Ok(item) => frame.items.push(item),
                    Err(_) => break,
                }
            }
            if answers.send(frame).await.is_err() {
                return;
            }
        }
    });
    tokio::spawn(async move {
        futures::pin_mut!(frames_in);
        while let Some(Ok(frame)) = frames_in.next().await {
            let misdirected = (frame.to_node != me.0)
                .then(|| refuse(&format!("this is node {me}, not node {}", frame.to_node)));
            for item in frame.items {
                let items = items_tx.clone();
                if let Some(answer) = &misdirected {
                    let _ = items
                        .send(pb::PeerItem {
                            id: item.id,
                            group_id: item.group_id,
                            kind: pb::PeerKind::Answer as i32,
                            payload: answer.clone(),
                        })
                        .await;
                    continue;
                }
                let kind = pb::PeerKind::try_from(item.kind).unwrap_or(pb::PeerKind::Answer);
                let dispatch = dispatch.clone();
                tokio::spawn(async move {
                    let payload = dispatch(item.group_id, kind, item.payload).await;
                    let _ = items
                        .send(pb::PeerItem {
                            id: item.id,
                            group_id: item.group_id,
                            kind: pb::PeerKind::Answer as i32,
                            payload,
                        })
                        .await;
                });
            }
        }
    });
}

#[cfg(test)]
mod tests;
