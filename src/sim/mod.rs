//! The simulation: owns the clock, the event queue, the random streams and the control plane's
//! state (built from the scenario by [`setup`], which a caller driving the control plane itself
//! uses too); pops one event at a time and hands it to the control plane with a [`Ctx`]; passes
//! every state change to the observer. This is the only place that advances time.

mod corruption;
pub mod setup;

use crate::control_plane::{Ctx, Notice, Rngs, State};

use crate::cluster::Cluster;
use crate::control_plane::Event;
use crate::ecs::service::{Service, ServiceCounts};
use crate::engine::{EventQueue, SimTime};
use crate::invariants::Violation;
use crate::observer::{DeploymentReport, History, Kept, Observer, RunResult, ServiceOutcome};
use crate::scenario::Scenario;

/// How often (in events) the memory guards are looked at.
const GUARD_EVERY_EVENTS: u64 = 1024;

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("runaway simulation: {0}")]
    Runaway(String),
    #[error("internal invariant violated at {time_s} s: {violation}")]
    Invariant { time_s: f64, violation: Violation },
}

/// A run of a scenario. Its observer's rows and log lines go to `H`: kept in the result by
/// default ([`Kept`]), or streamed where [`Simulation::with_history`] says.
pub struct Simulation<H: History = Kept> {
    state: State,
    queue: EventQueue<Event>,
    rngs: Rngs,
    notices: Vec<Notice>,
    observer: Observer<H>,
    now: SimTime,
    end: SimTime,
    events: u64,
    events_this_instant: u64,
    /// The invariant checker, with `check_invariants` (tests, `--check`).
    checker: Option<crate::invariants::Checker>,
}

impl Simulation {
    pub fn new(scenario: &Scenario, seed: u64) -> Simulation {
        Simulation::with_history(scenario, seed, Kept::default())
    }

    /// Runs to the end and returns the results, with every row and log line.
    pub fn run(self) -> Result<RunResult, SimError> {
        let (mut result, kept) = self.run_with_history()?;
        kept.keep_in(&mut result);
        Ok(result)
    }
}

impl<H: History> Simulation<H> {
    /// A run whose rows and log lines go to `history` as they are made.
    pub fn with_history(scenario: &Scenario, seed: u64, history: H) -> Simulation<H> {
        let mut queue = EventQueue::with_capacity(1024);
        let mut rngs = Rngs::new(seed);
        let mut notices = Vec::new();
        let end = SimTime(scenario.duration.0);
        let mut state = setup::state(scenario, end, seed);
        let observer = Observer::with_history(scenario, seed, history);
        {
            let mut ctx = Ctx { now: SimTime::ZERO, queue: &mut queue, rng: &mut rngs, notices: &mut notices };
            setup::start(&mut state, &mut ctx, scenario);
        }
        let mut sim = Simulation {
            state,
            queue,
            rngs,
            notices,
            observer,
            now: SimTime::ZERO,
            end,
            events: 0,
            events_this_instant: 0,
            checker: None,
        };
        if sim.state.settings.check_invariants {
            sim.checker = Some(crate::invariants::Checker::new(&sim.state));
        }
        sim.observer.absorb(SimTime::ZERO, &mut sim.notices);
        sim
    }

