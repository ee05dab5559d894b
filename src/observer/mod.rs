//! The observer: receives every state change the control plane reports ([`Notice`]), keeps the
//! per-service step function (timeseries rows), integrates the metrics of DESIGN.md §6, and keeps
//! the event log. It never reaches back into the simulation.

pub mod capacity_providers;
pub mod history;
pub mod log_digest;
mod metrics;
pub mod plot_series;
pub mod recovery;
pub mod requests;
mod target_groups;
pub mod usage;

pub use crate::control_plane::notice::{LogEntry, Notice, ProviderReading};
pub use history::{Discarded, History, Kept};
pub use log_digest::LogDigest;
pub use recovery::{Disruption, ServiceImpact};

pub use metrics::{Accum, Values};
use target_groups::TargetGroupObs;
pub use target_groups::{TargetCounts, TargetGroupResult};

use crate::ecs::service::ServiceStats;
use crate::elb::data_plane::Utilization;
use crate::engine::{SimDuration, SimTime};
use crate::ids::{ServiceId, TaskDefId};
use crate::scenario::Scenario;
use metrics::ServiceObs;

/// One timeseries row: a service's values from `time` until its next row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Row {
    pub time: SimTime,
    pub service: ServiceId,
    pub values: Values,
}

/// One revisions.csv row: a service's running and healthy tasks of one task definition revision
/// from `time` until that revision's next row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevisionRow {
    pub time: SimTime,
    pub service: ServiceId,
    pub counts: RevisionCounts,
}

/// One target_groups.csv row: a target group's targets by state from `time` until its next row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TargetGroupRow {
    pub time: SimTime,
    /// Index into the scenario's target groups.
    pub target_group: usize,
    pub counts: TargetCounts,
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
    /// Service Auto Scaling's activities (scale-out, scale-in, scheduled), for a service with a
    /// scalable target.
    pub activities: Option<[u32; 3]>,
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
    /// Per target group, its requests over the measured time (None without traffic).
    pub requests: Vec<Option<crate::elb::routing::Outcome>>,
    /// Per service, the requests of its target groups with traffic that were its to answer.
    pub service_requests: Vec<Option<crate::elb::routing::Outcome>>,
    /// The largest gap, in requests, between requests offered and served plus failed over any
    /// stretch of any target group (conservation: rounding only).
    pub request_conservation_error: f64,
    /// Per target group with traffic, its requests minute by minute over the whole run.
    pub request_minutes: Vec<Option<Vec<requests::Minute>>>,
    /// Per service behind a target group with traffic, its tasks' utilization minute by minute
    /// (CloudWatch's ECSServiceAverageCPUUtilization and ...MemoryUtilization).
    pub utilization: Vec<Option<Vec<Utilization>>>,
    /// Per service behind a target group with traffic, its requests failed as overload minute
    /// by minute.
    pub service_overload_minutes: Vec<Option<Vec<f64>>>,
    /// Per service, whether its task definition gives `capacity_rps` (its CPU follows load).
    pub cpu_known: Vec<bool>,
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
    /// Every service's step function, with a closing row per service at the end of the run
    /// (empty unless the run's [`History`] keeps it: [`Kept`]).
    pub rows: Vec<Row>,
    /// Per service and revision, likewise.
    pub revision_rows: Vec<RevisionRow>,
    /// Per target group, likewise.
    pub target_group_rows: Vec<TargetGroupRow>,
    /// The event log, likewise.
    pub log: Vec<(SimTime, LogEntry)>,
    /// Per service, its rows reduced to what a plot shows (every row of a short run; per pixel
    /// column of a long one, its extremes).
    pub plot_rows: Vec<Vec<Row>>,
    /// What the report page shows of the event log.
    pub log_digest: LogDigest,
    /// Every disruption and how each service went through it.
    pub disruptions: Vec<Disruption>,
    /// Cluster CPU and memory registered and reserved over time (a step function, at most
    /// about 2,000 steps).
    pub usage: Vec<(SimTime, crate::cluster::Usage)>,
    /// Per capacity provider: scaling, PROVISIONING waits, and its datapoints.
    pub capacity_providers: Vec<capacity_providers::ProviderResult>,
    /// Per instance group (Fargate's stand-ins included): instance-hours, vCPU- and GB-hours.
    pub groups: Vec<usage::GroupUsageResult>,
    /// Live EC2 instances over time (a step function): what time to capacity reads.
    pub instances: Vec<(SimTime, u32)>,
}

