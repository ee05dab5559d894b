//! Instance groups as Auto Scaling groups: launching instances (EC2 launch, boot, agent
//! registration take the group's `launch_time`), replacing lost ones, keeping zones balanced,
//! and topping a zone back up when it recovers.

use crate::cluster::MAX_CONTAINER_INSTANCES;
use crate::control_plane::Notice;
use crate::control_plane::{Ctx, Event, State};
use crate::control_plane::{Fault, FaultSchedule};
use crate::ids::{GroupId, InstanceId, ZoneId};

impl State {
    /// An EC2 instance the group launched has booted and its agent registers it, unless the
    /// cluster holds its quota of container instances (5,000, SCHEDULING.md §2.6, not
    /// adjustable): then RegisterContainerInstance fails, the agent retries, and the instance
    /// stays launching for its group (which launches no other in its place) until one leaves.
    pub fn instance_booted(&mut self, ctx: &mut Ctx<'_>, group: GroupId, zone: ZoneId, kind: u8) {
        let fargate = self.cluster.groups[group.index()].fargate;
        if !fargate
            && (self.cluster.container_instances() >= MAX_CONTAINER_INSTANCES || !self.registrations_waiting.is_empty())
        {
            self.registrations_waiting.push_back((group, zone, kind));
            let spec = &self.cluster.groups[group.index()];
            let message = format!(
                "An instance of Auto Scaling group {} ({}) could not register: the cluster has {MAX_CONTAINER_INSTANCES} container instances, the ECS quota (not adjustable); its agent retries.",
                spec.name,
                self.cluster.zone_name(zone)
            );
            ctx.notice(Notice::log("INSTANCE_REGISTRATION_FAILED").message(message));
            return;
        }
        self.launched_registers(ctx, group, zone, kind);
    }

    /// At the end of an instant: instances waiting to register take the room instances that
    /// left made, in boot order.
    pub fn retry_registrations(&mut self, ctx: &mut Ctx<'_>) {
        while self.cluster.container_instances() < MAX_CONTAINER_INSTANCES
            && let Some((group, zone, kind)) = self.registrations_waiting.pop_front()
        {
            self.launched_registers(ctx, group, zone, kind);
        }
    }

    /// A launched instance registers: it is no longer launching for its group.
    fn launched_registers(&mut self, ctx: &mut Ctx<'_>, group: GroupId, zone: ZoneId, kind: u8) {
        self.group_launching[group.index()] = self.group_launching[group.index()].saturating_sub(1);
        let booting = &mut self.group_zone_launching[group.index()][zone.index()];
        *booting = booting.saturating_sub(1);
        self.register_instance(ctx, group, zone, kind);
        self.rebalance_registered(ctx, group, zone);
    }

    /// A container instance registers: it can take tasks from now on, and its seeded lifetime
    /// starts.
    pub fn register_instance(&mut self, ctx: &mut Ctx<'_>, group: GroupId, zone: ZoneId, kind: u8) -> InstanceId {
        let iid = self.cluster.register_instance(group, zone, kind, ctx.now);
        self.capacity_changed(ctx, group);
        let fargate = self.cluster.groups[group.index()].fargate;
        if ctx.now.0 > 0 && fargate {
            let message = format!("Fargate capacity in {} is available again.", self.cluster.zone_name(zone));
            ctx.notice(Notice::log("FARGATE_CAPACITY_AVAILABLE").message(message));
        } else if ctx.now.0 > 0 {
            let ci = self.cluster.instance(iid);
            let message = format!(
                "Container instance {} ({}, {}) registered with {} CPU units and {} MiB.",
                ci.ec2_instance_id,
                ci.instance_type,
                self.cluster.zone_name(zone),
                ci.cpu_registered,
                ci.memory_mib_registered
            );
            ctx.notice(Notice::log("INSTANCE_REGISTERED").instance(&ci.ec2_instance_id).message(message));
        }
        for fault in &self.faults {
            if let (FaultSchedule::Mtbf(mtbf), true) = (fault.schedule(), fault.groups().contains(&group)) {
                let life = crate::engine::Distribution::Exponential { mean: *mtbf }.sample(&mut ctx.rng.failures);
                let at = ctx.now.after(life);
                if at < self.end {
                    ctx.at(at, strike(fault, iid));
                }
            }
        }
        // DAEMON tasks go first on a new instance (their reconcile is queued first); services that
        // rebalance across zones look again.
        self.reconcile_daemons(ctx);
        self.capacity_freed(ctx);
        if ctx.now.0 > 0 {
            for i in 0..self.services.len() {
                if self.services[i].spec.az_rebalancing_applies() {
                    self.request_reconcile(ctx, crate::ids::ServiceId(i as u16));
                }
            }
        }
        iid
    }

