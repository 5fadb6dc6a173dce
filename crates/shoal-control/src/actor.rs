//! The control actor: one task per node that owns the control plane's background jobs —
//! gossip publishing, hosting, meta membership, leadership balancing, the placement driver
//! — with their schedule and status, and answers operators' requests (rebalance, moves,
//! drain, decommission, jobs) through a [`ControlHandle`].
//!
//! The actor itself never waits on the network: each job runs as a task of its own (at
//! most one per kind at a time) and reports back, so a slow step of the driver never
//! delays gossip. Requests are answered the same way. The driver and a rebalance plan
//! under one lock, so two waves are never planned at once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use shoal_membership::NodeInfo;
use shoal_replication::meta::{MetaCommand, MetaResponse, MoveCounters, MoveRecord, NodeState};
use shoal_shardmap::{GroupId, NodeId, Plan};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::ControlError;
use crate::command::Command;
use crate::engine::decommission::{Decommission, check_decommission, check_drain};
use crate::engine::hosting::reconcile;
use crate::engine::leadership::balance_leaderships;
use crate::engine::meta_members::{meta_membership, to_prove};
use crate::engine::moves::{StepOutcome, plan_wave};
use crate::identity::NodeIdentity;
use crate::ports::{MetaState, Ports};
use crate::settings::ControlSettings;
use crate::source::{ViewSource, refresh_directory};
use crate::view::ShardReport;

/// Whether the node is ready (serves requests): the driver and the leadership balancer
/// act only then.
pub type ReadySignal = Arc<dyn Fn() -> bool + Send + Sync>;

/// How often the placement driver looks while moves are in flight (each step waits for
/// the previous one) and while none are.
const DRIVE_BUSY: Duration = Duration::from_millis(200);
const DRIVE_IDLE: Duration = Duration::from_secs(1);
/// How often leaderships are balanced (at most one transfer per node each time).
const BALANCE_EVERY: Duration = Duration::from_secs(2);
/// Meta membership changes are rarer work: every few gossip rounds.
const META_MEMBERSHIP_ROUNDS: u32 = 5;
/// Requests waiting for the actor.
const MAILBOX: usize = 64;

/// Everything the control plane works with.
#[derive(Clone)]
pub struct ControlContext {
    pub identity: NodeIdentity,
    pub settings: ControlSettings,
    pub ports: Ports,
    pub views: ViewSource,
    pub ready: ReadySignal,
}

impl std::fmt::Debug for ControlContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlContext")
            .field("identity", &self.identity)
            .finish()
    }
}

/// The background jobs of the control plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Job {
    /// Publish this node's state in gossip and refresh the directory (every gossip round).
    Gossip,
    /// Start replicas moved here, delete replicas moved away, route with the newest map.
    Hosting,
    /// On the meta leader: register nodes, add meta learners, replace and promote voters.
    MetaMembership,
    /// Move leaderships to preferred replicas and off draining nodes.
    Leadership,
    /// On the meta leader: carry out replica moves, start new ones, finish decommissions.
    Driver,
}

impl Job {
    const ALL: [Job; 5] = [
        Job::Gossip,
        Job::Hosting,
        Job::MetaMembership,
        Job::Leadership,
        Job::Driver,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Job::Gossip => "gossip",
            Job::Hosting => "hosting",
            Job::MetaMembership => "meta-membership",
            Job::Leadership => "leadership",
            Job::Driver => "placement-driver",
        }
    }
}

/// What one job run found.
#[derive(Debug, Clone, Default)]
struct Report {
    /// What the job waits for, for people.
    waiting_for: Vec<String>,
    /// Run again without the usual pause (the driver made progress).
    again_now: bool,
    /// Moves are in flight (the driver looks often).
    busy: bool,
    /// Why each move in flight is not progressing (driver only).
    move_waits: Option<BTreeMap<u64, String>>,
}

