//! The observer: receives every state change the control plane reports ([`Notice`]), keeps the
//! per-service step function (timeseries rows), integrates the metrics of DESIGN.md §6, and keeps
//! the event log. It never reaches back into the simulation.

mod metrics;
mod target_groups;

pub use metrics::{Accum, Values};
use target_groups::TargetGroupObs;
pub use target_groups::TargetGroupResult;

use crate::ecs::service::ServiceStats;
use crate::ecs::task::TaskCounts;
use crate::elb::target_group::TargetState;
use crate::engine::{SimDuration, SimTime};
use crate::ids::{InstanceId, ServiceId, TaskDefId, ZoneId};
use crate::name::Name;
use crate::scenario::Scenario;
use metrics::ServiceObs;

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
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// A service task's counts changed (before and after).
    TaskCounts {
        service: ServiceId,
        instance: InstanceId,
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

/// One timeseries row: a service's values from `time` until its next row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub time: SimTime,
    pub service: ServiceId,
    pub values: Values,
    /// Running and healthy tasks per task definition revision (those with any).
    pub revisions: Vec<RevisionCounts>,
    /// Healthy targets in each of the service's target groups (index, count).
    pub healthy_targets: Vec<(usize, u32)>,
}

/// Running and healthy tasks of one task definition revision.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RevisionCounts {
    pub task_definition: TaskDefId,
    pub running: u32,
    pub healthy: u32,
}

/// A deployment as the report shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct DeploymentReport {
    pub id: String,
    pub task_definition: String,
    pub status: &'static str,
    pub rollout_state: &'static str,
    pub started: SimTime,
    pub finished: Option<SimTime>,
    pub rolled_back: bool,
    pub is_rollback: bool,
    pub failed_tasks: u32,
}

/// What the control plane knows of a service at the end: counters and deployments.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceOutcome {
    pub stats: ServiceStats,
    pub deployments: Vec<DeploymentReport>,
}

/// A service's results.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceResult {
    pub name: String,
    /// Over the measured time (or the whole run if steady state was never reached).
    pub accum: Accum,
    pub stats: ServiceStats,
    pub deployments: Vec<DeploymentReport>,
}

/// A batch workload's outcome: arrivals, tasks placed, and their queueing delays.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadResult {
    pub name: String,
    pub arrived: u32,
    pub started: u32,
    /// Still queued at the end of the run: never started.
    pub never_started: u32,
    /// Queueing delay percentiles (nearest rank) and maximum, ms.
    pub delay_ms_p50: u64,
    pub delay_ms_p95: u64,
    pub delay_ms_max: u64,
}

impl WorkloadResult {
    pub fn new(name: &str, arrived: u32, never_started: u32, delays_ms: &[u64]) -> WorkloadResult {
        let mut d = delays_ms.to_vec();
        d.sort_unstable();
        let pct = |p: usize| if d.is_empty() { 0 } else { d[(d.len() * p).div_ceil(100).clamp(1, d.len()) - 1] };
        WorkloadResult {
            name: name.to_string(),
            arrived,
            started: d.len() as u32,
            never_started,
            delay_ms_p50: pct(50),
            delay_ms_p95: pct(95),
            delay_ms_max: d.last().copied().unwrap_or(0),
        }
    }
}

/// What a run produced, ready for the report writer.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    pub scenario_name: String,
    pub scenario_file: String,
    pub scenario_sha256: String,
    pub seed: u64,
    pub simulated: SimDuration,
    pub events: u64,
    /// When the measured time began; `None` if the services never all reached steady state (the
    /// metrics then cover the whole run).
    pub measure_start: Option<SimTime>,
    pub services: Vec<ServiceResult>,
    pub target_groups: Vec<TargetGroupResult>,
    pub workloads: Vec<WorkloadResult>,
    /// Standalone tasks (RunTask, StartTask) launched, and the failures by reason.
    pub standalone_tasks: u32,
    /// Of those, the ones whose essential container exited after doing its work.
    pub standalone_completed: u32,
    pub run_task_failures: Vec<(String, u32)>,
    pub rows: Vec<Row>,
    pub log: Vec<(SimTime, LogEntry)>,
    /// Cluster CPU and memory registered and reserved over time (a step function, at most
    /// about 2,000 steps).
    pub usage: Vec<(SimTime, crate::cluster::Usage)>,
}

pub struct Observer {
    scenario_name: String,
    scenario_file: String,
    scenario_sha256: String,
    seed: u64,
    services: Vec<ServiceObs>,
    target_groups: Vec<TargetGroupObs>,
    /// Set from `measure_from`, or when every service has first reached steady state.
    measure_start: Option<SimTime>,
    fixed_measure_start: bool,
    rows: Vec<Row>,
    log: Vec<(SimTime, LogEntry)>,
    usage: Vec<(SimTime, crate::cluster::Usage)>,
    usage_step_ms: u64,
}

