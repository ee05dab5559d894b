//! The validated scenario: typed ids, units and checked references. Everything the simulation
//! reads comes from here; nothing here refers back to the file.

use crate::cluster::InstanceGroupSpec;
use crate::ecs::placement::TieBreak;
use crate::ecs::service::ServiceSpec;
use crate::ecs::task_definition::TaskDefinition;
use crate::engine::{SimDuration, SimTime};
use crate::ids::{GroupId, ServiceId, TaskDefId, ZoneId};

/// Model choices the spec marks [INFER], with their defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Without a load balancer or container health check a task counts as healthy this long
    /// after RUNNING (ECS's documented rule: 40 s).
    pub healthy_after_running: SimDuration,
    /// From an instance's loss until ECS marks its tasks STOPPED ([INF] 30-120 s in the spec;
    /// default 0 so that a failure and the scheduler's reaction coincide).
    pub instance_loss_detection: SimDuration,
    /// How placement ties are broken.
    pub placement_tie_break: TieBreak,
    /// After a placement failure, the scheduler retries when capacity appears, but not sooner
    /// than this ([INFER]).
    pub placement_retry_interval: SimDuration,
    /// Whether tasks still stopping count against maximumPercent (the docs disagree; counting
    /// them is the conservative reading, SCHEDULING.md §4.1).
    pub max_percent_counts_stopping: bool,
    /// How long a STOPPED service task stays describable before ECS forgets it (SCHEDULING.md
    /// §1: at least an hour).
    pub stopped_task_retention: SimDuration,
    /// The throttle engages after this many start failures in a row ([INFER] 3).
    pub throttle_after_failures: u32,
    /// Its first delay, doubling with each further failure ([INFER] 1 min).
    pub throttle_base_delay: SimDuration,
    /// Its cap (27 min in the current docs; 15 min before ~2024).
    pub throttle_max_delay: SimDuration,
    /// Failing checks of a new (`initial`) target count toward the unhealthy threshold
    /// ([INFER], LOAD-BALANCING §7 example 2).
    pub initial_target_failures_count: bool,
    /// Where in its interval a target's first check falls: a seeded random phase (as in life),
    /// or right at the start of health checking.
    pub target_check_phase: CheckPhase,
    /// The run stops with an error after this many events (a runaway guard).
    pub max_events: u64,
    /// ... or after this many events at one instant (a livelock guard).
    pub max_events_per_instant: u64,
    /// Memory guards on deterministic quantities (never the process's memory, which differs by
    /// machine): events waiting in the queue, task records held (live tasks and the stopped
    /// service tasks the reports keep), container instances registered over the run (each keeps
    /// its record), jobs waiting in batch workloads' queues, and event-log lines. A run past one
    /// stops with an error naming the setting, within seconds, instead of exhausting memory.
    pub max_pending_events: u64,
    pub max_instances_registered: u64,
    pub max_tasks: u64,
    pub max_queued_jobs: u64,
    pub max_log_lines: u64,
    /// Log each standalone task whose essential container exited after doing its work. ECS's
    /// service events never list standalone tasks; ecsim logs those that stop for any other
    /// reason (failed to start, host lost, Spot, a crash, StopTask) and counts the completions
    /// in summary.json. A day of batch work would otherwise be 100,000 identical lines.
    pub log_completed_standalone_tasks: bool,
    /// Target tracking's model choices (§4.2 [OBS]/[INFER]).
    pub target_tracking: crate::autoscaling::TargetTrackingSettings,
    /// Check the named invariants after every event (tests and `--check`).
    pub check_invariants: bool,
    /// How long a task waits in PROVISIONING for a capacity provider's instances before it is
    /// STOPPED (§2.5: "between 10 and 30 minutes" [INFER] 30 min).
    pub provisioning_timeout: SimDuration,
    /// `fargateTaskRetirementWaitPeriod` (account setting): 0, 7 (default) or 14 days from a
    /// retirement notice to the retirement.
    pub fargate_task_retirement_wait_period: SimDuration,
    /// How long an Auto Scaling group tolerates an impaired EC2 status check before it marks the
    /// instance unhealthy (§5.4: "a few minutes", [INFER] 4 min).
    pub impaired_instance_tolerance: SimDuration,
    /// How long a Fargate task stays in PROVISIONING (its micro-VM and ENI) before the image
    /// pull starts ([INFER] 20 s: "several seconds" for the ENI, more for the host).
    pub fargate_provisioning: SimDuration,
    /// The quota of tasks in PROVISIONING per cluster (L-B7718569: 500).
    pub provisioning_tasks_limit: u32,
    /// How long managed draining waits for an instance's tasks before its Auto Scaling group
    /// terminates it anyway (the lifecycle hook's heartbeat, §2.6 [INFER] 1 h).
    pub managed_draining_timeout: SimDuration,
    /// Record how each placement for this service was decided (`--explain`).
    pub explain: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            healthy_after_running: SimDuration::from_secs(40),
            instance_loss_detection: SimDuration::ZERO,
            placement_tie_break: TieBreak::Ordered,
            placement_retry_interval: SimDuration::from_secs(30),
            max_percent_counts_stopping: true,
            stopped_task_retention: SimDuration::from_secs(3600),
            throttle_after_failures: 3,
            throttle_base_delay: SimDuration::from_mins(1),
            throttle_max_delay: SimDuration::from_mins(27),
            initial_target_failures_count: true,
            log_completed_standalone_tasks: false,
            target_check_phase: CheckPhase::Random,
            max_events: 500_000_000,
            max_events_per_instant: 5_000_000,
            max_pending_events: 10_000_000,
            max_tasks: 1_000_000,
            max_instances_registered: 100_000,
            max_queued_jobs: 1_000_000,
            max_log_lines: 1_000_000,
            target_tracking: Default::default(),
            check_invariants: false,
            provisioning_timeout: SimDuration::from_mins(30),
            provisioning_tasks_limit: 500,
            fargate_provisioning: SimDuration::from_secs(20),
            impaired_instance_tolerance: SimDuration::from_mins(4),
            fargate_task_retirement_wait_period: SimDuration::from_days(7),
            managed_draining_timeout: SimDuration::from_mins(60),
            explain: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckPhase {
    Random,
    Zero,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// Uniformly at random from the `timeline` stream.
    Random,
    /// In registration order.
    First,
    /// The instances running the most tasks (ties: registration order).
    MostTasks,
}

