//! Capacity providers at work (LOAD-BALANCING-AND-CAPACITY.md §2): which provider a service's
//! next task goes to, tasks waiting in PROVISIONING for a provider's instances, and managed
//! scaling: the CapacityProviderReservation datapoint each minute and the Auto Scaling group's
//! target-tracking response (scale-out with step sizes and warm-up, scale-in after 15 minutes
//! below target, managed termination protection and managed draining).
//!
//! The metric is computed on minute boundaries, but only while something can change: a change
//! in the group (a task placed or gone, an instance registered or lost, a task PROVISIONING)
//! arms the next datapoint; a datapoint that leaves nothing to do disarms it. A quiet provider
//! costs no event.

use std::cmp::Ordering;

use crate::cluster::InstanceLoss;
use crate::control_plane::{Ctx, Event, State};
use crate::control_plane::{Notice, ProviderReading};
use crate::ecs::capacity_provider::CapacityProviderSpec;
use crate::ecs::capacity_provider_strategy::item_of;
use crate::ecs::managed_scaling::{InstanceShape, Reservation, instances_needed, scale_in_step};
use crate::ecs::service::Provisioning;
use crate::engine::{SimDuration, SimTime};
use crate::ids::{GroupId, InstanceId, ServiceId, TaskDefId};

/// The metric's period.
const MINUTE: SimDuration = SimDuration::from_mins(1);
/// Target tracking scales in after this many consecutive datapoints below target (§2.4).
const SCALE_IN_DATAPOINTS: u64 = 15;
/// ... and no sooner than this after the last scale-out.
const SCALE_IN_AFTER_SCALE_OUT: SimDuration = SimDuration::from_mins(15);

/// One capacity provider's state in the simulation.
#[derive(Clone, Debug)]
pub struct ProviderState {
    pub spec: CapacityProviderSpec,
    /// What an empty instance of the group offers tasks: of its smallest type and of its
    /// largest (per parameter; the same for a group of one type).
    pub smallest: InstanceShape,
    pub largest: InstanceShape,
    /// The next datapoint is scheduled.
    pub armed: bool,
    /// The first of the current run of datapoints below target.
    pub below_since: Option<SimTime>,
    pub last_scale_out: Option<SimTime>,
    /// No scale-out before this: an instance launched by the last one is warming up.
    pub warm_until: SimTime,
    /// PROVISIONING tasks of this provider per task definition (binpacking's groups).
    pub provisioning_by_td: std::collections::BTreeMap<TaskDefId, u32>,
    pub provisioning: u32,
    /// The last reading reported to the observer.
    pub reported: Option<ProviderReading>,
}

impl ProviderState {
    pub fn new(spec: CapacityProviderSpec, smallest: InstanceShape, largest: InstanceShape) -> ProviderState {
        ProviderState {
            spec,
            smallest,
            largest,
            armed: false,
            below_since: None,
            last_scale_out: None,
            warm_until: SimTime::ZERO,
            provisioning_by_td: Default::default(),
            provisioning: 0,
            reported: None,
        }
    }
}

/// What the placement of one service task came to.
pub enum Launch {
    Task(crate::ids::TaskId),
    /// No instance of the assigned provider can take it: it waits in PROVISIONING.
    Provisioning,
}

impl State {
    /// The capacity provider the service's next task goes to (§2.1), if it has a strategy.
    pub fn assign_provider(&self, sid: ServiceId) -> Option<usize> {
        let svc = &self.services[sid.index()];
        let items = &svc.spec.capacity_provider_strategy;
        if items.is_empty() {
            return None;
        }
        crate::ecs::capacity_provider_strategy::next_provider(items, &svc.provider_tasks)
    }

    /// The Auto Scaling group a provider places on.
    pub fn provider_group(&self, provider: usize) -> GroupId {
        self.providers[provider].spec.group
    }