pub struct Observer<H: History = Kept> {
    /// Where rows and log lines go as they are made.
    history: H,
    /// Per service, the time of its last row (and of each revision's, and each target group's):
    /// what the closing rows at the end need.
    service_last: Vec<Option<SimTime>>,
    revision_last: std::collections::BTreeMap<(ServiceId, TaskDefId), SimTime>,
    group_last: Vec<Option<SimTime>>,
    plot_series: Vec<plot_series::PlotSeries>,
    log_digest: LogDigest,
    recovery: recovery::RecoveryObs,
    scenario_name: String,
    scenario_file: String,
    scenario_sha256: String,
    seed: u64,
    services: Vec<ServiceObs>,
    target_groups: Vec<TargetGroupObs>,
    /// Set from `measure_from`, or when every service has first reached steady state.
    measure_start: Option<SimTime>,
    fixed_measure_start: bool,
    cpu_known: Vec<bool>,
    /// The services and target groups a notice touched since the last flush (each listed once):
    /// a flush costs what changed, not the cluster's size.
    touched_services: Touched,
    touched_groups: Touched,
    usage: Vec<(SimTime, crate::cluster::Usage)>,
    usage_step_ms: u64,
    providers: Vec<capacity_providers::ProviderObs>,
    groups: Vec<usage::GroupObs>,
    /// Live EC2 instances (Fargate's stand-ins left out) whenever the count changes.
    instances: Vec<(SimTime, u32)>,
    /// Each provider's group (whose usage gives its instance-hours) and initial instances.
    provider_groups: Vec<(usize, u32)>,
    /// Per target group with traffic, its requests.
    requests: Vec<Option<requests::RequestObs>>,
}

impl Observer {
    pub fn new(scenario: &Scenario, seed: u64) -> Observer {
        Observer::with_history(scenario, seed, Kept::default())
    }
}

