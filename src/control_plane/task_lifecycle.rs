//! A task's way through ECS's lifecycle (SCHEDULING.md §1.2) on an EC2 container instance:
//! PENDING (image pull) → ACTIVATING (container start) → RUNNING → STOPPING (stop signal, at
//! most stopTimeout) → STOPPED. CPU, memory and ports are held from placement until STOPPED
//! (\[INFER\] §6.5: released at STOPPED).

use crate::cluster::InstanceLoss;
use crate::control_plane::Notice;
use crate::control_plane::{Ctx, Event, State};
use crate::ecs::census::CensusKey;
use crate::ecs::container_dependencies::{StartPlan, plan_start};
use crate::ecs::task::{DesiredStatus, LastStatus, StopCode, Task};
use crate::ecs::task_definition::FaultKind;
use crate::elb::target_group::TargetState;
use crate::engine::SimTime;
use crate::ids::{InstanceId, ServiceId, TaskDefId, TaskGroupId, TaskId};
use crate::name::Name;

/// The stopped reason of a task whose essential container exited on its own.
const ESSENTIAL_CONTAINER_EXITED: Name = Name::from_static("Essential container in task exited");

/// What a new task is: its definition, task group, name, service and deployment (none for
/// standalone tasks), and RunTask's CPU/memory overrides.
struct NewTask {
    td: TaskDefId,
    group: TaskGroupId,
    name: String,
    service: Option<(ServiceId, usize)>,
    size: Option<(u32, u32)>,
}

impl State {
    /// Creates a task of deployment `d` of a service on `iid`, reserves what it needs there and
    /// starts its image pull.
    pub fn launch_task(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId, d: usize, iid: InstanceId) -> TaskId {
        let svc = &mut self.services[sid.index()];
        svc.launched += 1;
        let name = numbered(&svc.spec.name, svc.launched);
        let (td, group) = (svc.deployments[d].task_definition, svc.group);
        let old_revision_replacement = d != svc.primary;
        let tid = self.create_task(ctx, NewTask { td, group, name, service: Some((sid, d)), size: None }, iid);
        self.tasks[tid.index()].old_revision_replacement = old_revision_replacement;
        self.services[sid.index()].tasks.push(tid);
        self.reindex_stop(tid);
        tid
    }

    /// A standalone task (RunTask, StartTask) of `td` in task group `group` on `iid`.
    pub fn launch_standalone(
        &mut self,
        ctx: &mut Ctx<'_>,
        td: TaskDefId,
        group: TaskGroupId,
        iid: InstanceId,
    ) -> TaskId {
        let n = self.standalone_launched.entry(group).or_insert(0);
        *n += 1;
        let name = numbered(&self.task_definitions[td.index()].family, *n);
        let tid = self.create_task(ctx, NewTask { td, group, name, service: None, size: None }, iid);
        self.standalone_tasks += 1;
        tid
    }

    /// A standalone task with RunTask overrides: task-level CPU and memory, and a run time.
    pub fn launch_standalone_with(
        &mut self,
        ctx: &mut Ctx<'_>,
        td: TaskDefId,
        group: TaskGroupId,
        iid: InstanceId,
        overrides: (u32, u32, Option<crate::engine::SimDuration>),
    ) -> TaskId {
        let n = self.standalone_launched.entry(group).or_insert(0);
        *n += 1;
        let name = numbered(&self.task_definitions[td.index()].family, *n);
        let size = Some((overrides.0, overrides.1));
        let tid = self.create_task(ctx, NewTask { td, group, name, service: None, size }, iid);
        self.tasks[tid.index()].run_override = overrides.2;
        self.standalone_tasks += 1;
        tid
    }