    /// A service task's desired-RUNNING count changed by `delta` on `instance`: its provider's
    /// share of the service moves with it.
    pub fn count_provider_task(&mut self, sid: ServiceId, instance: InstanceId, delta: i32) {
        let g = self.cluster.instance(instance).group;
        let Some(p) = self.group_provider[g.index()] else { return };
        let svc = &mut self.services[sid.index()];
        if let Some(i) = item_of(&svc.spec.capacity_provider_strategy, p) {
            svc.provider_tasks[i] = svc.provider_tasks[i].saturating_add_signed(delta);
        }
    }

    /// Something in `group` changed: its provider's next datapoint may differ.
    pub fn capacity_changed(&mut self, ctx: &mut Ctx<'_>, group: GroupId) {
        if let Some(p) = self.group_provider[group.index()] {
            self.arm_managed_scaling(ctx, p);
        }
    }

    pub(super) fn arm_managed_scaling(&mut self, ctx: &mut Ctx<'_>, p: usize) {
        let state = &mut self.providers[p];
        if state.armed || state.spec.managed_scaling.is_none() {
            return;
        }
        state.armed = true;
        // The next minute boundary strictly after now.
        let next = SimTime((ctx.now.0 / MINUTE.0 + 1) * MINUTE.0);
        if next < self.end {
            ctx.at(next, Event::ManagedScaling(p as u16));
        }
    }

    /// A task that found no instance of its managed-scaling provider: it waits in PROVISIONING
    /// unless the cluster is at its quota. Returns whether it does.
    pub fn start_provisioning(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId, d: usize, provider: usize) -> bool {
        if self.providers[provider].spec.managed_scaling.is_none()
            || self.provisioning_total >= self.settings.provisioning_tasks_limit
        {
            return false;
        }
        let svc = &mut self.services[sid.index()];
        svc.provisioning_serial += 1;
        let serial = svc.provisioning_serial;
        svc.provisioning.push(Provisioning { serial, deployment: d, provider, since: ctx.now });
        let td = svc.deployments[d].task_definition;
        self.adjust_provisioning(sid, provider, td, 1);
        ctx.at(ctx.now.after(self.settings.provisioning_timeout), Event::ProvisioningTimeout { service: sid, serial });
        self.arm_managed_scaling(ctx, provider);
        if !self.waiting_services.contains(&sid) {
            self.waiting_services.push(sid);
        }
        true
    }

    /// Keeps the provider's, the cluster's and the service's PROVISIONING counts together.
    fn adjust_provisioning(&mut self, sid: ServiceId, provider: usize, td: TaskDefId, delta: i32) {
        self.adjust_provider_provisioning(provider, td, delta);
        let svc = &mut self.services[sid.index()];
        if let Some(i) = item_of(&svc.spec.capacity_provider_strategy, provider) {
            svc.provider_tasks[i] = svc.provider_tasks[i].saturating_add_signed(delta);
        }
    }

    /// Keeps the provider's and the cluster's PROVISIONING counts.
    pub(super) fn adjust_provider_provisioning(&mut self, provider: usize, td: TaskDefId, delta: i32) {
        let state = &mut self.providers[provider];
        state.provisioning = state.provisioning.saturating_add_signed(delta);
        let n = state.provisioning_by_td.entry(td).or_insert(0);
        *n = n.saturating_add_signed(delta);
        if *n == 0 {
            state.provisioning_by_td.remove(&td);
        }
        self.provisioning_total = self.provisioning_total.saturating_add_signed(delta);
    }

    /// Removes the PROVISIONING task at `index` of the service's list.
    fn end_provisioning(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId, index: usize, placed: bool) -> Provisioning {
        let entry = self.services[sid.index()].provisioning.remove(index);
        let td = self.services[sid.index()].deployments[entry.deployment].task_definition;
        self.adjust_provisioning(sid, entry.provider, td, -1);
        self.arm_managed_scaling(ctx, entry.provider);
        let waited = ctx.now.since(entry.since);
        ctx.notice(Notice::Provisioned { provider: entry.provider, waited, placed });
        entry
    }

