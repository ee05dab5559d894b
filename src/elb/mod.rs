//! Elastic Load Balancing as ECS uses it: target groups, their health checks and target states.

pub mod target_group;