#[derive(Clone, Debug, PartialEq)]
pub enum InstanceTarget {
    Ids(Vec<String>),
    Group { group: GroupId, count: u32, pick: Pick },
    Zone { zone: ZoneId, count: u32, pick: Pick },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    TerminateInstances(InstanceTarget),
    AzOutage {
        zone: ZoneId,
        duration: Option<SimDuration>,
    },
    AddInstances {
        group: GroupId,
        count: u32,
        zone: Option<ZoneId>,
    },
    /// UpdateContainerInstancesState to DRAINING.
    DrainInstances(InstanceTarget),
    /// UpdateContainerInstancesState back to ACTIVE.
    ActivateInstances(InstanceTarget),
    /// EC2 Spot interruption notices: termination two minutes later.
    SpotInterruption(InstanceTarget),
    /// The ECS agent loses (false) or regains (true) its connection; nothing else changes.
    AgentConnection {
        target: InstanceTarget,
        connected: bool,
    },
    /// DeregisterContainerInstance with force: the instance leaves the cluster, its tasks are
    /// orphaned and the service tasks among them replaced.
    DeregisterInstances(InstanceTarget),
    /// EC2 StopInstances (false) / StartInstances (true): a stopped instance stays ACTIVE with its
    /// agent disconnected and its tasks STOPPED.
    PowerInstances {
        target: InstanceTarget,
        running: bool,
    },
    /// RunTask: `count` (at most 10) standalone tasks placed by ECS.
    RunTask {
        task_definition: TaskDefId,
        count: u32,
        group: Option<String>,
        strategies: Vec<crate::ecs::placement::Strategy>,
        constraints: Vec<crate::ecs::placement::Constraint>,
        /// The call's capacity provider strategy (its own, else the cluster's default unless a
        /// launch type is given); empty: the EC2 launch type.
        capacity_provider_strategy: Vec<crate::ecs::capacity_provider_strategy::StrategyItem>,
    },
    /// StartTask: one standalone task on each named instance (at most 10).
    StartTask {
        task_definition: TaskDefId,
        instances: Vec<String>,
        group: Option<String>,
    },
    /// An EC2 scheduled retirement: terminated at `deadline` from now; optionally drained at once.
    RetirementNotice {
        target: InstanceTarget,
        deadline: SimDuration,
        drain: bool,
    },
    /// UpdateService: any of a new desired count, a new task definition (a new deployment),
    /// forceNewDeployment, new minimum/maximum percent.
    UpdateService {
        service: ServiceId,
        desired_count: Option<u32>,
        task_definition: Option<TaskDefId>,
        force_new_deployment: bool,
        minimum_healthy_percent: Option<u32>,
        maximum_percent: Option<u32>,
    },
    StopTask {
        service: ServiceId,
        task: Option<String>,
        count: u32,
        reason: String,
    },
    /// Fargate announces task retirement for a service's Fargate tasks (all when `None`).
    FargateTaskRetirement(Option<ServiceId>),
    /// EC2 status checks of the instances fail (`impaired`): their Auto Scaling group replaces
    /// each once the impairment has lasted `impaired_instance_tolerance` and the group's health
    /// check grace period is over.
    ImpairInstances(InstanceTarget),
    /// Fargate reclaims `count` of the service's FARGATE_SPOT tasks (drawn from the timeline
    /// stream): a two-minute warning and SIGTERM at once.
    FargateSpotInterruption {
        service: ServiceId,
        count: u32,
    },
    /// FARGATE_SPOT (or FARGATE) has no capacity, in one zone or all, for `duration`: new tasks
    /// are refused ("Capacity is unavailable at this time") and retried; running ones go on.
    FargateCapacityUnavailable {
        spot: bool,
        zone: Option<ZoneId>,
        duration: SimDuration,
    },
    /// EC2 has no capacity of `instance_type` in `zone` (every zone when `None`) for `duration`
    /// (InsufficientInstanceCapacity): Auto Scaling groups launch their next type in priority
    /// there, or go to another zone; running instances go on.
    InsufficientCapacity {
        instance_type: String,
        zone: Option<ZoneId>,
        duration: SimDuration,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct TimelineEvent {
    pub at: SimTime,
    pub action: Action,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Instances of these groups fail (terminated, replaced by their group).
    InstanceFailures { groups: Vec<GroupId>, schedule: FaultSchedule },
    /// Instances of these groups get a Spot interruption notice (terminated two minutes later).
    SpotInterruptions { groups: Vec<GroupId>, schedule: FaultSchedule },
    /// FARGATE_SPOT tasks of these services (all when empty) are reclaimed: with `mtbf`, each
    /// task after an exponential lifetime from its placement; with `count`, tasks drawn at the
    /// strike times.
    FargateSpotInterruptions { services: Vec<ServiceId>, schedule: FaultSchedule },
}

impl Fault {
    /// The instance groups whose instances it strikes (none for Fargate Spot: it strikes tasks).
    pub fn groups(&self) -> &[GroupId] {
        match self {
            Fault::InstanceFailures { groups, .. } | Fault::SpotInterruptions { groups, .. } => groups,
            Fault::FargateSpotInterruptions { .. } => &[],
        }
    }

    pub fn schedule(&self) -> &FaultSchedule {
        let (Fault::InstanceFailures { schedule, .. }
        | Fault::SpotInterruptions { schedule, .. }
        | Fault::FargateSpotInterruptions { schedule, .. }) = self;
        schedule
    }
}

/// When a seeded fault strikes.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultSchedule {
    /// Each instance, from its registration, after an exponentially distributed lifetime with
    /// this mean.
    Mtbf(SimDuration),
    /// `count` strikes at uniformly random times in `[from, to]`, each on an instance drawn
    /// uniformly from the groups' instances alive at that moment.
    Window { count: u32, from: SimDuration, to: SimDuration },
}

/// When a workload's tasks arrive.
#[derive(Clone, Debug, PartialEq)]
pub enum Arrivals {
    /// Time between arrivals drawn from a distribution (exponential: a Poisson stream).
    Interarrival(crate::engine::Distribution),
    /// Given times, from the workload's start (a CSV of arrival times).
    Times(Vec<SimDuration>),
}

/// A batch workload: a stream of RunTask calls for one task each, with sizes and run times drawn
/// per task; tasks that cannot be placed wait in a FIFO queue until capacity frees up.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    pub name: String,
    pub task_definition: TaskDefId,
    pub group: Option<String>,
    pub arrivals: Arrivals,
    pub start: SimDuration,
    pub end: Option<SimDuration>,
    pub count: Option<u32>,
    pub run: Option<crate::engine::Distribution>,
    /// CPU units per task, chosen uniformly (empty: the task definition's).
    pub cpu_choices: Vec<u32>,
    pub memory_mib_choices: Vec<u32>,
    pub strategies: Vec<crate::ecs::placement::Strategy>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub name: String,
    /// The file as named by the user (or `<bundled quickstart>`).
    pub file: String,
    /// SHA-256 of the scenario text and every file it references.
    pub sha256: String,
    pub seed: u64,
    /// Wall-clock time of simulated time zero, ms since the Unix epoch (`scenario.start_time`).
    pub start_epoch_ms: i64,
    pub duration: SimDuration,
    pub measure_from: Option<SimDuration>,
    pub settings: Settings,
    pub zones: Vec<String>,
    pub groups: Vec<InstanceGroupSpec>,
    pub task_definitions: Vec<TaskDefinition>,
    pub target_groups: Vec<crate::elb::target_group::TargetGroupSpec>,
    /// `[[capacity_providers]]`: Auto Scaling group providers (FARGATE and FARGATE_SPOT exist
    /// without being listed).
    pub capacity_providers: Vec<crate::ecs::capacity_provider::CapacityProviderSpec>,
    /// `[pricing]`: the user's prices, for the cost of the run's usage (no built-in price list).
    pub pricing: Pricing,
    /// `[cluster] defaultCapacityProviderStrategy`: what services and RunTask calls without a
    /// launch type or strategy of their own use.
    pub default_capacity_provider_strategy: Vec<crate::ecs::capacity_provider_strategy::StrategyItem>,
    pub services: Vec<ServiceSpec>,
    pub timeline: Vec<TimelineEvent>,
    pub faults: Vec<Fault>,
    pub workloads: Vec<Workload>,
    /// `[[traffic]]`: request streams, at most one per target group.
    pub traffic: Vec<super::traffic::TrafficStream>,
    /// Service Auto Scaling (`[[scalable_targets]]`, `[[scaling_policies]]`, ...).
    pub auto_scaling: crate::autoscaling::AutoScaling,
    /// `[[expect]]` tables, plus any `--expect` the command line adds.
    pub expectations: Vec<super::Expectation>,
    /// `[[swarm]]`: parameters `ecsim sweep --swarm` draws per run (ignored otherwise).
    pub swarm: Vec<super::swarm::SwarmParam>,
    /// AWS fields accepted but not simulated (`validate --verbose`).
    pub ignored_fields: Vec<String>,
    /// Defaults ecsim chose where the files leave a simulated quantity open.
    pub assumptions: Vec<String>,
}

