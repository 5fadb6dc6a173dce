//! The sans-IO engine: pure functions from a [`ClusterView`](crate::ClusterView) (and the
//! settings) to decisions and [`Command`](crate::Command)s. Nothing here awaits, locks or
//! reads a clock; the control actor and the tests run it (openraft's `engine/` against its
//! `core/`).
//!
//! - [`roles`]: what each node may do with replicas;
//! - [`moves`]: which moves may start, each move's next step;
//! - [`driver`]: one round of the placement driver, from one view;
//! - [`decommission`]: drain and decommission checks, leaving the meta group;
//! - [`meta_members`]: registering nodes, meta learners and voters;
//! - [`leadership`]: who may lead and who takes over — the one rule;
//! - [`hosting`]: which replicas this node runs and which group it may create;
//! - [`bootstrap`]: who creates the cluster, and with what;
//! - [`check`]: the verdict of a cross-replica consistency check;
//! - [`validate`]: which control commands may run, and why not.

pub mod bootstrap;
pub mod check;
pub mod decommission;
pub mod driver;
pub mod hosting;
pub mod leadership;
pub mod meta_members;
pub mod moves;
pub mod roles;
pub mod validate;

#[cfg(test)]
mod tests;
