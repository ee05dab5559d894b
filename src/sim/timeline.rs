//! The scenario's scripted timeline: each entry is an action a person or AWS would take at that
//! moment (terminate instances, an AZ outage, add instances, UpdateService, StopTask).

use crate::cluster::InstanceStatus;
use crate::ecs::task::{DesiredStatus, StopCode};
use crate::ids::{InstanceId, ServiceId, TaskId};
use crate::observer::Notice;
use crate::scenario::{Action, InstanceTarget, Pick};
use crate::sim::{Ctx, Event, State};

impl State {
    pub fn run_timeline_action(&mut self, ctx: &mut Ctx<'_>, i: usize) {
        match self.timeline[i].action.clone() {
            Action::TerminateInstances(target) => {
                for iid in self.resolve_instances(ctx, &target) {
                    self.terminate_instance(ctx, iid, "terminated (scenario timeline)");
                }
            }
            Action::AzOutage { zone, duration } => self.az_outage(ctx, zone, duration),
            Action::DrainInstances(target) => {
                for iid in self.resolve_instances(ctx, &target) {
                    self.drain_instance(ctx, iid, "UpdateContainerInstancesState");
                }
            }
            Action::ActivateInstances(target) => {
                for iid in self.resolve_instances(ctx, &target) {
                    self.activate_instance(ctx, iid);
                }
            }
            Action::AgentConnection { target, connected } => {
                for iid in self.resolve_instances(ctx, &target) {
                    self.set_agent_connected(ctx, iid, connected);
                }
            }
            Action::DeregisterInstances(target) => {
                for iid in self.resolve_instances(ctx, &target) {
                    self.deregister_instance(ctx, iid);
                }
            }
            Action::PowerInstances { target, running } => {
                for iid in self.resolve_instances(ctx, &target) {
                    self.power_instance(ctx, iid, running);
                }
            }
            Action::RetirementNotice { target, deadline, drain } => {
                for iid in self.resolve_instances(ctx, &target) {
                    self.retirement_notice(ctx, iid, deadline, drain);
                }
            }
            Action::RunTask { task_definition, count, group, strategies, constraints, capacity_provider_strategy } => {
                let placement = (&strategies[..], &constraints[..], &capacity_provider_strategy[..]);
                self.run_task(ctx, task_definition, count, group.as_deref(), placement);
            }
            Action::StartTask { task_definition, instances, group } => {
                self.start_task(ctx, task_definition, &instances, group.as_deref());
            }
            Action::FargateTaskRetirement(service) => self.fargate_retirement_notice(ctx, service),
            Action::ImpairInstances(target) => {
                for iid in self.resolve_instances(ctx, &target) {
                    self.impair_instance(ctx, iid);
                }
            }
            Action::SpotInterruption(target) => {
                for iid in self.resolve_instances(ctx, &target) {
                    self.spot_notice(ctx, iid);
                }
            }
            Action::AddInstances { group, count, zone } => {
                let g = group.index();
                let spec = &self.cluster.groups[g];
                let room = spec.max_size.saturating_sub(self.group_desired[g]);
                if count > room {
                    let message = format!(
                        "Auto Scaling group {} is at its maximum size {}: {} of {} instances added.",
                        spec.name, spec.max_size, room, count
                    );
                    ctx.notice(crate::observer::Notice::log("AUTO_SCALING_AT_MAX_SIZE").message(message));
                }
                let count = count.min(room);
                self.group_desired[g] += count;
                for _ in 0..count {
                    self.schedule_launch(ctx, group, zone, crate::engine::SimDuration::ZERO);
                }
            }
            Action::UpdateService {
                service,
                desired_count,
                task_definition,
                force_new_deployment,
                minimum_healthy_percent,
                maximum_percent,
            } => {
                let spec = &mut self.services[service.index()].spec;
                if let Some(p) = minimum_healthy_percent {
                    spec.minimum_healthy_percent = p;
                }
                if let Some(p) = maximum_percent {
                    spec.maximum_percent = p;
                }
                if let Some(d) = desired_count {
                    self.update_desired_count(ctx, service, d);
                }
                let current = self.services[service.index()].primary().task_definition;
                match task_definition {
                    Some(td) if td != current || force_new_deployment => self.start_deployment(ctx, service, td),
                    None if force_new_deployment => self.start_deployment(ctx, service, current),
                    _ => {}
                }
                self.request_reconcile(ctx, service);
            }
            Action::FargateSpotInterruption { service, count } => self.fargate_spot_interruption(ctx, service, count),
            Action::FargateCapacityUnavailable { spot, zone, duration } => {
                self.fargate_capacity_unavailable(ctx, spot, zone, duration)
            }
            Action::InsufficientCapacity { instance_type, zone, duration } => {
                self.set_capacity_short(ctx, &instance_type, zone, true);
                ctx.at(ctx.now.after(duration), Event::CapacityBack(i));
            }
            Action::StopTask { service, task, count, reason } => {
                let victims = self.resolve_tasks(ctx, service, task.as_deref(), count);
                for tid in victims {
                    self.stop_task(ctx, tid, StopCode::UserInitiated, reason.clone());
                }
            }
        }
    }

