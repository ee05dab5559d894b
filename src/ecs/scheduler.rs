//! The service scheduler for REPLICA services (SCHEDULING.md §3.2): keep desiredCount tasks,
//! launch replacements through placement, and on scale-in stop tasks chosen per §5.8. It runs as
//! an event when something changed, never on a timer.

use crate::ecs::placement::{self, PlacementRequest, StopCandidate};
use crate::ecs::task::{DesiredStatus, StopCode};
use crate::ids::{ServiceId, TaskId};
use crate::observer::Notice;
use crate::sim::{Ctx, Event, State};

/// ECS lists the tasks of one action in its service event; ecsim writes at most this many per
/// event so large scale-ups stay readable.
const TASKS_PER_MESSAGE: usize = 10;

impl State {
    /// Asks the scheduler to look at a service at this instant (once, however many changes).
    pub fn request_reconcile(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId) {
        let svc = &mut self.services[sid.index()];
        if !svc.reconcile_scheduled {
            svc.reconcile_scheduled = true;
            ctx.at(ctx.now, Event::Reconcile(sid));
        }
    }

    /// Capacity appeared (a task released resources, an instance registered): services waiting
    /// after a placement failure try again, no sooner than their retry time.
    pub fn capacity_freed(&mut self, ctx: &mut Ctx<'_>) {
        for sid in std::mem::take(&mut self.waiting_services) {
            self.request_reconcile(ctx, sid);
        }
    }

    pub fn reconcile(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId) {
        let svc = &mut self.services[sid.index()];
        svc.reconcile_scheduled = false;
        let (live, desired) = (svc.counts.live, svc.desired_count);
        if live < desired {
            if svc.waiting_for_capacity && ctx.now < svc.retry_at {
                svc.reconcile_scheduled = true;
                let at = svc.retry_at;
                ctx.at(at, Event::Reconcile(sid));
                return;
            }
            svc.waiting_for_capacity = false;
            self.launch(ctx, sid, desired - live);
        } else if live > desired {
            self.scale_in(ctx, sid, live - desired);
        }
    }

    fn launch(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId, n: u32) {
        let mut started: Vec<TaskId> = Vec::new();
        for _ in 0..n {
            let svc = &self.services[sid.index()];
            let req = PlacementRequest {
                task: &self.requirements[svc.spec.task_definition.index()],
                group: svc.group,
                strategies: &svc.strategies,
                constraints: &svc.constraints,
                tie_break: self.settings.placement_tie_break,
            };
            match placement::place(&self.cluster, &req, &mut ctx.rng.placement) {
                Ok(iid) => started.push(self.launch_task(ctx, sid, iid)),
                Err(failure) => {
                    let svc = &mut self.services[sid.index()];
                    svc.stats.placement_failures += 1;
                    svc.waiting_for_capacity = true;
                    svc.retry_at = ctx.now.after(self.settings.placement_retry_interval);
                    if !self.waiting_services.contains(&sid) {
                        self.waiting_services.push(sid);
                    }
                    let name = &svc.spec.name;
                    let message = match failure.closest {
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
                    if let Some((iid, _)) = failure.closest {
                        entry = entry.instance(&self.cluster.instance(iid).ec2_instance_id);
                    }
                    ctx.notice(entry.message(message));
                    break;
                }
            }
        }
        self.log_task_batch(ctx, sid, &started, "SERVICE_TASKS_STARTED", "has started", "tasks");
    }

    fn scale_in(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId, n: u32) {
        let mut stopped = Vec::new();
        let reason =
            format!("Scaling activity initiated by (deployment ecs-svc/{})", self.services[sid.index()].spec.name);
        for _ in 0..n {
            let svc = &self.services[sid.index()];
            let req = &self.requirements[svc.spec.task_definition.index()];
            let candidates: Vec<StopCandidate> = svc
                .tasks
                .iter()
                .map(|&tid| &self.tasks[tid.index()])
                .filter(|t| t.desired_status == DesiredStatus::Running)
                .map(|t| StopCandidate {
                    task: t.id,
                    instance: t.instance,
                    zone: t.zone,
                    pending: t.last_status.is_pending(),
                    cpu: req.cpu,
                    memory_mib: req.memory_mib,
                })
                .collect();
            let Some(tid) = placement::choose_task_to_stop(
                &self.cluster,
                svc.group,
                &candidates,
                &svc.spec.strategies,
                self.settings.placement_tie_break,
                &mut ctx.rng.placement,
            ) else {
                break;
            };
            self.stop_task(ctx, tid, StopCode::ServiceSchedulerInitiated, reason.clone());
            stopped.push(tid);
        }
        self.log_task_batch(ctx, sid, &stopped, "SERVICE_TASKS_STOPPED", "has stopped", "running tasks");
    }

    /// "(service web) has started 2 tasks: (task web-5) (task web-6)."
    fn log_task_batch(
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
            let list: Vec<String> = chunk.iter().map(|t| format!("(task {})", self.tasks[t.index()].name)).collect();
            let noun = if chunk.len() == 1 { noun.trim_end_matches('s') } else { noun };
            let message = format!("(service {name}) {verb} {} {noun}: {}.", chunk.len(), list.join(" "));
            let mut entry = Notice::log(kind).service(name).message(message);
            if chunk.len() == 1 {
                let t = &self.tasks[chunk[0].index()];
                entry = entry.task(&t.name).instance(&self.cluster.instance(t.instance).ec2_instance_id);
            }
            ctx.notice(entry);
        }
    }
}