    /// Reserves CPU, memory, ports and ENIs on the instance and starts the task's lifecycle.
    fn create_task(&mut self, ctx: &mut Ctx<'_>, new: NewTask, iid: InstanceId) -> TaskId {
        let NewTask { td: td_id, group, name, service, size } = new;
        // A reused slot continues its epochs, so events of the forgotten task stay stale.
        self.forget_stopped_service_tasks(ctx.now);
        let (tid, epoch) = match self.free_task_slots.pop() {
            Some(tid) => (tid, self.tasks[tid.index()].epoch + 1),
            None => (TaskId(self.tasks.len() as u32), 0),
        };
        // A bad build hits every task, or a seeded fraction of them (a flaky build).
        let fault = self.task_definitions[td_id.index()]
            .behavior
            .fault
            .as_ref()
            .and_then(|f| (f.fraction >= 1.0 || ctx.rng.health.unit_f64() < f.fraction).then_some(f.kind));
        let ready_after = self.task_definitions[td_id.index()].behavior.ready_after.sample(&mut ctx.rng.health);
        let req = &self.requirements[td_id.index()];
        let (cpu, memory_mib) = size.unwrap_or((req.cpu, req.memory_mib));
        let daemon = service.is_some_and(|(sid, _)| self.services[sid.index()].spec.daemon);
        let dynamic_ports = self.cluster.hold_task(iid, tid, req, (cpu, memory_mib), daemon);
        let (zone, asg) = (self.cluster.instance(iid).zone, self.cluster.instance(iid).group);
        self.capacity_changed(ctx, asg);
        self.tasks_created += 1;
        let task = Task {
            id: tid,
            seq: self.tasks_created - 1,
            name: name.into(),
            task_definition: td_id,
            service: service.map(|(sid, _)| sid),
            deployment: service.map_or(0, |(_, d)| d),
            old_revision_replacement: false,
            fault,
            group,
            instance: iid,
            zone,
            last_status: LastStatus::Provisioning,
            desired_status: DesiredStatus::Stopped,
            aged: false,
            needs_container_health: false,
            container_health: crate::ecs::container_health::Health::Unknown,
            targets: Vec::new(),
            doomed: None,
            ready_after,
            start_error: None,
            host_lost: false,
            app_broken: false,
            target_first_checks: Vec::new(),
            target_weights: Vec::new(),
            cpu,
            memory_mib,
            run_override: None,
            dynamic_ports,
            holds_resources: true,
            created_at: ctx.now,
            started_at: None,
            stopped_at: None,
            stop_code: None,
            stopped_reason: Default::default(),
            epoch,
            stop_key: None,
        };
        match self.tasks.get_mut(tid.index()) {
            Some(slot) => *slot = task,
            None => self.tasks.push(task),
        }
        // The service's census counts it from now on (not yet STOPPED); its later changes go
        // through `update_task`.
        if let Some((sid, _)) = service {
            let key = CensusKey::of(&self.tasks[tid.index()], self.cluster.is_draining(iid));
            self.services[sid.index()].census.retally(CensusKey::default(), key);
        }
        // On Fargate the task waits in PROVISIONING for its micro-VM and ENI; on an instance it
        // goes straight to PENDING (the ENI of an awsvpc task is attached within the pull).
        if self.cluster.groups[asg.index()].fargate {
            self.update_task(ctx, tid, |t| t.desired_status = DesiredStatus::Running);
            if self.cluster.groups[asg.index()].name == "FARGATE_SPOT" {
                self.schedule_spot_reclaim(ctx, tid);
            }
            ctx.at(ctx.now.after(self.settings.fargate_provisioning), Event::TaskStep { task: tid, epoch });
            return tid;
        }
        self.start_pulling(ctx, tid);
        tid
    }

    /// PENDING: the image pull starts.
    fn start_pulling(&mut self, ctx: &mut Ctx<'_>, tid: TaskId) {
        self.update_task(ctx, tid, |t| {
            t.desired_status = DesiredStatus::Running;
            t.last_status = LastStatus::Pending;
        });
        let task = &self.tasks[tid.index()];
        let epoch = task.epoch;
        let pull = self.task_definitions[task.task_definition.index()].behavior.image_pull.sample(&mut ctx.rng.startup);
        ctx.at(ctx.now.after(pull), Event::TaskStep { task: tid, epoch });
    }

