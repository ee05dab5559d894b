//! The control plane: the simulated world's state (the cluster, ECS's tasks and services, the
//! load balancers' target groups and data planes, the Auto Scaling groups, CloudWatch) and the
//! handlers that change it, one file per concept (task lifecycle, service scheduler, Auto Scaling,
//! faults, timeline). Sans-IO: a handler gets the time, the queue to schedule on and the random
//! streams as arguments ([`Ctx`]) and reports what changed as [`Notice`]s; it never prints, reads
//! files or looks at a clock. The engine loop that drives it is [`crate::sim`].
//!
//! Every task state change goes through [`State::update_task`] so the counters, the indexes and
//! the notices can never disagree with the tasks.

mod auto_scaling;
pub mod capacity_providers;
mod circuit_breaker;
mod daemon;
mod draining;
mod fargate;
pub mod faults;
pub mod load_balancing;
pub mod notice;
mod placement_explanation;
mod run_task;
mod scheduler;
pub mod service_auto_scaling;
pub mod settings;
pub mod standalone_provisioning;
mod state;
mod stop_selection;
mod task_health;
mod task_lifecycle;
mod throttle;
pub mod timeline;
pub mod workload;

pub use fargate::FARGATE_RETIREMENT;
pub use faults::{Fault, FaultSchedule};
pub use notice::{LogEntry, Notice, ProviderReading};
pub use settings::{CheckPhase, Settings};
pub use state::{State, deployment_id};
pub use timeline::{Action, InstanceTarget, Pick, TimelineEvent};
pub use workload::{Arrivals, Workload, WorkloadState};

use crate::ecs::container_health::Health;
use crate::elb::target_group::TargetState;
use crate::engine::{EventQueue, SimRng, SimTime, Stream};
use crate::ids::{GroupId, InstanceId, ServiceId, TaskId, ZoneId};

/// Everything that can happen at an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Advance a task to its next lifecycle state (pull done, started, stopped).
    TaskStep {
        task: TaskId,
        epoch: u32,
    },
    /// A RUNNING task without health checks reaches the 40 s mark.
    TaskHealthy {
        task: TaskId,
        epoch: u32,
    },
    /// The essential container exits on its own (batch work done) or crashes.
    TaskExit {
        task: TaskId,
        epoch: u32,
    },
    /// The task's health (its essential containers' aggregate) changes.
    ContainerHealth {
        task: TaskId,
        epoch: u32,
        health: Health,
    },
    /// One of the task's targets changes state in its target group.
    TargetHealth {
        task: TaskId,
        epoch: u32,
        index: u8,
        state: TargetState,
    },
    /// The health check grace period of an unhealthy task ends.
    GraceEnd {
        task: TaskId,
        epoch: u32,
    },
    /// The service scheduler looks at one service.
    Reconcile(ServiceId),
    /// The Auto Scaling group starts launching an instance.
    AsgLaunch {
        group: GroupId,
        zone: Option<ZoneId>,
    },
    /// A launched instance's agent registers with the cluster.
    InstanceRegistered {
        group: GroupId,
        zone: ZoneId,
        /// Which of the group's types EC2 launched.
        kind: u8,
    },
    /// A seeded stochastic failure.
    InstanceFailure(InstanceId),
    /// A windowed fault (`[[faults]]` with `count`) strikes: which instance is drawn now.
    FaultStrike(usize),
    /// ECS notices that an instance is gone and stops its tasks.
    InstanceLost(InstanceId),
    /// EC2 sends a Spot interruption notice (seeded).
    SpotNotice(InstanceId),
    /// Two minutes after the notice EC2 reclaims the instance.
    SpotTermination(InstanceId),
    /// The deadline of an EC2 scheduled retirement.
    Retirement(InstanceId),
    ZoneRecovered(ZoneId),
    /// A capacity provider's CapacityProviderReservation datapoint (managed scaling).
    ManagedScaling(u16),
    /// A RunTask task (by its serial) has waited its time in PROVISIONING.
    StandaloneProvisioningTimeout(u32),
    /// A task has waited its time in PROVISIONING.
    ProvisioningTimeout {
        service: ServiceId,
        serial: u32,
    },
    /// Managed draining's lifecycle hook times out: the instance is terminated, drained or not.
    DrainedTermination(InstanceId),
    /// The Auto Scaling group's health check of an impaired instance: past the tolerance and the
    /// grace period it is replaced.
    AsgHealthCheck(InstanceId),
    /// Fargate retires the infrastructure under the tasks announced at `noticed`.
    FargateRetirement {
        service: Option<ServiceId>,
        noticed: SimTime,
    },
    /// A seeded Fargate Spot reclaim of a task (stale if the task moved on).
    SpotReclaim {
        task: TaskId,
        epoch: u32,
    },
    /// A window without Fargate capacity ends (`zone` `None`: every zone).
    FargateCapacityBack {
        group: GroupId,
        zone: Option<ZoneId>,
    },
    /// A scripted timeline entry.
    Timeline(usize),
    /// A target in slow start takes its next step up.
    SlowStartStep {
        task: TaskId,
        epoch: u32,
        index: u8,
    },
    /// A task's app stops answering requests (its build fails the load balancer's checks).
    AppBreaks {
        task: TaskId,
        epoch: u32,
    },
    /// The `insufficient_capacity` window of timeline event `i` ends.
    CapacityBack(usize),
    /// The next task of a batch workload arrives.
    Arrival(usize),
    /// A batch workload's queue tries to place its head (capacity may have freed).
    Dispatch(usize),
    /// A minute of CloudWatch metrics ends: Service Auto Scaling's alarms and policies look.
    MetricMinute,
    /// A scheduled action (by index) fires.
    ScheduledAction(u16),
    /// `measure_from`: the data planes report up to here.
    MeasureStart,
}

/// The random streams, one per consumer (DESIGN.md §2).
pub struct Rngs {
    pub placement: SimRng,
    pub startup: SimRng,
    pub runtime: SimRng,
    pub failures: SimRng,
    pub timeline: SimRng,
    pub health: SimRng,
    pub workload: SimRng,
}

impl Rngs {
    pub fn new(seed: u64) -> Rngs {
        Rngs {
            placement: SimRng::new(seed, Stream::Placement),
            startup: SimRng::new(seed, Stream::Startup),
            runtime: SimRng::new(seed, Stream::Runtime),
            failures: SimRng::new(seed, Stream::Failures),
            timeline: SimRng::new(seed, Stream::Timeline),
            health: SimRng::new(seed, Stream::Health),
            workload: SimRng::new(seed, Stream::Workload),
        }
    }
}

/// What a handler gets: the time, the queue to schedule on, randomness, and the outbox for the
/// observer.
pub struct Ctx<'a> {
    pub now: SimTime,
    pub queue: &'a mut EventQueue<Event>,
    pub rng: &'a mut Rngs,
    pub notices: &'a mut Vec<Notice>,
}

impl Ctx<'_> {
    pub fn at(&mut self, time: SimTime, event: Event) {
        self.queue.schedule(time, event);
    }

    pub fn notice(&mut self, n: impl Into<Notice>) {
        self.notices.push(n.into());
    }
}
