//! The pipe over an in-memory wire that drops, duplicates, delays and reorders frames and
//! breaks connections: every caller gets its own answer or one error, exactly once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use shoal_proto::internal as pb;
use shoal_shardmap::NodeId;
use tokio::sync::mpsc;

use super::{Connector, Dispatch, PipeClient, PipeError, Wire, serve};

/// What the wire does with one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Pass,
    Drop,
    Duplicate,
    Delay(u64),
    /// Break the connection instead of delivering it.
    Break,
}

type Mangle = Arc<dyn Fn(usize) -> Fate + Send + Sync>;

/// Connects the client to a `serve` end on node 2 through channels, each direction
/// mangled per frame (by the frame's index on its connection).
struct MemoryWire {
    requests: Mangle,
    answers: Mangle,
    dispatch: Dispatch,
    connections: Arc<AtomicUsize>,
}

fn pass() -> Mangle {
    Arc::new(|_| Fate::Pass)
}

/// Carries frames from `from` to `to`, applying `mangle`; ends (breaking the stream) on
/// `Fate::Break`.
fn relay(
    mut from: mpsc::Receiver<pb::PeerFrame>,
    to: mpsc::Sender<Result<pb::PeerFrame, String>>,
    mangle: Mangle,
) {
    tokio::spawn(async move {
        let mut index = 0;
        while let Some(frame) = from.recv().await {
            let fate = mangle(index);
            index += 1;
            match fate {
                Fate::Pass => {
                    let _ = to.send(Ok(frame)).await;
                }
                Fate::Drop => {}
                Fate::Duplicate => {
                    let _ = to.send(Ok(frame.clone())).await;
                    let _ = to.send(Ok(frame)).await;
                }
                Fate::Delay(ms) => {
                    // Later frames overtake this one: reordering.
                    let to = to.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_millis(ms)).await;
                        let _ = to.send(Ok(frame)).await;
                    });
                }
                Fate::Break => {
                    let _ = to.send(Err("connection reset".into())).await;
                    return;
                }
            }
        }
    });
}

impl Connector for MemoryWire {
    fn connect(&mut self) -> BoxFuture<'static, Result<Wire, PipeError>> {
        self.connections.fetch_add(1, Ordering::SeqCst);
        let (client_out, server_in_raw) = mpsc::channel::<pb::PeerFrame>(64);
        let (server_in_tx, server_in) = mpsc::channel::<Result<pb::PeerFrame, String>>(64);
        relay(server_in_raw, server_in_tx, self.requests.clone());
        let (server_out, client_in_raw) = mpsc::channel::<pb::PeerFrame>(64);
        let (client_in_tx, client_in) = mpsc::channel::<Result<pb::PeerFrame, String>>(64);
        relay(client_in_raw, client_in_tx, self.answers.clone());
        serve(
            NodeId(2),
            tokio_stream::wrappers::ReceiverStream::new(server_in),
            server_out,
            self.dispatch.clone(),
            |why| format!("refused: {why}").into_bytes(),
        );
        let incoming =
            futures::StreamExt::boxed(tokio_stream::wrappers::ReceiverStream::new(client_in));
        async move { Ok((client_out, incoming)) }.boxed()
    }
}

/// Answers every request with its own payload, after a delay that depends on it (so
/// answers come back out of order).
fn echo() -> Dispatch {
    Arc::new(|group, _kind, payload| {
        async move {
            let delay = payload.iter().map(|b| *b as u64).sum::<u64>() % 7;
            tokio::time::sleep(Duration::from_millis(delay)).await;
            let mut answer = group.to_be_bytes().to_vec();
            answer.extend(payload);
            answer
        }
        .boxed()
    })
}

fn client(requests: Mangle, answers: Mangle) -> (PipeClient, Arc<AtomicUsize>) {
    let connections = Arc::new(AtomicUsize::new(0));
    let wire = MemoryWire {
        requests,
        answers,
        dispatch: echo(),
        connections: connections.clone(),
    };
    (PipeClient::spawn(NodeId(1), NodeId(2), wire), connections)
}

fn expected(group: u64, payload: &[u8]) -> Vec<u8> {
    let mut answer = group.to_be_bytes().to_vec();
    answer.extend(payload);
    answer
}

async fn call(client: &PipeClient, i: u64) -> Result<Vec<u8>, PipeError> {
    let payload = format!("request-{i}").into_bytes();
    let answer = tokio::time::timeout(
        Duration::from_millis(500),
        client.call(i % 17, pb::PeerKind::Append, payload.clone()),
    )
    .await
    .unwrap_or_else(|_| Err(PipeError::NotSent("timed out in the test".into())))?;
    assert_eq!(
        answer,
        expected(i % 17, &payload),
        "call {i} got another's answer"
    );
    Ok(answer)
}

