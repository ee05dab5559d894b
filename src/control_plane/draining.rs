//! Container instance state changes: DRAINING and back to ACTIVE (UpdateContainerInstancesState,
//! SCHEDULING.md §6.2), and EC2 Spot interruptions (LOAD-BALANCING §3.1-3.2): a two-minute notice,
//! draining when the group enables it, then termination.

use crate::cluster::InstanceStatus;
use crate::control_plane::Notice;
use crate::control_plane::{Ctx, Event, State};
use crate::engine::SimDuration;
use crate::ids::{InstanceId, ServiceId};

/// EC2 reclaims a Spot instance two minutes after its interruption notice.
pub const SPOT_NOTICE: SimDuration = SimDuration::from_mins(2);

impl State {
    /// DRAINING: nothing new is placed here; its service tasks are replaced within
    /// minimumHealthyPercent and maximumPercent (the scheduler's rolling step).
    pub fn drain_instance(&mut self, ctx: &mut Ctx<'_>, iid: InstanceId, why: &str) {
        if self.cluster.instance(iid).status != InstanceStatus::Active {
            return;
        }
        let now = ctx.now;
        self.set_instance_status(iid, |ci| {
            ci.status = InstanceStatus::Draining;
            ci.draining_since = Some(now);
        });
        let ci = self.cluster.instance(iid);
        let message = format!(
            "Container instance {} set to DRAINING ({why}); it runs {}.",
            ci.ec2_instance_id,
            crate::words::count(ci.tasks.len() as u64, "task")
        );
        let name = ci.ec2_instance_id.clone();
        ctx.notice(Notice::log("INSTANCE_DRAINING").instance(&name).message(message));
        for sid in self.services_on(iid) {
            self.request_reconcile(ctx, sid);
        }
        self.reconcile_daemons(ctx);
    }

    pub fn activate_instance(&mut self, ctx: &mut Ctx<'_>, iid: InstanceId) {
        let ci = self.cluster.instance(iid);
        if ci.status != InstanceStatus::Draining || ci.spot_notice {
            return;
        }
        let name = ci.ec2_instance_id.clone();
        self.set_instance_status(iid, |ci| ci.status = InstanceStatus::Active);
        self.reconcile_daemons(ctx);
        ctx.notice(
            Notice::log("INSTANCE_ACTIVE").instance(&name).message(format!("Container instance {name} set to ACTIVE.")),
        );
        self.capacity_freed(ctx);
    }

    /// EC2's two-minute warning. With Spot instance draining on, the agent sets the instance
    /// DRAINING at once; either way EC2 terminates it at the deadline.
    pub fn spot_notice(&mut self, ctx: &mut Ctx<'_>, iid: InstanceId) {
        let ci = self.cluster.instance(iid);
        if ci.status == InstanceStatus::Inactive || ci.spot_notice {
            return;
        }
        let (group, name) = (ci.group, ci.ec2_instance_id.clone());
        self.cluster.update_instance(iid, |ci| ci.spot_notice = true);
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

impl State {
    /// The agent's connection drops or returns (SCHEDULING.md §6.3): while disconnected nothing
    /// is placed there and its tasks are left as they are, still counted (not rescheduled).
    pub fn set_agent_connected(&mut self, ctx: &mut Ctx<'_>, iid: InstanceId, connected: bool) {
        let ci = self.cluster.instance(iid);
        if ci.status == InstanceStatus::Inactive || ci.agent_connected == connected {
            return;
        }
        self.cluster.update_instance(iid, |ci| ci.agent_connected = connected);
        let name = self.cluster.instance(iid).ec2_instance_id.clone();
        let (kind, what) =
            if connected { ("AGENT_CONNECTED", "reconnected") } else { ("AGENT_DISCONNECTED", "disconnected") };
        ctx.notice(Notice::log(kind).instance(&name).message(format!("The ECS agent on {name} {what}.")));
        if connected {
            self.reconcile_daemons(ctx);
            self.capacity_freed(ctx);
        }
    }

    /// DeregisterContainerInstance with force (SCHEDULING.md §6.4): the containers keep running on
    /// the host, orphaned; ECS stops tracking them and replaces the service tasks elsewhere.
    pub fn deregister_instance(&mut self, ctx: &mut Ctx<'_>, iid: InstanceId) {
        if self.cluster.instance(iid).status == InstanceStatus::Inactive {
            return;
        }
        self.cluster.update_instance(iid, |ci| {
            ci.lost_reason = Some("Container instance deregistration forced by user".into())
        });
        self.remove_instance(ctx, iid, "deregistered (force); its containers keep running, orphaned", false);
    }

    /// EC2 StopInstances: the instance stays registered and ACTIVE, its agent disconnects, its
    /// tasks stop. StartInstances: the agent reconnects with nothing running.
    pub fn power_instance(&mut self, ctx: &mut Ctx<'_>, iid: InstanceId, running: bool) {
        if self.cluster.instance(iid).status == InstanceStatus::Inactive {
            return;
        }
        if running {
            self.set_agent_connected(ctx, iid, true);
            return;
        }
        let name = self.cluster.instance(iid).ec2_instance_id.clone();
        ctx.notice(Notice::log("INSTANCE_STOPPED").instance(&name).message(format!("EC2 instance {name} stopped.")));
        self.set_agent_connected(ctx, iid, false);
        self.stop_tasks_on_lost_instance(ctx, iid);
    }

    /// An EC2 scheduled retirement notice: terminated at the deadline; drained now if asked.
    pub fn retirement_notice(&mut self, ctx: &mut Ctx<'_>, iid: InstanceId, deadline: SimDuration, drain: bool) {
        if self.cluster.instance(iid).status == InstanceStatus::Inactive {
            return;
        }
        let name = self.cluster.instance(iid).ec2_instance_id.clone();
        let message = format!("EC2 scheduled retirement of {name}: it will be terminated in {deadline}.");
        ctx.notice(Notice::log("INSTANCE_RETIREMENT_NOTICE").instance(&name).message(message));
        if drain {
            self.drain_instance(ctx, iid, "scheduled retirement");
        }
        ctx.at(ctx.now.after(deadline), Event::Retirement(iid));
    }
}