    /// PROVISIONING tasks of the service that an instance of their provider can take now are
    /// placed, oldest first. Returns the tasks launched.
    pub fn place_provisioning(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId) -> Vec<crate::ids::TaskId> {
        let mut launched = Vec::new();
        let mut i = 0;
        while i < self.services[sid.index()].provisioning.len() {
            let entry = self.services[sid.index()].provisioning[i];
            let svc = &self.services[sid.index()];
            let td = svc.deployments[entry.deployment].task_definition;
            let req = crate::ecs::placement::PlacementRequest {
                task: &self.requirements[td.index()],
                group: svc.group,
                pool: Some(self.provider_group(entry.provider)),
                strategies: &svc.strategies,
                constraints: &svc.constraints,
                tie_break: self.settings.placement_tie_break,
            };
            match crate::ecs::placement::try_place(&self.cluster, &req, &mut ctx.rng.placement) {
                Some(iid) => {
                    self.end_provisioning(ctx, sid, i, true);
                    launched.push(self.launch_task(ctx, sid, entry.deployment, iid));
                }
                None => i += 1,
            }
        }
        // Those still waiting try again when capacity next appears.
        if !self.services[sid.index()].provisioning.is_empty() && !self.waiting_services.contains(&sid) {
            self.waiting_services.push(sid);
        }
        launched
    }

    /// Scale-in or a new deployment gives up PROVISIONING tasks: the newest of deployment `d`
    /// (any deployment but the primary when `d` is `None`). Returns whether one was given up.
    pub fn cancel_provisioning(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId, d: Option<usize>) -> bool {
        let svc = &self.services[sid.index()];
        let primary = svc.primary;
        let found = svc.provisioning.iter().rposition(|e| match d {
            Some(d) => e.deployment == d,
            None => e.deployment != primary,
        });
        let Some(i) = found else { return false };
        let entry = self.end_provisioning(ctx, sid, i, false);
        let svc = &mut self.services[sid.index()];
        if entry.deployment != svc.primary {
            let desired = &mut svc.deployment_desired[entry.deployment];
            *desired = desired.saturating_sub(1);
        }
        true
    }

    /// A PROVISIONING task waited its time out: it is STOPPED and counts as a task that failed
    /// to start.
    pub fn provisioning_timeout(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId, serial: u32) {
        let Some(i) = self.services[sid.index()].provisioning.iter().position(|e| e.serial == serial) else {
            return;
        };
        let entry = self.end_provisioning(ctx, sid, i, false);
        let svc = &mut self.services[sid.index()];
        svc.stats.tasks_failed_to_start += 1;
        let message = format!(
            "(service {}) stopped a task that waited {} in PROVISIONING: capacity provider {} provided no instance that can run it.",
            svc.spec.name, self.settings.provisioning_timeout, self.providers[entry.provider].spec.name
        );
        let name = svc.spec.name.clone();
        ctx.notice(Notice::log("SERVICE_TASK_PROVISIONING_TIMEOUT").service(&name).message(message));
        self.record_start_failure(ctx, sid, entry.deployment);
        self.request_reconcile(ctx, sid);
    }

    /// Provider `p`'s CapacityProviderReservation now (§2.3-2.4): N the group's instances
    /// (registered and launching), M those busy with tasks plus the scale-out step the compatible
    /// PROVISIONING tasks need, binpacked. Its cost is that of the PROVISIONING task groups; the
    /// fleet's size does not enter (busy instances are counted as tasks come and go).
    pub fn reservation(&self, p: usize) -> (Reservation, crate::ecs::managed_scaling::Needed) {
        let state = &self.providers[p];
        let scaling = state.spec.managed_scaling.unwrap_or_default();
        let g = state.spec.group.index();
        let live = self.cluster.group_live_instances()[g];
        let n = live + self.group_launching[g];
        let busy = self.cluster.group_busy_instances()[g].min(live);
        let needed = instances_needed(
            state.smallest,
            state.largest,
            state.provisioning_by_td.iter().map(|(td, c)| (&self.requirements[td.index()], *c)),
        );
        (Reservation::of(busy, n, needed.instances, &scaling), needed)
    }

