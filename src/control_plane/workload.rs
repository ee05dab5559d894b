//! Batch workloads: a stream of RunTask arrivals (Poisson, fixed-rate or from a CSV), each task
//! with its own size and run time; tasks that fit nowhere wait in a FIFO queue and are placed as
//! capacity frees up. The report gives queueing delays and tasks never started.

use std::collections::VecDeque;

use crate::control_plane::{Ctx, Event, State};
use crate::ecs::placement::{self, PlacementRequest, Strategy, TaskRequirements, TieBreak};
use crate::engine::{SimDuration, SimTime};
use crate::ids::TaskDefId;

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

/// One queued task: when it arrived, its size and run time.
#[derive(Clone, Copy, Debug)]
struct Job {
    arrived: SimTime,
    cpu: u32,
    memory_mib: u32,
    run: Option<SimDuration>,
    /// Its placement failure was explained (`--explain`).
    explained: bool,
}

#[derive(Clone)]
pub struct WorkloadState {
    pub spec: Workload,
    queue: VecDeque<Job>,
    pub arrived: u32,
    /// Queueing delay of each task placed, in ms.
    pub delays_ms: Vec<u64>,
    next_index: usize,
    dispatch_scheduled: bool,
    /// Its task group (`family:NAME` unless the workload names one), looked up once.
    group: Option<crate::ids::TaskGroupId>,
}

impl WorkloadState {
    pub fn new(spec: Workload) -> WorkloadState {
        WorkloadState {
            spec,
            queue: VecDeque::new(),
            arrived: 0,
            delays_ms: Vec::new(),
            next_index: 0,
            dispatch_scheduled: false,
            group: None,
        }
    }

    pub fn queued(&self) -> usize {
        self.queue.len()
    }
}

impl State {
    pub fn schedule_first_arrival(&mut self, ctx: &mut Ctx<'_>, w: usize) {
        let start = SimTime(self.workloads[w].spec.start.0);
        self.schedule_arrival_after(ctx, w, start);
    }

    /// The next arrival after `from` (or none: past the end, the count, or the CSV).
    fn schedule_arrival_after(&mut self, ctx: &mut Ctx<'_>, w: usize, from: SimTime) {
        let wl = &mut self.workloads[w];
        if wl.spec.count.is_some_and(|c| wl.arrived >= c) {
            return;
        }
        let at = match &wl.spec.arrivals {
            Arrivals::Interarrival(d) => from.after(d.sample(&mut ctx.rng.workload)),
            Arrivals::Times(times) => match times.get(wl.next_index) {
                Some(t) => SimTime(wl.spec.start.0).after(*t).max(ctx.now),
                None => return,
            },
        };
        wl.next_index += 1;
        let end = wl.spec.end.map_or(self.end, |e| SimTime(e.0)).min(self.end);
        if at < end {
            ctx.at(at, Event::Arrival(w));
        }
    }

    pub fn workload_arrival(&mut self, ctx: &mut Ctx<'_>, w: usize) {
        let td = self.workloads[w].spec.task_definition;
        let req = &self.requirements[td.index()];
        let wl = &mut self.workloads[w];
        let pick = |choices: &[u32], default: u32, rng: &mut crate::engine::SimRng| {
            if choices.is_empty() { default } else { choices[rng.below(choices.len() as u64) as usize] }
        };
        let cpu = pick(&wl.spec.cpu_choices, req.cpu, &mut ctx.rng.workload);
        let memory_mib = pick(&wl.spec.memory_mib_choices, req.memory_mib, &mut ctx.rng.workload);
        let run = wl.spec.run.as_ref().map(|d| d.sample(&mut ctx.rng.workload));
        wl.arrived += 1;
        wl.queue.push_back(Job { arrived: ctx.now, cpu, memory_mib, run, explained: false });
        self.schedule_arrival_after(ctx, w, ctx.now);
        self.workload_dispatch(ctx, w);
    }

    /// Places queued tasks in arrival order until the head fits nowhere.
    pub fn workload_dispatch(&mut self, ctx: &mut Ctx<'_>, w: usize) {
        self.workloads[w].dispatch_scheduled = false;
        let td = self.workloads[w].spec.task_definition;
        let group = match self.workloads[w].group {
            Some(g) => g,
            None => {
                let name = self.workloads[w].spec.group.clone();
                let family = &self.task_definitions[td.index()].family;
                let g = self.cluster.task_group(&name.unwrap_or_else(|| format!("family:{family}")));
                self.workloads[w].group = Some(g);
                g
            }
        };
        let random = [Strategy::Random];
        while let Some(job) = self.workloads[w].queue.front().copied() {
            let base = &self.requirements[td.index()];
            let task = TaskRequirements { cpu: job.cpu, memory_mib: job.memory_mib, ..base.clone() };
            let strategies = &self.workloads[w].spec.strategies;
            let req = PlacementRequest {
                task: &task,
                group,
                pool: None,
                strategies: if strategies.is_empty() { &random } else { strategies },
                constraints: &self.task_definitions[td.index()].placement_constraints,
                tie_break: TieBreak::Random,
            };
            let wl = &self.workloads[w];
            let subjects = [
                wl.spec.name.as_str(),
                &self.task_definitions[td.index()].family,
                &self.cluster.task_groups[group.index()],
            ];
            let explanation = self.explanation_for(&subjects, &req);
            let random = req.is_random();
            let Some(iid) = placement::try_place(&self.cluster, &req, &mut ctx.rng.placement) else {
                // Explained once per task: the head is tried again whenever capacity frees.
                if let Some(e) = explanation.filter(|_| !job.explained) {
                    self.workloads[w].queue[0].explained = true;
                    let who = format!("workload {}", self.workloads[w].spec.name);
                    self.log_unplaced(ctx, &who, None, &e);
                }
                break;
            };
            self.workloads[w].queue.pop_front();
            self.workloads[w].delays_ms.push(ctx.now.since(job.arrived).0);
            let tid = self.launch_standalone_with(ctx, td, group, iid, (job.cpu, job.memory_mib, job.run));
            if let Some(e) = explanation {
                self.log_placed(ctx, tid, random, &e);
            }
        }
    }

    /// Capacity freed: workloads with a queue try again at this instant (once).
    pub fn wake_workloads(&mut self, ctx: &mut Ctx<'_>) {
        for (w, wl) in self.workloads.iter_mut().enumerate() {
            if !wl.queue.is_empty() && !wl.dispatch_scheduled {
                wl.dispatch_scheduled = true;
                ctx.at(ctx.now, Event::Dispatch(w));
            }
        }
    }
}
