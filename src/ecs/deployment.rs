//! Service deployments (SCHEDULING.md §4.3): each revision a service runs is a deployment, PRIMARY
//! (the newest), ACTIVE (older, still has tasks) or INACTIVE, with its rolloutState and the
//! circuit breaker's failure count.

use crate::engine::SimTime;
use crate::ids::TaskDefId;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeploymentStatus {
    Primary,
    Active,
    Inactive,
}

impl DeploymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentStatus::Primary => "PRIMARY",
            DeploymentStatus::Active => "ACTIVE",
            DeploymentStatus::Inactive => "INACTIVE",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RolloutState {
    InProgress,
    Completed,
    Failed,
}

impl RolloutState {
    pub fn as_str(self) -> &'static str {
        match self {
            RolloutState::InProgress => "IN_PROGRESS",
            RolloutState::Completed => "COMPLETED",
            RolloutState::Failed => "FAILED",
        }
    }
}

/// `thresholdConfiguration.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThresholdType {
    BoundedPercent,
    UnboundedPercent,
    Count,
}

/// `deploymentCircuitBreaker` (SCHEDULING.md §4.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CircuitBreaker {
    pub enable: bool,
    pub rollback: bool,
    pub reset_on_healthy_task: bool,
    pub threshold_type: ThresholdType,
    pub threshold_value: u32,
}

impl Default for CircuitBreaker {
    fn default() -> Self {
        CircuitBreaker {
            enable: false,
            rollback: false,
            reset_on_healthy_task: true,
            threshold_type: ThresholdType::BoundedPercent,
            threshold_value: 50,
        }
    }
}

impl CircuitBreaker {
    /// Failures that fail a deployment, from the service's current desired count:
    /// BOUNDED_PERCENT is ceil(value% x desired) clamped to [3, 200] (the minimum was 10 before
    /// 2024-01-08).
    pub fn threshold(&self, desired: u32) -> u32 {
        let pct = (u64::from(self.threshold_value) * u64::from(desired)).div_ceil(100) as u32;
        match self.threshold_type {
            ThresholdType::BoundedPercent => pct.clamp(3, 200),
            ThresholdType::UnboundedPercent => pct.max(1),
            ThresholdType::Count => self.threshold_value.max(1),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Deployment {
    /// `ecs-svc/...`, as ECS names deployments (and tasks' `startedBy`).
    pub id: String,
    pub task_definition: TaskDefId,
    pub status: DeploymentStatus,
    pub rollout_state: RolloutState,
    pub created_at: SimTime,
    /// When it reached COMPLETED or FAILED.
    pub finished_at: Option<SimTime>,
    /// The circuit breaker's count (consecutive if resetOnHealthyTask).
    pub failed_tasks: u32,
    /// Stage 2 of the circuit breaker: some task of this deployment reached RUNNING.
    pub stage2: bool,
    /// This deployment failed and the service rolled back from it.
    pub rolled_back: bool,
    /// This deployment was reactivated by a rollback.
    pub is_rollback: bool,
    /// Circuit breaker failures over the deployment's whole life (for the report).
    pub failed_tasks_total: u32,
}

impl Deployment {
    pub fn new(id: String, task_definition: TaskDefId, now: SimTime) -> Deployment {
        Deployment {
            id,
            task_definition,
            status: DeploymentStatus::Primary,
            rollout_state: RolloutState::InProgress,
            created_at: now,
            finished_at: None,
            failed_tasks: 0,
            stage2: false,
            rolled_back: false,
            is_rollback: false,
            failed_tasks_total: 0,
        }
    }
}

impl Deployment {
    /// Counts one failed task; returns whether the circuit breaker trips now. Only an
    /// IN_PROGRESS deployment counts, and only with the breaker enabled (the total is kept for
    /// the report either way).
    pub fn count_failure(&mut self, cb: &CircuitBreaker, desired: u32) -> bool {
        if self.rollout_state != RolloutState::InProgress {
            return false;
        }
        self.failed_tasks_total += 1;
        if !cb.enable {
            return false;
        }
        self.failed_tasks += 1;
        self.failed_tasks >= cb.threshold(desired)
    }

    /// A task of this deployment became healthy: with resetOnHealthyTask the count restarts.
    pub fn count_healthy(&mut self, cb: &CircuitBreaker) {
        if cb.reset_on_healthy_task {
            self.failed_tasks = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// E-C1: the documented thresholds.
    #[test]
    fn e_c1_circuit_breaker_thresholds() {
        let bounded = CircuitBreaker::default();
        for (desired, want) in [(1, 3), (3, 3), (5, 3), (7, 4), (25, 13), (400, 200), (800, 200)] {
            assert_eq!(bounded.threshold(desired), want, "desired {desired}");
        }
        let unbounded = CircuitBreaker { threshold_type: ThresholdType::UnboundedPercent, ..bounded };
        assert_eq!(unbounded.threshold(800), 400);
        let count = CircuitBreaker { threshold_type: ThresholdType::Count, threshold_value: 5, ..bounded };
        assert_eq!(count.threshold(1), 5);
        assert_eq!(count.threshold(1000), 5);
    }

    /// E-C3: D=10 (threshold 5), failures F,F,H,F,F,F,F. Resetting on a healthy task leaves the
    /// count at 4 (not failed); without the reset the 5th F fails the deployment.
    #[test]
    fn e_c3_reset_on_healthy_task() {
        for (reset, trips_at) in [(true, None), (false, Some(5))] {
            let cb = CircuitBreaker { enable: true, reset_on_healthy_task: reset, ..CircuitBreaker::default() };
            let mut d = Deployment::new("ecs-svc/1".into(), crate::ids::TaskDefId(0), SimTime::ZERO);
            let mut failures = 0;
            let mut tripped = None;
            for step in "FFHFFFF".chars() {
                if step == 'H' {
                    d.count_healthy(&cb);
                    continue;
                }
                failures += 1;
                if d.count_failure(&cb, 10) && tripped.is_none() {
                    tripped = Some(failures);
                }
            }
            assert_eq!(tripped, trips_at, "resetOnHealthyTask={reset}");
            if reset {
                assert_eq!(d.failed_tasks, 4);
            }
        }
    }
}