    /// The group decides to launch an instance `delay` from now (in `zone`, or where the group
    /// is thinnest among zones that are up when the launch starts). A launch into a given zone
    /// counts there from the decision on, so the group's other decisions see it.
    pub fn schedule_launch(
        &mut self,
        ctx: &mut Ctx<'_>,
        group: GroupId,
        zone: Option<ZoneId>,
        delay: crate::engine::SimDuration,
    ) {
        self.group_launching[group.index()] += 1;
        if let Some(z) = zone {
            self.group_zone_launching[group.index()][z.index()] += 1;
        }
        ctx.at(ctx.now.after(delay), Event::AsgLaunch { group, zone });
    }

    pub fn asg_launch(&mut self, ctx: &mut Ctx<'_>, group: GroupId, given: Option<ZoneId>) {
        let g = group.index();
        // A zone given at the decision was counted then; it is given back if the launch goes
        // elsewhere (the zone went down meanwhile) or fails.
        if let Some(z) = given {
            self.group_zone_launching[g][z.index()] -= 1;
        }
        let booting = &self.group_zone_launching[g];
        let zone = given
            .filter(|z| self.cluster.zone_up[z.index()] && self.cluster.launch_kind(group, *z).is_some())
            .or_else(|| self.cluster.zone_for_launch(group, booting));
        if let Some(z) = given.filter(|z| zone != Some(*z)) {
            // A rebalancing launch that cannot go where it was meant to is no longer one.
            let meant = &mut self.rebalance_launching[g][z.index()];
            *meant = meant.saturating_sub(1);
        }
        let spec = &self.cluster.groups[g];
        match zone.and_then(|z| Some((z, self.cluster.launch_kind(group, z)?))) {
            Some((zone, kind)) => {
                self.group_zone_launching[g][zone.index()] += 1;
                ctx.at(ctx.now.after(spec.launch_time), Event::InstanceRegistered { group, zone, kind })
            }
            None => {
                // Every zone of the group is down or out of every type it launches: the launch
                // fails; the zone's recovery or the capacity's return tops the group up.
                self.group_launching[g] -= 1;
                for z in self.rebalance_launching[g].iter_mut() {
                    *z = 0;
                }
                let up = spec.zones.iter().any(|z| self.cluster.zone_up[z.index()]);
                let why = if up {
                    let types: Vec<&str> = spec.types.iter().map(|t| t.name.as_str()).collect();
                    format!(
                        "We currently do not have sufficient {} capacity in the Availability Zones you requested.",
                        types.join(" or ")
                    )
                } else {
                    "no Availability Zone of the group is up.".to_string()
                };
                let message = format!("Auto Scaling group {} could not launch an instance: {why}", spec.name);
                ctx.notice(Notice::log("INSTANCE_LAUNCH_FAILED").message(message));
            }
        }
    }

