//! A task's way through ECS's lifecycle (SCHEDULING.md §1.2) on an EC2 container instance:
//! PENDING (image pull) → ACTIVATING (container start) → RUNNING → STOPPING (stop signal, at
//! most stopTimeout) → STOPPED. CPU, memory and ports are held from placement until STOPPED
//! ([INFER] §6.5: released at STOPPED).

use crate::cluster::container_instance::{insert_sorted, remove_sorted};
use crate::ecs::task::{DesiredStatus, LastStatus, StopCode, Task};
use crate::ids::{InstanceId, ServiceId, TaskId};
use crate::observer::Notice;
use crate::sim::{Ctx, Event, State};

impl State {
    /// Creates a service task on `iid`, reserves what it needs there and starts its image pull.
    pub fn launch_task(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId, iid: InstanceId) -> TaskId {
        let tid = TaskId(self.tasks.len() as u32);
        let svc = &mut self.services[sid.index()];
        svc.launched += 1;
        let name = format!("{}-{}", svc.spec.name, svc.launched);
        let td_id = svc.spec.task_definition;
        svc.tasks.push(tid);
        let req = &self.requirements[td_id.index()];
        let ci = self.cluster.instance_mut(iid);
        ci.cpu_free = ci.cpu_free.saturating_sub(req.cpu);
        ci.memory_mib_free = ci.memory_mib_free.saturating_sub(req.memory_mib);
        insert_sorted(&mut ci.ports_tcp, &req.ports_tcp);
        insert_sorted(&mut ci.ports_udp, &req.ports_udp);
        let dynamic_ports = ci.take_dynamic_ports(req.dynamic_ports).unwrap_or_default();
        ci.tasks.push(tid);
        let zone = ci.zone;
        self.tasks.push(Task {
            id: tid,
            name,
            task_definition: td_id,
            service: Some(sid),
            group: self.services[sid.index()].group,
            instance: iid,
            zone,
            last_status: LastStatus::Provisioning,
            desired_status: DesiredStatus::Stopped,
            healthy: false,
            host_lost: false,
            dynamic_ports,
            holds_resources: true,
            created_at: ctx.now,
            started_at: None,
            stopped_at: None,
            stop_code: None,
            stopped_reason: String::new(),
            epoch: 0,
        });
        // Bridge and host tasks have nothing to provision: straight to PENDING.
        self.update_task(ctx, tid, |t| {
            t.desired_status = DesiredStatus::Running;
            t.last_status = LastStatus::Pending;
        });
        let pull = self.task_definitions[td_id.index()].behavior.image_pull.sample(&mut ctx.rng.startup);
        ctx.at(ctx.now.after(pull), Event::TaskStep { task: tid, epoch: 0 });
        tid
    }

    /// The next lifecycle step of a task, unless a stop decision made the event stale.
    pub fn task_step(&mut self, ctx: &mut Ctx<'_>, tid: TaskId, epoch: u32) {
        let task = &self.tasks[tid.index()];
        if task.epoch != epoch {
            return;
        }
        let behavior = &self.task_definitions[task.task_definition.index()].behavior;
        match task.last_status {
            LastStatus::Pending => {
                let startup = behavior.startup.sample(&mut ctx.rng.startup);
                self.update_task(ctx, tid, |t| t.last_status = LastStatus::Activating);
                ctx.at(ctx.now.after(startup), Event::TaskStep { task: tid, epoch });
            }
            LastStatus::Activating => {
                let run = behavior.run.as_ref().map(|d| d.sample(&mut ctx.rng.runtime));
                let now = ctx.now;
                self.update_task(ctx, tid, |t| {
                    t.last_status = LastStatus::Running;
                    t.started_at = Some(now);
                });
                if let Some(sid) = self.tasks[tid.index()].service {
                    self.services[sid.index()].stats.tasks_started += 1;
                }
                let healthy_at = now.after(self.settings.healthy_after_running);
                ctx.at(healthy_at, Event::TaskHealthy { task: tid, epoch });
                if let Some(run) = run {
                    ctx.at(now.after(run), Event::TaskExit { task: tid, epoch });
                }
            }
            LastStatus::Stopping => self.finish_stop(ctx, tid),
            _ => {}
        }
    }

    /// ECS's rule without load balancer or container health check: healthy 40 s after RUNNING.
    pub fn task_healthy(&mut self, ctx: &mut Ctx<'_>, tid: TaskId, epoch: u32) {
        let task = &self.tasks[tid.index()];
        if task.epoch == epoch && task.last_status == LastStatus::Running {
            self.update_task(ctx, tid, |t| t.healthy = true);
        }
    }