/// A job's status, as `shoal cluster jobs` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStatus {
    pub name: &'static str,
    pub runs: u64,
    pub running: bool,
    /// How often it runs now.
    pub every: Duration,
    pub last_run_ago: Option<Duration>,
    pub last_duration: Option<Duration>,
    pub last_error: Option<String>,
    pub last_error_ago: Option<Duration>,
    pub waiting_for: Vec<String>,
}

#[derive(Debug)]
struct JobState {
    job: Job,
    runs: u64,
    running: bool,
    every: Duration,
    next: Instant,
    last_started: Option<Instant>,
    last_duration: Option<Duration>,
    last_error: Option<(String, Instant)>,
    waiting_for: Vec<String>,
}

impl JobState {
    fn status(&self) -> JobStatus {
        JobStatus {
            name: self.job.name(),
            runs: self.runs,
            running: self.running,
            every: self.every,
            last_run_ago: self.last_started.map(|at| at.elapsed()),
            last_duration: self.last_duration,
            last_error: self.last_error.as_ref().map(|(e, _)| e.clone()),
            last_error_ago: self.last_error.as_ref().map(|(_, at)| at.elapsed()),
            waiting_for: self.waiting_for.clone(),
        }
    }
}

/// A rebalance: the plan, and the moves started now (all planned moves that may start,
/// for a dry run).
#[derive(Debug, Clone, PartialEq)]
pub struct RebalanceOutcome {
    pub plan: Plan,
    pub started: Vec<(shoal_shardmap::ShardId, NodeId)>,
    pub in_flight: usize,
}

/// One move in flight with its live progress.
#[derive(Debug, Clone, PartialEq)]
pub struct MoveProgress {
    pub record: MoveRecord,
    /// The shard leader's report (or why there is none).
    pub report: Result<ShardReport, String>,
    /// Why the move is not progressing, when the driver found it waiting.
    pub waiting_for: Option<String>,
}

/// The moves in flight and how many have ended.
#[derive(Debug, Clone, PartialEq)]
pub struct MovesReport {
    pub moves: Vec<MoveProgress>,
    pub counters: MoveCounters,
}

type Reply<T> = oneshot::Sender<Result<T, ControlError>>;

enum Request {
    Rebalance {
        dry_run: bool,
        reply: Reply<RebalanceOutcome>,
    },
    ListMoves {
        reply: Reply<MovesReport>,
    },
    Decommission {
        node: NodeId,
        reply: Reply<Decommission>,
    },
    SetDrain {
        node: NodeId,
        drain: bool,
        reply: Reply<NodeState>,
    },
    Jobs {
        reply: Reply<Vec<JobStatus>>,
    },
    NodeInfo {
        ready: bool,
        reply: Reply<NodeInfo>,
    },
    /// Something changed that the driver should look at soon.
    Kick,
}

/// The way to the control actor (cheap to clone).
#[derive(Clone)]
pub struct ControlHandle {
    sender: mpsc::Sender<Request>,
    views: ViewSource,
}

impl std::fmt::Debug for ControlHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlHandle")
            .field("me", &self.views.me())
            .finish()
    }
}

impl ControlHandle {
    /// Views of the cluster as this node sees it.
    pub fn views(&self) -> &ViewSource {
        &self.views
    }

