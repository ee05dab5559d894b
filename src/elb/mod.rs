//! Elastic Load Balancing as ECS uses it: target groups, their health checks and target states.

pub mod data_plane;
pub mod routing;
pub mod slow_start;
pub mod target_group;
pub mod target_group_traffic;
pub mod traffic;