    pub fn now(&self) -> SimTime {
        self.now
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn cluster(&self) -> &Cluster {
        &self.state.cluster
    }

    pub fn service(&self, name: &str) -> Option<&Service> {
        self.state.services.iter().find(|s| s.spec.name == name)
    }

    /// A service's counts right now (panics on an unknown name: for tests).
    pub fn counts(&self, service: &str) -> ServiceCounts {
        self.service(service).unwrap_or_else(|| panic!("no service {service}")).counts
    }

    pub fn events_processed(&self) -> u64 {
        self.events
    }

    /// Processes every event up to and including `until` (capped at the end of the run), and
    /// leaves the clock at `until`.
    pub fn run_until(&mut self, until: SimTime) -> Result<(), SimError> {
        let until = until.min(self.end);
        while let Some(t) = self.queue.peek_time() {
            if t > until {
                break;
            }
            // The instant closes before the next one's first event: closing may schedule
            // events at the closing instant, which then run before anything later.
            if t > self.now {
                self.end_instant()?;
                self.now = t;
                self.events_this_instant = 0;
            }
            let Some((_, event)) = self.queue.pop() else { break };
            self.events += 1;
            self.events_this_instant += 1;
            if self.events > self.state.settings.max_events {
                return Err(SimError::Runaway(format!(
                    "more than {} (settings.max_events); the last ran at {} s",
                    crate::words::count(self.state.settings.max_events, "event"),
                    self.now.as_secs_f64()
                )));
            }
            if self.events_this_instant > self.state.settings.max_events_per_instant {
                return Err(SimError::Runaway(format!(
                    "more than {} at the instant {} s (settings.max_events_per_instant): the model is not making progress",
                    crate::words::count(self.state.settings.max_events_per_instant, "event"),
                    self.now.as_secs_f64()
                )));
            }
            let mut ctx =
                Ctx { now: self.now, queue: &mut self.queue, rng: &mut self.rngs, notices: &mut self.notices };
            self.state.handle(&mut ctx, event);
            self.check()?;
            // An event adds a bounded number of records, so looking every 1,024 events stops a
            // run at most a few thousand records past a guard, at no cost per event.
            if self.events.is_multiple_of(GUARD_EVERY_EVENTS) {
                self.guard_memory()?;
            }
        }
        // Every event at `until` has run: close that instant too (closing twice is harmless).
        self.end_instant()?;
        self.guard_memory()?;
        self.now = self.now.max(until);
        Ok(())
    }

    /// Closes the current instant: steady-state checks, then the observer records the values
    /// the instant ended with.
    fn end_instant(&mut self) -> Result<(), SimError> {
        let mut ctx = Ctx { now: self.now, queue: &mut self.queue, rng: &mut self.rngs, notices: &mut self.notices };
        self.state.end_instant(&mut ctx);
        // An instant that reported nothing changed nothing the observer records (a batch task's
        // image pull ending, say): most instants of a batch day.
        if !self.notices.is_empty() || !self.observer.settled() {
            self.observer.absorb(self.now, &mut self.notices);
            self.observer.flush(self.now);
        }
        if self.state.settings.check_invariants {
            crate::invariants::check_instant_end(&self.state)
                .map_err(|violation| SimError::Invariant { time_s: self.now.as_secs_f64(), violation })?;
        }
        Ok(())
    }

    /// The memory guards (see `Settings::max_pending_events`): each quantity is O(1) to read,
    /// and the message is built only when one is past its guard (this runs after every event).
    #[inline]
    fn guard_memory(&self) -> Result<(), SimError> {
        let s = &self.state.settings;
        let tasks = (self.state.tasks.len() - self.state.free_task_slots.len()) as u64;
        let log = (self.observer.log_len() + self.notices.len()) as u64;
        let queued = self.state.workloads.iter().map(|w| w.queued() as u64).sum::<u64>();
        let within = self.queue.len() as u64 <= s.max_pending_events
            && tasks <= s.max_tasks
            && self.state.cluster.instances().len() as u64 <= s.max_instances_registered
            && log <= s.max_log_lines
            && queued <= s.max_queued_jobs;
        if within {
            return Ok(());
        }
        let checks = [
            (self.queue.len() as u64, s.max_pending_events, "events waiting in the queue", "max_pending_events"),
            (
                tasks,
                s.max_tasks,
                "task records (live tasks, and service tasks stopped within stopped_task_retention)",
                "max_tasks",
            ),
            (
                self.state.cluster.instances().len() as u64,
                s.max_instances_registered,
                "container instances registered over the run",
                "max_instances_registered",
            ),
            (queued, s.max_queued_jobs, "jobs waiting in workload queues", "max_queued_jobs"),
            (log, s.max_log_lines, "event-log lines", "max_log_lines"),
        ];
        for (have, max, what, setting) in checks {
            if have > max {
                return Err(SimError::Runaway(format!(
                    "more than {max} {what} at {} s (settings.{setting}); raise it in [settings] if the run is meant to be this large",
                    self.now.as_secs_f64()
                )));
            }
        }
        Ok(())
    }

    /// After an event: every invariant, when they are checked.
    fn check(&mut self) -> Result<(), SimError> {
        let Some(checker) = self.checker.as_mut() else { return Ok(()) };
        checker
            .after_event(&self.state)
            .map_err(|violation| SimError::Invariant { time_s: self.now.as_secs_f64(), violation })
    }

    /// Runs to the end and returns the results and the history.
    pub fn run_with_history(mut self) -> Result<(RunResult, H), SimError> {
        self.run_until(self.end)?;
        self.end_instant()?;
        // The requests of the run's last stretch.
        {
            let mut ctx =
                Ctx { now: self.end, queue: &mut self.queue, rng: &mut self.rngs, notices: &mut self.notices };
            self.state.report_routing(&mut ctx, true);
        }
        self.observer.absorb(self.end, &mut self.notices);
        let outcomes = self
            .state
            .services
            .iter()
            .map(|s| ServiceOutcome {
                stats: s.stats.clone(),
                deployments: s
                    .deployments
                    .iter()
                    .map(|d| DeploymentReport {
                        id: d.id.clone(),
                        task_definition: self.state.task_definitions[d.task_definition.index()].name(),
                        status: d.status.as_str(),
                        rollout_state: d.rollout_state.as_str(),
                        started: d.created_at,
                        finished: d.finished_at,
                        rolled_back: d.rolled_back,
                        is_rollback: d.is_rollback,
                        failed_tasks: d.failed_tasks_total,
                    })
                    .collect(),
            })
            .collect();
        let (mut result, history) = self.observer.finish(self.end, self.events, outcomes);
        result.standalone_tasks = self.state.standalone_tasks;
        result.standalone_completed = self.state.standalone_completed;
        result.workloads = self
            .state
            .workloads
            .iter()
            .map(|w| crate::observer::WorkloadResult::new(&w.spec.name, w.arrived, w.queued() as u32, &w.delays_ms))
            .collect();
        result.run_task_failures = self.state.run_task_failures.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        Ok((result, history))
    }
}
