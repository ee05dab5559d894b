//! Container instance state changes: DRAINING and back to ACTIVE (UpdateContainerInstancesState,
//! SCHEDULING.md §6.2), and EC2 Spot interruptions (LOAD-BALANCING §3.1-3.2): a two-minute notice,
//! draining when the group enables it, then termination.

use crate::cluster::InstanceStatus;
use crate::engine::SimDuration;
use crate::ids::{InstanceId, ServiceId};
use crate::observer::Notice;
use crate::sim::{Ctx, Event, State};

/// EC2 reclaims a Spot instance two minutes after its interruption notice.
pub const SPOT_NOTICE: SimDuration = SimDuration::from_mins(2);

impl State {
    /// DRAINING: nothing new is placed here; its service tasks are replaced within
    /// minimumHealthyPercent and maximumPercent (the scheduler's rolling step).
    pub fn drain_instance(&mut self, ctx: &mut Ctx<'_>, iid: InstanceId, why: &str) {
        let ci = self.cluster.instance_mut(iid);
        if ci.status != InstanceStatus::Active {
            return;
        }
        ci.status = InstanceStatus::Draining;
        ci.draining_since = Some(ctx.now);
        let message = format!(
            "Container instance {} set to DRAINING ({why}); it runs {} tasks.",
            ci.ec2_instance_id,
            ci.tasks.len()
        );
        let name = ci.ec2_instance_id.clone();
        self.cluster.draining_instances += 1;
        ctx.notice(Notice::log("INSTANCE_DRAINING").instance(&name).message(message));
        for sid in self.services_on(iid) {
            self.request_reconcile(ctx, sid);
        }
        self.reconcile_daemons(ctx);
    }

    pub fn activate_instance(&mut self, ctx: &mut Ctx<'_>, iid: InstanceId) {
        let ci = self.cluster.instance_mut(iid);
        if ci.status != InstanceStatus::Draining || ci.spot_notice {
            return;
        }
        ci.status = InstanceStatus::Active;
        let name = ci.ec2_instance_id.clone();
        self.cluster.draining_instances -= 1;
        self.reconcile_daemons(ctx);
        ctx.notice(
            Notice::log("INSTANCE_ACTIVE").instance(&name).message(format!("Container instance {name} set to ACTIVE.")),
        );
        self.capacity_freed(ctx);
    }

    /// EC2's two-minute warning. With Spot instance draining on, the agent sets the instance
    /// DRAINING at once; either way EC2 terminates it at the deadline.
    pub fn spot_notice(&mut self, ctx: &mut Ctx<'_>, iid: InstanceId) {
        let ci = self.cluster.instance_mut(iid);
        if ci.status == InstanceStatus::Inactive || ci.spot_notice {
            return;
        }
        ci.spot_notice = true;
        let (group, name) = (ci.group, ci.ec2_instance_id.clone());
        let drains = self.cluster.groups[group.index()].spot_instance_draining;
        let message = format!("EC2 Spot interruption notice for {name}: the instance terminates in 2 minutes.");
        ctx.notice(Notice::log("SPOT_INTERRUPTION_NOTICE").instance(&name).message(message));
        if drains {
            self.drain_instance(ctx, iid, "Spot interruption notice");
        }
        ctx.at(ctx.now.after(SPOT_NOTICE), Event::SpotTermination(iid));
    }

    fn services_on(&self, iid: InstanceId) -> Vec<ServiceId> {
        let mut v: Vec<ServiceId> =
            self.cluster.instance(iid).tasks.iter().filter_map(|t| self.tasks[t.index()].service).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}