impl<H: History> Observer<H> {
    /// An observer whose rows and log lines go to `history`.
    pub fn with_history(scenario: &Scenario, seed: u64, history: H) -> Observer<H> {
        let services = scenario.services.len();
        Observer {
            history,
            service_last: vec![None; services],
            revision_last: Default::default(),
            group_last: vec![None; scenario.target_groups.len()],
            plot_series: (0..services).map(|_| plot_series::PlotSeries::new(scenario.duration.0)).collect(),
            log_digest: LogDigest::default(),
            recovery: recovery::RecoveryObs::new(services),
            scenario_name: scenario.name.clone(),
            scenario_file: scenario.file.clone(),
            scenario_sha256: scenario.sha256.clone(),
            seed,
            services: scenario
                .services
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let mut o = ServiceObs::new(&s.name, s.minimum_healthy_percent, scenario.zones.len());
                    let scaled = scenario.auto_scaling.targets.iter().any(|t| t.service.index() == i);
                    o.activities = scaled.then_some([0; 3]);
                    o
                })
                .collect(),
            target_groups: scenario.target_groups.iter().map(|tg| TargetGroupObs::new(&tg.name)).collect(),
            measure_start: scenario.measure_from.map(|d| SimTime(d.0)),
            fixed_measure_start: scenario.measure_from.is_some(),
            // Every service records its first row.
            touched_services: Touched::all(scenario.services.len()),
            touched_groups: Touched::all(scenario.target_groups.len()),
            cpu_known: (scenario.services.iter())
                .map(|s| scenario.task_definitions[s.task_definition.index()].behavior.capacity_rps.is_some())
                .collect(),
            usage: Vec::new(),
            usage_step_ms: scenario.duration.0 / 2000,
            groups: scenario
                .groups
                .iter()
                .map(|g| usage::GroupObs::new(&g.name, g.types.iter().map(|t| t.name.as_str()), g.fargate))
                .collect(),
            instances: Vec::new(),
            // The scenario's own providers; FARGATE and FARGATE_SPOT come after them and report
            // no scaling.
            providers: scenario
                .capacity_providers
                .iter()
                .filter(|cp| !cp.is_fargate())
                .map(|cp| capacity_providers::ProviderObs::new(&cp.name))
                .collect(),
            provider_groups: scenario
                .capacity_providers
                .iter()
                .filter(|cp| !cp.is_fargate())
                .map(|cp| (cp.group.index(), scenario.groups[cp.group.index()].count))
                .collect(),
            requests: requests_of(scenario),
        }
    }

    /// Takes the notices of the current instant.
    pub fn absorb(&mut self, now: SimTime, notices: &mut Vec<Notice>) {
        for n in notices.drain(..) {
            match n {
                Notice::TaskCounts { service, instance, zone, task_definition, before, after } => {
                    self.touched_services.touch(service.index());
                    self.services[service.index()].task_counts(instance, zone, task_definition, before, after)
                }
                Notice::Target { target_group, before, after, .. } => {
                    self.touched_groups.touch(target_group);
                    self.target_groups[target_group].moved(before, after)
                }
                Notice::DesiredCount { service, desired } => {
                    self.touched_services.touch(service.index());
                    self.services[service.index()].set_desired(desired)
                }
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
                Notice::Log(entry) => self.log(now, entry),
                Notice::Requests { target_group, stretch } => {
                    if let Some(r) = self.requests[target_group].as_mut() {
                        r.add(&stretch, self.measure_start);
                    }
                }
                Notice::CapacityProvider(r) => self.providers[r.provider].reading(now, r),
                Notice::InstanceTypeLive { group, kind, instances } => {
                    self.groups[group.index()].type_changed(now, kind, instances)
                }
                Notice::GroupUsage { group, instances, usage } => {
                    let g = &mut self.groups[group.index()];
                    if !g.fargate {
                        let total = self.instances.last().map_or(0, |(_, n)| *n) + instances - g.instances();
                        match self.instances.last_mut() {
                            Some((t, n)) if *t == now => *n = total,
                            _ => self.instances.push((now, total)),
                        }
                    }
                    g.changed(now, instances, usage)
                }
                Notice::Provisioned { provider, waited, placed } => {
                    self.providers[provider].provisioned(waited, placed)
                }
                Notice::Scaled { provider, out, instances } => self.providers[provider].scaled(out, instances),
                Notice::ScalingActivity { service, activity } => {
                    self.services[service.index()].scaling_activity(activity)
                }
            }
        }
    }

    /// Event-log lines so far.
    pub fn log_len(&self) -> usize {
        self.log_digest.total as usize
    }

    fn log(&mut self, now: SimTime, entry: LogEntry) {
        self.recovery.log(now, &entry);
        self.log_digest.add(now, &entry);
        self.history.log(now, entry);
    }

    fn row(&mut self, row: Row) {
        self.service_last[row.service.index()] = Some(row.time);
        self.recovery.row(&row);
        self.plot_series[row.service.index()].push(row);
        self.history.row(row);
    }

    fn revision_row(&mut self, row: RevisionRow) {
        self.revision_last.insert((row.service, row.counts.task_definition), row.time);
        self.history.revision_row(row);
    }

    fn target_group_row(&mut self, row: TargetGroupRow) {
        self.group_last[row.target_group] = Some(row.time);
        self.history.target_group_row(row);
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
        // A target group or service nothing touched has nothing to record: its integrals are
        // carried up to the next change (or the end of the run) exactly.
        for g in self.touched_groups.take() {
            let (counts, line) = self.target_groups[g].flush(now, self.measure_start);
            if let Some(entry) = line {
                self.log(now, entry);
            }
            if let Some(counts) = counts {
                self.target_group_row(TargetGroupRow { time: now, target_group: g, counts });
            }
        }
        for i in self.touched_services.take() {
            let s = &mut self.services[i];
            let service = ServiceId(i as u16);
            let (values, revisions) = s.take_changed();
            if let Some(values) = values {
                s.advance(now, self.measure_start);
                s.last = Some(values);
                self.row(Row { time: now, service, values });
            }
            for counts in revisions {
                self.revision_row(RevisionRow { time: now, service, counts });
            }
        }
    }

    /// Closing rows at `end` for every series whose last row is earlier, so step plots and
    /// time-weighted means cover the whole run. One pass over each kind of row.
    fn close_series(&mut self, end: SimTime) {
        let before_end = |t: Option<&SimTime>| t.is_some_and(|t| *t < end);
        for i in 0..self.services.len() {
            let service = ServiceId(i as u16);
            if let (Some(values), true) = (self.services[i].last, before_end(self.service_last[i].as_ref())) {
                self.row(Row { time: end, service, values });
            }
            let closing: Vec<RevisionCounts> = (self.services[i].live_revisions())
                .filter(|c| before_end(self.revision_last.get(&(service, c.task_definition))))
                .copied()
                .collect();
            for counts in closing {
                self.history.revision_row(RevisionRow { time: end, service, counts });
            }
        }
        for g in 0..self.target_groups.len() {
            if let (Some(counts), true) = (self.target_groups[g].last, before_end(self.group_last[g].as_ref())) {
                self.history.target_group_row(TargetGroupRow { time: end, target_group: g, counts });
            }
        }
    }

    /// The run's results, and its history (rows and lines it did not keep in the result).
    pub fn finish(mut self, end: SimTime, events: u64, outcomes: Vec<ServiceOutcome>) -> (RunResult, H) {
        self.close_series(end);
        let measured = self.measure_start.filter(|&t| t <= end);
        let services = self
            .services
            .iter_mut()
            .zip(outcomes)
            .map(|(s, outcome)| {
                s.advance(end, measured);
                ServiceResult {
                    name: s.name.clone(),
                    activities: s.activities,
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
        let groups: Vec<usage::GroupUsageResult> = self.groups.into_iter().map(|g| g.result(end)).collect();
        let pick = |r: &requests::RequestObs| if measured.is_some() { r.measured } else { r.total };
        let mut service_requests: Vec<Option<crate::elb::routing::Outcome>> = vec![None; self.services.len()];
        let requests = self
            .requests
            .iter_mut()
            .map(|r| {
                r.as_mut().map(|r| {
                    let per = if measured.is_some() { &r.per_service_measured } else { &r.per_service_total };
                    for (s, o) in per.iter().enumerate() {
                        if r.serves(s) {
                            service_requests[s].get_or_insert_with(Default::default).add(o);
                        }
                    }
                    pick(r)
                })
            })
            .collect();
        let request_minutes = self.requests.iter().map(|r| r.as_ref().map(|r| r.minutes.clone())).collect();
        // A service behind several target groups with traffic: its first counts its tasks and
        // memory base (they are the same tasks), each adds the load it puts on them.
        let mut utilization: Vec<Option<Vec<Utilization>>> = vec![None; self.services.len()];
        for r in self.requests.iter().flatten() {
            for (s, minutes) in r.utilization.iter().enumerate().filter(|(s, _)| r.serves(*s)) {
                let merged = utilization[s].get_or_insert_with(Vec::new);
                if merged.len() < minutes.len() {
                    merged.resize(minutes.len(), Utilization::default());
                }
                for (into, u) in merged.iter_mut().zip(minutes) {
                    into.add(u);
                }
            }
        }
        let mut service_overload_minutes: Vec<Option<Vec<f64>>> = vec![None; self.services.len()];
        for r in self.requests.iter().flatten() {
            for (s, minutes) in r.service_overload.iter().enumerate().filter(|(s, _)| r.serves(*s)) {
                let merged = service_overload_minutes[s].get_or_insert_with(Vec::new);
                if merged.len() < minutes.len() {
                    merged.resize(minutes.len(), 0.0);
                }
                for (into, x) in merged.iter_mut().zip(minutes) {
                    *into += x;
                }
            }
        }
        let request_conservation_error =
            self.requests.iter().flatten().map(|r| r.conservation_error).fold(0.0, f64::max);
        let result = RunResult {
            plot_rows: self.plot_series.into_iter().map(plot_series::PlotSeries::finish).collect(),
            log_digest: self.log_digest,
            disruptions: self.recovery.finish(&self.instances),
            request_conservation_error,
            utilization,
            service_overload_minutes,
            cpu_known: self.cpu_known,
            request_minutes,
            requests,
            service_requests,
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
            rows: Vec::new(),
            revision_rows: Vec::new(),
            target_group_rows: Vec::new(),
            log: Vec::new(),
            usage: self.usage,
            capacity_providers: self
                .providers
                .into_iter()
                .zip(self.provider_groups)
                .map(|(p, (g, initial))| p.result(initial, groups[g].instance_hours))
                .collect(),
            groups,
            instances: self.instances,
        };
        (result, self.history)
    }
}

/// A request observer per target group with a `[[traffic]]` stream (stream k of the run's
/// traffic sub-streams, k the target group's index).
fn requests_of(scenario: &Scenario) -> Vec<Option<requests::RequestObs>> {
    (0..scenario.target_groups.len())
        .map(|g| {
            scenario
                .has_traffic(g)
                .then(|| requests::RequestObs::new(scenario.services_behind(g), scenario.services.len()))
        })
        .collect()
}

/// Indices touched since the last [`Touched::take`], each once, taken in increasing order.
#[derive(Clone, Debug, Default)]
struct Touched {
    on: Vec<bool>,
    list: Vec<usize>,
}

impl Touched {
    fn all(n: usize) -> Touched {
        Touched { on: vec![true; n], list: (0..n).collect() }
    }

    fn touch(&mut self, i: usize) {
        if !self.on[i] {
            self.on[i] = true;
            self.list.push(i);
        }
    }

    #[inline]
    fn take(&mut self) -> Vec<usize> {
        if self.list.is_empty() {
            return Vec::new();
        }
        let mut list = std::mem::take(&mut self.list);
        list.sort_unstable();
        for &i in &list {
            self.on[i] = false;
        }
        list
    }
}
