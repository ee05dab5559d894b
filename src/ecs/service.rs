//! Services (REPLICA): what the scenario asks for and the scheduler's running state.

use crate::ecs::deployment::{CircuitBreaker, Deployment, DeploymentStatus, RolloutState};
use crate::ecs::placement::{Constraint, Strategy, default_service_strategies};
use crate::engine::SimTime;
use crate::ids::{ServiceId, TaskDefId, TaskGroupId, TaskId};

/// ECS's quota of tasks per service (SCHEDULING.md §2.6: 5,000 by default; AWS raises it on
/// request, ecsim keeps the default).
pub const MAX_TASKS_PER_SERVICE: u32 = 5_000;

/// A service as the scenario defines it (AWS's CreateService fields).
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceSpec {
    pub name: String,
    pub task_definition: TaskDefId,
    pub desired_count: u32,
    /// Empty: the service default (spread over AZs, then instances).
    pub strategies: Vec<Strategy>,
    pub constraints: Vec<Constraint>,
    pub minimum_healthy_percent: u32,
    pub maximum_percent: u32,
    pub circuit_breaker: CircuitBreaker,
    /// Target groups the service's tasks register in.
    pub load_balancers: Vec<LoadBalancer>,
    /// `healthCheckGracePeriodSeconds`: unhealthy signals are ignored this long after a task
    /// starts (RUNNING).
    pub health_check_grace_period: crate::engine::SimDuration,
    /// `schedulingStrategy = DAEMON`: one task on every eligible instance.
    pub daemon: bool,
    /// `availabilityZoneRebalancing` (ENABLED by default on CreateService).
    pub az_rebalancing: bool,
    /// The capacity provider strategy its tasks are assigned by (its own, or the cluster's
    /// default); empty: the EC2 launch type, any instance.
    pub capacity_provider_strategy: Vec<crate::ecs::capacity_provider_strategy::StrategyItem>,
}

impl ServiceSpec {
    /// AZ rebalancing applies (SCHEDULING.md §7): enabled, REPLICA, first strategy AZ spread or
    /// none, maximumPercent above 100, no Availability Zone constraint.
    pub fn az_rebalancing_applies(&self) -> bool {
        use crate::ecs::placement::{Constraint, SpreadField, Strategy};
        self.az_rebalancing
            && !self.daemon
            && self.maximum_percent > 100
            && matches!(self.strategies.first(), None | Some(Strategy::Spread(SpreadField::Zone)))
            && !self.constraints.iter().any(
                |c| matches!(c, Constraint::MemberOf { expression, .. } if expression.contains("ecs.availability-zone")),
            )
    }
}

/// One entry of a service's `loadBalancers`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadBalancer {
    /// Index into the scenario's target groups.
    pub target_group: usize,
    pub container_name: String,
    pub container_port: u16,
}

impl ServiceSpec {
    /// minimumHealthyPercent applied to a desired count: rounded up (§4.1).
    pub fn min_healthy_tasks(&self, desired: u32) -> u32 {
        (u64::from(desired) * u64::from(self.minimum_healthy_percent)).div_ceil(100) as u32
    }

    /// maximumPercent applied to a desired count: rounded down (§4.1).
    pub fn max_total_tasks(&self, desired: u32) -> u32 {
        (u64::from(desired) * u64::from(self.maximum_percent) / 100) as u32
    }
}

/// Counters kept in step with every task state change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServiceCounts {
    pub live: u32,
    pub pending: u32,
    pub running: u32,
    pub healthy: u32,
    /// Live tasks marked for replacement after failing health checks.
    pub doomed: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceStats {
    pub tasks_started: u32,
    pub tasks_failed_to_start: u32,
    pub placement_failures: u32,
}

