//! ECS's model: task definitions, tasks, services and their deployments, the census of a
//! service's tasks, task placement and the scale-in choice, capacity providers and managed
//! scaling's arithmetic. Types and pure functions: the handlers that change them over time live
//! in [`crate::control_plane`]. Nothing here prints, reads files or draws randomness of its own.

pub mod capacity_provider;
pub mod capacity_provider_strategy;
pub mod census;
pub mod container_dependencies;
pub mod container_health;
pub mod deployment;
pub mod managed_scaling;
pub mod placement;
pub mod service;
pub mod task;
pub mod task_definition;
