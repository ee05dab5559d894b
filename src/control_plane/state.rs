//! The control plane's state and the event dispatch. The handlers live in files named after the
//! ECS concept they model (task lifecycle, service scheduler, Auto Scaling, faults, timeline);
//! every task state change goes through [`State::update_task`] so counters and the observer can
//! never disagree with the tasks.

use crate::cluster::Cluster;
use crate::control_plane::Notice;
use crate::control_plane::{Fault, Settings, TimelineEvent};
use crate::ecs::census::CensusKey;
use crate::ecs::placement::TaskRequirements;
use crate::ecs::service::Service;
use crate::ecs::task::Task;
use crate::ecs::task_definition::TaskDefinition;
use crate::engine::SimTime;
use crate::ids::{InstanceId, ServiceId, TaskId};

use super::{Ctx, Event};

/// The simulated world. Its fields are the control plane's own (read them through the accessors
/// below): every change goes through a handler, so the counters and indexes kept beside the
/// tasks and instances cannot drift from them.
#[derive(Clone)]
pub struct State {
    pub(crate) cluster: Cluster,
    pub(crate) task_definitions: Vec<TaskDefinition>,
    pub(crate) target_groups: Vec<crate::elb::target_group::TargetGroupSpec>,
    /// What a task of each definition needs from an instance.
    pub(crate) requirements: Vec<TaskRequirements>,
    pub(crate) tasks: Vec<Task>,
    /// Slots of forgotten standalone tasks, reused by the next tasks created (see
    /// [`State::forget_stopped_tasks`]).
    pub(crate) free_task_slots: Vec<TaskId>,
    /// Standalone tasks that reached STOPPED in the current instant: forgotten at its end, so
    /// every handler of the instant still sees them.
    pub(crate) stopped_standalone: Vec<TaskId>,
    /// Service tasks that reached STOPPED, oldest first, with when: forgotten (their slots
    /// reused) `stopped_task_retention` later.
    pub(crate) stopped_service_tasks: std::collections::VecDeque<(crate::engine::SimTime, TaskId)>,
    /// Tasks created so far (the next task's `seq`).
    pub(crate) tasks_created: u64,
    /// EC2 instances that booted while the cluster held its quota of container instances, in
    /// boot order: their agents retry, and the first registers when an instance leaves.
    pub(crate) registrations_waiting: std::collections::VecDeque<(crate::ids::GroupId, crate::ids::ZoneId, u8)>,
    pub(crate) services: Vec<Service>,
    /// Each instance group's desired capacity.
    pub(crate) group_desired: Vec<u32>,
    /// Instances launching (between the ASG's decision and registration), per group.
    pub(crate) group_launching: Vec<u32>,
    /// Of those, the ones whose zone is chosen (booting, not yet registered), per group and zone:
    /// the next launch counts them, so simultaneous launches spread over the zones as EC2 Auto
    /// Scaling balances them.
    pub(crate) group_zone_launching: Vec<Vec<u32>>,
    /// Launches AZRebalance made per group and zone, not yet registered: each registration there
    /// lets the group terminate an instance in its most crowded zone.
    pub(crate) rebalance_launching: Vec<Vec<u32>>,
    /// Capacity providers backed by instance groups, as the scenario lists them.
    pub(crate) providers: Vec<super::capacity_providers::ProviderState>,
    /// The provider of each instance group, if any.
    pub(crate) group_provider: Vec<Option<usize>>,
    /// Tasks in PROVISIONING in the cluster (the quota's count).
    pub(crate) provisioning_total: u32,
    /// RunTask tasks waiting in PROVISIONING, oldest first, and the last serial given.
    pub(crate) standalone_provisioning: Vec<super::standalone_provisioning::StandaloneProvisioning>,
    pub(crate) standalone_provisioning_serial: u32,
    /// Per target group, its data plane when it has traffic (`[[traffic]]`), and whether it has.
    pub(crate) traffic: Vec<Option<crate::elb::target_group_traffic::TargetGroupTraffic>>,
    pub(crate) traffic_on: Vec<bool>,
    /// Some target group has traffic (else no task update has routing to keep).
    pub(crate) any_traffic: bool,
    /// CloudWatch's per-minute metrics, for Service Auto Scaling.
    pub(crate) cloudwatch: crate::autoscaling::cloudwatch::CloudWatch,
    /// Target groups whose target kinds changed this instant (each once).
    pub(crate) traffic_changed: Vec<usize>,
    pub(crate) auto_scaling: super::service_auto_scaling::AutoScalingState,
    /// Every data plane reports up to the end of this instant (the measured time may start).
    pub(crate) cut_data_planes: bool,
    /// Services whose last placement failed, waiting for capacity.
    pub(crate) waiting_services: Vec<ServiceId>,
    /// Services whose counts changed during the current instant.
    pub(crate) touched_services: Vec<ServiceId>,
    pub(crate) faults: Vec<Fault>,
    /// Standalone tasks launched per task group, for naming (`batch-17`).
    pub(crate) standalone_launched: std::collections::BTreeMap<crate::ids::TaskGroupId, u32>,
    /// Standalone tasks launched in all.
    pub(crate) standalone_tasks: u32,
    /// Standalone tasks whose essential container exited after doing its work.
    pub(crate) standalone_completed: u32,
    /// RunTask/StartTask outcomes: failures by reason.
    pub(crate) run_task_failures: std::collections::BTreeMap<&'static str, u32>,
    pub(crate) timeline: Vec<TimelineEvent>,
    pub(crate) workloads: Vec<super::WorkloadState>,
    /// The cluster usage last reported to the observer.
    pub(crate) reported_usage: crate::cluster::Usage,
    pub(crate) settings: Settings,
    pub(crate) end: SimTime,
}