    async fn ask<T>(&self, request: impl FnOnce(Reply<T>) -> Request) -> Result<T, ControlError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(request(reply))
            .await
            .map_err(|_| ControlError::Unavailable("the control plane is shutting down".into()))?;
        answer
            .await
            .map_err(|_| ControlError::Unavailable("the control plane is shutting down".into()))?
    }

    /// Plans and, unless `dry_run`, starts the next wave of moves (on the meta leader).
    pub async fn rebalance(&self, dry_run: bool) -> Result<RebalanceOutcome, ControlError> {
        self.ask(|reply| Request::Rebalance { dry_run, reply })
            .await
    }

    /// The moves in flight with their progress (on the meta leader).
    pub async fn list_moves(&self) -> Result<MovesReport, ControlError> {
        self.ask(|reply| Request::ListMoves { reply }).await
    }

    /// Decommissions `node` once the check passes (on the meta leader).
    pub async fn decommission(&self, node: NodeId) -> Result<Decommission, ControlError> {
        self.ask(|reply| Request::Decommission { node, reply })
            .await
    }

    /// Drains or undrains `node` (on the meta leader); returns its state before.
    pub async fn set_drain(&self, node: NodeId, drain: bool) -> Result<NodeState, ControlError> {
        self.ask(|reply| Request::SetDrain { node, drain, reply })
            .await
    }

    /// The status of every background job of this node.
    pub async fn jobs(&self) -> Result<Vec<JobStatus>, ControlError> {
        self.ask(|reply| Request::Jobs { reply }).await
    }

    /// What this node says about itself now, with `ready`.
    pub async fn node_info(&self, ready: bool) -> Result<NodeInfo, ControlError> {
        self.ask(|reply| Request::NodeInfo { ready, reply }).await
    }
}

/// Starts the control actor; it runs until `cancel` fires. Its tasks are tracked by
/// `tracker`.
pub fn spawn(
    context: ControlContext,
    cancel: CancellationToken,
    tracker: &TaskTracker,
) -> ControlHandle {
    let (sender, receiver) = mpsc::channel(MAILBOX);
    let handle = ControlHandle {
        sender: sender.clone(),
        views: context.views.clone(),
    };
    let actor = Actor::new(context, sender, tracker.clone());
    tracker.spawn(actor.run(receiver, cancel));
    handle
}

struct Actor {
    context: Arc<ControlContext>,
    jobs: BTreeMap<Job, JobState>,
    move_waits: BTreeMap<u64, String>,
    /// Held while a wave of moves is planned and recorded.
    planning: Arc<tokio::sync::Mutex<()>>,
    sender: mpsc::Sender<Request>,
    tracker: TaskTracker,
}

impl Actor {
    fn new(context: ControlContext, sender: mpsc::Sender<Request>, tracker: TaskTracker) -> Actor {
        let now = Instant::now();
        let every = |job: Job| match job {
            Job::Gossip | Job::Hosting => context.settings.gossip_interval,
            Job::MetaMembership => context.settings.gossip_interval * META_MEMBERSHIP_ROUNDS,
            Job::Leadership => BALANCE_EVERY,
            Job::Driver => DRIVE_IDLE,
        };
        let jobs = Job::ALL
            .into_iter()
            .map(|job| {
                (
                    job,
                    JobState {
                        job,
                        runs: 0,
                        running: false,
                        every: every(job),
                        next: now,
                        last_started: None,
                        last_duration: None,
                        last_error: None,
                        waiting_for: Vec::new(),
                    },
                )
            })
            .collect();
        Actor {
            context: Arc::new(context),
            jobs,
            move_waits: BTreeMap::new(),
            planning: Arc::default(),
            sender,
            tracker,
        }
    }

    async fn run(mut self, mut requests: mpsc::Receiver<Request>, cancel: CancellationToken) {
        let mut running: JoinSet<(Job, Result<Report, String>, Duration)> = JoinSet::new();
        loop {
            self.start_due(&mut running);
            let next = self
                .jobs
                .values()
                .filter(|state| !state.running)
                .map(|state| state.next)
                .min()
                .unwrap_or_else(|| Instant::now() + DRIVE_IDLE);
            tokio::select! {
                () = cancel.cancelled() => break,
                request = requests.recv() => match request {
                    Some(request) => self.handle(request),
                    None => break,
                },
                Some(done) = running.join_next(), if !running.is_empty() => match done {
                    Ok((job, result, elapsed)) => self.finished(job, result, elapsed),
                    Err(error) => tracing::warn!(%error, "a control job panicked or was cancelled"),
                },
                () = tokio::time::sleep_until(next.into()) => {}
            }
        }
        running.shutdown().await;
    }

