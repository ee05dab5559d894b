//! A running task's health: container health checks and load-balancer targets, the health check
//! grace period, and marking unhealthy tasks for replacement (SCHEDULING.md §3.3, §4.2;
//! LOAD-BALANCING §1.10). Every change is computed ahead from the check parameters and the
//! app's behaviour, so a check that changes nothing costs no event.

use crate::control_plane::CheckPhase;
use crate::control_plane::Notice;
use crate::control_plane::{Ctx, Event, State};
use crate::ecs::container_health::{self, Health};
use crate::ecs::task::{Doom, LastStatus};
use crate::ecs::task_definition::FaultKind;
use crate::elb::slow_start;
use crate::elb::target_group::{self, TargetState};
use crate::engine::checks::PassWindow;
use crate::ids::TaskId;

impl State {
    /// At RUNNING: schedules the task's container health changes and registers its targets.
    /// Returns false when the task has neither (ECS's 40 s rule applies instead).
    pub fn start_health_checks(&mut self, ctx: &mut Ctx<'_>, tid: TaskId) -> bool {
        let now = ctx.now;
        let task = &self.tasks[tid.index()];
        let (epoch, fault) = (task.epoch, task.fault);
        let td = &self.task_definitions[task.task_definition.index()];
        let behavior = &td.behavior;
        let ready = now.after(task.ready_after);
        let fails_after = behavior.fault.as_ref().map(|f| ready.after(f.after));
        let window =
            |kind: FaultKind| PassWindow { from: ready, until: if fault == Some(kind) { fails_after } else { None } };
        let checks: Vec<_> = td.essential_health_checks().copied().collect();
        let needs_container_health = !checks.is_empty();
        if needs_container_health {
            let w = window(FaultKind::ContainerHealth);
            let per_container: Vec<_> = checks.iter().map(|hc| container_health::transitions(hc, now, w)).collect();
            for (t, health) in container_health::task_transitions(&per_container) {
                ctx.at(t, Event::ContainerHealth { task: tid, epoch, health });
            }
        }
        let lbs = match task.service {
            Some(sid) => self.services[sid.index()].spec.load_balancers.clone(),
            None => Vec::new(),
        };
        // A build that fails the load balancer's checks stops answering requests too: where
        // requests are counted, that moment is a change of its own.
        if let (Some(FaultKind::TargetHealth), Some(at)) = (fault, fails_after)
            && lbs.iter().any(|lb| self.traffic_on[lb.target_group])
        {
            ctx.at(at, Event::AppBreaks { task: tid, epoch });
        }
        let mut targets = Vec::with_capacity(lbs.len());
        let mut first_checks = Vec::with_capacity(lbs.len());
        for (i, lb) in lbs.iter().enumerate() {
            let tg = &self.target_groups[lb.target_group];
            let phase = match self.settings.target_check_phase {
                CheckPhase::Random => crate::engine::SimDuration(ctx.rng.health.below(tg.interval.0.max(1))),
                CheckPhase::Zero => crate::engine::SimDuration::ZERO,
            };
            let first_check = now.after(tg.registration_delay).after(phase);
            let w = window(FaultKind::TargetHealth);
            for (t, state) in target_group::transitions(tg, first_check, w, self.settings.initial_target_failures_count)
            {
                ctx.at(t, Event::TargetHealth { task: tid, epoch, index: i as u8, state });
            }
            targets.push((lb.target_group, TargetState::Initial));
            first_checks.push(first_check);
        }
        let registered = !targets.is_empty();
        self.update_task(ctx, tid, |t| {
            t.needs_container_health = needs_container_health;
            t.target_weights = vec![crate::ecs::task::FULL_WEIGHT; targets.len()];
            t.targets = targets;
            t.target_first_checks = first_checks;
        });
        if registered {
            self.notify_targets(ctx, tid, None);
            self.log_registration(ctx, tid, "registered");
        }
        needs_container_health || registered
    }

    pub fn container_health_changed(&mut self, ctx: &mut Ctx<'_>, tid: TaskId, epoch: u32, health: Health) {
        let task = &self.tasks[tid.index()];
        if task.epoch != epoch || task.last_status != LastStatus::Running {
            return;
        }
        self.update_task(ctx, tid, |t| t.container_health = health);
        self.health_changed(ctx, tid);
    }

