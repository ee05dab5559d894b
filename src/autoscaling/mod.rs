//! Service Auto Scaling: Application Auto Scaling on an ECS service's desired count
//! (LOAD-BALANCING-AND-CAPACITY.md §4), in Application Auto Scaling's own shapes: scalable targets
//! (RegisterScalableTarget), target-tracking and step-scaling policies (PutScalingPolicy), the
//! CloudWatch alarms step scaling hangs on (PutMetricAlarm) and scheduled actions
//! (PutScheduledAction). Pure decisions: the simulation hands in each minute's metrics and the
//! current desired count, and sets what comes back.

pub mod alarm;
pub mod cloudwatch;
pub mod policy;
pub mod schedule;

use crate::engine::{SimDuration, SimTime};
use crate::ids::ServiceId;

/// A metric a policy or alarm reads, one datapoint a minute (CloudWatch's 1-minute metrics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// ECSServiceAverageCPUUtilization (AWS/ECS CPUUtilization): percent, averaged over the
    /// service's tasks that answer.
    Cpu(ServiceId),
    /// ECSServiceAverageMemoryUtilization (AWS/ECS MemoryUtilization).
    Memory(ServiceId),
    /// ALBRequestCountPerTarget (AWS/ApplicationELB RequestCountPerTarget): the minute's
    /// requests over the target group's routable targets.
    RequestCountPerTarget(usize),
    /// AWS/ApplicationELB RequestCount: the minute's requests.
    RequestCount(usize),
}

/// What kind of scaling activity changed a desired count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    ScaleOut,
    ScaleIn,
    Scheduled,
}

/// RegisterScalableTarget on `ecs:service:DesiredCount`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalableTarget {
    pub service: ServiceId,
    pub min_capacity: u32,
    pub max_capacity: u32,
    /// SuspendedState: which activities are suspended.
    pub dynamic_scaling_in_suspended: bool,
    pub dynamic_scaling_out_suspended: bool,
    pub scheduled_scaling_suspended: bool,
}

/// PutScalingPolicy's TargetTrackingScalingPolicyConfiguration.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetTracking {
    pub target_value: f64,
    pub metric: Metric,
    pub scale_out_cooldown: SimDuration,
    pub scale_in_cooldown: SimDuration,
    pub disable_scale_in: bool,
}

/// How a step's ScalingAdjustment is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdjustmentType {
    ChangeInCapacity,
    ExactCapacity,
    PercentChangeInCapacity,
}

/// A StepAdjustment: bounds relative to the alarm's threshold (`None`: unbounded).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepAdjustment {
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub scaling_adjustment: i64,
}

/// How datapoints are combined (an alarm's Statistic, a step policy's MetricAggregationType).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Statistic {
    Average,
    Minimum,
    Maximum,
    Sum,
}

/// PutScalingPolicy's StepScalingPolicyConfiguration.
#[derive(Clone, Debug, PartialEq)]
pub struct StepScaling {
    pub adjustment_type: AdjustmentType,
    pub steps: Vec<StepAdjustment>,
    pub min_adjustment_magnitude: Option<u32>,
    pub cooldown: SimDuration,
    pub aggregation: Statistic,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PolicyKind {
    TargetTracking(TargetTracking),
    Step(StepScaling),
}

/// A scaling policy on a service's scalable target.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingPolicy {
    pub name: String,
    pub service: ServiceId,
    pub kind: PolicyKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    GreaterThanOrEqual,
    GreaterThan,
    LessThan,
    LessThanOrEqual,
}

impl Comparison {
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::GreaterThanOrEqual => value >= threshold,
            Comparison::GreaterThan => value > threshold,
            Comparison::LessThan => value < threshold,
            Comparison::LessThanOrEqual => value <= threshold,
        }
    }
}

/// TreatMissingData.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingData {
    Missing,
    NotBreaching,
    Breaching,
    Ignore,
}

/// PutMetricAlarm, for a step scaling policy (its AlarmActions name the policies it invokes).
#[derive(Clone, Debug, PartialEq)]
pub struct MetricAlarm {
    pub name: String,
    pub metric: Metric,
    pub statistic: Statistic,
    /// Period in whole minutes.
    pub period_minutes: u32,
    pub evaluation_periods: u32,
    pub datapoints_to_alarm: u32,
    pub threshold: f64,
    pub comparison: Comparison,
    pub missing: MissingData,
    /// Indices into the scenario's scaling policies.
    pub actions: Vec<usize>,
}

/// PutScheduledAction.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledAction {
    pub name: String,
    pub service: ServiceId,
    pub schedule: schedule::Schedule,
    pub start: Option<SimTime>,
    pub end: Option<SimTime>,
    pub min_capacity: Option<u32>,
    pub max_capacity: Option<u32>,
}

/// Which desired count target tracking's formula scales from (\[INFER\], §4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapacityBasis {
    /// The service's desired count (the spec's formula).
    Desired,
    /// The tasks the metric averaged over in its minute (the load measured, over the target).
    Measured,
}

/// The model choices of target tracking (§4.2 \[OBS\]/\[INFER\]), as settings with the spec's
/// defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TargetTrackingSettings {
    /// The high alarm: metric above target for this many 1-minute datapoints in a row (3).
    pub high_datapoints: u32,
    /// The low alarm: below `low_ratio` × target for this many (15).
    pub low_datapoints: u32,
    pub low_ratio: f64,
    pub capacity_basis: CapacityBasis,
    /// At most this percent of the desired count is removed by one scale-in (100: no limit;
    /// AWS may remove less per step).
    pub scale_in_limit_percent: f64,
}

impl Default for TargetTrackingSettings {
    fn default() -> Self {
        TargetTrackingSettings {
            high_datapoints: 3,
            low_datapoints: 15,
            low_ratio: 0.9,
            capacity_basis: CapacityBasis::Desired,
            scale_in_limit_percent: 100.0,
        }
    }
}

/// Everything Service Auto Scaling has in a scenario.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AutoScaling {
    pub targets: Vec<ScalableTarget>,
    pub policies: Vec<ScalingPolicy>,
    pub alarms: Vec<MetricAlarm>,
    pub scheduled: Vec<ScheduledAction>,
}

impl AutoScaling {
    /// Whether anything reads per-minute metrics (then a minute tick runs).
    pub fn reads_metrics(&self) -> bool {
        !self.policies.is_empty()
    }

    /// Every metric some policy or alarm reads, each once (CloudWatch keeps one history each).
    pub fn metrics(&self) -> Vec<Metric> {
        let mut out: Vec<Metric> = Vec::new();
        let read = (self.policies.iter())
            .filter_map(|p| match &p.kind {
                PolicyKind::TargetTracking(t) => Some(t.metric),
                PolicyKind::Step(_) => None,
            })
            .chain(self.alarms.iter().map(|a| a.metric));
        for m in read {
            if !out.contains(&m) {
                out.push(m);
            }
        }
        out
    }
}