    /// The next lifecycle step of a task, unless a stop decision made the event stale.
    pub fn task_step(&mut self, ctx: &mut Ctx<'_>, tid: TaskId, epoch: u32) {
        let task = &self.tasks[tid.index()];
        if task.epoch != epoch {
            return;
        }
        let behavior = &self.task_definitions[task.task_definition.index()].behavior;
        let fault = task.fault;
        match task.last_status {
            LastStatus::Provisioning => self.start_pulling(ctx, tid),
            LastStatus::Pending if fault == Some(FaultKind::ImagePull) => {
                let image = &self.task_definitions[task.task_definition.index()].containers[0].image;
                let reason = format!(
                    "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref {image}: not found"
                );
                self.stop_task(ctx, tid, StopCode::TaskFailedToStart, reason);
            }
            LastStatus::Activating if task.start_error.is_some() => {
                let reason = format!("DependencyError: {}", task.start_error.clone().unwrap_or_default());
                self.stop_task(ctx, tid, StopCode::TaskFailedToStart, reason);
            }
            LastStatus::Activating if fault == Some(FaultKind::StartFailure) => {
                let reason = "CannotStartContainerError: Error response from daemon: failed to create task for container: essential container exited during start (exit code 1)".to_string();
                self.stop_task(ctx, tid, StopCode::TaskFailedToStart, reason);
            }
            LastStatus::Pending => {
                let startup = behavior.startup.sample(&mut ctx.rng.startup);
                let td = &self.task_definitions[task.task_definition.index()];
                let created = ctx.now.after(startup);
                // Containers start in dependsOn order; the task is RUNNING when every essential
                // container has started.
                let plan = if td.containers.iter().any(|c| !c.depends_on.is_empty()) {
                    plan_start(td, created, task.ready_after, fault == Some(FaultKind::ContainerHealth))
                } else {
                    StartPlan::RunningAt(created)
                };
                self.update_task(ctx, tid, |t| t.last_status = LastStatus::Activating);
                match plan {
                    StartPlan::RunningAt(t) => ctx.at(t, Event::TaskStep { task: tid, epoch }),
                    // A dependency that never resolves and has no timeout: the task waits in
                    // ACTIVATING, as the agent does.
                    StartPlan::FailsAt(SimTime::MAX, _) => {}
                    StartPlan::FailsAt(t, why) => {
                        self.tasks[tid.index()].start_error = Some(why);
                        ctx.at(t, Event::TaskStep { task: tid, epoch });
                    }
                }
            }
            LastStatus::Activating => {
                let mut run = match task.run_override {
                    Some(r) => Some(r),
                    None => behavior.run.as_ref().map(|d| d.sample(&mut ctx.rng.runtime)),
                };
                if fault == Some(FaultKind::EssentialExit) {
                    let after = behavior.fault.as_ref().map_or(crate::engine::SimDuration::ZERO, |f| f.after);
                    run = Some(run.map_or(after, |r| r.min(after)));
                }
                let now = ctx.now;
                self.update_task(ctx, tid, |t| {
                    t.last_status = LastStatus::Running;
                    t.started_at = Some(now);
                });
                if let Some(sid) = self.tasks[tid.index()].service {
                    self.services[sid.index()].stats.tasks_started += 1;
                    self.reset_throttle(sid);
                    self.deployment_task_running(sid, self.tasks[tid.index()].deployment);
                    // During a deployment an old task reaching RUNNING may now be retired.
                    if self.services[sid.index()].deployments.len() > 1 {
                        self.request_reconcile(ctx, sid);
                    }
                }
                // The 40 s rule only matters to a service's counts: a standalone task's health
                // is never read, so it costs no event.
                if !self.start_health_checks(ctx, tid) && self.tasks[tid.index()].service.is_some() {
                    let healthy_at = now.after(self.settings.healthy_after_running);
                    ctx.at(healthy_at, Event::TaskHealthy { task: tid, epoch });
                }
                if let Some(run) = run {
                    ctx.at(now.after(run), Event::TaskExit { task: tid, epoch });
                }
            }
            LastStatus::Deactivating => {
                // Deregistration delay over: now the stop signal.
                let stop_time = self.stop_time(ctx, tid);
                self.update_task(ctx, tid, |t| t.last_status = LastStatus::Stopping);
                ctx.at(ctx.now.after(stop_time), Event::TaskStep { task: tid, epoch });
            }
            LastStatus::Stopping => self.finish_stop(ctx, tid),
            _ => {}
        }
    }

    /// ECS's rule without load balancer or container health check: healthy 40 s after RUNNING.
    pub fn task_healthy(&mut self, ctx: &mut Ctx<'_>, tid: TaskId, epoch: u32) {
        let task = &self.tasks[tid.index()];
        if task.epoch == epoch && task.last_status == LastStatus::Running {
            self.update_task(ctx, tid, |t| t.aged = true);
        }
    }

    /// A service task now counts healthy: the circuit breaker may reset, and the rolling step or
    /// an unhealthy-task replacement may move on.
    pub fn task_became_healthy(&mut self, ctx: &mut Ctx<'_>, tid: TaskId, sid: crate::ids::ServiceId) {
        self.deployment_task_healthy(sid, self.tasks[tid.index()].deployment);
        let svc = &self.services[sid.index()];
        // A deployment, an unhealthy task or a draining instance may now move on.
        if svc.deployments.len() > 1
            || svc.counts.doomed > 0
            || svc.rebalancing
            || self.cluster.draining_instances() > 0
        {
            self.request_reconcile(ctx, sid);
        }
    }

