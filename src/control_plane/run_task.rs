//! RunTask and StartTask (SCHEDULING.md §5.6): standalone tasks, placed by ECS (RunTask: at most
//! 10 per call, random placement by default, a failure reason per task not placed) or on named
//! instances (StartTask: at most 10, reasons MISSING and INACTIVE besides the resource ones).
//! Standalone tasks are never replaced; draining leaves them alone.

use crate::cluster::InstanceStatus;
use crate::ecs::capacity_provider_strategy::{StrategyItem, item_of, next_provider};

/// RunTask's failure reason when Fargate has no capacity for a task.
const FARGATE_UNAVAILABLE: &str =
    "Capacity is unavailable at this time. Please try again later or in a different availability zone";
use crate::control_plane::Notice;
use crate::control_plane::standalone_provisioning::StandaloneProvisioning;
use crate::control_plane::{Ctx, State};
use crate::ecs::placement::{self, Constraint, PlacementRequest, Strategy, TieBreak};
use crate::ids::{TaskDefId, TaskId};

impl State {
    fn standalone_group(&mut self, td: TaskDefId, group: Option<&str>) -> crate::ids::TaskGroupId {
        let name = group.map_or_else(|| format!("family:{}", self.task_definitions[td.index()].family), str::to_string);
        self.cluster.task_group(&name)
    }

    /// RunTask: `count` tasks of `td`, placed by the strategies and constraints, each on the
    /// capacity provider the call's strategy assigns it (base and weights counted within the
    /// call, §2.1; on Fargate, Fargate's capacity) or, without one, on any EC2 instance.
    pub fn run_task(
        &mut self,
        ctx: &mut Ctx<'_>,
        td: TaskDefId,
        count: u32,
        group: Option<&str>,
        (strategies, constraints, providers): (&[Strategy], &[Constraint], &[StrategyItem]),
    ) -> Vec<TaskId> {
        let group = self.standalone_group(td, group);
        // RunTask's default placement is random.
        let random = [Strategy::Random];
        let strategies = if strategies.is_empty() { &random[..] } else { strategies };
        let mut constraints = constraints.to_vec();
        constraints.extend(self.task_definitions[td.index()].placement_constraints.iter().cloned());
        let mut started = Vec::new();
        let mut failures: Vec<String> = Vec::new();
        let mut provisioning = 0u32;
        let mut held = vec![0u32; providers.len()];
        for _ in 0..count {
            let provider = next_provider(providers, &held);
            let pool = provider.map(|p| self.provider_group(p));
            let req = PlacementRequest {
                task: &self.requirements[td.index()],
                group,
                pool,
                strategies,
                constraints: &constraints,
                tie_break: TieBreak::Random,
            };
            let family = &self.task_definitions[td.index()].family;
            let explanation = self.explanation_for(&[family, &self.cluster.task_groups[group.index()]], &req);
            let random = req.is_random();
            match placement::place(&self.cluster, &req, &mut ctx.rng.placement) {
                Ok(iid) => {
                    let tid = self.launch_standalone(ctx, td, group, iid);
                    if let Some(e) = explanation {
                        self.log_placed(ctx, tid, random, &e);
                    }
                    if let Some(i) = provider.and_then(|p| item_of(providers, p)) {
                        held[i] += 1;
                    }
                    started.push(tid);
                }
                Err(f) => {
                    // With managed scaling the task waits in PROVISIONING for the group to grow.
                    let waits = provider.is_some_and(|p| {
                        let entry = StandaloneProvisioning {
                            serial: 0,
                            task_definition: td,
                            group,
                            provider: p,
                            strategies: strategies.to_vec(),
                            constraints: constraints.clone(),
                            since: ctx.now,
                        };
                        self.start_standalone_provisioning(ctx, entry)
                    });
                    if waits {
                        if let Some(i) = provider.and_then(|p| item_of(providers, p)) {
                            held[i] += 1;
                        }
                        provisioning += 1;
                        continue;
                    }
                    if let Some(e) = explanation {
                        let who = format!("RunTask {}", self.task_definitions[td.index()].name());
                        self.log_unplaced(ctx, &who, None, &e);
                    }
                    let on_fargate = pool.is_some_and(|g| self.cluster.groups[g.index()].fargate);
                    let (code, arn) = match f.closest {
                        // Fargate's failure reason names no instance.
                        _ if on_fargate => (FARGATE_UNAVAILABLE, Default::default()),
                        Some((iid, r)) => (r.code(), self.cluster.instance(iid).ec2_instance_id.clone()),
                        None => ("MISSING", Default::default()),
                    };
                    *self.run_task_failures.entry(code).or_insert(0) += 1;
                    failures.push(format!("(reason {code}) (arn container-instance/{arn})"));
                }
            }
        }
        self.log_run_task(ctx, td, "RunTask", &started, &failures);
        if provisioning > 0 {
            let message = format!(
                "RunTask {}: {} in PROVISIONING, waiting for capacity.",
                self.task_definitions[td.index()].name(),
                crate::words::count(u64::from(provisioning), "task")
            );
            ctx.notice(Notice::log("RUN_TASK_PROVISIONING").message(message));
        }
        started
    }

    pub fn start_task(
        &mut self,
        ctx: &mut Ctx<'_>,
        td: TaskDefId,
        instances: &[String],
        group: Option<&str>,
    ) -> Vec<TaskId> {
        let group = self.standalone_group(td, group);
        let constraints = self.task_definitions[td.index()].placement_constraints.clone();
        let mut started = Vec::new();
        let mut failures = Vec::new();
        for id in instances {
            let reason = match self.cluster.find_instance(id) {
                None => Some("MISSING"),
                Some(iid) if self.cluster.instance(iid).status == InstanceStatus::Inactive => Some("INACTIVE"),
                Some(iid) => {
                    let req = PlacementRequest {
                        task: &self.requirements[td.index()],
                        group,
                        pool: None,
                        strategies: &[],
                        constraints: &constraints,
                        tie_break: TieBreak::Ordered,
                    };
                    match placement::check_instance(&self.cluster, &req, self.cluster.instance(iid)) {
                        None => {
                            started.push(self.launch_standalone(ctx, td, group, iid));
                            None
                        }
                        Some(r) => Some(r.code()),
                    }
                }
            };
            if let Some(code) = reason {
                *self.run_task_failures.entry(code).or_insert(0) += 1;
                failures.push(format!("(reason {code}) (arn container-instance/{id})"));
            }
        }
        self.log_run_task(ctx, td, "StartTask", &started, &failures);
        started
    }

    fn log_run_task(&self, ctx: &mut Ctx<'_>, td: TaskDefId, call: &str, started: &[TaskId], failures: &[String]) {
        let name = self.task_definitions[td.index()].name();
        if !started.is_empty() {
            let list: Vec<String> = started.iter().map(|t| format!("(task {})", self.tasks[t.index()].name)).collect();
            let message = format!(
                "{call} {name} started {}: {}.",
                crate::words::count(started.len() as u64, "task"),
                list.join(" ")
            );
            ctx.notice(Notice::log("RUN_TASK").message(message));
        }
        if !failures.is_empty() {
            let message = format!("{call} {name} failures: {}", failures.join(" "));
            ctx.notice(Notice::log("RUN_TASK_FAILURE").message(message));
        }
    }
}
