//! Instance groups as Auto Scaling groups: launching instances (EC2 launch, boot, agent
//! registration take the group's `launch_time`), replacing lost ones, keeping zones balanced,
//! and topping a zone back up when it recovers.

use crate::ids::{GroupId, InstanceId, ZoneId};
use crate::observer::Notice;
use crate::scenario::{Fault, FaultSchedule};
use crate::sim::{Ctx, Event, State};

impl State {
    /// A container instance registers: it can take tasks from now on, and its seeded lifetime
    /// starts.
    pub fn register_instance(&mut self, ctx: &mut Ctx<'_>, group: GroupId, zone: ZoneId) -> InstanceId {
        let iid = self.cluster.register_instance(group, zone, ctx.now);
        if ctx.now.0 > 0 {
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
    /// is thinnest among zones that are up).
    pub fn schedule_launch(
        &mut self,
        ctx: &mut Ctx<'_>,
        group: GroupId,
        zone: Option<ZoneId>,
        delay: crate::engine::SimDuration,
    ) {
        self.group_launching[group.index()] += 1;
        ctx.at(ctx.now.after(delay), Event::AsgLaunch { group, zone });
    }

    pub fn asg_launch(&mut self, ctx: &mut Ctx<'_>, group: GroupId, zone: Option<ZoneId>) {
        let booting = &self.group_zone_launching[group.index()];
        let zone =
            zone.filter(|z| self.cluster.zone_up[z.index()]).or_else(|| self.cluster.zone_for_launch(group, booting));
        let spec = &self.cluster.groups[group.index()];
        match zone {
            Some(zone) => {
                self.group_zone_launching[group.index()][zone.index()] += 1;
                ctx.at(ctx.now.after(spec.launch_time), Event::InstanceRegistered { group, zone })
            }
            None => {
                // Every zone of the group is down: the launch fails; recovery tops the group up.
                self.group_launching[group.index()] -= 1;
                let message = format!(
                    "Auto Scaling group {} could not launch an instance: no Availability Zone of the group is up.",
                    spec.name
                );
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
            let have = self.cluster.live_instances_in_group(group) + self.group_launching[g];
            for _ in have..self.group_desired[g] {
                self.schedule_launch(ctx, group, Some(zone), crate::engine::SimDuration::ZERO);
            }
        }
    }
}

/// The event of `fault` striking `iid`.
fn strike(fault: &Fault, iid: InstanceId) -> Event {
    match fault {
        Fault::InstanceFailures { .. } => Event::InstanceFailure(iid),
        Fault::SpotInterruptions { .. } => Event::SpotNotice(iid),
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
        let alive: Vec<InstanceId> = self
            .cluster
            .instances
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
