//! Instance groups as Auto Scaling groups: launching instances (EC2 launch, boot, agent
//! registration take the group's `launch_time`), replacing lost ones, keeping zones balanced,
//! and topping a zone back up when it recovers.

use crate::ids::{GroupId, InstanceId, ZoneId};
use crate::observer::Notice;
use crate::scenario::Fault;
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
            let (Fault::InstanceFailures { groups, mtbf } | Fault::SpotInterruptions { groups, mtbf }) = fault;
            if groups.contains(&group) {
                let life = crate::engine::Distribution::Exponential { mean: *mtbf }.sample(&mut ctx.rng.failures);
                let at = ctx.now.after(life);
                if at < self.end {
                    let event = match fault {
                        Fault::InstanceFailures { .. } => Event::InstanceFailure(iid),
                        Fault::SpotInterruptions { .. } => Event::SpotNotice(iid),
                    };
                    ctx.at(at, event);
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
        let zone = zone.filter(|z| self.cluster.zone_up[z.index()]).or_else(|| self.cluster.zone_for_launch(group));
        let spec = &self.cluster.groups[group.index()];
        match zone {
            Some(zone) => ctx.at(ctx.now.after(spec.launch_time), Event::InstanceRegistered { group, zone }),
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