/// Read-only views, for the simulation, the observer's callers and tests.
impl State {
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// Every task slot, in id order: live tasks, and stopped ones not yet forgotten (a forgotten
    /// task's slot, listed in [`State::free_task_slots`], holds its last record until reused).
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    pub fn task(&self, id: TaskId) -> &Task {
        &self.tasks[id.index()]
    }

    /// Slots of forgotten tasks, waiting to be reused.
    pub fn free_task_slots(&self) -> &[TaskId] {
        &self.free_task_slots
    }

    pub fn services(&self) -> &[Service] {
        &self.services
    }

    pub fn task_definitions(&self) -> &[TaskDefinition] {
        &self.task_definitions
    }

    /// Each instance group's desired capacity.
    pub fn group_desired(&self) -> &[u32] {
        &self.group_desired
    }

    /// Tasks in PROVISIONING in the cluster.
    pub fn provisioning_total(&self) -> u32 {
        self.provisioning_total
    }

    /// EC2 instances booted while the cluster held its quota of container instances, waiting to
    /// register: (group, zone, instance type index), in boot order.
    pub fn registrations_waiting(&self) -> &std::collections::VecDeque<(crate::ids::GroupId, crate::ids::ZoneId, u8)> {
        &self.registrations_waiting
    }

    /// Standalone tasks launched, and those whose essential container exited after its work.
    pub fn standalone_tasks(&self) -> (u32, u32) {
        (self.standalone_tasks, self.standalone_completed)
    }

    /// RunTask/StartTask failures by reason.
    pub fn run_task_failures(&self) -> &std::collections::BTreeMap<&'static str, u32> {
        &self.run_task_failures
    }

    pub fn workloads(&self) -> &[super::WorkloadState] {
        &self.workloads
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The end of the run.
    pub fn end(&self) -> SimTime {
        self.end
    }
}

