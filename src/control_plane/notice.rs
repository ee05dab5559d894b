//! What the control plane reports: every state change the observer records ([`Notice`]) and the
//! lines of the event log, in ECS's style ([`LogEntry`]).

use crate::ecs::task::TaskCounts;
use crate::elb::target_group::TargetState;
use crate::ids::{InstanceId, ServiceId, TaskDefId, ZoneId};
use crate::name::Name;

/// One entry of the event log, in ECS's style.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogEntry {
    pub kind: &'static str,
    pub service: Name,
    pub task: Name,
    pub instance: Name,
    pub message: String,
}

impl LogEntry {
    pub fn service(mut self, s: impl Into<Name>) -> Self {
        self.service = s.into();
        self
    }
    pub fn task(mut self, t: impl Into<Name>) -> Self {
        self.task = t.into();
        self
    }
    pub fn instance(mut self, i: impl Into<Name>) -> Self {
        self.instance = i.into();
        self
    }
    pub fn message(mut self, m: String) -> Self {
        self.message = m;
        self
    }
}

/// A state change reported by the control plane.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// A service task's counts changed (before and after). `instance` is `None` for a task that
    /// is its own host (Fargate).
    TaskCounts {
        service: ServiceId,
        instance: Option<InstanceId>,
        zone: ZoneId,
        task_definition: TaskDefId,
        before: TaskCounts,
        after: TaskCounts,
    },
    /// A service task's target moved between states (`before` is `None` on registration).
    Target {
        service: ServiceId,
        target_group: usize,
        before: Option<TargetState>,
        after: TargetState,
    },
    DesiredCount {
        service: ServiceId,
        desired: u32,
    },
    Steady {
        service: ServiceId,
        steady: bool,
    },
    /// The cluster's registered and reserved CPU and memory changed.
    ClusterUsage(crate::cluster::Usage),
    /// An instance group's live instances or reserved CPU and memory changed (at the end of an
    /// instant).
    GroupUsage {
        group: crate::ids::GroupId,
        instances: u32,
        usage: crate::cluster::Usage,
    },
    /// An EC2 group's live instances of one of its types changed (at the end of an instant).
    InstanceTypeLive {
        group: crate::ids::GroupId,
        kind: u8,
        instances: u32,
    },
    /// A target group with traffic: what its requests did over a stretch of time (its data
    /// plane reports at the end of an instant in which its targets changed, each minute it is
    /// metered, and wherever the measured time can start).
    Requests {
        target_group: usize,
        stretch: Box<crate::elb::data_plane::Stretch>,
    },
    /// Service Auto Scaling changed a service's desired count.
    ScalingActivity {
        service: ServiceId,
        activity: crate::autoscaling::Activity,
    },
    /// A capacity provider's managed-scaling datapoint, when it differs from the last one.
    CapacityProvider(ProviderReading),
    /// A task left PROVISIONING: placed on an instance, or given up (timeout, scale-in).
    Provisioned {
        provider: usize,
        waited: crate::engine::SimDuration,
        placed: bool,
    },
    /// Managed scaling changed a group's desired capacity by `instances`.
    Scaled {
        provider: usize,
        out: bool,
        instances: u32,
    },
    Log(LogEntry),
}

impl Notice {
    pub fn log(kind: &'static str) -> LogEntry {
        LogEntry { kind, ..LogEntry::default() }
    }
}

impl From<LogEntry> for Notice {
    fn from(e: LogEntry) -> Notice {
        Notice::Log(e)
    }
}

/// A capacity provider's state at a managed-scaling datapoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProviderReading {
    pub provider: usize,
    /// CapacityProviderReservation, in hundredths of a percent.
    pub cpr_hundredths: u32,
    /// Registered instances of the group.
    pub instances: u32,
    /// The group's desired capacity.
    pub desired: u32,
    pub provisioning: u32,
}
