//! What shoal's tests, its chaos runner and `shoal dev` share, so each does not carry its
//! own copy: [`NodeProcess`] (one real `shoal start` process: start, SIGTERM, SIGKILL,
//! pause, readiness, its log), [`NodeSpec`] (a node's configuration file, written from
//! typed fields), [`admin_get`] (the admin port's HTTP), and the checked `verify` workload.
//!
//! Not shipped in the node's request path: `shoal-node` uses it only for `shoal verify` and
//! `shoal dev`.

mod http;
pub mod pki;
mod process;
mod spec;
pub mod verify;

pub use http::{admin_get, admin_get_with};
pub use process::{NodeProcess, rss_of};
pub use spec::NodeSpec;