    /// The essential container finished its work and exited.
    pub fn task_exit(&mut self, ctx: &mut Ctx<'_>, tid: TaskId, epoch: u32) {
        let task = &self.tasks[tid.index()];
        if task.epoch == epoch && task.last_status == LastStatus::Running {
            let (service, d, was_healthy) = (task.service, task.deployment, task.is_healthy());
            let crashed = task.fault == Some(FaultKind::EssentialExit);
            self.stop_task(ctx, tid, StopCode::EssentialContainerExited, ESSENTIAL_CONTAINER_EXITED);
            // [INFER] a crash before the task ever counted healthy is a failed task for the
            // circuit breaker's stage 2 (ECS documents crash loops as caught, not how).
            if let (Some(sid), true, false) = (service, crashed, was_healthy) {
                self.circuit_breaker_failure(ctx, sid, d);
            }
        }
    }

    /// Decides that a task must stop (desiredStatus STOPPED). A task that has not reached RUNNING
    /// stops at once. A running one behind a load balancer is first deregistered and waits the
    /// deregistration delay (DEACTIVATING); then it gets the stop signal and exits after its stop
    /// time, capped by stopTimeout (then SIGKILL). A user's StopTask deregisters and signals at
    /// once (\[INFER\], LOAD-BALANCING §1.8).
    pub fn stop_task(&mut self, ctx: &mut Ctx<'_>, tid: TaskId, code: StopCode, reason: impl Into<Name>) {
        let reason = reason.into();
        let task = &self.tasks[tid.index()];
        if task.desired_status == DesiredStatus::Stopped {
            return;
        }
        let was_running = task.last_status == LastStatus::Running;
        let registered: Vec<usize> = task
            .targets
            .iter()
            .filter(|(_, s)| !matches!(s, TargetState::Draining | TargetState::Unused))
            .map(|(g, _)| *g)
            .collect();
        let drain = registered.iter().map(|&g| self.target_groups[g].deregistration_delay).max();
        // A user's StopTask and a Fargate Spot reclaim signal at once; the scheduler drains first.
        let drain_first =
            was_running && drain.is_some() && !matches!(code, StopCode::UserInitiated | StopCode::TerminationNotice);
        let stop_time = self.stop_time(ctx, tid);
        let epoch = self.tasks[tid.index()].epoch + 1;
        self.update_task(ctx, tid, |t| {
            t.epoch = epoch;
            t.desired_status = DesiredStatus::Stopped;
            t.stop_code = Some(code);
            t.stopped_reason = reason;
            if drain_first {
                t.last_status = LastStatus::Deactivating;
            } else if was_running {
                t.last_status = LastStatus::Stopping;
            }
        });
        if !registered.is_empty() {
            self.set_targets(ctx, tid, TargetState::Draining);
        }
        if drain_first {
            let delay = drain.unwrap_or_default();
            ctx.at(ctx.now.after(delay), Event::TaskStep { task: tid, epoch });
        } else if was_running {
            ctx.at(ctx.now.after(stop_time), Event::TaskStep { task: tid, epoch });
        } else {
            self.finish_stop(ctx, tid);
        }
        if let Some(sid) = self.tasks[tid.index()].service {
            self.request_reconcile(ctx, sid);
        }
    }

    /// From the stop signal until the containers exit: the behaviour's stop time, or SIGKILL at
    /// stopTimeout.
    fn stop_time(&mut self, ctx: &mut Ctx<'_>, tid: TaskId) -> crate::engine::SimDuration {
        let td = &self.task_definitions[self.tasks[tid.index()].task_definition.index()];
        td.behavior.stop.sample(&mut ctx.rng.runtime).min(td.stop_timeout())
    }

