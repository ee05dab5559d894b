//! DAEMON services (SCHEDULING.md §3.7): exactly one task on every ACTIVE, connected container
//! instance that meets the service's constraints. A new instance gets its daemon task first; on
//! a DRAINING instance the daemon task stops last, after the replica tasks; a deployment
//! replaces tasks instance by instance (stop the old, then start the new: maximumPercent is 100),
//! with at most N - ceil(N x minimumHealthyPercent / 100) instances without a healthy daemon task.

use crate::cluster::InstanceStatus;
use crate::control_plane::Notice;
use crate::control_plane::{Ctx, State};
use crate::ecs::placement::{self, PlacementRequest};
use crate::ecs::task::{DesiredStatus, StopCode};
use crate::ids::{InstanceId, ServiceId, TaskId};

impl State {
    pub fn reconcile_daemon(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId) {
        let svc = &self.services[sid.index()];
        let eligible: Vec<InstanceId> = self
            .cluster
            .instances()
            .iter()
            .filter(|ci| ci.accepts_placement() && placement::member_of_ok(&self.cluster, &svc.constraints, ci))
            .map(|ci| ci.id)
            .collect();
        let n = eligible.len() as u32;
        if n != svc.desired_count {
            let svc = &mut self.services[sid.index()];
            svc.desired_count = n;
            let primary = svc.primary;
            svc.deployment_desired[primary] = n;
            ctx.notice(Notice::DesiredCount { service: sid, desired: n });
            self.touch(sid);
        }
        self.stop_misplaced_daemon_tasks(ctx, sid, &eligible);
        self.roll_daemon_tasks(ctx, sid, &eligible);
        self.launch_daemon_tasks(ctx, sid, &eligible);
    }

    fn live_daemon_tasks(&self, sid: ServiceId) -> Vec<TaskId> {
        self.services[sid.index()]
            .tasks
            .iter()
            .copied()
            .filter(|t| self.tasks[t.index()].desired_status == DesiredStatus::Running)
            .collect()
    }

    /// Tasks on instances that no longer qualify: a constraint no longer met, or DRAINING (once
    /// no other service task is left there).
    fn stop_misplaced_daemon_tasks(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId, eligible: &[InstanceId]) {
        for tid in self.live_daemon_tasks(sid) {
            let iid = self.tasks[tid.index()].instance;
            if eligible.contains(&iid) {
                continue;
            }
            let ci = self.cluster.instance(iid);
            let reason = if ci.status == InstanceStatus::Draining {
                let others = ci.tasks.iter().any(|&o| {
                    let t = &self.tasks[o.index()];
                    t.service != Some(sid) && t.desired_status == DesiredStatus::Running && t.service.is_some()
                });
                if others {
                    continue;
                }
                format!("container instance {} is DRAINING", ci.ec2_instance_id)
            } else {
                let name = &self.services[sid.index()].spec.name;
                let message = format!(
                    "(service {name}) (task {}) no longer meets the placement constraints on (container-instance {}).",
                    self.tasks[tid.index()].name,
                    ci.ec2_instance_id
                );
                ctx.notice(Notice::log("SERVICE_DAEMON_PLACEMENT_CONSTRAINT_VIOLATED").service(name).message(message));
                format!("container instance {} no longer meets the placement constraints", ci.ec2_instance_id)
            };
            self.stop_task(ctx, tid, StopCode::ServiceSchedulerInitiated, reason);
        }
    }

    /// A deployment: stop old-revision tasks while enough instances keep a healthy daemon task.
    fn roll_daemon_tasks(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId, eligible: &[InstanceId]) {
        let svc = &self.services[sid.index()];
        if svc.primary_failed() {
            return;
        }
        let primary = svc.primary;
        let n = eligible.len() as u32;
        let min_healthy = svc.spec.min_healthy_tasks(n);
        let live = self.live_daemon_tasks(sid);
        let mut healthy = live.iter().filter(|t| self.tasks[t.index()].counts().healthy).count() as u32;
        let mut old: Vec<TaskId> = live.into_iter().filter(|t| self.tasks[t.index()].deployment != primary).collect();
        // Unhealthy and pending old tasks first, then in launch order.
        old.sort_by_key(|t| (self.tasks[t.index()].counts().healthy, self.tasks[t.index()].seq));
        let reason = format!("Scaling activity initiated by (deployment {})", svc.deployments[primary].id);
        let mut stopped = Vec::new();
        for tid in old {
            if self.tasks[tid.index()].counts().healthy {
                if healthy == 0 || healthy - 1 < min_healthy {
                    break;
                }
                healthy -= 1;
            }
            self.stop_task(ctx, tid, StopCode::ServiceSchedulerInitiated, reason.clone());
            stopped.push(tid);
        }
        self.log_task_batch(ctx, sid, &stopped, "SERVICE_TASKS_STOPPED", "has stopped", "running tasks");
    }

    /// Every eligible instance without a task of the service gets one of the PRIMARY revision.
    fn launch_daemon_tasks(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId, eligible: &[InstanceId]) {
        if self.services[sid.index()].primary_failed() {
            return;
        }
        let occupied: Vec<InstanceId> = self.services[sid.index()]
            .tasks
            .iter()
            .map(|t| &self.tasks[t.index()])
            .filter(|t| t.desired_status == DesiredStatus::Running || t.holds_resources)
            .map(|t| t.instance)
            .collect();
        let mut started = Vec::new();
        for &iid in eligible {
            if occupied.contains(&iid) {
                continue;
            }
            let svc = &self.services[sid.index()];
            let primary = svc.primary;
            let req = PlacementRequest {
                task: &self.requirements[svc.deployments[primary].task_definition.index()],
                group: svc.group,
                pool: None,
                strategies: &[],
                constraints: &svc.constraints,
                tie_break: self.settings.placement_tie_break,
            };
            match placement::check_instance(&self.cluster, &req, self.cluster.instance(iid)) {
                None => started.push(self.launch_task(ctx, sid, primary, iid)),
                Some(reason) => {
                    let svc = &mut self.services[sid.index()];
                    svc.stats.placement_failures += 1;
                    if !self.waiting_services.contains(&sid) {
                        self.waiting_services.push(sid);
                    }
                    let ci = self.cluster.instance(iid);
                    let message = format!(
                        "(service {}) was unable to place a task on (container-instance {}): it {}.",
                        svc.spec.name,
                        ci.ec2_instance_id,
                        reason.service_event_text()
                    );
                    let entry = Notice::log("SERVICE_TASK_PLACEMENT_FAILURE").service(&svc.spec.name);
                    ctx.notice(entry.instance(&ci.ec2_instance_id).message(message));
                }
            }
        }
        self.log_task_batch(ctx, sid, &started, "SERVICE_TASKS_STARTED", "has started", "tasks");
    }

    /// Every DAEMON service looks at the cluster again (an instance joined, left or changed).
    pub fn reconcile_daemons(&mut self, ctx: &mut Ctx<'_>) {
        for i in 0..self.services.len() {
            if self.services[i].spec.daemon {
                self.request_reconcile(ctx, ServiceId(i as u16));
            }
        }
    }
}