    pub fn target_health_changed(
        &mut self,
        ctx: &mut Ctx<'_>,
        tid: TaskId,
        epoch: u32,
        index: usize,
        state: TargetState,
    ) {
        let task = &self.tasks[tid.index()];
        if task.epoch != epoch || task.last_status != LastStatus::Running {
            return;
        }
        let before: Vec<TargetState> = task.targets.iter().map(|(_, s)| *s).collect();
        // ALB slow start: a target turning healthy ramps up while another healthy target,
        // itself past slow start, carries the load; one that goes unhealthy leaves it.
        let g = task.targets[index].0;
        let slow = self.target_groups[g].slow_start;
        let enters = state == TargetState::Healthy
            && self.traffic[g].as_ref().is_some_and(|t| slow_start::enters(slow, t.kinds()));
        self.update_task(ctx, tid, |t| {
            t.targets[index].1 = state;
            t.target_weights[index] = if enters { 0 } else { crate::ecs::task::FULL_WEIGHT };
        });
        if enters {
            ctx.at(
                ctx.now.after(slow_start::step(slow)),
                Event::SlowStartStep { task: tid, epoch, index: index as u8 },
            );
        }
        self.notify_targets(ctx, tid, Some(&before));
        self.health_changed(ctx, tid);
    }

    /// A target in slow start takes its next step (the tenth of the duration is over).
    pub fn slow_start_step(&mut self, ctx: &mut Ctx<'_>, tid: TaskId, epoch: u32, index: usize) {
        let task = &self.tasks[tid.index()];
        if task.epoch != epoch || task.target_weights.get(index).is_none_or(|w| *w >= crate::ecs::task::FULL_WEIGHT) {
            return;
        }
        let slow = self.target_groups[task.targets[index].0].slow_start;
        self.update_task(ctx, tid, |t| t.target_weights[index] += 1);
        if self.tasks[tid.index()].target_weights[index] < crate::ecs::task::FULL_WEIGHT {
            ctx.at(
                ctx.now.after(slow_start::step(slow)),
                Event::SlowStartStep { task: tid, epoch, index: index as u8 },
            );
        }
    }

    /// The task's host is gone at `now`: its app answers no health check from here on, so each
    /// target the load balancer still checks goes unhealthy after `unhealthy_threshold` failed
    /// checks (LOAD-BALANCING §7 example 3: 35-65 s with the defaults), unless ECS stops the
    /// task first. Where requests are counted (a target group with traffic) that detection
    /// window is when its share fails.
    pub fn host_lost_target_checks(&mut self, ctx: &mut Ctx<'_>, tid: TaskId) {
        let task = &self.tasks[tid.index()];
        for (i, ((g, state), first)) in task.targets.iter().zip(&task.target_first_checks).enumerate() {
            let checked = matches!(state, TargetState::Healthy)
                || (*state == TargetState::Initial && self.settings.initial_target_failures_count);
            if !self.traffic_on[*g] || !checked {
                continue;
            }
            let at = self.target_groups[*g].unhealthy_once_silent(*first, ctx.now);
            ctx.at(
                at,
                Event::TargetHealth { task: tid, epoch: task.epoch, index: i as u8, state: TargetState::Unhealthy },
            );
        }
    }

    /// Unhealthy inside the grace period: looked at again when it ends; after it: replaced.
    fn health_changed(&mut self, ctx: &mut Ctx<'_>, tid: TaskId) {
        let task = &self.tasks[tid.index()];
        let Some(sid) = task.service else { return };
        if !task.is_unhealthy() || task.doomed.is_some() {
            return;
        }
        let grace_end =
            task.started_at.unwrap_or(ctx.now).after(self.services[sid.index()].spec.health_check_grace_period);
        if ctx.now < grace_end {
            ctx.at(grace_end, Event::GraceEnd { task: tid, epoch: task.epoch });
        } else {
            self.mark_unhealthy(ctx, tid);
        }
    }

    pub fn grace_period_ended(&mut self, ctx: &mut Ctx<'_>, tid: TaskId, epoch: u32) {
        let task = &self.tasks[tid.index()];
        if task.epoch == epoch
            && task.last_status == LastStatus::Running
            && task.is_unhealthy()
            && task.doomed.is_none()
        {
            self.mark_unhealthy(ctx, tid);
        }
    }