    /// One CapacityProviderReservation datapoint and the group's response.
    pub fn managed_scaling_tick(&mut self, ctx: &mut Ctx<'_>, p: usize) {
        self.providers[p].armed = false;
        let Some(scaling) = self.providers[p].spec.managed_scaling else { return };
        let g = self.provider_group(p).index();
        let (reading, needed) = self.reservation(p);
        // Only incompatible tasks wait: the metric stays at target (§2.3 step 3).
        let order = if needed.compatible_tasks == 0 && needed.incompatible_tasks > 0 || reading.idle() {
            Ordering::Equal
        } else {
            reading.cmp_target(scaling.target_capacity)
        };
        let spec = &self.cluster.groups[g];
        let (min_size, max_size) = (spec.min_size, spec.max_size);
        let desired = self.group_desired[g];
        let mut settled = true;
        match order {
            Ordering::Greater => {
                self.providers[p].below_since = None;
                let wanted = reading.desired(scaling.target_capacity).min(max_size);
                if ctx.now < self.providers[p].warm_until {
                    settled = false;
                } else if wanted > desired {
                    self.scale_out(ctx, p, wanted - desired, scaling.instance_warmup_period);
                }
            }
            Ordering::Less => {
                let since = *self.providers[p].below_since.get_or_insert(ctx.now);
                let goal = reading.desired(scaling.target_capacity).max(min_size);
                if goal < desired {
                    settled = false;
                    let datapoints = ctx.now.since(since).0 / MINUTE.0 + 1;
                    let cooled =
                        self.providers[p].last_scale_out.is_none_or(|t| ctx.now.since(t) >= SCALE_IN_AFTER_SCALE_OUT);
                    if datapoints >= SCALE_IN_DATAPOINTS && cooled {
                        self.scale_in(ctx, p, scale_in_step(desired, goal));
                    }
                }
            }
            Ordering::Equal => self.providers[p].below_since = None,
        }
        let reading = ProviderReading {
            provider: p,
            cpr_hundredths: (reading.percent() * 100.0).round() as u32,
            instances: self.cluster.group_live_instances()[g],
            desired: self.group_desired[g],
            provisioning: self.providers[p].provisioning,
        };
        if self.providers[p].reported != Some(reading) {
            self.providers[p].reported = Some(reading);
            ctx.notice(Notice::CapacityProvider(reading));
        }
        if !settled || self.providers[p].provisioning > 0 {
            self.arm_managed_scaling(ctx, p);
        }
    }

    fn scale_out(&mut self, ctx: &mut Ctx<'_>, p: usize, count: u32, warmup: SimDuration) {
        let group = self.provider_group(p);
        let g = group.index();
        let from = self.group_desired[g];
        self.group_desired[g] += count;
        for _ in 0..count {
            self.schedule_launch(ctx, group, None, SimDuration::ZERO);
        }
        let state = &mut self.providers[p];
        state.last_scale_out = Some(ctx.now);
        state.warm_until = ctx.now.after(warmup);
        let message = format!(
            "Capacity provider {} scaled out Auto Scaling group {} from {from} to {} instances (CapacityProviderReservation above its target of {} %).",
            state.spec.name,
            self.cluster.groups[g].name,
            from + count,
            state.spec.managed_scaling.map_or(100, |m| m.target_capacity)
        );
        ctx.notice(Notice::log("MANAGED_SCALING_SCALE_OUT").message(message));
        ctx.notice(Notice::Scaled { provider: p, out: true, instances: count });
    }