    pub fn zone_recovered(&mut self, ctx: &mut Ctx<'_>, zone: ZoneId) {
        self.cluster.zone_up[zone.index()] = true;
        let message = format!("Availability Zone {} recovered.", self.cluster.zone_name(zone));
        ctx.notice(Notice::log("AZ_RECOVERED").message(message));
        for g in 0..self.cluster.groups.len() {
            let group = GroupId(g as u16);
            if !self.cluster.groups[g].zones.contains(&zone) {
                continue;
            }
            if self.cluster.groups[g].fargate {
                // Fargate capacity in the zone is back (for a provider some service uses).
                let there = self.cluster.live_instances().any(|ci| ci.group == group && ci.zone == zone);
                if !there && self.cluster.groups[g].count > 0 {
                    self.register_instance(ctx, group, zone, 0);
                }
                continue;
            }
            self.top_up(ctx, group, Some(zone));
        }
    }

    /// EC2 runs out of (`short`) or has again capacity of `instance_type` in `zone` (every zone
    /// when `None`). Windows may overlap: each holds its own entries. When capacity returns,
    /// every group that launches the type tops itself up to its desired capacity and looks at
    /// its zones' balance (launches that failed meanwhile are not retried on a timer: nothing
    /// could succeed before this).
    pub fn set_capacity_short(&mut self, ctx: &mut Ctx<'_>, instance_type: &str, zone: Option<ZoneId>, short: bool) {
        let zones: Vec<ZoneId> = match zone {
            Some(z) => vec![z],
            None => (0..self.cluster.zones.len()).map(|z| ZoneId(z as u16)).collect(),
        };
        for z in &zones {
            let entry = (instance_type.to_string(), *z);
            if short {
                self.cluster.capacity_short.push(entry);
            } else if let Some(at) = self.cluster.capacity_short.iter().position(|e| *e == entry) {
                self.cluster.capacity_short.remove(at);
            }
        }
        let place = zone.map_or("any Availability Zone".to_string(), |z| self.cluster.zone_name(z).to_string());
        let (kind, message) = if short {
            (
                "INSUFFICIENT_CAPACITY",
                format!(
                    "We currently do not have sufficient {instance_type} capacity in {place} (InsufficientInstanceCapacity)."
                ),
            )
        } else {
            ("CAPACITY_AVAILABLE", format!("EC2 has {instance_type} capacity in {place} again."))
        };
        ctx.notice(Notice::log(kind).message(message));
        if short {
            return;
        }
        for g in 0..self.cluster.groups.len() {
            let spec = &self.cluster.groups[g];
            if spec.fargate || !spec.types.iter().any(|t| t.name == instance_type) {
                continue;
            }
            self.top_up(ctx, GroupId(g as u16), None);
        }
    }

    /// Capacity is back (a zone, or a type in one): the group launches what it lacks of its
    /// desired capacity (in `zone`, or where it is thinnest) and looks at its zones' balance.
    fn top_up(&mut self, ctx: &mut Ctx<'_>, group: GroupId, zone: Option<ZoneId>) {
        let g = group.index();
        let have = self.cluster.group_live_instances()[g] + self.group_launching[g];
        for _ in have..self.group_desired[g] {
            self.schedule_launch(ctx, group, zone, crate::engine::SimDuration::ZERO);
        }
        self.rebalance_group(ctx, group);
    }

    /// Instances of a group per zone, counting those booting there.
    fn group_zone_counts(&self, group: GroupId) -> Vec<u32> {
        let mut per_zone = self.group_zone_launching[group.index()].clone();
        for ci in self.cluster.live_instances().filter(|ci| ci.group == group) {
            per_zone[ci.zone.index()] += 1;
        }
        per_zone
    }