    /// The essential container finished its work and exited.
    pub fn task_exit(&mut self, ctx: &mut Ctx<'_>, tid: TaskId, epoch: u32) {
        let task = &self.tasks[tid.index()];
        if task.epoch == epoch && task.last_status == LastStatus::Running {
            self.stop_task(ctx, tid, StopCode::EssentialContainerExited, "Essential container in task exited".into());
        }
    }

    /// Decides that a task must stop (desiredStatus STOPPED). A task that has not reached RUNNING
    /// stops at once; a running one gets the stop signal and exits after its stop time, capped
    /// by stopTimeout (then SIGKILL).
    pub fn stop_task(&mut self, ctx: &mut Ctx<'_>, tid: TaskId, code: StopCode, reason: String) {
        let task = &self.tasks[tid.index()];
        if task.desired_status == DesiredStatus::Stopped {
            return;
        }
        let td = &self.task_definitions[task.task_definition.index()];
        let was_running = task.last_status == LastStatus::Running;
        let stop_time = td.behavior.stop.sample(&mut ctx.rng.runtime).min(td.stop_timeout());
        let epoch = task.epoch + 1;
        self.update_task(ctx, tid, |t| {
            t.epoch = epoch;
            t.desired_status = DesiredStatus::Stopped;
            t.stop_code = Some(code);
            t.stopped_reason = reason;
            if was_running {
                t.last_status = LastStatus::Stopping;
            }
        });
        if was_running {
            ctx.at(ctx.now.after(stop_time), Event::TaskStep { task: tid, epoch });
        } else {
            self.finish_stop(ctx, tid);
        }
        if let Some(sid) = self.tasks[tid.index()].service {
            self.request_reconcile(ctx, sid);
        }
    }

    /// STOPPED: resources go back to the instance and the task leaves its service.
    pub fn finish_stop(&mut self, ctx: &mut Ctx<'_>, tid: TaskId) {
        let now = ctx.now;
        self.update_task(ctx, tid, |t| {
            t.last_status = LastStatus::Stopped;
            t.desired_status = DesiredStatus::Stopped;
            t.stopped_at = Some(now);
        });
        let task = &self.tasks[tid.index()];
        let (iid, sid, td_id) = (task.instance, task.service, task.task_definition);
        let code = task.stop_code.map_or("", |c| c.as_str());
        let message = format!("(task {}) stopped: {code}: {}", task.name, task.stopped_reason);
        let mut entry =
            Notice::log("TASK_STOPPED").task(&task.name).instance(&self.cluster.instance(iid).ec2_instance_id);
        if let Some(sid) = sid {
            let svc = &mut self.services[sid.index()];
            svc.tasks.retain(|&t| t != tid);
            if task.stop_code == Some(StopCode::TaskFailedToStart) {
                svc.stats.tasks_failed_to_start += 1;
            }
            entry = entry.service(&svc.spec.name);
        }
        ctx.notice(entry.message(message));
        if self.tasks[tid.index()].holds_resources {
            let req = &self.requirements[td_id.index()];
            let ci = self.cluster.instance_mut(iid);
            ci.cpu_free += req.cpu;
            ci.memory_mib_free += req.memory_mib;
            remove_sorted(&mut ci.ports_tcp, &req.ports_tcp);
            remove_sorted(&mut ci.ports_udp, &req.ports_udp);
            for p in &self.tasks[tid.index()].dynamic_ports {
                ci.dynamic_ports_used.remove(p);
            }
            ci.tasks.retain(|&t| t != tid);
            self.tasks[tid.index()].holds_resources = false;
            if self.cluster.instance(iid).accepts_placement() {
                self.capacity_freed(ctx);
            }
        }
    }

    /// ECS learns that an instance is gone: its tasks go straight to STOPPED.
    pub fn stop_tasks_on_lost_instance(&mut self, ctx: &mut Ctx<'_>, iid: InstanceId) {
        let reason = format!("Host EC2 (instance {}) stopped/terminated.", self.cluster.instance(iid).ec2_instance_id);
        for tid in self.cluster.instance(iid).tasks.clone() {
            let epoch = self.tasks[tid.index()].epoch + 1;
            let reason = reason.clone();
            self.update_task(ctx, tid, |t| {
                t.epoch = epoch;
                t.desired_status = DesiredStatus::Stopped;
                t.stop_code = Some(StopCode::InfrastructureHealth);
                t.stopped_reason = reason;
            });
            self.finish_stop(ctx, tid);
            if let Some(sid) = self.tasks[tid.index()].service {
                self.request_reconcile(ctx, sid);
            }
        }
    }
}