    fn start_due(&mut self, running: &mut JoinSet<(Job, Result<Report, String>, Duration)>) {
        let now = Instant::now();
        for job in Job::ALL {
            let state = self.jobs.get_mut(&job).expect("every job has a state");
            if state.running || state.next > now {
                continue;
            }
            state.running = true;
            state.last_started = Some(now);
            let context = self.context.clone();
            let planning = self.planning.clone();
            running.spawn(async move {
                let started = Instant::now();
                let result = match job {
                    Job::Gossip => gossip_round(&context).await,
                    Job::Hosting => hosting_round(&context).await,
                    Job::MetaMembership => meta_membership_round(&context).await,
                    Job::Leadership => leadership_round(&context).await,
                    Job::Driver => {
                        let _planning = planning.lock().await;
                        driver_round(&context).await
                    }
                };
                (job, result, started.elapsed())
            });
        }
    }

    fn finished(&mut self, job: Job, result: Result<Report, String>, elapsed: Duration) {
        let state = self.jobs.get_mut(&job).expect("every job has a state");
        state.running = false;
        state.runs += 1;
        state.last_duration = Some(elapsed);
        let mut again_now = false;
        match result {
            Ok(report) => {
                state.waiting_for = report.waiting_for;
                again_now = report.again_now;
                if job == Job::Driver {
                    state.every = if report.busy { DRIVE_BUSY } else { DRIVE_IDLE };
                }
                if let Some(waits) = report.move_waits {
                    self.move_waits = waits;
                }
            }
            Err(error) => {
                tracing::debug!(job = job.name(), %error, "control job failed this round");
                state.last_error = Some((error, Instant::now()));
            }
        }
        state.next = if again_now {
            Instant::now()
        } else {
            Instant::now() + state.every
        };
    }

    fn kick_driver(&mut self) {
        if let Some(state) = self.jobs.get_mut(&Job::Driver) {
            state.next = Instant::now();
        }
    }

    fn handle(&mut self, request: Request) {
        let context = self.context.clone();
        match request {
            Request::Jobs { reply } => {
                let _ = reply.send(Ok(self.jobs.values().map(JobState::status).collect()));
            }
            Request::Kick => self.kick_driver(),
            Request::NodeInfo { ready, reply } => {
                let _ = reply.send(
                    context
                        .ports
                        .meta
                        .state()
                        .map(|state| current_info(&context, &state, ready)),
                );
            }
            Request::ListMoves { reply } => {
                let waits = self.move_waits.clone();
                self.tracker.spawn(async move {
                    let _ = reply.send(list_moves(&context, waits).await);
                });
            }
            Request::Rebalance { dry_run, reply } => {
                let planning = self.planning.clone();
                let kick = self.sender.clone();
                self.tracker.spawn(async move {
                    let outcome = {
                        let _planning = planning.lock().await;
                        rebalance(&context, dry_run).await
                    };
                    if !dry_run {
                        let _ = kick.send(Request::Kick).await;
                    }
                    let _ = reply.send(outcome);
                });
            }
            Request::Decommission { node, reply } => {
                let kick = self.sender.clone();
                self.tracker.spawn(async move {
                    let outcome = decommission(&context, node).await;
                    let _ = kick.send(Request::Kick).await;
                    let _ = reply.send(outcome);
                });
            }
            Request::SetDrain { node, drain, reply } => {
                self.tracker.spawn(async move {
                    let _ = reply.send(set_drain(&context, node, drain).await);
                });
            }
        }
    }
}

/// What this node says about itself now: its registry state, readiness, the shards it
/// leads, the map epoch it routes with, its cluster.
fn current_info(context: &ControlContext, state: &MetaState, ready: bool) -> NodeInfo {
    let me = context.identity.node_id;
    let leading = context
        .ports
        .host
        .hosted()
        .into_iter()
        .filter(|(_, group)| group.leader == Some(me))
        .map(|(shard, _)| shard)
        .collect();
    let registered = state
        .nodes
        .iter()
        .find(|record| record.id == me)
        .map_or(NodeState::Active, |record| record.state);
    NodeInfo {
        state: registered,
        ready,
        leading_shards: leading,
        shard_map_epoch: context.ports.host.routing_epoch(),
        cluster_id: state.identity.as_ref().map(|i| i.cluster_id.clone()),
        damaged_shards: context.ports.host.damaged().into_keys().collect(),
        writes_refused: context.ports.host.write_refusal().is_some(),
        ..context.identity.info()
    }
}