    /// STOPPED: resources go back to the instance and the task leaves its service.
    pub fn finish_stop(&mut self, ctx: &mut Ctx<'_>, tid: TaskId) {
        let now = ctx.now;
        if !self.tasks[tid.index()].targets.is_empty() {
            self.set_targets(ctx, tid, TargetState::Unused);
        }
        self.update_task(ctx, tid, |t| {
            t.last_status = LastStatus::Stopped;
            t.desired_status = DesiredStatus::Stopped;
            t.stopped_at = Some(now);
        });
        let task = &self.tasks[tid.index()];
        let (iid, sid, td_id) = (task.instance, task.service, task.task_definition);
        // A standalone task that did its work and exited is counted, and logged only if asked.
        let completed = sid.is_none()
            && task.stop_code == Some(StopCode::EssentialContainerExited)
            && task.fault != Some(FaultKind::EssentialExit);
        self.standalone_completed += u32::from(completed);
        if !completed || self.settings.log_completed_standalone_tasks {
            let code = task.stop_code.map_or("", |c| c.as_str());
            let message = ["(task ", &task.name, ") stopped: ", code, ": ", &task.stopped_reason].concat();
            let mut entry = Notice::log("TASK_STOPPED")
                .task(&task.name)
                .instance(&self.cluster.instance(iid).ec2_instance_id)
                .message(message);
            if let Some(sid) = sid {
                entry = entry.service(&self.services[sid.index()].spec.name);
            }
            ctx.notice(entry);
        }
        let failed_to_start = task.stop_code == Some(StopCode::TaskFailedToStart);
        let d = task.deployment;
        if let Some(sid) = sid {
            self.stopped_service_tasks.push_back((now, tid));
            // The list is in launch order, which is `seq` order: found by halving, not a walk.
            let seq = self.tasks[tid.index()].seq;
            let tasks = &self.tasks;
            let svc = &mut self.services[sid.index()];
            if let Ok(i) = svc.tasks.binary_search_by_key(&seq, |t| tasks[t.index()].seq) {
                svc.tasks.remove(i);
            }
            if failed_to_start {
                svc.stats.tasks_failed_to_start += 1;
            }
            if failed_to_start {
                self.record_start_failure(ctx, sid, d);
                // An old revision that fails to start is not tried again.
                let svc = &mut self.services[sid.index()];
                if d != svc.primary {
                    svc.deployment_desired[d] = svc.deployment_desired[d].saturating_sub(1);
                }
            }
            // A STOPPED task changes no counter, but may complete a deployment.
            self.touch(sid);
            // A stopped task frees room under maximumPercent.
            self.request_reconcile(ctx, sid);
        }
        if self.tasks[tid.index()].holds_resources {
            let req = &self.requirements[td_id.index()];
            let (cpu, memory_mib) = (self.tasks[tid.index()].cpu, self.tasks[tid.index()].memory_mib);
            let daemon = sid.is_some_and(|s| self.services[s.index()].spec.daemon);
            let ports = &self.tasks[tid.index()].dynamic_ports;
            self.cluster.release_task(iid, tid, req, (cpu, memory_mib), ports, daemon);
            let ci = self.cluster.instance(iid);
            if sid.is_none() {
                self.stopped_standalone.push(tid);
            }
            let drained = ci.status == crate::cluster::InstanceStatus::Draining && ci.tasks.is_empty();
            self.tasks[tid.index()].holds_resources = false;
            if self.cluster.instance(iid).status == crate::cluster::InstanceStatus::Draining {
                // The daemon task leaves a draining instance after the last replica task.
                self.reconcile_daemons(ctx);
            }
            if drained {
                let name = self.cluster.instance(iid).ec2_instance_id.clone();
                let message = format!("Container instance {name} is DRAINING and runs no task any more.");
                ctx.notice(Notice::log("INSTANCE_DRAINED").instance(&name).message(message));
            }
            let group = self.cluster.instance(iid).group;
            self.capacity_changed(ctx, group);
            self.terminate_if_drained(ctx, iid);
            if self.cluster.instance(iid).accepts_placement() {
                self.capacity_freed(ctx);
            }
        }
    }

    /// ECS learns that an instance is gone: its tasks go straight to STOPPED.
    pub fn stop_tasks_on_lost_instance(&mut self, ctx: &mut Ctx<'_>, iid: InstanceId) {
        let ci = self.cluster.instance(iid);
        let reason = ci
            .lost_reason
            .clone()
            .unwrap_or_else(|| format!("Host EC2 (instance {}) stopped/terminated.", ci.ec2_instance_id).into());
        let code = StopCode::for_loss(ci.lost_to.unwrap_or(InstanceLoss::Failure));
        for tid in self.cluster.instance(iid).tasks.clone() {
            let epoch = self.tasks[tid.index()].epoch + 1;
            let reason = reason.clone();
            self.update_task(ctx, tid, |t| {
                t.epoch = epoch;
                t.desired_status = DesiredStatus::Stopped;
                t.stop_code = Some(code);
                t.stopped_reason = reason;
            });
            self.finish_stop(ctx, tid);
            if let Some(sid) = self.tasks[tid.index()].service {
                self.request_reconcile(ctx, sid);
            }
        }
    }
}

/// `family-7`: a task's name from its family (or service) and launch number.
fn numbered(prefix: &str, n: u32) -> String {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(n);
    let mut name = String::with_capacity(prefix.len() + 1 + digits.len());
    name.push_str(prefix);
    name.push('-');
    name.push_str(digits);
    name
}
