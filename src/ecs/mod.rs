//! The ECS control plane: task definitions, tasks, services and the service scheduler, and task
//! placement. Sans-IO: time and randomness arrive as arguments; nothing here prints or reads files.

pub mod capacity_provider;
pub mod capacity_provider_strategy;
pub mod census;
pub mod circuit_breaker;
pub mod container_dependencies;
pub mod container_health;
pub mod daemon;
pub mod deployment;
pub mod managed_scaling;
pub mod placement;
pub mod placement_explanation;
pub mod run_task;
pub mod scheduler;
pub mod service;
pub mod stop_selection;
pub mod task;
pub mod task_definition;
pub mod task_health;
pub mod task_lifecycle;
pub mod throttle;