    /// The scheduler will replace this task (§3.3), in ECS's words.
    fn mark_unhealthy(&mut self, ctx: &mut Ctx<'_>, tid: TaskId) {
        let task = &self.tasks[tid.index()];
        let doom = match task.targets.iter().find(|(_, s)| *s == TargetState::Unhealthy) {
            Some(&(g, _)) => Doom::TargetGroup(g),
            None => Doom::ContainerHealth,
        };
        self.update_task(ctx, tid, |t| t.doomed = Some(doom));
        let task = &self.tasks[tid.index()];
        let Some(sid) = task.service else { return };
        let svc = &self.services[sid.index()].spec.name;
        let message = match doom {
            Doom::TargetGroup(g) => format!(
                "(service {svc}) (task {}) is unhealthy in (target-group {}) due to (reason Health checks failed).",
                task.name, self.target_groups[g].name
            ),
            Doom::ContainerHealth => format!("(service {svc}) (task {}) failed container health checks.", task.name),
            Doom::Retirement => format!("(service {svc}) (task {}) is due for Fargate task retirement.", task.name),
        };
        let entry = Notice::log("SERVICE_TASK_UNHEALTHY").service(svc).task(&task.name).message(message);
        ctx.notice(entry.instance(&self.cluster.instance(task.instance).ec2_instance_id));
        self.request_reconcile(ctx, sid);
    }

    /// Why an unhealthy task is stopped, as ECS writes it: the check that condemned it, even if
    /// that check has passed again since.
    pub fn unhealthy_stop_reason(&self, tid: TaskId) -> String {
        match self.tasks[tid.index()].doomed {
            Some(Doom::TargetGroup(g)) => {
                format!("Task failed ELB health checks in (target-group {})", self.target_groups[g].name)
            }
            Some(Doom::Retirement) => crate::control_plane::FARGATE_RETIREMENT.to_string(),
            Some(Doom::ContainerHealth) | None => "Task failed container health checks".to_string(),
        }
    }

    /// Moves every registered target of a task to `state` (draining on deregistration, unused
    /// when it is gone).
    pub fn set_targets(&mut self, ctx: &mut Ctx<'_>, tid: TaskId, state: TargetState) {
        let before: Vec<TargetState> = self.tasks[tid.index()].targets.iter().map(|(_, s)| *s).collect();
        if before.iter().all(|s| *s == state || *s == TargetState::Unused) {
            return;
        }
        self.update_task(ctx, tid, |t| {
            for (_, s) in t.targets.iter_mut() {
                if *s != TargetState::Unused {
                    *s = state;
                }
            }
        });
        self.notify_targets(ctx, tid, Some(&before));
        if state == TargetState::Draining {
            self.log_registration(ctx, tid, "deregistered");
        }
    }

    /// Tells the observer how each of the task's targets moved.
    fn notify_targets(&self, ctx: &mut Ctx<'_>, tid: TaskId, before: Option<&[TargetState]>) {
        let task = &self.tasks[tid.index()];
        let Some(service) = task.service else { return };
        for (i, (g, after)) in task.targets.iter().enumerate() {
            let before = before.map(|b| b[i]);
            if before != Some(*after) {
                ctx.notice(Notice::Target { service, target_group: *g, before, after: *after });
            }
        }
    }

    /// "(service web) registered 1 targets in (target-group web-tg)".
    fn log_registration(&self, ctx: &mut Ctx<'_>, tid: TaskId, verb: &str) {
        let task = &self.tasks[tid.index()];
        let Some(sid) = task.service else { return };
        let spec = &self.services[sid.index()].spec;
        let svc = &spec.name;
        let td = &self.task_definitions[task.task_definition.index()];
        let instance = &self.cluster.instance(task.instance).ec2_instance_id;
        for ((g, _), lb) in task.targets.iter().zip(&spec.load_balancers) {
            // The target ECS registers: instance id and host port (the task's own IP under awsvpc).
            let (host, port) = match td.network_mode {
                crate::ecs::task_definition::NetworkMode::Awsvpc => (&*task.name, lb.container_port),
                _ => (&**instance, td.host_port(&task.dynamic_ports, &lb.container_name, lb.container_port)),
            };
            // Without the formatter: one a task start and one a stop, all week.
            let group = &self.target_groups[*g].name;
            let mut port_text = itoa::Buffer::new();
            let port = port_text.format(port);
            let message =
                ["(service ", svc, ") ", verb, " 1 targets in (target-group ", group, "): ", host, ":", port].concat();
            let kind = if verb == "registered" { "TARGETS_REGISTERED" } else { "TARGETS_DEREGISTERED" };
            ctx.notice(Notice::log(kind).service(svc).task(&task.name).message(message));
        }
    }
}