    /// UpdateService with a new desiredCount: no new deployment, the scheduler launches or stops
    /// tasks of the current revision.
    pub fn update_desired_count(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId, desired: u32) {
        let svc = &mut self.services[sid.index()];
        let message =
            format!("(service {}) desiredCount updated from {} to {desired}.", svc.spec.name, svc.desired_count);
        svc.desired_count = desired;
        let primary = svc.primary;
        svc.deployment_desired[primary] = desired;
        let name = svc.spec.name.clone();
        ctx.notice(Notice::DesiredCount { service: sid, desired });
        ctx.notice(Notice::log("UPDATE_SERVICE").service(&name).message(message));
        self.touch(sid);
        self.request_reconcile(ctx, sid);
    }

    fn resolve_instances(&mut self, ctx: &mut Ctx<'_>, target: &InstanceTarget) -> Vec<InstanceId> {
        let live = |ci: &&crate::cluster::ContainerInstance| ci.status != InstanceStatus::Inactive;
        let (mut pool, count, pick): (Vec<InstanceId>, u32, Pick) = match target {
            InstanceTarget::Ids(ids) => {
                let mut out = Vec::new();
                for id in ids {
                    match self.cluster.find_instance(id).filter(|i| live(&self.cluster.instance(*i))) {
                        Some(iid) => out.push(iid),
                        None => {
                            let message = format!("timeline: no running instance named {id}; nothing terminated.");
                            ctx.notice(Notice::log("TIMELINE_WARNING").instance(id).message(message));
                        }
                    }
                }
                return out;
            }
            InstanceTarget::Group { group, count, pick } => (
                self.cluster.instances.iter().filter(live).filter(|ci| ci.group == *group).map(|ci| ci.id).collect(),
                *count,
                *pick,
            ),
            InstanceTarget::Zone { zone, count, pick } => (
                self.cluster.instances.iter().filter(live).filter(|ci| ci.zone == *zone).map(|ci| ci.id).collect(),
                *count,
                *pick,
            ),
        };
        let n = (count as usize).min(pool.len());
        match pick {
            Pick::First => pool.truncate(n),
            Pick::MostTasks => {
                pool.sort_by_key(|i| (std::cmp::Reverse(self.cluster.instance(*i).tasks.len()), *i));
                pool.truncate(n);
            }
            Pick::Random => {
                // Partial Fisher-Yates from the timeline stream.
                for k in 0..n {
                    let j = k + ctx.rng.timeline.below((pool.len() - k) as u64) as usize;
                    pool.swap(k, j);
                }
                pool.truncate(n);
            }
        }
        pool
    }

    fn resolve_tasks(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId, name: Option<&str>, count: u32) -> Vec<TaskId> {
        let svc = &self.services[sid.index()];
        let mut live: Vec<TaskId> = svc
            .tasks
            .iter()
            .copied()
            .filter(|t| self.tasks[t.index()].desired_status == DesiredStatus::Running)
            .collect();
        if let Some(name) = name {
            let found: Vec<TaskId> = live.into_iter().filter(|t| self.tasks[t.index()].name == name).collect();
            if found.is_empty() {
                let message =
                    format!("timeline: service {} has no running task named {name}; nothing stopped.", svc.spec.name);
                let entry = Notice::log("TIMELINE_WARNING").service(&svc.spec.name).task(name).message(message);
                ctx.notice(entry);
            }
            return found;
        }
        let n = (count as usize).min(live.len());
        for k in 0..n {
            let j = k + ctx.rng.timeline.below((live.len() - k) as u64) as usize;
            live.swap(k, j);
        }
        live.truncate(n);
        live
    }
}
