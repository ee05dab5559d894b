//! The service scheduler for REPLICA services (SCHEDULING.md §3.2, §4.4): one reconcile step keeps
//! desiredCount tasks and rolls deployments forward. It runs as an event when something changed
//! (a task stopped or became healthy, capacity appeared, the service was updated), never on a
//! timer.
//!
//! The rolling step [INFER, reproduces the documented examples]:
//! 1. retire old-deployment tasks: unhealthy RUNNING ones always, healthy ones while the healthy
//!    count stays at or above ceil(desired x minimumHealthyPercent / 100);
//! 2. launch: first replacements for old deployments that lost tasks (from their own revision),
//!    then new tasks of the PRIMARY deployment, while running + pending (+ stopping) tasks stay at
//!    or below floor(desired x maximumPercent / 100);
//! 3. scale in the PRIMARY deployment if it has more tasks than desired.

use crate::control_plane::Notice;
use crate::control_plane::capacity_providers::Launch;
use crate::control_plane::{Ctx, Event, State};
use crate::ecs::deployment::DeploymentStatus;
use crate::ecs::placement::{self, PlacementRequest, StopCandidate};
use crate::ecs::task::{DesiredStatus, StopCode};
use crate::ids::{ServiceId, TaskId};

/// ECS lists the tasks of one action in its service event; ecsim writes at most this many per
/// event so large scale-ups stay readable.
const TASKS_PER_MESSAGE: usize = 10;

use crate::ecs::census::CensusView;
use crate::ecs::placement::stop_index::StopClass;

/// The tasks a step of the scheduler may stop.
#[derive(Clone, Copy, Debug)]
enum StopPool {
    /// Rolling step 1: tasks on DRAINING instances, and old deployments' tasks while the
    /// deployment rolls. Pending replacements from an old revision are left to finish starting
    /// (\[INFER\]: otherwise the step would launch and retire the same task in a loop).
    Retire { rolling: bool, primary: usize },
    /// Rolling step 3: the PRIMARY deployment's tasks that are neither marked for replacement
    /// nor on a DRAINING instance.
    Surplus { primary: usize },
}

impl StopPool {
    fn takes(self, c: &StopClass) -> bool {
        match self {
            StopPool::Retire { rolling, primary } => {
                c.draining || (rolling && c.deployment != primary && !c.starting_replacement)
            }
            StopPool::Surplus { primary } => c.deployment == primary && !c.doomed && !c.draining,
        }
    }
}

impl State {
    /// Asks the scheduler to look at a service at this instant (once, however many changes).
    pub fn request_reconcile(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId) {
        self.request_reconcile_at(ctx, sid, ctx.now);
    }

    /// One reconcile per service is scheduled at a time: a request for the same or a later time
    /// is absorbed; an earlier one replaces it (the later event is cancelled).
    fn request_reconcile_at(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId, at: crate::engine::SimTime) {
        let svc = &mut self.services[sid.index()];
        match svc.reconcile_at {
            Some((t, _)) if t <= at => return,
            Some((_, key)) => ctx.queue.cancel(key),
            None => {}
        }
        let key = ctx.queue.schedule(at, Event::Reconcile(sid));
        svc.reconcile_at = Some((at, key));
    }

    /// Capacity appeared (a task released resources, an instance registered): services waiting
    /// after a placement failure try again, no sooner than their retry time.
    pub fn capacity_freed(&mut self, ctx: &mut Ctx<'_>) {
        for sid in std::mem::take(&mut self.waiting_services) {
            self.request_reconcile(ctx, sid);
        }
        if !self.standalone_provisioning.is_empty() {
            self.place_standalone_provisioning(ctx);
        }
        self.wake_workloads(ctx);
    }

