//! Failures: an instance terminated (scripted or seeded), and whole-AZ outages. ECS notices a
//! lost instance after `instance_loss_detection`; its tasks stop serving at once.

use crate::cluster::InstanceLoss;
use crate::cluster::InstanceStatus;
use crate::control_plane::Notice;
use crate::control_plane::{Ctx, Event, State};
use crate::engine::SimDuration;
use crate::ids::{GroupId, InstanceId, ServiceId, ZoneId};

#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Instances of these groups fail (terminated, replaced by their group).
    InstanceFailures { groups: Vec<GroupId>, schedule: FaultSchedule },
    /// Instances of these groups get a Spot interruption notice (terminated two minutes later).
    SpotInterruptions { groups: Vec<GroupId>, schedule: FaultSchedule },
    /// FARGATE_SPOT tasks of these services (all when empty) are reclaimed: with `mtbf`, each
    /// task after an exponential lifetime from its placement; with `count`, tasks drawn at the
    /// strike times.
    FargateSpotInterruptions { services: Vec<ServiceId>, schedule: FaultSchedule },
}

impl Fault {
    /// The instance groups whose instances it strikes (none for Fargate Spot: it strikes tasks).
    pub fn groups(&self) -> &[GroupId] {
        match self {
            Fault::InstanceFailures { groups, .. } | Fault::SpotInterruptions { groups, .. } => groups,
            Fault::FargateSpotInterruptions { .. } => &[],
        }
    }

    pub fn schedule(&self) -> &FaultSchedule {
        let (Fault::InstanceFailures { schedule, .. }
        | Fault::SpotInterruptions { schedule, .. }
        | Fault::FargateSpotInterruptions { schedule, .. }) = self;
        schedule
    }
}

/// When a seeded fault strikes.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultSchedule {
    /// Each instance, from its registration, after an exponentially distributed lifetime with
    /// this mean.
    Mtbf(SimDuration),
    /// `count` strikes at uniformly random times in `[from, to]`, each on an instance drawn
    /// uniformly from the groups' instances alive at that moment.
    Window { count: u32, from: SimDuration, to: SimDuration },
}

impl State {
    pub fn terminate_instance(&mut self, ctx: &mut Ctx<'_>, iid: InstanceId, why: &str) {
        self.lose_instance(ctx, iid, why, InstanceLoss::Failure);
    }

    /// The instance is gone (`how`, which decides its tasks' stop code): its tasks stop serving
    /// now and are STOPPED when ECS notices.
    pub fn lose_instance(&mut self, ctx: &mut Ctx<'_>, iid: InstanceId, why: &str, how: InstanceLoss) {
        if self.cluster.instance(iid).status == InstanceStatus::Inactive {
            return;
        }
        self.cluster.update_instance(iid, |ci| ci.lost_to = Some(how));
        self.remove_instance(ctx, iid, why, true);
    }

    /// The instance leaves the cluster (INACTIVE); with `replace` its Auto Scaling group
    /// replaces it (it is gone from EC2 too).
    pub fn remove_instance(&mut self, ctx: &mut Ctx<'_>, iid: InstanceId, why: &str, replace: bool) {
        self.set_instance_status(iid, |ci| {
            ci.status = InstanceStatus::Inactive;
            ci.agent_connected = false;
        });
        let ci = self.cluster.instance(iid);
        let (group, zone) = (ci.group, ci.zone);
        self.capacity_changed(ctx, group);
        let ci = self.cluster.instance(iid);
        let held = crate::words::count(ci.tasks.len() as u64, "task");
        if self.cluster.groups[group.index()].fargate {
            // The zone's Fargate tasks go with it; no EC2 instance to speak of.
            let zone_name = self.cluster.zone_name(zone).to_string();
            let message = format!("Fargate capacity in {zone_name} {why}; it ran {held}.");
            ctx.notice(Notice::log("FARGATE_CAPACITY_LOST").message(message));
            let reason = format!("Task stopped: the Fargate infrastructure in {zone_name} failed.");
            self.cluster.update_instance(iid, |ci| ci.lost_reason = Some(reason.into()));
        } else {
            let message = format!(
                "EC2 instance {} ({}, {}) {why}; it held {held}.",
                ci.ec2_instance_id,
                ci.instance_type,
                self.cluster.zone_name(zone)
            );
            let name = ci.ec2_instance_id.clone();
            ctx.notice(Notice::log("INSTANCE_TERMINATED").instance(&name).message(message));
        }
        for tid in self.cluster.instance(iid).tasks.clone() {
            self.update_task(ctx, tid, |t| t.host_lost = true);
            self.host_lost_target_checks(ctx, tid);
        }
        let detection = self.settings.instance_loss_detection;
        if detection == SimDuration::ZERO {
            self.stop_tasks_on_lost_instance(ctx, iid);
        } else {
            ctx.at(ctx.now.after(detection), Event::InstanceLost(iid));
        }
        self.reconcile_daemons(ctx);
        // An Auto Scaling group keeps its desired capacity: a capacity provider's group always
        // replaces a lost instance (at once unless `replacement_delay` says otherwise), a plain
        // instance group only when it has a replacement delay.
        // Fargate's stand-in for a zone comes back with the zone (`zone_recovered`).
        let spec = &self.cluster.groups[group.index()];
        let managed =
            self.group_provider[group.index()].filter(|_| !spec.fargate).map(|_| crate::engine::SimDuration::ZERO);
        if let Some(delay) = self.cluster.groups[group.index()].replacement_delay.or(managed).filter(|_| replace) {
            self.schedule_launch(ctx, group, None, delay);
        }
    }

    pub fn az_outage(&mut self, ctx: &mut Ctx<'_>, zone: ZoneId, duration: Option<SimDuration>) {
        self.cluster.zone_up[zone.index()] = false;
        let name = self.cluster.zone_name(zone).to_string();
        let message = match duration {
            Some(d) => format!("Availability Zone {name} outage: every instance in it fails; recovery after {d}."),
            None => format!("Availability Zone {name} outage: every instance in it fails."),
        };
        ctx.notice(Notice::log("AZ_OUTAGE").message(message));
        let victims: Vec<InstanceId> = self
            .cluster
            .instances()
            .iter()
            .filter(|ci| ci.zone == zone && ci.status != InstanceStatus::Inactive)
            .map(|ci| ci.id)
            .collect();
        for iid in victims {
            self.terminate_instance(ctx, iid, "lost in the Availability Zone outage");
        }
        if let Some(d) = duration {
            ctx.at(ctx.now.after(d), Event::ZoneRecovered(zone));
        }
    }
}