#[derive(Clone, Debug)]
pub struct Service {
    pub id: ServiceId,
    pub spec: ServiceSpec,
    pub group: TaskGroupId,
    /// The strategies placement applies (the service default when the spec names none).
    pub strategies: Vec<Strategy>,
    /// The service's constraints followed by the task definition's.
    pub constraints: Vec<Constraint>,
    pub desired_count: u32,
    /// Tasks not yet STOPPED, in launch order.
    pub tasks: Vec<TaskId>,
    /// Tasks launched so far, for naming (`web-7`).
    pub launched: u32,
    pub counts: ServiceCounts,
    /// What the scheduler reads of its tasks, kept as they change.
    pub census: crate::ecs::census::Census,
    /// Which task a scale-in stops, kept as its tasks change (services stopped by ECS's default
    /// chain with the ordered tie-break; the others scan their tasks).
    pub stop_index: Option<crate::ecs::placement::stop_index::StopIndex>,
    pub steady: bool,
    /// The next scheduled reconcile, if any (one at a time; an earlier request replaces it).
    pub reconcile_at: Option<(SimTime, crate::engine::EventKey)>,
    /// The last placement attempt failed; retry when capacity appears, not before `retry_at`.
    pub waiting_for_capacity: bool,
    pub retry_at: SimTime,
    /// Every deployment the service has had, oldest first.
    pub deployments: Vec<Deployment>,
    /// Index of the PRIMARY deployment.
    pub primary: usize,
    /// Deployment-level desired counts, per deployment (old ones shrink as the rolling step
    /// retires their tasks; a lost task is replaced from its own revision up to this).
    pub deployment_desired: Vec<u32>,
    /// Tasks that failed to start in a row (the throttle's input, §3.5).
    pub start_failures: u32,
    /// No launch before this time (throttle back-off).
    pub throttle_until: SimTime,
    /// "(service X) is unable to consistently start tasks successfully." was said for this run
    /// of failures.
    pub impaired_reported: bool,
    /// The stuck-configuration event was said for the current deployment.
    pub stuck_reported: bool,
    /// AZ rebalancing is under way (a task was started in the emptiest zone).
    pub rebalancing: bool,
    /// Tasks in PROVISIONING: assigned to a capacity provider with managed scaling, waiting for
    /// its instances, oldest first. They count as tasks of the service (desired RUNNING) but
    /// hold no instance yet.
    pub provisioning: Vec<Provisioning>,
    /// Serial numbers for PROVISIONING tasks (their timeout events name them).
    pub provisioning_serial: u32,
    /// Tasks (desired RUNNING, placed or PROVISIONING) per item of the capacity provider
    /// strategy: what the next task's assignment reads.
    pub provider_tasks: Vec<u32>,
    pub stats: ServiceStats,
}

/// A task waiting in PROVISIONING for a capacity provider's instances (§2.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Provisioning {
    pub serial: u32,
    pub deployment: usize,
    /// Index of the capacity provider in the scenario.
    pub provider: usize,
    pub since: SimTime,
}

impl Service {
    pub fn new(
        id: ServiceId,
        spec: ServiceSpec,
        group: TaskGroupId,
        constraints: Vec<Constraint>,
        first_deployment: Deployment,
    ) -> Service {
        let strategies =
            if spec.strategies.is_empty() { default_service_strategies() } else { spec.strategies.clone() };
        Service {
            deployment_desired: vec![spec.desired_count],
            deployments: vec![first_deployment],
            primary: 0,
            start_failures: 0,
            throttle_until: SimTime::ZERO,
            impaired_reported: false,
            stuck_reported: false,
            rebalancing: false,
            provisioning: Vec::new(),
            provisioning_serial: 0,
            provider_tasks: vec![0; spec.capacity_provider_strategy.len()],
            id,
            strategies,
            constraints,
            desired_count: spec.desired_count,
            spec,
            group,
            tasks: Vec::new(),
            launched: 0,
            counts: ServiceCounts::default(),
            census: Default::default(),
            stop_index: None,
            steady: false,
            reconcile_at: None,
            waiting_for_capacity: false,
            retry_at: SimTime::ZERO,
            stats: ServiceStats::default(),
        }
    }

    /// ECS's steady state: one deployment, every desired task running and healthy, nothing
    /// pending or extra.
    pub fn is_steady(&self) -> bool {
        let c = self.counts;
        c.live == self.desired_count
            && c.running == self.desired_count
            && c.healthy == self.desired_count
            && c.pending == 0
            && self.deployments.iter().filter(|d| d.status != DeploymentStatus::Inactive).count() == 1
    }

    pub fn primary(&self) -> &Deployment {
        &self.deployments[self.primary]
    }

    /// A FAILED primary launches nothing more (a stall, or the moment before a rollback).
    pub fn primary_failed(&self) -> bool {
        self.primary().rollout_state == RolloutState::Failed
    }
}
