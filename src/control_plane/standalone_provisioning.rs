//! Standalone tasks in PROVISIONING (LOAD-BALANCING-AND-CAPACITY.md §2.3-2.4): a RunTask task
//! assigned to a capacity provider with managed scaling that finds no instance waits for one,
//! within the cluster's quota of 500 PROVISIONING tasks, and counts in the provider's
//! CapacityProviderReservation as a service's would. It is placed when an instance of the
//! provider can take it (by the call's placement strategies and constraints) and stopped if
//! none has after the provisioning timeout. Nothing replaces it: a standalone task is never
//! retried by ECS.

use crate::control_plane::Notice;
use crate::control_plane::{Ctx, Event, State};
use crate::ecs::placement::{self, Constraint, PlacementRequest, Strategy, TieBreak};
use crate::engine::SimTime;
use crate::ids::{TaskDefId, TaskGroupId, TaskId};

/// One RunTask task waiting in PROVISIONING.
#[derive(Clone, Debug)]
pub struct StandaloneProvisioning {
    pub serial: u32,
    pub task_definition: TaskDefId,
    pub group: TaskGroupId,
    /// Index of the capacity provider in the scenario.
    pub provider: usize,
    /// The RunTask call's placement (its strategies, default random, and constraints).
    pub strategies: Vec<Strategy>,
    pub constraints: Vec<Constraint>,
    pub since: SimTime,
}

impl State {
    /// A RunTask task found no instance of `provider`: it waits in PROVISIONING if the provider
    /// scales and the cluster is under its quota. Returns whether it does.
    pub fn start_standalone_provisioning(&mut self, ctx: &mut Ctx<'_>, entry: StandaloneProvisioning) -> bool {
        let provider = entry.provider;
        if self.providers[provider].spec.managed_scaling.is_none()
            || self.provisioning_total >= self.settings.provisioning_tasks_limit
        {
            return false;
        }
        self.standalone_provisioning_serial += 1;
        let serial = self.standalone_provisioning_serial;
        let td = entry.task_definition;
        self.standalone_provisioning.push(StandaloneProvisioning { serial, since: ctx.now, ..entry });
        self.adjust_provider_provisioning(provider, td, 1);
        ctx.at(ctx.now.after(self.settings.provisioning_timeout), Event::StandaloneProvisioningTimeout(serial));
        self.arm_managed_scaling(ctx, provider);
        true
    }

    /// Capacity appeared: the standalone PROVISIONING tasks an instance of their provider can take
    /// are placed, oldest first. A task that finds nothing stands for the later ones of its task
    /// definition and provider with the same placement: they are not tried in this pass.
    pub fn place_standalone_provisioning(&mut self, ctx: &mut Ctx<'_>) -> Vec<TaskId> {
        let mut launched = Vec::new();
        let mut failed: Vec<usize> = Vec::new();
        let mut i = 0;
        while i < self.standalone_provisioning.len() {
            let e = &self.standalone_provisioning[i];
            let same = |f: &usize| {
                let o = &self.standalone_provisioning[*f];
                (o.task_definition, o.provider, &o.strategies, &o.constraints, o.group)
                    == (e.task_definition, e.provider, &e.strategies, &e.constraints, e.group)
            };
            if failed.iter().any(same) {
                i += 1;
                continue;
            }
            let req = PlacementRequest {
                task: &self.requirements[e.task_definition.index()],
                group: e.group,
                pool: Some(self.provider_group(e.provider)),
                strategies: &e.strategies,
                constraints: &e.constraints,
                tie_break: TieBreak::Random,
            };
            match placement::try_place(&self.cluster, &req, &mut ctx.rng.placement) {
                Some(iid) => {
                    let e = self.end_standalone_provisioning(ctx, i, true);
                    launched.push(self.launch_standalone(ctx, e.task_definition, e.group, iid));
                }
                None => {
                    failed.push(i);
                    i += 1;
                }
            }
        }
        if !launched.is_empty() {
            let list: Vec<String> = launched.iter().map(|t| format!("(task {})", self.tasks[t.index()].name)).collect();
            let message = format!(
                "{} left PROVISIONING and started: {}.",
                crate::words::count(launched.len() as u64, "RunTask task"),
                list.join(" ")
            );
            ctx.notice(Notice::log("RUN_TASK_PROVISIONED").message(message));
        }
        launched
    }

    /// Removes the standalone PROVISIONING task at `index`.
    fn end_standalone_provisioning(&mut self, ctx: &mut Ctx<'_>, index: usize, placed: bool) -> StandaloneProvisioning {
        let e = self.standalone_provisioning.remove(index);
        self.adjust_provider_provisioning(e.provider, e.task_definition, -1);
        self.arm_managed_scaling(ctx, e.provider);
        ctx.notice(Notice::Provisioned { provider: e.provider, waited: ctx.now.since(e.since), placed });
        e
    }

    /// A standalone task waited its time in PROVISIONING: it is STOPPED, and nothing replaces it.
    pub fn standalone_provisioning_timeout(&mut self, ctx: &mut Ctx<'_>, serial: u32) {
        let Some(i) = self.standalone_provisioning.iter().position(|e| e.serial == serial) else { return };
        let e = self.end_standalone_provisioning(ctx, i, false);
        *self.run_task_failures.entry("PROVISIONING_TIMEOUT").or_insert(0) += 1;
        let message = format!(
            "A task of {} started by RunTask waited {} in PROVISIONING and stopped: capacity provider {} provided no instance that can run it.",
            self.task_definitions[e.task_definition.index()].name(),
            self.settings.provisioning_timeout,
            self.providers[e.provider].spec.name
        );
        ctx.notice(Notice::log("RUN_TASK_PROVISIONING_TIMEOUT").message(message));
    }
}