    /// Lowers the group's desired capacity by up to `count` and terminates instances for it:
    /// with managed termination protection only empty ones (ECS protects the others from
    /// scale-in); otherwise the group's termination policy picks (\[INFER\] the most crowded zone,
    /// oldest instance first). With managed draining each goes DRAINING first and terminates
    /// once it runs no task.
    fn scale_in(&mut self, ctx: &mut Ctx<'_>, p: usize, count: u32) {
        let group = self.provider_group(p);
        let protect = self.providers[p].spec.managed_termination_protection;
        let mut victims = Vec::new();
        for _ in 0..count {
            let chosen = self.termination_victim(group, |ci| {
                !ci.terminate_when_drained && (!protect || ci.non_daemon_tasks == 0) && !victims.contains(&ci.id)
            });
            match chosen {
                Some(iid) => victims.push(iid),
                None => break,
            }
        }
        if victims.is_empty() {
            return;
        }
        let g = group.index();
        let from = self.group_desired[g];
        self.group_desired[g] -= victims.len() as u32;
        let state = &self.providers[p];
        let message = format!(
            "Capacity provider {} scaled in Auto Scaling group {} from {from} to {} instances (CapacityProviderReservation below its target for {SCALE_IN_DATAPOINTS} minutes).",
            state.spec.name, self.cluster.groups[g].name, self.group_desired[g]
        );
        ctx.notice(Notice::log("MANAGED_SCALING_SCALE_IN").message(message));
        ctx.notice(Notice::Scaled { provider: p, out: false, instances: victims.len() as u32 });
        let draining = state.spec.managed_draining;
        for iid in victims {
            self.terminate_by_group(ctx, iid, "to scale in", draining);
        }
    }

    /// The instance of `group` the Auto Scaling group terminates next among those `eligible`:
    /// from the most crowded zone, the oldest there (\[INFER\]: EC2's default policy
    /// also weighs launch templates and billing hours, which ecsim does not model).
    pub fn termination_victim(
        &self,
        group: GroupId,
        eligible: impl Fn(&crate::cluster::ContainerInstance) -> bool,
    ) -> Option<InstanceId> {
        let mut per_zone = vec![0u32; self.cluster.zones.len()];
        let mut candidates = Vec::new();
        for ci in self.cluster.live_instances().filter(|ci| ci.group == group) {
            per_zone[ci.zone.index()] += 1;
            if eligible(ci) {
                candidates.push(ci);
            }
        }
        candidates
            .into_iter()
            .min_by_key(|ci| (std::cmp::Reverse(per_zone[ci.zone.index()]), ci.zone.0, ci.id))
            .map(|ci| ci.id)
    }

    /// The Auto Scaling group terminates `iid` (`why`: "to scale in", ...): at once, its tasks
    /// dying with it, or with managed draining DRAINING first and terminated once it runs no
    /// task or when the lifecycle hook times out.
    pub fn terminate_by_group(&mut self, ctx: &mut Ctx<'_>, iid: InstanceId, why: &str, draining: bool) {
        self.cluster.update_instance(iid, |ci| {
            ci.lost_to = Some(InstanceLoss::Termination);
            ci.terminate_when_drained = draining;
        });
        if !draining {
            self.remove_instance(ctx, iid, &format!("terminated by its Auto Scaling group {why}"), false);
            return;
        }
        self.drain_instance(ctx, iid, &format!("managed draining: its Auto Scaling group terminates it {why}"));
        ctx.at(ctx.now.after(self.settings.managed_draining_timeout), Event::DrainedTermination(iid));
        self.terminate_if_drained(ctx, iid);
    }

    /// An instance its group is terminating after managed draining goes once it runs no task.
    pub fn terminate_if_drained(&mut self, ctx: &mut Ctx<'_>, iid: InstanceId) {
        let ci = self.cluster.instance(iid);
        if ci.terminate_when_drained && ci.tasks.is_empty() && ci.status != crate::cluster::InstanceStatus::Inactive {
            let group = ci.group;
            self.remove_instance(ctx, iid, "terminated by its Auto Scaling group (drained)", false);
            // A rebalancing termination done: the group looks at its zones again.
            self.rebalance_group(ctx, group);
        }
    }

    /// Managed draining's lifecycle hook timed out: the group terminates the instance, drained
    /// or not.
    pub fn drained_termination_timeout(&mut self, ctx: &mut Ctx<'_>, iid: InstanceId) {
        let ci = self.cluster.instance(iid);
        if ci.terminate_when_drained && ci.status != crate::cluster::InstanceStatus::Inactive {
            let group = ci.group;
            self.remove_instance(
                ctx,
                iid,
                "terminated by its Auto Scaling group (managed draining's lifecycle hook timed out)",
                false,
            );
            self.rebalance_group(ctx, group);
        }
    }
}