    /// What the reconcile step sees of the service's tasks (see [`CensusView`]).
    fn census(&self, sid: ServiceId) -> CensusView<'_> {
        let svc = &self.services[sid.index()];
        CensusView {
            census: &svc.census,
            provisioning: &svc.provisioning,
            counts_stopping: self.settings.max_percent_counts_stopping,
        }
    }

    pub fn reconcile(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId) {
        self.services[sid.index()].reconcile_at = None;
        if self.services[sid.index()].spec.daemon {
            self.reconcile_daemon(ctx, sid);
            return;
        }
        let retired = self.retire_old_tasks(ctx, sid);
        let launched = self.launch_missing(ctx, sid);
        self.replace_unhealthy(ctx, sid);
        self.rebalance_zones(ctx, sid);
        self.scale_in_primary(ctx, sid);
        if !retired && !launched {
            self.report_stuck_configuration(ctx, sid);
        }
    }

    /// Rolling step 1. Returns whether any task was retired.
    fn retire_old_tasks(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId) -> bool {
        let svc = &self.services[sid.index()];
        // A FAILED deployment makes no more progress (it stalls, or a rollback took over); tasks
        // on DRAINING instances still move.
        let rolling = !svc.primary_failed();
        let primary = svc.primary;
        let min_healthy = svc.spec.min_healthy_tasks(svc.desired_count);
        // Old revisions' PROVISIONING tasks are not needed any more and hold nothing.
        if rolling {
            while self.cancel_provisioning(ctx, sid, None) {}
        }
        let mut healthy = self.census(sid).healthy();
        let mut retired = Vec::new();
        // Nothing to retire without a DRAINING instance in the cluster or a live task of an old
        // deployment: the common case costs no walk over the service's tasks.
        let c = &self.services[sid.index()].census;
        let of = |v: &[u32]| v.get(primary).copied().unwrap_or(0);
        let old_live = c.live - of(&c.live_per_deployment);
        // Old tasks that are not healthy can always go; healthy ones only above the floor.
        let old_not_healthy = old_live - (c.healthy - of(&c.healthy_per_deployment));
        let stoppable = old_not_healthy > 0 || healthy > min_healthy;
        if self.cluster.draining_instances() == 0 && (old_live == 0 || !rolling || !stoppable) {
            return false;
        }
        let pool = StopPool::Retire { rolling, primary };
        let mut candidates = self.stop_candidates(sid, pool);
        while let Some(tid) = self.choose_stop(ctx, sid, pool, &mut candidates) {
            let task_healthy = self.tasks[tid.index()].counts().healthy;
            if task_healthy {
                if healthy == 0 || healthy - 1 < min_healthy {
                    break;
                }
                healthy -= 1;
            }
            let d = self.tasks[tid.index()].deployment;
            let draining = self.on_draining_instance(&self.tasks[tid.index()]);
            let svc = &mut self.services[sid.index()];
            if d != primary {
                svc.deployment_desired[d] = svc.deployment_desired[d].saturating_sub(1);
            }
            let reason = if draining {
                format!(
                    "Service ECS (service {}) stopped the task: container instance {} is DRAINING",
                    svc.spec.name,
                    self.cluster.instance(self.tasks[tid.index()].instance).ec2_instance_id
                )
            } else {
                format!("Scaling activity initiated by (deployment {})", svc.deployments[primary].id)
            };
            self.stop_task(ctx, tid, StopCode::ServiceSchedulerInitiated, reason);
            retired.push(tid);
        }
        self.log_task_batch(ctx, sid, &retired, "SERVICE_TASKS_STOPPED", "has stopped", "running tasks");
        !retired.is_empty()
    }

    fn on_draining_instance(&self, t: &crate::ecs::task::Task) -> bool {
        self.cluster.is_draining(t.instance)
    }

    /// Rolling step 2. Returns whether anything was launched.
    fn launch_missing(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId) -> bool {
        let census = self.census(sid);
        let svc = &self.services[sid.index()];
        let max_total = svc.spec.max_total_tasks(svc.desired_count).max(
            // With no deployment in progress a lost task is always replaced, even when
            // maximumPercent leaves no headroom above desired.
            if svc.deployments.len() == 1 { svc.desired_count } else { 0 },
        );
        let mut room = max_total.saturating_sub(census.live() + census.stopping());
        // Old deployments first: their lost tasks come back from their own revision.
        let mut wanted: Vec<(usize, u32)> = Vec::new();
        for (d, dep) in svc.deployments.iter().enumerate() {
            if d == svc.primary || dep.status == DeploymentStatus::Inactive || dep.rolled_back {
                continue;
            }
            let missing = svc.deployment_desired[d].saturating_sub(census.live_of(d) - census.leaving_of(d));
            let n = missing.min(room);
            room -= n;
            if n > 0 {
                wanted.push((d, n));
            }
        }
        if !svc.primary_failed() {
            let p = svc.primary;
            let missing = svc.desired_count.saturating_sub(census.live_of(p) - census.leaving_of(p));
            let n = missing.min(room);
            if n > 0 {
                wanted.push((svc.primary, n));
            }
        }
        let provisioned = self.place_provisioning(ctx, sid);
        let placed_any = !provisioned.is_empty();
        self.log_task_batch(ctx, sid, &provisioned, "SERVICE_TASKS_STARTED", "has started", "tasks");
        if wanted.is_empty() {
            return placed_any;
        }
        let svc = &self.services[sid.index()];
        let not_before = svc.retry_at.max(svc.throttle_until);
        if (svc.waiting_for_capacity || svc.start_failures > 0) && ctx.now < not_before {
            self.request_reconcile_at(ctx, sid, not_before);
            return false;
        }
        self.services[sid.index()].waiting_for_capacity = false;
        let mut started = Vec::new();
        let mut provisioning = 0u32;
        'all: for (d, n) in wanted {
            for _ in 0..n {
                match self.place_one(ctx, sid, d) {
                    Some(Launch::Task(tid)) => started.push(tid),
                    Some(Launch::Provisioning) => provisioning += 1,
                    None => break 'all,
                }
            }
        }
        self.log_task_batch(ctx, sid, &started, "SERVICE_TASKS_STARTED", "has started", "tasks");
        if provisioning > 0 {
            let svc = &self.services[sid.index()];
            let message = format!(
                "(service {}) has started {} in PROVISIONING: waiting for capacity provider instances.",
                svc.spec.name,
                crate::words::count(u64::from(provisioning), "task")
            );
            let name = svc.spec.name.clone();
            ctx.notice(Notice::log("SERVICE_TASKS_PROVISIONING").service(&name).message(message));
        }
        placed_any || !started.is_empty() || provisioning > 0
    }

    /// Places and launches one task of deployment `d` on the instances of the capacity provider
    /// its strategy assigns (any instance without one); a task its managed-scaling provider has
    /// no room for waits in PROVISIONING; any other failure is reported ECS's way.
    fn place_one(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId, d: usize) -> Option<Launch> {
        let provider = self.assign_provider(sid);
        let svc = &self.services[sid.index()];
        let td = svc.deployments[d].task_definition;
        let req = PlacementRequest {
            task: &self.requirements[td.index()],
            group: svc.group,
            pool: provider.map(|p| self.providers[p].spec.group),
            strategies: &svc.strategies,
            constraints: &svc.constraints,
            tie_break: self.settings.placement_tie_break,
        };
        let explanation = self.explanation_for(&[&svc.spec.name], &req);
        let random = req.is_random();
        let failure = match placement::place(&self.cluster, &req, &mut ctx.rng.placement) {
            Ok(iid) => {
                let tid = self.launch_task(ctx, sid, d, iid);
                if let Some(e) = explanation {
                    self.log_placed(ctx, tid, random, &e);
                }
                return Some(Launch::Task(tid));
            }
            Err(f) => f,
        };
        if let Some(p) = provider
            && self.start_provisioning(ctx, sid, d, p)
        {
            return Some(Launch::Provisioning);
        }
        if let Some(e) = explanation {
            let name = &self.services[sid.index()].spec.name;
            self.log_unplaced(ctx, &format!("service {name}"), Some(name), &e);
        }
        let svc = &mut self.services[sid.index()];
        svc.stats.placement_failures += 1;
        svc.waiting_for_capacity = true;
        svc.retry_at = ctx.now.after(self.settings.placement_retry_interval);
        if !self.waiting_services.contains(&sid) {
            self.waiting_services.push(sid);
        }
        let name = &svc.spec.name;
        let on_fargate = provider.is_some_and(|p| self.cluster.groups[self.providers[p].spec.group.index()].fargate);
        let message = match failure.closest {
            // ECS's words when Fargate (Spot) has no capacity for the task.
            _ if on_fargate => format!(
                "(service {name}) was unable to place a task. Reason: Capacity is unavailable at this time. Please try again later or in a different availability zone."
            ),
            Some((iid, reason)) => format!(
                "(service {name}) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance {}) {}. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
                self.cluster.instance(iid).ec2_instance_id,
                reason.service_event_text()
            ),
            None => format!(
                "(service {name}) was unable to place a task. Reason: No Container Instances were found in your cluster."
            ),
        };
        let mut entry = Notice::log("SERVICE_TASK_PLACEMENT_FAILURE").service(name);
        if let Some((iid, _)) = failure.closest.filter(|_| !on_fargate) {
            entry = entry.instance(&self.cluster.instance(iid).ec2_instance_id);
        }
        ctx.notice(entry.message(message));
        // A task the scheduler cannot launch counts for the throttle and the circuit breaker.
        self.record_start_failure(ctx, sid, d);
        None
    }

    /// Unhealthy tasks (§3.3): their replacement was started first when maximumPercent left
    /// room; each is stopped once its deployment has enough healthy tasks without it, or at
    /// once (one per step) when no replacement could start. A marked task may pass its checks
    /// again meanwhile; it still waits for a healthy replacement, and then its stop, like every
    /// stop the scheduler chooses, keeps minimumHealthyPercent.
    fn replace_unhealthy(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId) {
        let census = self.census(sid);
        if census.census.doomed_per_deployment.iter().all(|&n| n == 0) {
            return;
        }
        let svc = &self.services[sid.index()];
        let room = svc.spec.max_total_tasks(svc.desired_count).saturating_sub(census.live() + census.stopping());
        let min_healthy = svc.spec.min_healthy_tasks(svc.desired_count);
        let mut healthy = census.healthy();
        // The counts as the step began, per deployment: (sound, live and not marked).
        let before: Vec<(u32, u32)> =
            (0..svc.deployments.len()).map(|d| (census.sound_of(d), census.live_of(d) - census.doomed_of(d))).collect();
        let mut stopped_one_for_room = false;
        let doomed: Vec<TaskId> =
            svc.tasks.iter().copied().filter(|t| self.tasks[t.index()].doomed.is_some()).collect();
        for tid in doomed {
            let t = &self.tasks[tid.index()];
            if t.desired_status != DesiredStatus::Running {
                continue;
            }
            let d = t.deployment;
            let task_healthy = t.counts().healthy;
            let svc = &self.services[sid.index()];
            let target = if d == svc.primary { svc.desired_count } else { svc.deployment_desired[d] };
            let replaced = before[d].0 >= target;
            let has_replacement = before[d].1 >= target;
            let no_room = room == 0 && !has_replacement && !stopped_one_for_room;
            if !(replaced || no_room) || (task_healthy && healthy <= min_healthy) {
                continue;
            }
            healthy -= u32::from(task_healthy);
            stopped_one_for_room |= !replaced;
            let reason = self.unhealthy_stop_reason(tid);
            let retired = self.tasks[tid.index()].doomed == Some(crate::ecs::task::Doom::Retirement);
            self.stop_task(ctx, tid, StopCode::ServiceSchedulerInitiated, reason);
            // A task replaced after failing its health checks counts for the circuit breaker (one
            // Fargate retires does not).
            if !retired {
                self.circuit_breaker_failure(ctx, sid, d);
            }
            self.log_task_batch(ctx, sid, &[tid], "SERVICE_TASKS_STOPPED", "has stopped", "running tasks");
        }
    }

    /// AZ rebalancing (SCHEDULING.md §7): in steady state, when the zones that can take tasks hold
    /// counts differing by more than one, start a task in the zone with the fewest; once it is
    /// healthy the scale-in step stops one in the zone with the most (the spread rule of §5.8).
    fn rebalance_zones(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId) {
        let svc = &self.services[sid.index()];
        if !svc.spec.az_rebalancing_applies()
            || svc.deployments.iter().filter(|d| d.status != DeploymentStatus::Inactive).count() > 1
        {
            return;
        }
        let c = svc.counts;
        let counts = &self.cluster.group_zone_counts()[svc.group.index()];
        let spread = |zones: &[usize]| {
            let min = zones.iter().map(|&z| (counts[z], z)).min().unwrap_or((0, 0));
            let max = zones.iter().map(|&z| counts[z]).max().unwrap_or(0);
            (min, max)
        };
        // Cheap first: balanced over every zone that is up means balanced over those that can
        // take tasks too; only an apparent imbalance pays for the scan of instances.
        let up: Vec<usize> = (0..self.cluster.zones.len()).filter(|&z| self.cluster.zone_up[z]).collect();
        let ((_, up_min_zone), up_max) = spread(&up);
        let balanced_up = up_max <= counts.get(up_min_zone).copied().unwrap_or(0) + 1;
        let zones: Vec<usize> = if balanced_up {
            up
        } else {
            up.into_iter()
                .filter(|&z| self.cluster.live_instances().any(|ci| ci.zone.index() == z && ci.accepts_placement()))
                .collect()
        };
        if zones.len() < 2 && !svc.rebalancing {
            return;
        }
        let ((min, min_zone), max) = spread(&zones);
        let name = svc.spec.name.clone();
        if max <= min + 1 {
            if svc.rebalancing && c.live == svc.desired_count {
                self.services[sid.index()].rebalancing = false;
                let message = format!("(service {name}) is balanced across Availability Zones: rebalancing completed.");
                ctx.notice(Notice::log("SERVICE_REBALANCING_COMPLETED").service(&name).message(message));
            }
            return;
        }
        if zones.len() < 2 {
            return;
        }
        let steady = c.live == svc.desired_count && c.healthy == c.live && c.doomed == 0;
        if !steady {
            return;
        }
        // The extra task needs room under maximumPercent like any launch, stopping tasks
        // included when they are counted (tasks just replaced may still be draining).
        if c.live + self.census(sid).stopping() >= svc.spec.max_total_tasks(svc.desired_count) {
            return;
        }
        let zone_name = self.cluster.zones[min_zone].clone();
        let expression = format!("attribute:ecs.availability-zone == {zone_name}");
        let Ok(expr) = crate::ecs::placement::query::parse(&expression) else { return };
        let mut constraints = svc.constraints.clone();
        constraints.push(crate::ecs::placement::Constraint::MemberOf { expression, expr });
        let primary = svc.primary;
        let req = PlacementRequest {
            task: &self.requirements[svc.deployments[primary].task_definition.index()],
            group: svc.group,
            pool: self.assign_provider(sid).map(|p| self.provider_group(p)),
            strategies: &svc.strategies,
            constraints: &constraints,
            tie_break: self.settings.placement_tie_break,
        };
        let Ok(iid) = placement::place(&self.cluster, &req, &mut ctx.rng.placement) else { return };
        if !svc.rebalancing {
            let message = format!("(service {name}) is imbalanced across Availability Zones: rebalancing started.");
            ctx.notice(Notice::log("SERVICE_REBALANCING_STARTED").service(&name).message(message));
        }
        self.services[sid.index()].rebalancing = true;
        let tid = self.launch_task(ctx, sid, primary, iid);
        self.log_task_batch(ctx, sid, &[tid], "SERVICE_TASKS_STARTED", "has started", "tasks");
    }

    /// Rolling step 3: more PRIMARY tasks than desired (a scale-in).
    fn scale_in_primary(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId) {
        let svc = &self.services[sid.index()];
        let primary = svc.primary;
        let census = self.census(sid);
        // Unhealthy tasks waiting for their replacement are not surplus: replace_unhealthy
        // stops them.
        let live = census.live_of(primary) - census.leaving_of(primary);
        // During AZ rebalancing the extra task must be healthy before one is stopped.
        if svc.rebalancing && census.healthy() < census.live() {
            return;
        }
        let mut excess = live.saturating_sub(svc.desired_count);
        // PROVISIONING tasks go first: they serve nothing yet.
        while excess > 0 && self.cancel_provisioning(ctx, sid, Some(primary)) {
            excess -= 1;
        }
        let mut stopped = Vec::new();
        if excess == 0 {
            return;
        }
        let svc = &self.services[sid.index()];
        let reason = format!("Scaling activity initiated by (deployment {})", svc.deployments[primary].id);
        let pool = StopPool::Surplus { primary };
        let mut candidates = self.stop_candidates(sid, pool);
        for _ in 0..excess {
            let Some(tid) = self.choose_stop(ctx, sid, pool, &mut candidates) else {
                break;
            };
            self.stop_task(ctx, tid, StopCode::ServiceSchedulerInitiated, reason.clone());
            stopped.push(tid);
        }
        self.log_task_batch(ctx, sid, &stopped, "SERVICE_TASKS_STOPPED", "has stopped", "running tasks");
    }

    /// Which task of `pool` the service stops next (§5.8): from its stop index, or else from
    /// `candidates`, which it then leaves. One list serves a whole step's stops: a stop changes
    /// no other candidate, and the cluster's counts the choice reads are read afresh each time.
    fn choose_stop(
        &self,
        ctx: &mut Ctx<'_>,
        sid: ServiceId,
        pool: StopPool,
        candidates: &mut Vec<StopCandidate>,
    ) -> Option<TaskId> {
        let svc = &self.services[sid.index()];
        if let Some(ix) = &svc.stop_index {
            return ix.next(&self.cluster.group_zone_counts()[svc.group.index()], |c| pool.takes(c));
        }
        let tid = placement::choose_task_to_stop(
            &self.cluster,
            svc.group,
            candidates,
            &svc.spec.strategies,
            self.settings.placement_tie_break,
            &mut ctx.rng.placement,
        )?;
        if let Some(i) = candidates.iter().position(|c| c.task == tid) {
            candidates.remove(i);
        }
        Some(tid)
    }

    /// The live tasks of `pool`, as scale-in candidates (none for a service that keeps a stop
    /// index: the index answers instead).
    fn stop_candidates(&self, sid: ServiceId, pool: StopPool) -> Vec<StopCandidate> {
        let svc = &self.services[sid.index()];
        if svc.stop_index.is_some() {
            return Vec::new();
        }
        svc.tasks
            .iter()
            .map(|&tid| &self.tasks[tid.index()])
            .filter(|t| self.stop_key(t).is_some_and(|k| pool.takes(&k.class)))
            .map(|t| {
                let req = &self.requirements[t.task_definition.index()];
                StopCandidate {
                    task: t.id,
                    seq: t.seq,
                    instance: t.instance,
                    zone: t.zone,
                    pending: t.last_status.is_pending(),
                    healthy: t.counts().healthy,
                    cpu: req.cpu,
                    memory_mib: req.memory_mib,
                }
            })
            .collect()
    }

    /// Old tasks remain, yet minimumHealthyPercent forbids stopping any and maximumPercent forbids
    /// starting any: the deployment cannot move (SCHEDULING.md §4.1).
    fn report_stuck_configuration(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId) {
        let census = self.census(sid);
        let svc = &self.services[sid.index()];
        let old_live = census.live() - census.live_of(svc.primary);
        let d = svc.desired_count;
        let stuck = old_live > 0
            && !svc.primary_failed()
            && svc.spec.max_total_tasks(d) <= d
            && svc.spec.min_healthy_tasks(d) >= d
            && census.healthy() >= svc.spec.min_healthy_tasks(d);
        let svc = &mut self.services[sid.index()];
        if stuck && !svc.stuck_reported {
            svc.stuck_reported = true;
            let message = format!(
                "(service {}) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.",
                svc.spec.name
            );
            ctx.notice(Notice::log("SERVICE_DEPLOYMENT_STUCK").service(&svc.spec.name).message(message));
        }
    }

    /// "(service web) has started 2 tasks: (task web-5) (task web-6)."
    pub(crate) fn log_task_batch(
        &self,
        ctx: &mut Ctx<'_>,
        sid: ServiceId,
        tasks: &[TaskId],
        kind: &'static str,
        verb: &str,
        noun: &str,
    ) {
        let name = &self.services[sid.index()].spec.name;
        for chunk in tasks.chunks(TASKS_PER_MESSAGE) {
            let noun = if chunk.len() == 1 { noun.trim_end_matches('s') } else { noun };
            // Without the formatter: a week of deployments writes hundreds of thousands.
            let mut message =
                ["(service ", name, ") ", verb, " ", itoa::Buffer::new().format(chunk.len()), " ", noun, ": "].concat();
            for (i, t) in chunk.iter().enumerate() {
                message.push_str(if i == 0 { "(task " } else { " (task " });
                message.push_str(&self.tasks[t.index()].name);
                message.push(')');
            }
            message.push('.');
            let mut entry = Notice::log(kind).service(name).message(message);
            if chunk.len() == 1 {
                let t = &self.tasks[chunk[0].index()];
                entry = entry.task(&t.name).instance(&self.cluster.instance(t.instance).ec2_instance_id);
            }
            ctx.notice(entry);
        }
    }
}
