//! The scenario's scripted timeline: each entry is an action a person or AWS would take at that
//! moment (terminate instances, an AZ outage, add instances, UpdateService, StopTask).

use crate::cluster::InstanceStatus;
use crate::control_plane::Notice;
use crate::control_plane::{Ctx, Event, State};
use crate::ecs::task::{DesiredStatus, StopCode};
use crate::engine::{SimDuration, SimTime};
use crate::ids::{GroupId, TaskDefId, ZoneId};
use crate::ids::{InstanceId, ServiceId, TaskId};

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
                    ctx.notice(crate::control_plane::Notice::log("AUTO_SCALING_AT_MAX_SIZE").message(message));
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
                self.cluster.instances().iter().filter(live).filter(|ci| ci.group == *group).map(|ci| ci.id).collect(),
                *count,
                *pick,
            ),
            InstanceTarget::Zone { zone, count, pick } => (
                self.cluster.instances().iter().filter(live).filter(|ci| ci.zone == *zone).map(|ci| ci.id).collect(),
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
