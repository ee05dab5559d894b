//! ecsim's integration tests: one binary, a module per area.

mod bad_input;
mod browser;
mod capacity_providers;
mod cli;
mod common;
mod corpus;
mod dataframes;
mod deployments;
mod determinism;
mod fargate;
mod fuzz;
mod instances;
mod invariants;
mod load_balancing;
mod outputs;
mod placement;
mod properties;
mod reports;
mod requests;
mod run_task;
mod scenarios;
mod schema;
mod service_auto_scaling;
mod stories;
mod sweeps;
mod workloads;
