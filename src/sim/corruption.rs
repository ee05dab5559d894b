//! Deliberate corruption, for testing the checkers: a checker is only trusted once it has been
//! seen to fire. Each corruption breaks the one invariant it is named after, either by editing a
//! ledger behind the model's back or by making the control plane do what ECS never does (launch
//! past maximumPercent, stop healthy tasks below minimumHealthyPercent) through its own handlers,
//! so every other ledger stays balanced. Nothing in a normal run calls this.

use crate::cluster::InstanceStatus;
use crate::cluster::container_instance::AGENT_RESERVED_PORTS;
use crate::ecs::task::{DesiredStatus, LastStatus, StopCode};
use crate::engine::SimTime;
use crate::ids::TaskId;

use super::{Ctx, SimError, Simulation};

impl<H: crate::observer::History> Simulation<H> {
    /// Breaks the invariant `name` (one of [`crate::invariants::NAMES`]) in the current state and
    /// checks at once, as after an event. `Ok(false)` when this state offers nothing to corrupt
    /// that way (no task on an instance, no daemon service, ...); an error for an unknown name.
    #[doc(hidden)]
    pub fn corrupt(&mut self, name: &str) -> Result<bool, String> {
        if !crate::invariants::NAMES.contains(&name) {
            return Err(format!("no invariant named {name}; expected one of {}", crate::invariants::NAMES.join(", ")));
        }
        if self.checker.is_none() {
            self.checker = Some(crate::invariants::Checker::new(&self.state));
        }
        Ok(self.apply_corruption(name))
    }

    /// After [`Simulation::corrupt`]: every check, as after an event and at the end of an instant.
    #[doc(hidden)]
    pub fn check_now(&mut self) -> Result<(), SimError> {
        self.check()?;
        crate::invariants::check_instant_end(&self.state)
            .map_err(|violation| SimError::Invariant { time_s: self.now.as_secs_f64(), violation })
    }

    /// A task holding resources on an instance (the first, in task order).
    fn placed_task(&self) -> Option<TaskId> {
        self.state.tasks.iter().find(|t| t.holds_resources && t.cpu > 0).map(|t| t.id)
    }

    fn apply_corruption(&mut self, name: &str) -> bool {
        let placed = self.placed_task();
        let s = &mut self.state;
        let instance_of = |s: &super::State, t: TaskId| s.tasks[t.index()].instance;
        if let Some(done) = s.cluster.corrupt(name, placed.map(|t| (t, instance_of(s, t)))) {
            return done;
        }
        match name {
            "provisioning_counts_add_up" => {
                let Some(p) = s.providers.iter_mut().find(|p| p.provisioning > 0) else { return false };
                p.provisioning -= 1;
            }
            "provider_tasks_match_tasks" => {
                let Some(svc) = s.services.iter_mut().find(|svc| !svc.provider_tasks.is_empty()) else { return false };
                svc.provider_tasks[0] += 1;
            }
            "launching_counts_add_up" => {
                let Some(zones) = s.group_zone_launching.first_mut().and_then(|z| z.first_mut()) else { return false };
                *zones += 1;
            }
            "no_instance_overcommitted" => {
                let Some(t) = placed else { return false };
                let ci = s.cluster.instance(instance_of(s, t));
                s.tasks[t.index()].cpu = ci.cpu_registered + 1;
            }
            "resource_ledger_balances" => {
                let Some(t) = placed else { return false };
                s.tasks[t.index()].cpu -= 1;
            }
            "no_port_used_twice" => {
                let Some(t) = placed else { return false };
                let td = s.tasks[t.index()].task_definition;
                s.requirements[td.index()].ports_tcp.push(AGENT_RESERVED_PORTS[0]);
            }
            "stopped_tasks_hold_nothing" => {
                let Some(t) = placed else { return false };
                s.tasks[t.index()].last_status = LastStatus::Stopped;
            }
            "no_task_on_inactive_instance" => {
                let Some(t) = placed else { return false };
                let iid = instance_of(s, t);
                // Through the cluster, which takes the instance out of its usage totals too, so
                // that only the task on the terminated instance is wrong.
                s.cluster.update_instance(iid, |ci| ci.status = InstanceStatus::Inactive);
            }
            "no_placement_on_draining_instance" => {
                // A task placed after the instance began draining: one placed after time zero.
                let Some(t) = s.tasks.iter().find(|t| t.holds_resources && t.created_at > SimTime::ZERO) else {
                    return false;
                };
                let (iid, created) = (t.instance, t.created_at);
                s.cluster.update_instance(iid, |ci| {
                    ci.status = InstanceStatus::Draining;
                    ci.draining_since = Some(SimTime(created.0 - 1));
                });
            }
            "no_task_before_registration" => {
                let Some(t) = s.tasks.iter().find(|t| t.holds_resources && t.desired_status == DesiredStatus::Running)
                else {
                    return false;
                };
                let (tid, iid, created) = (t.id, t.instance, t.created_at);
                s.tasks[tid.index()].last_status = LastStatus::Pending;
                s.cluster.update_instance(iid, |ci| ci.registered_at = SimTime(created.0 + 1));
            }
            "service_counts_match_tasks" => {
                let Some(svc) = s.services.first_mut() else { return false };
                svc.counts.live += 1;
            }
            "stop_index_in_sync" => {
                // A task filed as if its instance held one more of its group.
                let Some((svc, tid)) = s.services.iter_mut().find_map(|svc| {
                    let tid = svc.tasks.iter().copied().find(|t| s.tasks[t.index()].stop_key.is_some())?;
                    Some((svc, tid))
                }) else {
                    return false;
                };
                let Some(ix) = svc.stop_index.as_mut() else { return false };
                let Some(key) = s.tasks[tid.index()].stop_key else { return false };
                ix.remove(key, tid);
                ix.insert(
                    crate::ecs::placement::stop_index::StopKey { instance_tasks: key.instance_tasks + 1, ..key },
                    tid,
                );
            }
            "census_in_sync" => {
                let Some(svc) = s.services.iter_mut().find(|s| s.census.live > 0) else { return false };
                svc.census.healthy += 1;
            }
            "one_daemon_task_per_instance" => return self.launch_beside_daemon(),
            "maximum_percent_respected" => return self.launch_past_maximum(),
            "minimum_healthy_percent_respected" => return self.stop_below_minimum(),
            _ => return false,
        }
        true
    }

