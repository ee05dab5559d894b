//! Fargate Spot at work (LOAD-BALANCING-AND-CAPACITY.md §2.7): tasks reclaimed with a
//! two-minute warning and SIGTERM at once, and windows in which Fargate has no capacity to
//! offer ("Capacity is unavailable at this time"): new tasks are refused and the service retries;
//! running tasks go on. Replacements follow the service's strategy, so a FARGATE_SPOT task is
//! replaced on FARGATE_SPOT, never on FARGATE.

use crate::control_plane::Notice;
use crate::control_plane::{Ctx, Event, State};
use crate::ecs::task::StopCode;
use crate::engine::SimDuration;
use crate::ids::{GroupId, ServiceId, TaskId, ZoneId};

/// What ECS says of a reclaimed Fargate Spot task (the documented example event).
pub const SPOT_TASK_INTERRUPTED: &str = "Your Spot Task was interrupted.";

/// The stopped reason of a task Fargate retired (maintenance).
pub const FARGATE_RETIREMENT: &str = "ECS is performing maintenance on the underlying infrastructure hosting the task";

impl State {
    /// The stand-in group of FARGATE (`spot` false) or FARGATE_SPOT, if the scenario uses Fargate.
    fn fargate_group(&self, spot: bool) -> Option<GroupId> {
        let name = if spot { "FARGATE_SPOT" } else { "FARGATE" };
        self.providers.iter().find(|p| p.spec.name == name).map(|p| p.spec.group)
    }

    /// Fargate reclaims `count` of the service's FARGATE_SPOT tasks, drawn from the timeline
    /// stream: each gets SIGTERM at once (no deregistration delay first: the two minutes are
    /// all it has) and is STOPPED with stopCode TerminationNotice.
    pub fn fargate_spot_interruption(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId, count: u32) {
        let Some(spot) = self.fargate_group(true) else { return };
        let mut candidates: Vec<TaskId> = self.services[sid.index()]
            .tasks
            .iter()
            .copied()
            .filter(|t| {
                let t = &self.tasks[t.index()];
                t.counts().live && self.cluster.instance(t.instance).group == spot
            })
            .collect();
        for _ in 0..count {
            if candidates.is_empty() {
                break;
            }
            let tid = candidates.swap_remove(ctx.rng.timeline.below(candidates.len() as u64) as usize);
            self.interrupt_spot_task(ctx, tid);
        }
    }

    /// The warning and SIGTERM for one FARGATE_SPOT task.
    fn interrupt_spot_task(&mut self, ctx: &mut Ctx<'_>, tid: TaskId) {
        let t = &self.tasks[tid.index()];
        let message = format!("(task {}) {SPOT_TASK_INTERRUPTED} Fargate reclaims its capacity in 2 minutes.", t.name);
        let mut entry = Notice::log("FARGATE_SPOT_INTERRUPTION").task(t.name.as_str());
        if let Some(sid) = t.service {
            entry = entry.service(&self.services[sid.index()].spec.name);
        }
        ctx.notice(entry.message(message));
        self.stop_task(ctx, tid, StopCode::TerminationNotice, SPOT_TASK_INTERRUPTED);
    }

    /// A seeded reclaim strikes one FARGATE_SPOT task of `services` (all when empty), drawn
    /// uniformly from the failures stream.
    pub fn reclaim_a_spot_task(&mut self, ctx: &mut Ctx<'_>, services: &[ServiceId]) {
        let Some(spot) = self.fargate_group(true) else { return };
        let candidates: Vec<TaskId> = self
            .tasks
            .iter()
            .filter(|t| {
                t.counts().live
                    && self.cluster.instance(t.instance).group == spot
                    && t.service.is_some_and(|s| services.is_empty() || services.contains(&s))
            })
            .map(|t| t.id)
            .collect();
        if candidates.is_empty() {
            return;
        }
        let tid = candidates[ctx.rng.failures.below(candidates.len() as u64) as usize];
        self.interrupt_spot_task(ctx, tid);
    }

    /// A task placed on FARGATE_SPOT: each `mtbf` fault covering its service draws its lifetime.
    pub fn schedule_spot_reclaim(&mut self, ctx: &mut Ctx<'_>, tid: TaskId) {
        let t = &self.tasks[tid.index()];
        let Some(sid) = t.service else { return };
        let epoch = t.epoch;
        for fault in &self.faults {
            if let crate::control_plane::Fault::FargateSpotInterruptions {
                services,
                schedule: crate::control_plane::FaultSchedule::Mtbf(mtbf),
            } = fault
                && (services.is_empty() || services.contains(&sid))
            {
                let life = crate::engine::Distribution::Exponential { mean: *mtbf }.sample(&mut ctx.rng.failures);
                let at = ctx.now.after(life);
                if at < self.end {
                    ctx.at(at, Event::SpotReclaim { task: tid, epoch });
                }
            }
        }
    }

