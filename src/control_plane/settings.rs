//! The control plane's settings: the model choices the spec marks \[INFER\], and the guards, with
//! their documented defaults (`[settings]` in a scenario).

use crate::ecs::placement::TieBreak;
use crate::engine::SimDuration;

/// Model choices the spec marks \[INFER\], with their defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Without a load balancer or container health check a task counts as healthy this long
    /// after RUNNING (ECS's documented rule: 40 s).
    pub healthy_after_running: SimDuration,
    /// From an instance's loss until ECS marks its tasks STOPPED (\[INF\] 30-120 s in the spec;
    /// default 0 so that a failure and the scheduler's reaction coincide).
    pub instance_loss_detection: SimDuration,
    /// How placement ties are broken.
    pub placement_tie_break: TieBreak,
    /// After a placement failure, the scheduler retries when capacity appears, but not sooner
    /// than this (\[INFER\]).
    pub placement_retry_interval: SimDuration,
    /// Whether tasks still stopping count against maximumPercent (the docs disagree; counting
    /// them is the conservative reading, SCHEDULING.md §4.1).
    pub max_percent_counts_stopping: bool,
    /// How long a STOPPED service task stays describable before ECS forgets it (SCHEDULING.md
    /// §1: at least an hour).
    pub stopped_task_retention: SimDuration,
    /// The throttle engages after this many start failures in a row (\[INFER\] 3).
    pub throttle_after_failures: u32,
    /// Its first delay, doubling with each further failure (\[INFER\] 1 min).
    pub throttle_base_delay: SimDuration,
    /// Its cap (27 min in the current docs; 15 min before ~2024).
    pub throttle_max_delay: SimDuration,
    /// Failing checks of a new (`initial`) target count toward the unhealthy threshold
    /// (\[INFER\], LOAD-BALANCING §7 example 2).
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
    /// Target tracking's model choices (§4.2 \[OBS\]/\[INFER\]).
    pub target_tracking: crate::autoscaling::TargetTrackingSettings,
    /// Check the named invariants after every event (tests and `--check`).
    pub check_invariants: bool,
    /// How long a task waits in PROVISIONING for a capacity provider's instances before it is
    /// STOPPED (§2.5: "between 10 and 30 minutes" \[INFER\] 30 min).
    pub provisioning_timeout: SimDuration,
    /// `fargateTaskRetirementWaitPeriod` (account setting): 0, 7 (default) or 14 days from a
    /// retirement notice to the retirement.
    pub fargate_task_retirement_wait_period: SimDuration,
    /// How long an Auto Scaling group tolerates an impaired EC2 status check before it marks the
    /// instance unhealthy (§5.4: "a few minutes", \[INFER\] 4 min).
    pub impaired_instance_tolerance: SimDuration,
    /// How long a Fargate task stays in PROVISIONING (its micro-VM and ENI) before the image
    /// pull starts (\[INFER\] 20 s: "several seconds" for the ENI, more for the host).
    pub fargate_provisioning: SimDuration,
    /// The quota of tasks in PROVISIONING per cluster (L-B7718569: 500).
    pub provisioning_tasks_limit: u32,
    /// How long managed draining waits for an instance's tasks before its Auto Scaling group
    /// terminates it anyway (the lifecycle hook's heartbeat, §2.6 \[INFER\] 1 h).
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