impl Observer {
    pub fn new(scenario: &Scenario, seed: u64) -> Observer {
        Observer {
            scenario_name: scenario.name.clone(),
            scenario_file: scenario.file.clone(),
            scenario_sha256: scenario.sha256.clone(),
            seed,
            services: scenario
                .services
                .iter()
                .map(|s| ServiceObs::new(&s.name, s.minimum_healthy_percent, scenario.zones.len()))
                .collect(),
            target_groups: scenario
                .target_groups
                .iter()
                .enumerate()
                .map(|(g, tg)| {
                    let users = scenario
                        .services
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| s.load_balancers.iter().any(|lb| lb.target_group == g))
                        .map(|(i, _)| i)
                        .collect();
                    TargetGroupObs::new(&tg.name, users)
                })
                .collect(),
            measure_start: scenario.measure_from.map(|d| SimTime(d.0)),
            fixed_measure_start: scenario.measure_from.is_some(),
            rows: Vec::new(),
            log: Vec::new(),
            usage: Vec::new(),
            usage_step_ms: scenario.duration.0 / 2000,
        }
    }

    /// Takes the notices of the current instant.
    pub fn absorb(&mut self, now: SimTime, notices: &mut Vec<Notice>) {
        for n in notices.drain(..) {
            match n {
                Notice::TaskCounts { service, instance, zone, task_definition, before, after } => {
                    self.services[service.index()].task_counts(instance, zone, task_definition, before, after)
                }
                Notice::Target { service, target_group, before, after } => {
                    self.target_groups[target_group].moved(before, after);
                    self.services[service.index()].touch();
                    for &other in &self.target_groups[target_group].services {
                        self.services[other].touch();
                    }
                }
                Notice::DesiredCount { service, desired } => self.services[service.index()].set_desired(desired),
                Notice::Steady { service, steady } => {
                    let s = &mut self.services[service.index()];
                    s.steady_ever |= steady;
                }
                Notice::ClusterUsage(u) => {
                    // At most about 2,000 samples a run: within one step of the grid the latest
                    // value stands for it (the plot cannot show more).
                    match self.usage.last_mut() {
                        Some((t, last)) if now.since(*t).0 < self.usage_step_ms => *last = u,
                        _ => self.usage.push((now, u)),
                    }
                }
                Notice::Log(entry) => self.log.push((now, entry)),
            }
        }
    }

    /// Whether an instant without notices can be skipped: the measured time's start is known.
    /// Nothing else changes the records without a notice: a service is integrated only when
    /// its values change, and a target group's integrals are whole milliseconds, which closing
    /// an instant later splits no differently.
    pub fn settled(&self) -> bool {
        self.measure_start.is_some() || self.fixed_measure_start
    }

    /// Closes the instant `now`: records changed values and integrates the previous ones.
    pub fn flush(&mut self, now: SimTime) {
        if self.measure_start.is_none() && !self.fixed_measure_start && self.services.iter().all(|s| s.steady_ever) {
            self.measure_start = Some(now);
        }
        for tg in &mut self.target_groups {
            tg.flush(now, self.measure_start, &mut self.log);
        }
        for (i, s) in self.services.iter_mut().enumerate() {
            let targets: Vec<(usize, u32)> = self
                .target_groups
                .iter()
                .enumerate()
                .filter(|(_, tg)| tg.services.contains(&i))
                .map(|(g, tg)| (g, tg.healthy))
                .collect();
            if let Some(snap) = s.take_changed(targets) {
                s.advance(now, self.measure_start);
                s.last = Some(snap.values);
                self.rows.push(Row {
                    time: now,
                    service: ServiceId(i as u16),
                    values: snap.values,
                    revisions: snap.revisions,
                    healthy_targets: snap.healthy_targets,
                });
            }
        }
    }

    pub fn finish(mut self, end: SimTime, events: u64, outcomes: Vec<ServiceOutcome>) -> RunResult {
        let measured = self.measure_start.filter(|&t| t <= end);
        let services = self
            .services
            .iter_mut()
            .zip(outcomes)
            .map(|(s, outcome)| {
                s.advance(end, measured);
                ServiceResult {
                    name: s.name.clone(),
                    accum: if measured.is_some() { s.measured.clone() } else { s.all.clone() },
                    stats: outcome.stats,
                    deployments: outcome.deployments,
                }
            })
            .collect();
        let target_groups = self
            .target_groups
            .iter_mut()
            .map(|tg| {
                tg.advance(end, measured);
                tg.result(measured.is_some())
            })
            .collect();
        RunResult {
            workloads: Vec::new(),
            standalone_tasks: 0,
            standalone_completed: 0,
            run_task_failures: Vec::new(),
            target_groups,
            scenario_name: self.scenario_name,
            scenario_file: self.scenario_file,
            scenario_sha256: self.scenario_sha256,
            seed: self.seed,
            simulated: SimDuration(end.0),
            events,
            measure_start: measured,
            services,
            rows: self.rows,
            log: self.log,
            usage: self.usage,
        }
    }
}