async fn gossip_round(context: &ControlContext) -> Result<Report, String> {
    let state = context.ports.meta.state().map_err(|e| e.to_string())?;
    let members = context.ports.gossip.members();
    refresh_directory(context.views.directory(), &state.nodes, &members);
    let info = current_info(context, &state, (context.ready)());
    context.ports.gossip.publish(info).await;
    Ok(Report::default())
}

async fn hosting_round(context: &ControlContext) -> Result<Report, String> {
    let state = context.ports.meta.state().map_err(|e| e.to_string())?;
    let Some(map) = state.map else {
        return Ok(Report {
            waiting_for: vec!["the cluster has no shard map yet".into()],
            ..Report::default()
        });
    };
    let me = context.identity.node_id;
    let host = &context.ports.host;
    let held: BTreeMap<_, bool> = host
        .hosted()
        .into_iter()
        .map(|(shard, group)| (shard, group.leader == Some(me)))
        .collect();
    let damaged = host.damaged();
    let changes = reconcile(
        &map,
        &state.moves,
        me,
        &held,
        &damaged.keys().copied().collect(),
    );
    let wanted = crate::engine::hosting::wanted_replicas(&map, &state.moves, me);
    let kept: Vec<String> = held
        .iter()
        .filter(|(shard, leads)| **leads && !wanted.contains(shard))
        .map(|(shard, _)| {
            format!("shard {shard} moved away but its replica here still leads: kept until it steps down")
        })
        .chain(damaged.iter().map(|(shard, why)| {
            format!("this node's replica of shard {shard} is damaged and waits to be rebuilt: {why}")
        }))
        .collect();
    if changes.is_empty() && host.routing_epoch() == map.epoch {
        return Ok(Report {
            waiting_for: kept,
            ..Report::default()
        });
    }
    host.reconcile(map, changes)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Report {
        waiting_for: kept,
        ..Report::default()
    })
}

fn not_meta_leader() -> Report {
    Report {
        waiting_for: vec!["acts on the meta leader only".into()],
        ..Report::default()
    }
}

async fn meta_membership_round(context: &ControlContext) -> Result<Report, String> {
    let view = context.views.view().map_err(|e| e.to_string())?;
    if !view.is_meta_leader() {
        return Ok(not_meta_leader());
    }
    // Nodes gossip announces join only once they answered at their internal address, over
    // mTLS, as the node they claim to be.
    let probes = to_prove(&view)
        .into_iter()
        .map(|(node, address)| async move {
            let answer = context.ports.probe.identify(&address).await;
            (node, address, answer)
        });
    let mut proven = BTreeSet::new();
    let mut unproven = Vec::new();
    for (node, address, answer) in futures::future::join_all(probes).await {
        match answer {
            Ok(answered) if answered == node => {
                proven.insert(node);
            }
            Ok(answered) => unproven.push(format!(
                "node {node} (gossip) is not admitted: node {answered} answers at {address}"
            )),
            Err(error) => unproven.push(format!(
                "node {node} (gossip) is not admitted: it did not prove itself at {address}: {error}"
            )),
        }
    }
    let commands = meta_membership(&view, &proven, &context.settings);
    context
        .ports
        .execute(commands)
        .await
        .map_err(|failed| failed.to_string())?;
    Ok(Report {
        waiting_for: unproven,
        ..Report::default()
    })
}