impl State {
    pub fn handle(&mut self, ctx: &mut Ctx<'_>, event: Event) {
        match event {
            Event::TaskStep { task, epoch } => self.task_step(ctx, task, epoch),
            Event::TaskHealthy { task, epoch } => self.task_healthy(ctx, task, epoch),
            Event::TaskExit { task, epoch } => self.task_exit(ctx, task, epoch),
            Event::ContainerHealth { task, epoch, health } => self.container_health_changed(ctx, task, epoch, health),
            Event::TargetHealth { task, epoch, index, state } => {
                self.target_health_changed(ctx, task, epoch, index.into(), state)
            }
            Event::GraceEnd { task, epoch } => self.grace_period_ended(ctx, task, epoch),
            Event::Reconcile(sid) => self.reconcile(ctx, sid),
            Event::AsgLaunch { group, zone } => self.asg_launch(ctx, group, zone),
            Event::InstanceRegistered { group, zone, kind } => self.instance_booted(ctx, group, zone, kind),
            Event::InstanceFailure(iid) => {
                self.terminate_instance(ctx, iid, "failed (seeded instance failure)");
            }
            Event::InstanceLost(iid) => self.stop_tasks_on_lost_instance(ctx, iid),
            Event::SpotNotice(iid) => self.spot_notice(ctx, iid),
            Event::FaultStrike(f) => self.fault_strike(ctx, f),
            Event::Retirement(iid) => self.terminate_instance(ctx, iid, "retired (EC2 scheduled retirement)"),
            Event::SpotTermination(iid) => self.lose_instance(
                ctx,
                iid,
                "reclaimed by EC2 (Spot interruption)",
                crate::cluster::InstanceLoss::SpotReclaim,
            ),
            Event::ZoneRecovered(zone) => self.zone_recovered(ctx, zone),
            Event::ManagedScaling(p) => self.managed_scaling_tick(ctx, usize::from(p)),
            Event::ProvisioningTimeout { service, serial } => self.provisioning_timeout(ctx, service, serial),
            Event::StandaloneProvisioningTimeout(serial) => self.standalone_provisioning_timeout(ctx, serial),
            Event::DrainedTermination(iid) => self.drained_termination_timeout(ctx, iid),
            Event::AsgHealthCheck(iid) => self.asg_health_check(ctx, iid),
            Event::SpotReclaim { task, epoch } => self.spot_reclaim(ctx, task, epoch),
            Event::FargateRetirement { service, noticed } => self.fargate_retirement(ctx, service, noticed),
            Event::FargateCapacityBack { group, zone } => self.set_fargate_capacity(ctx, group, zone, true),
            Event::Timeline(i) => self.run_timeline_action(ctx, i),
            Event::AppBreaks { task, epoch } => self.app_breaks(ctx, task, epoch),
            Event::SlowStartStep { task, epoch, index } => self.slow_start_step(ctx, task, epoch, index.into()),
            Event::CapacityBack(i) => {
                if let crate::control_plane::Action::InsufficientCapacity { instance_type, zone, .. } =
                    &self.timeline[i].action
                {
                    let (instance_type, zone) = (instance_type.clone(), *zone);
                    self.set_capacity_short(ctx, &instance_type, zone, false);
                }
            }
            Event::Arrival(w) => self.workload_arrival(ctx, w),
            Event::MetricMinute => self.metric_minute(ctx),
            Event::ScheduledAction(i) => self.scheduled_action(ctx, usize::from(i)),
            Event::MeasureStart => self.cut_data_planes = true,
            Event::Dispatch(w) => self.workload_dispatch(ctx, w),
        }
    }

    /// The one way a task's state changes: keeps the service's counters, the cluster's group
    /// counts and the observer in step with the task.
    pub fn update_task(&mut self, ctx: &mut Ctx<'_>, tid: TaskId, f: impl FnOnce(&mut Task)) {
        let task = &mut self.tasks[tid.index()];
        let before = task.counts();
        // Only tasks with targets in a target group with traffic have routing to keep.
        let any = self.any_traffic;
        let keys = |t: &Task, on: &[bool]| {
            if t.targets.is_empty() || !any { Vec::new() } else { super::load_balancing::target_keys(t, on) }
        };
        let keys_before = keys(task, &self.traffic_on);
        let census_before = task.service.map(|_| CensusKey::of(task, self.cluster.is_draining(task.instance)));
        f(task);
        let keys_after = keys(task, &self.traffic_on);
        let task = &self.tasks[tid.index()];
        if let Some(sid) = task.service {
            let after = CensusKey::of(task, self.cluster.is_draining(task.instance));
            if let Some(before) = census_before {
                self.services[sid.index()].census.retally(before, after);
            }
        }
        self.retally_targets(&keys_before, &keys_after);
        let task = &self.tasks[tid.index()];
        let after = task.counts();
        if before == after {
            return;
        }
        let (instance, group, service, zone, task_definition) =
            (task.instance, task.group, task.service, task.zone, task.task_definition);
        if before.live != after.live {
            let delta = if after.live { 1 } else { -1 };
            self.cluster.count_group_task(instance, group, delta);
            if let Some(sid) = service {
                self.count_provider_task(sid, instance, delta);
                // The service's other tasks there now have one more (or one fewer) beside them.
                self.reindex_stops_on(sid, instance);
            }
        }
        if let Some(sid) = service {
            self.reindex_stop(tid);
            let c = &mut self.services[sid.index()].counts;
            apply(&mut c.live, before.live, after.live);
            apply(&mut c.pending, before.pending, after.pending);
            apply(&mut c.running, before.running, after.running);
            apply(&mut c.healthy, before.healthy, after.healthy);
            apply(&mut c.doomed, before.doomed, after.doomed);
            self.touch(sid);
            // A Fargate task is its own host: no instance shares its fate.
            let host = Some(instance).filter(|i| !self.cluster.groups[self.cluster.instance(*i).group.index()].fargate);
            ctx.notice(Notice::TaskCounts { service: sid, instance: host, zone, task_definition, before, after });
            if after.healthy && !before.healthy {
                self.task_became_healthy(ctx, tid, sid);
            }
        }
    }

