//! ecsim: a deterministic discrete-event simulator of an Amazon ECS cluster.
pub mod engine;
