//! The integration tests of the shoal node, as one test binary (it links once, not once per
//! file): every module is a group of tests; `support` holds the harness.

mod support;

mod bad_input;
mod cli;
mod cluster_auth;
mod cluster_config;
mod cluster_drain;
mod cluster_elastic;
mod cluster_failover;
mod cluster_partition;
mod cluster_pause;
mod cluster_processes;
mod cluster_rotation;
mod cluster_security;
mod cluster_shutdown;
mod compatibility;
mod control_regressions;
mod data_integrity;
mod dev_playground;
mod disk_full;
mod durability;
mod expiry_order;
mod group_commit;
mod grpc_services;
mod helm_chart;
mod kv_batch;
mod kv_semantics;
mod metrics;
mod prometheus;
mod resource_limits;
mod rolling_restart;
mod snapshots;
mod status_page;
mod traces;
mod transfer;
mod verify_detects_anomalies;