#[tokio::test]
async fn many_calls_of_many_groups_share_one_connection_and_get_their_own_answers() {
    let (client, connections) = client(pass(), pass());
    let calls = (0..2_000u64).map(|i| {
        let client = client.clone();
        async move { call(&client, i).await }
    });
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn dropped_delayed_and_duplicated_frames_never_misroute_an_answer() {
    // Requests: every 5th frame lost, every 7th late (overtaken); answers: every 3rd
    // duplicated, every 4th late.
    let requests: Mangle = Arc::new(|i| match i {
        i if i % 5 == 4 => Fate::Drop,
        i if i % 7 == 3 => Fate::Delay(30),
        _ => Fate::Pass,
    });
    let answers: Mangle = Arc::new(|i| match i {
        i if i % 3 == 2 => Fate::Duplicate,
        i if i % 4 == 1 => Fate::Delay(20),
        _ => Fate::Pass,
    });
    let (client, connections) = client(requests, answers);
    let mut answered = 0;
    let mut unanswered = 0;
    for round in 0..20u64 {
        let calls = (0..50u64).map(|i| {
            let client = client.clone();
            async move { call(&client, round * 50 + i).await }
        });
        for result in futures::future::join_all(calls).await {
            match result {
                Ok(_) => answered += 1,
                Err(_) => unanswered += 1,
            }
        }
    }
    // Lost request frames leave their callers to their deadlines; everyone else gets its
    // own answer (checked in `call`), on the one connection.
    assert!(answered > 500, "{answered} answered, {unanswered} not");
    assert!(unanswered > 0);
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_broken_connection_fails_what_it_carried_and_the_next_call_reconnects() {
    // The answer stream of the first connection breaks at its 3rd frame.
    let broken = Arc::new(AtomicUsize::new(0));
    let seen = broken.clone();
    let answers: Mangle = Arc::new(move |i| {
        if i == 2 && seen.fetch_add(1, Ordering::SeqCst) == 0 {
            Fate::Break
        } else {
            Fate::Pass
        }
    });
    let (client, connections) = client(pass(), answers);
    let calls = (0..200u64).map(|i| {
        let client = client.clone();
        async move {
            let payload = format!("request-{i}").into_bytes();
            client.call(1, pb::PeerKind::Vote, payload).await
        }
    });
    let results = futures::future::join_all(calls).await;
    let lost = results
        .iter()
        .filter(|r| matches!(r, Err(PipeError::Lost(_))))
        .count();
    assert!(
        lost > 0,
        "calls in flight when it broke are lost: {results:?}"
    );
    assert!(
        results
            .iter()
            .all(|r| r.is_ok() || matches!(r, Err(PipeError::Lost(_) | PipeError::NotSent(_)))),
    );
    // Later calls go over a new connection and are answered.
    for i in 0..20 {
        call(&client, 10_000 + i).await.unwrap();
    }
    assert_eq!(connections.load(Ordering::SeqCst), 2);
}

/// Connects never: the peer is down.
struct Unreachable;

impl Connector for Unreachable {
    fn connect(&mut self) -> BoxFuture<'static, Result<Wire, PipeError>> {
        async { Err(PipeError::NotSent("connection refused".to_owned())) }.boxed()
    }
}

#[tokio::test]
async fn calls_to_a_peer_that_cannot_be_reached_fail_at_once_as_not_sent() {
    let client = PipeClient::spawn(NodeId(1), NodeId(2), Unreachable);
    let error = client
        .call(1, pb::PeerKind::Append, b"x".to_vec())
        .await
        .unwrap_err();
    assert!(
        matches!(error, PipeError::NotSent(ref why) if why.contains("refused")),
        "{error}"
    );
}

#[tokio::test]
async fn a_frame_meant_for_another_node_is_refused_item_by_item() {
    let (server_in_tx, server_in) = mpsc::channel::<Result<pb::PeerFrame, String>>(4);
    let (answers_tx, mut answers) = mpsc::channel::<pb::PeerFrame>(4);
    serve(
        NodeId(2),
        tokio_stream::wrappers::ReceiverStream::new(server_in),
        answers_tx,
        echo(),
        |why| format!("refused: {why}").into_bytes(),
    );
    server_in_tx
        .send(Ok(pb::PeerFrame {
            from_node: 1,
            to_node: 3,
            items: vec![
                pb::PeerItem {
                    id: 7,
                    group_id: 1,
                    kind: pb::PeerKind::Vote as i32,
                    payload: vec![],
                },
                pb::PeerItem {
                    id: 8,
                    group_id: 2,
                    kind: pb::PeerKind::Vote as i32,
                    payload: vec![],
                },
            ],
        }))
        .await
        .unwrap();
    let mut ids = Vec::new();
    while ids.len() < 2 {
        let frame = answers.recv().await.unwrap();
        for item in frame.items {
            let text = String::from_utf8(item.payload).unwrap();
            assert!(text.contains("not node 3"), "{text}");
            ids.push(item.id);
        }
    }
    ids.sort();
    assert_eq!(ids, [7, 8]);
}