    /// AZRebalance (EC2 Auto Scaling): launches in the thinnest zone that is up while the group's
    /// zones differ by more than one, as long as the group stays within 10 % (at least one
    /// instance) above its capacity; the termination waits for the launch to register
    /// ([`State::rebalance_registered`]), so capacity never dips for it.
    pub fn rebalance_group(&mut self, ctx: &mut Ctx<'_>, group: GroupId) {
        let g = group.index();
        let spec = &self.cluster.groups[g];
        if !spec.az_rebalance {
            return;
        }
        let per_zone = self.group_zone_counts(group);
        // A zone EC2 has no capacity for in any of the group's types cannot be rebalanced into.
        let up: Vec<ZoneId> = spec
            .zones
            .iter()
            .copied()
            .filter(|z| self.cluster.zone_up[z.index()] && self.cluster.launch_kind(group, *z).is_some())
            .collect();
        let Some(&thinnest) = up.iter().min_by_key(|z| (per_zone[z.index()], z.0)) else { return };
        let most = up.iter().map(|z| per_zone[z.index()]).max().unwrap_or(0);
        if most <= per_zone[thinnest.index()] + 1 {
            return;
        }
        // EC2 lets rebalancing exceed the maximum size by 10 % (at least one instance); ecsim
        // counts the 10 % from the desired capacity, which never exceeds the maximum, so the
        // fleet never grows past what EC2 allows either.
        let desired = self.group_desired[g];
        let headroom = desired.div_ceil(10).max(1);
        // Live and launching, whether or not the launch has its zone yet.
        let zoned: u32 = self.group_zone_launching[g].iter().sum();
        let total = per_zone.iter().sum::<u32>() - zoned + self.group_launching[g];
        if total >= desired + headroom {
            return;
        }
        // Under managed termination protection only an empty instance can make way: without
        // one in a crowded zone the launch would only leave the group over capacity ([INFER]).
        let protected = self.group_provider[g].is_some_and(|p| self.providers[p].spec.managed_termination_protection);
        if protected && self.rebalance_victim(group, thinnest).is_none() {
            return;
        }
        let message = format!(
            "Auto Scaling group {} launches an instance in {} to rebalance its Availability Zones.",
            spec.name,
            self.cluster.zone_name(thinnest)
        );
        ctx.notice(Notice::log("AZ_REBALANCE_LAUNCH").message(message));
        self.rebalance_launching[g][thinnest.index()] += 1;
        self.schedule_launch(ctx, group, Some(thinnest), crate::engine::SimDuration::ZERO);
    }

    /// The instance AZRebalance terminates after a launch in `thin`: one in a zone that is up and
    /// holds more instances than `thin` ([`State::termination_victim`] picks the most crowded,
    /// oldest); under managed termination protection only one without tasks.
    fn rebalance_victim(&self, group: GroupId, thin: ZoneId) -> Option<InstanceId> {
        let g = group.index();
        let protect = self.group_provider[g].is_some_and(|p| self.providers[p].spec.managed_termination_protection);
        let per_zone = self.group_zone_counts(group);
        self.termination_victim(group, |ci| {
            self.cluster.zone_up[ci.zone.index()]
                && per_zone[ci.zone.index()] > per_zone[thin.index()]
                && !ci.terminate_when_drained
                && (!protect || ci.non_daemon_tasks == 0)
        })
    }

    /// An instance registered in `zone`: if AZRebalance launched it, the group now terminates an
    /// instance in its most crowded zone (see [`State::termination_victim`]), and looks at its
    /// balance again. A capacity provider's group keeps its rules: with managed termination
    /// protection only an instance without tasks can go, with managed draining it is drained
    /// first.
    pub fn rebalance_registered(&mut self, ctx: &mut Ctx<'_>, group: GroupId, zone: ZoneId) {
        let g = group.index();
        if self.rebalance_launching[g][zone.index()] == 0 {
            return;
        }
        self.rebalance_launching[g][zone.index()] -= 1;
        let draining = self.group_provider[g].is_some_and(|p| self.providers[p].spec.managed_draining);
        if let Some(iid) = self.rebalance_victim(group, zone) {
            self.terminate_by_group(ctx, iid, "to rebalance Availability Zones", draining);
        }
        self.rebalance_group(ctx, group);
    }
}