async fn leadership_round(context: &ControlContext) -> Result<Report, String> {
    if !context.settings.balance_leaders {
        return Ok(Report {
            waiting_for: vec!["off (cluster.rebalance.balance_leaders = false)".into()],
            ..Report::default()
        });
    }
    if !(context.ready)() {
        return Ok(Report {
            waiting_for: vec!["this node is not ready".into()],
            ..Report::default()
        });
    }
    let view = context.views.view().map_err(|e| e.to_string())?;
    let Some(map) = view.map.as_ref() else {
        return Ok(Report::default());
    };
    let me = view.me;
    let mut led: Vec<(GroupId, crate::view::GroupView)> = context
        .ports
        .host
        .hosted()
        .into_iter()
        .filter(|(_, group)| group.leader == Some(me))
        .map(|(shard, group)| (GroupId::for_shard(shard), group))
        .collect();
    if view.is_meta_leader() {
        led.push((GroupId::META, view.meta.clone()));
    }
    if let Some(command) = balance_leaderships(&view, map, &led) {
        context
            .ports
            .execute(vec![command])
            .await
            .map_err(|failed| failed.to_string())?;
    }
    Ok(Report::default())
}

/// The driver's reports of the shards with moves in flight, from their leaders.
async fn shard_reports(
    context: &ControlContext,
    moves: &[MoveRecord],
) -> BTreeMap<shoal_shardmap::ShardId, Result<ShardReport, String>> {
    let asks = moves.iter().map(|record| async move {
        (
            record.shard,
            context
                .ports
                .shards
                .report(record.shard)
                .await
                .map_err(|e| e.to_string()),
        )
    });
    futures::future::join_all(asks).await.into_iter().collect()
}

async fn driver_round(context: &ControlContext) -> Result<Report, String> {
    if !(context.ready)() {
        return Ok(Report {
            waiting_for: vec!["this node is not ready".into()],
            ..Report::default()
        });
    }
    let mut view = context.views.view().map_err(|e| e.to_string())?;
    if !view.is_meta_leader() {
        return Ok(not_meta_leader());
    }
    view.reports = shard_reports(context, &view.moves).await;
    let round = crate::engine::driver::driver_round(&view, &context.settings);
    // Moves of different shards advance concurrently, one step each per round; a round
    // that made progress is followed by another at once.
    // (A step that only hands a leadership over waits the usual pause: the new leader
    // needs a moment, and asking again at once would only repeat the request.)
    let steps = round.steps.iter().map(|(id, outcome)| async move {
        let commands = match outcome {
            StepOutcome::Wait(reason) => return (*id, false, Some(reason.to_string())),
            StepOutcome::Advance(commands) | StepOutcome::Done(commands) => commands.clone(),
        };
        let hand_off = commands
            .iter()
            .all(|c| matches!(c, Command::TransferLeader { .. }));
        match context.ports.execute(commands).await {
            Ok(()) if hand_off => (
                *id,
                false,
                Some("handing the shard's leadership over".into()),
            ),
            Ok(()) => (*id, true, None),
            Err(failed) => (*id, false, Some(failed.to_string())),
        }
    });
    let outcomes = futures::future::join_all(steps).await;
    let mut progressed = outcomes.iter().any(|(_, advanced, _)| *advanced);
    let move_waits: BTreeMap<u64, String> = outcomes
        .into_iter()
        .filter_map(|(id, _, wait)| wait.map(|w| (id, w)))
        .collect();
    let mut waiting_for: Vec<String> = move_waits
        .iter()
        .map(|(id, why)| format!("move {id}: {why}"))
        .collect();
    waiting_for.extend(round.stuck.iter().cloned());
    let started = !round.start.is_empty();
    // New moves take their first step at once (the next round follows immediately).
    for command in round.planning_commands(view.now_ms) {
        if let Err(failed) = context.ports.execute(vec![command]).await {
            waiting_for.push(failed.to_string());
        }
    }
    if !round.departures.is_empty() {
        let hand_off = round
            .departures
            .iter()
            .all(|c| matches!(c, Command::TransferLeader { .. }));
        match context.ports.execute(round.departures).await {
            Ok(()) => progressed |= !hand_off,
            Err(failed) => waiting_for.push(failed.to_string()),
        }
    }
    Ok(Report {
        waiting_for,
        again_now: progressed || started,
        busy: !view.moves.is_empty() || started,
        move_waits: Some(move_waits),
    })
}