    /// Changes an instance's status with `f` (the cluster keeps its own books) and its tasks'
    /// places in their services' census (a task on a DRAINING instance is leaving).
    pub fn set_instance_status(&mut self, iid: InstanceId, f: impl FnOnce(&mut crate::cluster::ContainerInstance)) {
        let before = self.cluster.is_draining(iid);
        self.cluster.update_instance(iid, f);
        if self.cluster.is_draining(iid) == before {
            return;
        }
        for i in 0..self.cluster.instance(iid).tasks.len() {
            let tid = self.cluster.instance(iid).tasks[i];
            let t = &self.tasks[tid.index()];
            if let Some(sid) = t.service {
                let (old, new) = (CensusKey::of(t, before), CensusKey::of(t, !before));
                self.services[sid.index()].census.retally(old, new);
                self.reindex_stop(tid);
            }
        }
    }

    pub fn touch(&mut self, sid: ServiceId) {
        if !self.touched_services.contains(&sid) {
            self.touched_services.push(sid);
        }
    }

    /// End of an instant: services whose counts changed may have reached (or left) steady state.
    pub fn end_instant(&mut self, ctx: &mut Ctx<'_>) {
        if !self.registrations_waiting.is_empty() {
            self.retry_registrations(ctx);
        }
        let mut touched = std::mem::take(&mut self.touched_services);
        touched.sort_unstable();
        for sid in touched.drain(..) {
            self.check_deployment_completed(ctx, sid);
            let svc = &mut self.services[sid.index()];
            let steady = svc.is_steady();
            if steady != svc.steady {
                svc.steady = steady;
                ctx.notice(Notice::Steady { service: sid, steady });
                // The measured time may start at this instant: no request stretch may span it.
                self.cut_data_planes = true;
                if steady {
                    let msg = format!("(service {}) has reached a steady state.", svc.spec.name);
                    ctx.notice(Notice::log("SERVICE_STEADY_STATE").service(&svc.spec.name).message(msg));
                }
            }
        }
        self.touched_services = touched;
        self.forget_stopped_tasks(ctx.now);
        if self.cluster.usage() != self.reported_usage {
            self.reported_usage = self.cluster.usage();
            ctx.notice(Notice::ClusterUsage(self.cluster.usage()));
        }
        if self.any_traffic {
            let cut = std::mem::take(&mut self.cut_data_planes);
            self.report_routing(ctx, cut);
        }
        self.cluster
            .drain_changed_groups(|group, instances, usage| ctx.notice(Notice::GroupUsage { group, instances, usage }));
        self.cluster.drain_changed_types(|group, kind, instances| {
            ctx.notice(Notice::InstanceTypeLive { group, kind, instances })
        });
    }

    /// ECS keeps a stopped task describable for at least an hour and then forgets it
    /// (SCHEDULING.md §1); ecsim forgets a STOPPED standalone task at the end of its instant,
    /// once its stop is in the event log and its resources are back, and a STOPPED service task
    /// `stopped_task_retention` (1 h) after it stopped (a library user can still look at it
    /// meanwhile). Its slot goes to the next task created, so a day of 100,000 batch tasks, or a
    /// week of daily deployments of 50,000 tasks, keeps a task table the size of the tasks alive
    /// at once (and those stopped within the hour). A stale event cannot reach the new occupant:
    /// epochs continue across a slot's occupants; and nothing orders tasks by slot (their age is
    /// `seq`).
    fn forget_stopped_tasks(&mut self, now: crate::engine::SimTime) {
        self.free_task_slots.append(&mut self.stopped_standalone);
        self.forget_stopped_service_tasks(now);
    }

    /// Service tasks stopped `stopped_task_retention` ago or longer, and before this instant
    /// (every handler of the instant a task stopped in still sees it): also looked at before a
    /// task is created, since a quiet hour has no instant to end.
    pub fn forget_stopped_service_tasks(&mut self, now: crate::engine::SimTime) {
        let retention = self.settings.stopped_task_retention;
        while let Some(&(stopped, tid)) = self.stopped_service_tasks.front() {
            if now < stopped.after(retention) || stopped == now {
                break;
            }
            self.stopped_service_tasks.pop_front();
            self.free_task_slots.push(tid);
        }
    }
}

/// ECS-style deployment ids (`ecs-svc/` and 19 digits), stable per service and deployment.
pub fn deployment_id(service: usize, k: usize) -> String {
    format!("ecs-svc/{:019}", (service as u64 + 1) * 1_000_000 + k as u64 + 1)
}

fn apply(counter: &mut u32, before: bool, after: bool) {
    match (before, after) {
        (false, true) => *counter += 1,
        (true, false) => *counter -= 1,
        _ => {}
    }
}