impl State {
    /// EC2 status checks of `iid` fail from now on (§5.4). ECS notices nothing (the agent may
    /// stay connected, tasks go on); the Auto Scaling group marks the instance unhealthy once the
    /// impairment has lasted `impaired_instance_tolerance`, and not within its health check grace
    /// period after launch, and then replaces it.
    pub fn impair_instance(&mut self, ctx: &mut Ctx<'_>, iid: InstanceId) {
        let ci = self.cluster.instance(iid);
        if ci.impaired_since.is_some() || ci.status == crate::cluster::InstanceStatus::Inactive {
            return;
        }
        self.cluster.update_instance(iid, |ci| ci.impaired_since = Some(ctx.now));
        let ci = self.cluster.instance(iid);
        let spec = &self.cluster.groups[ci.group.index()];
        // Launched `launch_time` before it registered (those of time zero at zero).
        let launched = ci.registered_at.0.saturating_sub(if ci.registered_at.0 > 0 { spec.launch_time.0 } else { 0 });
        let grace_over = crate::engine::SimTime(launched).after(spec.health_check_grace_period);
        let at = ctx.now.after(self.settings.impaired_instance_tolerance).max(grace_over);
        let message = format!("EC2 instance {} fails its status checks (impaired).", ci.ec2_instance_id);
        let name = ci.ec2_instance_id.clone();
        ctx.notice(Notice::log("INSTANCE_IMPAIRED").instance(&name).message(message));
        ctx.at(at, Event::AsgHealthCheck(iid));
    }

    pub fn asg_health_check(&mut self, ctx: &mut Ctx<'_>, iid: InstanceId) {
        let ci = self.cluster.instance(iid);
        if ci.impaired_since.is_none() || ci.status == crate::cluster::InstanceStatus::Inactive {
            return;
        }
        self.terminate_instance(ctx, iid, "replaced by its Auto Scaling group (unhealthy: failed EC2 status checks)");
    }
}

/// The event of `fault` striking `iid`.
fn strike(fault: &Fault, iid: InstanceId) -> Event {
    match fault {
        Fault::InstanceFailures { .. } => Event::InstanceFailure(iid),
        // Fargate Spot strikes tasks (`fault_strike`, `schedule_spot_reclaim`), never instances.
        Fault::SpotInterruptions { .. } | Fault::FargateSpotInterruptions { .. } => Event::SpotNotice(iid),
    }
}

impl State {
    /// Windowed faults: their strike times are drawn at the start.
    pub fn schedule_fault_windows(&mut self, ctx: &mut Ctx<'_>) {
        for (f, fault) in self.faults.iter().enumerate() {
            if let FaultSchedule::Window { count, from, to } = *fault.schedule() {
                for _ in 0..count {
                    let offset = ctx.rng.failures.below(to.0 - from.0 + 1);
                    let at = crate::engine::SimTime(from.0 + offset);
                    if at < self.end {
                        ctx.at(at, Event::FaultStrike(f));
                    }
                }
            }
        }
    }

    /// A windowed fault strikes an instance of its groups alive now, drawn uniformly.
    pub fn fault_strike(&mut self, ctx: &mut Ctx<'_>, f: usize) {
        let fault = &self.faults[f];
        if let Fault::FargateSpotInterruptions { services, .. } = fault {
            let services = services.clone();
            self.reclaim_a_spot_task(ctx, &services);
            return;
        }
        let alive: Vec<InstanceId> = self
            .cluster
            .instances()
            .iter()
            .filter(|ci| ci.status != crate::cluster::InstanceStatus::Inactive && fault.groups().contains(&ci.group))
            .map(|ci| ci.id)
            .collect();
        if alive.is_empty() {
            return;
        }
        let iid = alive[ctx.rng.failures.below(alive.len() as u64) as usize];
        let event = strike(fault, iid);
        self.handle(ctx, event);
    }
}
