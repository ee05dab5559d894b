//! Tasks and their lifecycle states as ECS reports them (SCHEDULING.md §1): lastStatus,
//! desiredStatus, stopCode and stoppedReason.

use crate::ecs::container_health::Health;
use crate::elb::target_group::TargetState;
use crate::engine::SimTime;
use crate::ids::{InstanceId, ServiceId, TaskDefId, TaskGroupId, TaskId, ZoneId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LastStatus {
    Provisioning,
    Pending,
    Activating,
    Running,
    Deactivating,
    Stopping,
    Deprovisioning,
    Stopped,
}

impl LastStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LastStatus::Provisioning => "PROVISIONING",
            LastStatus::Pending => "PENDING",
            LastStatus::Activating => "ACTIVATING",
            LastStatus::Running => "RUNNING",
            LastStatus::Deactivating => "DEACTIVATING",
            LastStatus::Stopping => "STOPPING",
            LastStatus::Deprovisioning => "DEPROVISIONING",
            LastStatus::Stopped => "STOPPED",
        }
    }

    /// Before RUNNING: the agent reports all of these to the service as pending.
    pub fn is_pending(self) -> bool {
        self < LastStatus::Running
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DesiredStatus {
    Running,
    Stopped,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopCode {
    TaskFailedToStart,
    EssentialContainerExited,
    UserInitiated,
    ServiceSchedulerInitiated,
    SpotInterruption,
    TerminationNotice,
    InfrastructureHealth,
}

impl StopCode {
    /// The stop code ECS gives the tasks of an instance lost this way.
    pub fn for_loss(how: crate::cluster::InstanceLoss) -> StopCode {
        match how {
            crate::cluster::InstanceLoss::Failure => StopCode::InfrastructureHealth,
            crate::cluster::InstanceLoss::SpotReclaim => StopCode::SpotInterruption,
            crate::cluster::InstanceLoss::Termination => StopCode::TerminationNotice,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StopCode::TaskFailedToStart => "TaskFailedToStart",
            StopCode::EssentialContainerExited => "EssentialContainerExited",
            StopCode::UserInitiated => "UserInitiated",
            StopCode::ServiceSchedulerInitiated => "ServiceSchedulerInitiated",
            StopCode::SpotInterruption => "SpotInterruption",
            StopCode::TerminationNotice => "TerminationNotice",
            StopCode::InfrastructureHealth => "InfrastructureHealth",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Task {
    pub id: TaskId,
    /// Tasks created before it in the run: its age among tasks (slots, and so ids, are reused).
    pub seq: u64,
    /// `web-7`: the service's (or family's) name and the launch number, stable across runs.
    pub name: crate::name::Name,
    pub task_definition: TaskDefId,
    pub service: Option<ServiceId>,
    /// Index of the service deployment that started it.
    pub deployment: usize,
    /// Launched for a deployment that was no longer PRIMARY: a lost task replaced from its own
    /// revision. The rolling step leaves it alone until it is RUNNING.
    pub old_revision_replacement: bool,
    /// The bad-build failure this task suffers, if its build is bad and the draw hit it.
    pub fault: Option<crate::ecs::task_definition::FaultKind>,
    pub group: TaskGroupId,
    pub instance: InstanceId,
    pub zone: ZoneId,
    pub last_status: LastStatus,
    pub desired_status: DesiredStatus,
    /// 40 s have passed since RUNNING (ECS's rule without load balancer or health check).
    pub aged: bool,
    /// An essential container has a health check: task health decides.
    pub needs_container_health: bool,
    pub container_health: Health,
    /// The task's targets: (target group index, state), one per service load balancer.
    pub targets: Vec<(usize, TargetState)>,
    /// When each target's health checks began (registration, delay and phase), index for index.
    pub target_first_checks: Vec<SimTime>,
    /// Each target's slow-start step, index for index: 0-9 while it ramps up (its weight the
    /// ramp's mean over the step, (step + 0.5) / 10), [`FULL_WEIGHT`] outside slow start.
    pub target_weights: Vec<u8>,
    /// Unhealthy past the grace period: the scheduler replaces it (§3.3). Why is fixed when the
    /// decision is taken: the check that failed then, whatever the task does afterwards.
    pub doomed: Option<Doom>,
    /// From RUNNING until the app answers health checks (drawn at launch).
    pub ready_after: crate::engine::SimDuration,
    /// A container dependency that can never be met: the task stops at its next step.
    pub start_error: Option<String>,
    /// The host died under it; ECS has not noticed yet. Never healthy.
    pub host_lost: bool,
    /// Its app no longer answers requests (a build failing the load balancer's checks).
    pub app_broken: bool,
    /// CPU units and MiB reserved on the instance (the task definition's, or RunTask overrides).
    pub cpu: u32,
    pub memory_mib: u32,
    /// Run time chosen by a batch workload, replacing the behaviour's `run`.
    pub run_override: Option<crate::engine::SimDuration>,
    /// Dynamic host ports assigned by the agent.
    pub dynamic_ports: Vec<u16>,
    /// Whether the task still holds CPU, memory and ports on its instance.
    pub holds_resources: bool,
    pub created_at: SimTime,
    pub started_at: Option<SimTime>,
    pub stopped_at: Option<SimTime>,
    pub stop_code: Option<StopCode>,
    pub stopped_reason: crate::name::Name,
    /// Bumped on every stop decision; events scheduled under an older epoch are stale.
    pub epoch: u32,
    /// Where it stands in its service's stop index (live tasks of a service that keeps one).
    pub stop_key: Option<crate::ecs::placement::stop_index::StopKey>,
}

pub use crate::elb::slow_start::FULL_WEIGHT;

/// Which health check condemned a task (LOAD-BALANCING §1.10 item 5: the stopped reason names it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Doom {
    /// An essential container's health check reported UNHEALTHY.
    ContainerHealth,
    /// The target in this target group (index) was unhealthy.
    TargetGroup(usize),
    /// Fargate retires the infrastructure under it (maintenance): replaced, then stopped.
    Retirement,
}

/// How a task counts in a service's numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TaskCounts {
    /// desiredStatus RUNNING: what the scheduler compares with desiredCount.
    pub live: bool,
    /// lastStatus before RUNNING and desired RUNNING (ECS's pendingCount).
    pub pending: bool,
    /// lastStatus RUNNING (ECS's runningCount).
    pub running: bool,
    pub healthy: bool,
    /// Live and marked for replacement after failing health checks.
    pub doomed: bool,
}

impl Task {
    pub fn counts(&self) -> TaskCounts {
        let live = self.desired_status == DesiredStatus::Running;
        TaskCounts {
            live,
            pending: live && self.last_status.is_pending(),
            running: self.last_status == LastStatus::Running,
            healthy: self.is_healthy(),
            doomed: live && self.doomed.is_some(),
        }
    }

    /// Counts toward minimumHealthyPercent (SCHEDULING.md §4.2, DESIGN.md §6): RUNNING, HEALTHY
    /// if an essential container has a health check, healthy in every target group if the
    /// service has load balancers; with neither, 40 s after RUNNING.
    pub fn is_healthy(&self) -> bool {
        self.last_status == LastStatus::Running
            && !self.host_lost
            && (!self.needs_container_health || self.container_health == Health::Healthy)
            && self.targets.iter().all(|(_, s)| *s == TargetState::Healthy)
            && (self.needs_container_health || !self.targets.is_empty() || self.aged)
    }

    /// Failing a container or target health check: a reason for replacement.
    pub fn is_unhealthy(&self) -> bool {
        self.container_health == Health::Unhealthy || self.targets.iter().any(|(_, s)| *s == TargetState::Unhealthy)
    }
}
