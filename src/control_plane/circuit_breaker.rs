//! Deployments' life: starting one (UpdateService with a new task definition), completing it at
//! steady state, and the deployment circuit breaker (SCHEDULING.md §4.5) that fails it and rolls
//! back to the most recent COMPLETED deployment, or stalls when there is none.

use crate::control_plane::Notice;
use crate::control_plane::{Ctx, State, deployment_id};
use crate::ecs::deployment::{Deployment, DeploymentStatus, RolloutState};
use crate::ecs::task::DesiredStatus;
use crate::ids::{ServiceId, TaskDefId};

impl State {
    /// UpdateService with a new task definition (or forceNewDeployment): a new PRIMARY
    /// deployment; the previous one becomes ACTIVE and keeps its tasks until the rolling step
    /// retires them. The throttle resets.
    pub fn start_deployment(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId, td: TaskDefId) {
        let live_per_deployment = {
            let svc = &self.services[sid.index()];
            let mut v = vec![0u32; svc.deployments.len()];
            for &t in &svc.tasks {
                let t = &self.tasks[t.index()];
                if t.desired_status == DesiredStatus::Running {
                    v[t.deployment] += 1;
                }
            }
            v
        };
        let svc = &mut self.services[sid.index()];
        for (d, dep) in svc.deployments.iter_mut().enumerate() {
            if dep.status == DeploymentStatus::Primary {
                dep.status = DeploymentStatus::Active;
            }
            svc.deployment_desired[d] = live_per_deployment[d];
            if live_per_deployment[d] == 0 && dep.status == DeploymentStatus::Active {
                dep.status = DeploymentStatus::Inactive;
            }
        }
        let id = deployment_id(sid.index(), svc.deployments.len());
        svc.deployments.push(Deployment::new(id.clone(), td, ctx.now));
        svc.deployment_desired.push(svc.desired_count);
        svc.primary = svc.deployments.len() - 1;
        svc.stuck_reported = false;
        let message = format!(
            "(service {}) (deployment {id}) deployment started: updating to task definition {}.",
            svc.spec.name,
            self.task_definitions[td.index()].name()
        );
        let name = svc.spec.name.clone();
        ctx.notice(Notice::log("SERVICE_DEPLOYMENT_IN_PROGRESS").service(&name).message(message));
        self.reset_throttle(sid);
        self.touch(sid);
        self.request_reconcile(ctx, sid);
    }

    /// A task of deployment `d` reached RUNNING: the circuit breaker moves to stage 2.
    pub fn deployment_task_running(&mut self, sid: ServiceId, d: usize) {
        self.services[sid.index()].deployments[d].stage2 = true;
    }

    /// A task of deployment `d` became healthy: with resetOnHealthyTask the count starts over.
    pub fn deployment_task_healthy(&mut self, sid: ServiceId, d: usize) {
        let svc = &mut self.services[sid.index()];
        let cb = svc.spec.circuit_breaker;
        svc.deployments[d].count_healthy(&cb);
    }

    /// One circuit-breaker failure for deployment `d`; at the threshold the deployment fails.
    pub fn circuit_breaker_failure(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId, d: usize) {
        let svc = &mut self.services[sid.index()];
        let cb = svc.spec.circuit_breaker;
        let threshold = cb.threshold(svc.desired_count);
        if d != svc.primary {
            return;
        }
        let dep = &mut svc.deployments[d];
        if !dep.count_failure(&cb, svc.desired_count) {
            return;
        }
        dep.rollout_state = RolloutState::Failed;
        dep.finished_at = Some(ctx.now);
        let reason = if dep.stage2 { "tasks failed health checks" } else { "task failed to start" };
        let message = format!(
            "(service {}) (deployment {}) deployment failed: ECS deployment circuit breaker: {reason} ({} failures, threshold {threshold}).",
            svc.spec.name, dep.id, dep.failed_tasks
        );
        let name = svc.spec.name.clone();
        ctx.notice(Notice::log("SERVICE_DEPLOYMENT_FAILED").service(&name).message(message));
        if !cb.rollback {
            return;
        }
        let target = svc
            .deployments
            .iter()
            .enumerate()
            .filter(|(i, dep)| *i != d && dep.rollout_state == RolloutState::Completed)
            .max_by_key(|(i, dep)| (dep.created_at, *i))
            .map(|(i, _)| i);
        let Some(back) = target else {
            let message = format!(
                "(service {name}) (deployment {}) has no COMPLETED deployment to roll back to; the deployment is stalled.",
                svc.deployments[d].id
            );
            ctx.notice(Notice::log("SERVICE_DEPLOYMENT_STALLED").service(&name).message(message));
            return;
        };
        let failed = &mut svc.deployments[d];
        failed.rolled_back = true;
        failed.status = DeploymentStatus::Active;
        svc.deployment_desired[d] = 0;
        let failed_id = failed.id.clone();
        let to = &mut svc.deployments[back];
        to.status = DeploymentStatus::Primary;
        to.rollout_state = RolloutState::InProgress;
        to.is_rollback = true;
        to.finished_at = None;
        to.failed_tasks = 0;
        svc.primary = back;
        svc.deployment_desired[back] = svc.desired_count;
        svc.stuck_reported = false;
        let message = format!(
            "(service {name}) (deployment {}) deployment in progress: ECS deployment circuit breaker: rolling back to deploymentId {} from {failed_id}.",
            svc.deployments[back].id, svc.deployments[back].id
        );
        ctx.notice(Notice::log("SERVICE_DEPLOYMENT_IN_PROGRESS").service(&name).message(message));
        self.reset_throttle(sid);
        self.touch(sid);
        self.request_reconcile(ctx, sid);
    }

    /// End of an instant: the PRIMARY deployment completes when it alone has tasks and all of
    /// them are running and healthy at the desired count.
    pub fn check_deployment_completed(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId) {
        let svc = &self.services[sid.index()];
        if svc.primary().rollout_state != RolloutState::InProgress {
            return;
        }
        let c = svc.counts;
        if c.live != svc.desired_count || c.healthy != svc.desired_count || c.pending != 0 {
            return;
        }
        // Every task of the service not yet STOPPED is the primary's, live and healthy.
        let (census, primary) = (&svc.census, svc.primary);
        let others = census.present - census.present_of(primary);
        let (primary_live, primary_healthy) = (census.live_of(primary), census.healthy_of(primary));
        if others > 0 || primary_live != svc.desired_count || primary_healthy != svc.desired_count {
            return;
        }
        let svc = &mut self.services[sid.index()];
        for (d, dep) in svc.deployments.iter_mut().enumerate() {
            if d != primary {
                dep.status = DeploymentStatus::Inactive;
            }
        }
        let dep = &mut svc.deployments[primary];
        dep.rollout_state = RolloutState::Completed;
        dep.finished_at = Some(ctx.now);
        let message = format!("(service {}) (deployment {}) deployment completed.", svc.spec.name, dep.id);
        let name = svc.spec.name.clone();
        ctx.notice(Notice::log("SERVICE_DEPLOYMENT_COMPLETED").service(&name).message(message));
    }
}