    fn ctx_parts(&mut self) -> (Ctx<'_>, &mut super::State) {
        let ctx = Ctx { now: self.now, queue: &mut self.queue, rng: &mut self.rngs, notices: &mut self.notices };
        (ctx, &mut self.state)
    }

    /// A second task of a daemon service on an instance that already runs one.
    fn launch_beside_daemon(&mut self) -> bool {
        let s = &self.state;
        let Some(svc) = s.services.iter().find(|svc| svc.spec.daemon && !svc.tasks.is_empty()) else { return false };
        let (sid, primary, iid) = (svc.id, svc.primary, s.tasks[svc.tasks[0].index()].instance);
        let (mut ctx, state) = self.ctx_parts();
        state.launch_task(&mut ctx, sid, primary, iid);
        true
    }

    /// Launches a replica service's tasks beyond floor(desired x maximumPercent / 100), on
    /// instances with room so no ledger overflows.
    fn launch_past_maximum(&mut self) -> bool {
        let s = &self.state;
        let Some(svc) = s.services.iter().find(|svc| !svc.spec.daemon && svc.desired_count > 0) else { return false };
        let (sid, primary) = (svc.id, svc.primary);
        let bound = svc.spec.max_total_tasks(svc.desired_count).max(svc.desired_count);
        let extra = (bound + 1).saturating_sub(svc.counts.live);
        let req = s.requirements[svc.deployments[primary].task_definition.index()].clone();
        for _ in 0..extra {
            let fits = self.state.cluster.instances().iter().find(|ci| {
                ci.status == InstanceStatus::Active
                    && ci.cpu_free >= req.cpu
                    && ci.memory_mib_free >= req.memory_mib
                    && ci.eni_free >= req.enis
                    && req.ports_tcp.iter().all(|p| !ci.ports_tcp.contains(p))
            });
            let Some(iid) = fits.map(|ci| ci.id) else { return false };
            let (mut ctx, state) = self.ctx_parts();
            state.launch_task(&mut ctx, sid, primary, iid);
        }
        true
    }

    /// The scheduler stops healthy tasks of a replica service until fewer than
    /// ceil(desired x minimumHealthyPercent / 100) remain.
    fn stop_below_minimum(&mut self) -> bool {
        let s = &self.state;
        let Some(svc) = s.services.iter().find(|svc| {
            !svc.spec.daemon && svc.counts.healthy > 0 && svc.spec.min_healthy_tasks(svc.desired_count) > 0
        }) else {
            return false;
        };
        let sid = svc.id;
        let floor = svc.spec.min_healthy_tasks(svc.desired_count);
        while self.state.services[sid.index()].counts.healthy >= floor {
            let s = &self.state;
            let healthy = s.services[sid.index()].tasks.iter().copied().find(|t| {
                let c = s.tasks[t.index()].counts();
                c.live && c.healthy
            });
            let Some(tid) = healthy else { return false };
            let (mut ctx, state) = self.ctx_parts();
            state.stop_task(&mut ctx, tid, StopCode::ServiceSchedulerInitiated, "deliberately below the floor");
        }
        true
    }
}
