//! ecsim: a deterministic discrete-event simulator of an Amazon ECS cluster.
//!
//! Data flows one way: [`scenario`] (parse and validate) → [`sim`] (the run loop driving the
//! [`control_plane`], whose handlers act on [`cluster`], [`ecs`] and [`elb`]) → [`observer`]
//! (metrics and event log) → [`report`] (files). The control plane is sans-IO: time and
//! randomness come in as arguments. The modules form layers without cycles
//! (`tests/it/architecture.rs` holds them to it).

pub mod autoscaling;
pub mod cluster;
pub mod control_plane;
pub mod ecs;
pub mod elb;
pub mod engine;
#[doc(hidden)]
pub mod fuzzing;
pub mod ids;
pub mod import;
pub mod invariants;
pub mod name;
pub mod observer;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod sweep;
pub mod words;

/// The version written into every report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