fn require_meta_leader(view: &crate::view::ClusterView) -> Result<(), ControlError> {
    if view.is_meta_leader() {
        Ok(())
    } else {
        Err(ControlError::Replication(
            shoal_replication::ReplicationError::NotLeader {
                group: GroupId::META,
                leader: view.meta.leader,
                leader_address: None,
            },
        ))
    }
}

async fn rebalance(
    context: &ControlContext,
    dry_run: bool,
) -> Result<RebalanceOutcome, ControlError> {
    let view = context.views.view()?;
    require_meta_leader(&view)?;
    let wave = plan_wave(&view, &context.settings)?;
    let started = if dry_run || wave.startable.is_empty() {
        wave.startable.iter().map(|m| (m.shard, m.to)).collect()
    } else {
        let answer = context
            .ports
            .meta
            .propose(MetaCommand::StartMoves {
                moves: wave.startable.clone(),
                at_ms: view.now_ms,
            })
            .await?;
        match answer {
            MetaResponse::MovesStarted { moves } => moves.iter().map(|m| (m.shard, m.to)).collect(),
            other => {
                return Err(ControlError::Internal(format!(
                    "unexpected meta answer {other:?}"
                )));
            }
        }
    };
    Ok(RebalanceOutcome {
        plan: wave.plan,
        started,
        in_flight: wave.in_flight,
    })
}

async fn list_moves(
    context: &ControlContext,
    waits: BTreeMap<u64, String>,
) -> Result<MovesReport, ControlError> {
    let (view, state) = context.views.view_and_state()?;
    require_meta_leader(&view)?;
    let reports = shard_reports(context, &view.moves).await;
    let moves = view
        .moves
        .iter()
        .map(|record| MoveProgress {
            record: record.clone(),
            report: reports
                .get(&record.shard)
                .cloned()
                .unwrap_or_else(|| Err("not asked".into())),
            waiting_for: waits.get(&record.id).cloned(),
        })
        .collect();
    Ok(MovesReport {
        moves,
        counters: state.counters,
    })
}

async fn set_node_state(
    context: &ControlContext,
    node: NodeId,
    state: NodeState,
) -> Result<NodeState, ControlError> {
    match context
        .ports
        .meta
        .propose(MetaCommand::SetNodeState {
            node_id: node,
            state,
        })
        .await?
    {
        MetaResponse::NodeStateSet { previous } => {
            tracing::info!(node_id = %node, from = %previous, to = %state, "node state changed");
            Ok(previous)
        }
        MetaResponse::Rejected { reason } => Err(ControlError::FailedPrecondition(reason)),
        other => Err(ControlError::Internal(format!(
            "unexpected meta answer {other:?}"
        ))),
    }
}

async fn decommission(
    context: &ControlContext,
    node: NodeId,
) -> Result<Decommission, ControlError> {
    let view = context.views.view()?;
    require_meta_leader(&view)?;
    let checked = check_decommission(&view, node, &context.settings)?;
    let previous = set_node_state(context, node, NodeState::Decommissioned).await?;
    tracing::info!(
        node_id = %node,
        replicas = checked.replicas_to_move,
        "node decommissioned: its replicas move away"
    );
    Ok(Decommission {
        previous,
        replicas_to_move: checked.replicas_to_move,
    })
}

async fn set_drain(
    context: &ControlContext,
    node: NodeId,
    drain: bool,
) -> Result<NodeState, ControlError> {
    let view = context.views.view()?;
    require_meta_leader(&view)?;
    check_drain(&view, node)?;
    let state = if drain {
        NodeState::Draining
    } else {
        NodeState::Active
    };
    set_node_state(context, node, state).await
}