impl Scenario {
    /// Whether target group `g` has a `[[traffic]]` stream.
    pub fn has_traffic(&self, g: usize) -> bool {
        self.traffic.iter().any(|t| t.target_group == g)
    }

    /// The services behind target group `g` (its targets' owners), in scenario order.
    pub fn services_behind(&self, g: usize) -> Vec<crate::ids::ServiceId> {
        (self.services.iter().enumerate())
            .filter(|(_, s)| s.load_balancers.iter().any(|lb| lb.target_group == g))
            .map(|(i, _)| crate::ids::ServiceId(i as u16))
            .collect()
    }

    /// Every subject summary.json reports on, by kind: what expectations, baselines and sweeps
    /// may name. The providers are the scenario's own (FARGATE and FARGATE_SPOT have no scaling
    /// to report; their usage is under `fargate`, for those a service or RunTask uses).
    pub fn subject_names(&self) -> super::expect::SubjectNames {
        let names = |it: &mut dyn Iterator<Item = &String>| it.cloned().collect::<Vec<String>>();
        super::expect::SubjectNames {
            services: names(&mut self.services.iter().map(|s| &s.name)),
            workloads: names(&mut self.workloads.iter().map(|w| &w.name)),
            target_groups: names(&mut self.target_groups.iter().map(|g| &g.name)),
            capacity_providers: names(&mut self.capacity_providers.iter().filter(|p| !p.is_fargate()).map(|p| &p.name)),
            instance_groups: names(&mut self.groups.iter().filter(|g| !g.fargate).map(|g| &g.name)),
            fargate: names(&mut self.groups.iter().filter(|g| g.fargate && g.count > 0).map(|g| &g.name)),
        }
    }
}

/// `[pricing]`: prices per hour, in the user's currency. A usage without a price has no cost.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pricing {
    /// Per instance type, the price of an instance-hour.
    pub instance_hour: Vec<(String, f64)>,
    pub fargate_vcpu_hour: Option<f64>,
    pub fargate_gb_hour: Option<f64>,
    pub fargate_spot_vcpu_hour: Option<f64>,
    pub fargate_spot_gb_hour: Option<f64>,
}

impl Pricing {
    pub fn is_empty(&self) -> bool {
        *self == Pricing::default()
    }

    /// The price of an instance-hour of `instance_type`, if given.
    pub fn instance_hour_price(&self, instance_type: &str) -> Option<f64> {
        self.instance_hour.iter().find(|(t, _)| t == instance_type).map(|(_, p)| *p)
    }
}
