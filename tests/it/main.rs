//! ecsim's integration tests: one binary, a module per area.

mod bad_input;
mod cli;
mod common;
mod deployments;
mod determinism;
mod placement;
mod stories;