    /// A seeded reclaim of `tid`, unless the task has moved on since.
    pub fn spot_reclaim(&mut self, ctx: &mut Ctx<'_>, tid: TaskId, epoch: u32) {
        let t = &self.tasks[tid.index()];
        if t.epoch == epoch && t.counts().live {
            self.interrupt_spot_task(ctx, tid);
        }
    }

    /// Fargate announces the retirement of the infrastructure under the Fargate tasks of
    /// `service` (every service when `None`, standalone tasks included); they are retired after
    /// `fargate_task_retirement_wait_period` (the account setting, 7 days by default).
    pub fn fargate_retirement_notice(&mut self, ctx: &mut Ctx<'_>, service: Option<ServiceId>) {
        let wait = self.settings.fargate_task_retirement_wait_period;
        let whose = service.map_or("every Fargate task".to_string(), |s| {
            format!("the Fargate tasks of service {}", self.services[s.index()].spec.name)
        });
        let message = format!("Fargate task retirement scheduled for {whose} in {wait}.");
        ctx.notice(Notice::log("FARGATE_TASK_RETIREMENT_SCHEDULED").message(message));
        ctx.at(ctx.now.after(wait), Event::FargateRetirement { service, noticed: ctx.now });
    }

    /// The retirement: service tasks launched before the notice are replaced first and stopped
    /// once their replacement is healthy, within minimumHealthyPercent (with the default 100 %,
    /// start before stop); standalone tasks are stopped.
    pub fn fargate_retirement(
        &mut self,
        ctx: &mut Ctx<'_>,
        service: Option<ServiceId>,
        noticed: crate::engine::SimTime,
    ) {
        let on_fargate = |s: &State, t: &crate::ecs::task::Task| {
            t.counts().live
                && s.cluster.groups[s.cluster.instance(t.instance).group.index()].fargate
                && t.created_at <= noticed
        };
        let chosen: Vec<TaskId> = self
            .tasks
            .iter()
            .filter(|t| on_fargate(self, t) && (service.is_none() || t.service == service))
            .map(|t| t.id)
            .collect();
        for tid in chosen {
            match self.tasks[tid.index()].service {
                Some(sid) if self.tasks[tid.index()].doomed.is_none() => {
                    self.update_task(ctx, tid, |t| t.doomed = Some(crate::ecs::task::Doom::Retirement));
                    self.request_reconcile(ctx, sid);
                }
                Some(_) => {}
                None => self.stop_task(ctx, tid, StopCode::TerminationNotice, FARGATE_RETIREMENT),
            }
        }
    }

    /// No FARGATE_SPOT (or FARGATE) capacity in `zone` (every zone when `None`) for `duration`.
    pub fn fargate_capacity_unavailable(
        &mut self,
        ctx: &mut Ctx<'_>,
        spot: bool,
        zone: Option<ZoneId>,
        duration: SimDuration,
    ) {
        let Some(group) = self.fargate_group(spot) else { return };
        self.set_fargate_capacity(ctx, group, zone, false);
        ctx.at(ctx.now.after(duration), Event::FargateCapacityBack { group, zone });
    }

    /// Opens or closes the stand-ins of `group` in `zone` (or all zones) to new tasks.
    pub fn set_fargate_capacity(&mut self, ctx: &mut Ctx<'_>, group: GroupId, zone: Option<ZoneId>, available: bool) {
        let hosts: Vec<crate::ids::InstanceId> = self
            .cluster
            .live_instances()
            .filter(|ci| ci.group == group && zone.is_none_or(|z| ci.zone == z))
            .map(|ci| ci.id)
            .collect();
        for iid in hosts {
            // A closed stand-in takes no task; those running on it go on.
            self.cluster.update_instance(iid, |ci| ci.agent_connected = available);
        }
        let provider = &self.cluster.groups[group.index()].name;
        let place = zone.map_or("any Availability Zone".to_string(), |z| self.cluster.zone_name(z).to_string());
        let (kind, message) = if available {
            ("FARGATE_CAPACITY_AVAILABLE", format!("{provider} capacity is available again in {place}."))
        } else {
            ("FARGATE_CAPACITY_UNAVAILABLE", format!("{provider} capacity is unavailable in {place}: new tasks wait."))
        };
        ctx.notice(Notice::log(kind).message(message));
        if available {
            self.capacity_freed(ctx);
        }
    }
}
