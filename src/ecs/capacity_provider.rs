//! Capacity providers (LOAD-BALANCING-AND-CAPACITY.md §2): an Auto Scaling group ECS places a
//! service's tasks on, as a capacity provider strategy assigns them
//! ([`crate::ecs::capacity_provider_strategy`]), and its managed scaling settings.

use crate::engine::SimDuration;
use crate::ids::GroupId;

/// A capacity provider backed by one of the scenario's instance groups.
#[derive(Clone, Debug, PartialEq)]
pub struct CapacityProviderSpec {
    pub name: String,
    /// The instance group (Auto Scaling group) it provides.
    pub group: GroupId,
    /// `managedScaling` with status ENABLED.
    pub managed_scaling: Option<ManagedScaling>,
    pub managed_termination_protection: bool,
    /// ENABLED by default for new providers (§2.6).
    pub managed_draining: bool,
}

/// Managed scaling's parameters (§2.2), with AWS's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ManagedScaling {
    /// The CapacityProviderReservation to aim for, percent (default 100).
    pub target_capacity: u32,
    pub minimum_scaling_step_size: u32,
    pub maximum_scaling_step_size: u32,
    pub instance_warmup_period: SimDuration,
}

impl Default for ManagedScaling {
    fn default() -> Self {
        ManagedScaling {
            target_capacity: 100,
            minimum_scaling_step_size: 1,
            maximum_scaling_step_size: 10_000,
            instance_warmup_period: SimDuration::from_secs(300),
        }
    }
}

impl CapacityProviderSpec {
    /// FARGATE or FARGATE_SPOT (names no provider of the user's can take).
    pub fn is_fargate(&self) -> bool {
        FARGATE_PROVIDERS.contains(&self.name.as_str())
    }
}

/// The AWS-managed Fargate providers every account has.
pub const FARGATE_PROVIDERS: [&str; 2] = ["FARGATE", "FARGATE_SPOT"];
