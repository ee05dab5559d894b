//! The load balancers' data planes as the simulation keeps them: for each target group that has
//! traffic, its registered targets counted by kind (service, task definition, zone, health
//! state, whether the task can answer), kept incrementally from [`State::update_task`], the one
//! place task state changes, so routing costs what the kinds cost, not the fleet. At the end of
//! an instant in which a target group's kinds changed, its [`DataPlane`] integrates its requests
//! up to then and the observer hears the stretches (DESIGN.md §6.1); it also integrates every
//! data plane where the measured time can start, so no stretch straddles that start.

use crate::ecs::task::{LastStatus, Task};
use crate::elb::data_plane::{DataPlane, Stretch, TaskLoad};
use crate::elb::routing::{RoutedKind, TargetKind};
use crate::elb::target_group::TargetState;
use crate::ids::{ServiceId, TaskDefId, TaskId, ZoneId};
use crate::observer::Notice;
use crate::scenario::Scenario;
use crate::sim::{Ctx, State};

/// One target's routing key: target group, service, task definition, zone, state, answering,
/// slow-start step.
pub type TargetKey = (usize, Option<ServiceId>, TaskDefId, ZoneId, TargetState, bool, u8);

/// A target group's data plane: its targets by kind now, and its requests integrated up to the
/// last report.
#[derive(Clone, Debug)]
pub struct TargetGroupTraffic {
    pub kinds: Vec<RoutedKind>,
    changed: bool,
    pub plane: DataPlane,
}

/// The data planes of the target groups with traffic (`None` for the others).
pub fn data_planes(scenario: &Scenario, seed: u64) -> Vec<Option<TargetGroupTraffic>> {
    let day_offset_ms = scenario.start_epoch_ms.rem_euclid(86_400_000) as u64;
    let loads: Vec<TaskLoad> = (scenario.task_definitions.iter())
        .map(|td| TaskLoad {
            capacity_rps: td.behavior.capacity_rps,
            memory_base_mib: td.behavior.memory_base_mib,
            memory_mib_per_rps: td.behavior.memory_mib_per_rps,
            memory_mib: f64::from(td.reserved_memory_mib()),
        })
        .collect();
    (0..scenario.target_groups.len())
        .map(|g| {
            let stream = scenario.traffic.iter().find(|t| t.target_group == g)?;
            let traffic = crate::elb::traffic::Traffic::new(stream.spec.clone(), seed, g as u32, day_offset_ms);
            let services = scenario.services_behind(g);
            // A service's tasks count in its utilization once, in its first target group with
            // traffic.
            let counts_tasks = (services.iter())
                .map(|s| {
                    let lbs = &scenario.services[s.index()].load_balancers;
                    lbs.iter().map(|lb| lb.target_group).find(|&t| scenario.has_traffic(t)) == Some(g)
                })
                .collect();
            let plane =
                DataPlane::new(traffic, scenario.target_groups[g].routing, services, counts_tasks, loads.clone());
            Some(TargetGroupTraffic { kinds: Vec::new(), changed: false, plane })
        })
        .collect()
}

/// Whether the task answers requests now: RUNNING, its host alive, its app not broken.
pub fn answering(task: &Task) -> bool {
    task.last_status == LastStatus::Running && !task.host_lost && !task.app_broken
}

/// The routing keys of a task's targets in target groups with traffic (`on`, per group).
pub fn target_keys(task: &Task, on: &[bool]) -> Vec<TargetKey> {
    let answers = answering(task);
    task.targets
        .iter()
        .zip(&task.target_weights)
        .filter(|((tg, _), _)| on[*tg])
        .map(|((tg, state), step)| (*tg, task.service, task.task_definition, task.zone, *state, answers, *step))
        .collect()
}

impl State {
    /// Moves a task's targets from the kinds of `before` to those of `after`.
    pub fn retally_targets(&mut self, before: &[TargetKey], after: &[TargetKey]) {
        if before == after {
            return;
        }
        for (keys, delta) in [(before, -1i64), (after, 1)] {
            for &(tg, service, task_definition, zone, state, answers, step) in keys {
                let weight = if step >= crate::ecs::task::FULL_WEIGHT { 1.0 } else { (f64::from(step) + 0.5) / 10.0 };
                let Some(t) = self.traffic[tg].as_mut() else { continue };
                if !t.changed {
                    t.changed = true;
                    self.traffic_changed.push(tg);
                }
                let same = |k: &RoutedKind| {
                    k.service == service
                        && k.task_definition == task_definition
                        && k.kind.zone == zone
                        && k.kind.state == state
                        && k.kind.answering == answers
                        && k.kind.weight == weight
                };
                match t.kinds.iter_mut().find(|k| same(k)) {
                    Some(k) => k.kind.count = k.kind.count.saturating_add_signed(delta as i32),
                    None if delta > 0 => {
                        let b = &self.task_definitions[task_definition.index()].behavior;
                        // The share past this fails as overload.
                        let capacity_rps =
                            b.capacity_rps.map_or(f64::INFINITY, |c| c * b.max_utilization_percent / 100.0);
                        t.kinds.push(RoutedKind {
                            service,
                            task_definition,
                            kind: TargetKind { zone, state, answering: answers, capacity_rps, weight, count: 1 },
                        });
                    }
                    None => {}
                }
            }
        }
    }

    /// End of an instant: the target groups whose kinds changed integrate their requests up to
    /// now under the old kinds and take the new ones (kinds with no target left are dropped, so
    /// the list stays as short as the kinds present); with `all`, every data plane integrates up
    /// to now (the measured time may start here).
    pub fn report_routing(&mut self, ctx: &mut Ctx<'_>, all: bool) {
        if !self.any_traffic {
            return;
        }
        let mut stretches = Vec::new();
        // The target groups whose kinds changed (in index order), or with `all` every one: an
        // instant costs what changed, not the number of target groups.
        let mut groups = std::mem::take(&mut self.traffic_changed);
        if all {
            groups.clear();
            groups.extend(0..self.traffic.len());
        } else {
            groups.sort_unstable();
        }
        for &tg in &groups {
            let Some(t) = self.traffic[tg].as_mut() else { continue };
            if t.changed {
                t.changed = false;
                t.kinds.retain(|k| k.kind.count > 0);
                t.plane.set_kinds(ctx.now, &t.kinds, &mut stretches);
            } else if all {
                t.plane.advance(ctx.now, &mut stretches);
            }
            self.hear_stretches(ctx, tg, &mut stretches);
        }
        groups.clear();
        self.traffic_changed = groups;
    }

    /// Integrates target group `tg`'s requests up to now (a metric minute closing).
    pub fn advance_data_plane(&mut self, ctx: &mut Ctx<'_>, tg: usize) {
        let mut stretches = Vec::new();
        if let Some(t) = self.traffic[tg].as_mut() {
            t.plane.advance(ctx.now, &mut stretches);
        }
        self.hear_stretches(ctx, tg, &mut stretches);
    }

    /// Stretches a data plane reported: CloudWatch's metrics take them, then the observer.
    fn hear_stretches(&mut self, ctx: &mut Ctx<'_>, tg: usize, stretches: &mut Vec<Stretch>) {
        for stretch in stretches.drain(..) {
            self.cloudwatch.record(tg, &stretch);
            ctx.notice(Notice::Requests { target_group: tg, stretch: Box::new(stretch) });
        }
    }

    /// A task's app stops answering (a build that fails the load balancer's health checks).
    pub fn app_breaks(&mut self, ctx: &mut Ctx<'_>, tid: TaskId, epoch: u32) {
        if self.tasks[tid.index()].epoch == epoch {
            self.update_task(ctx, tid, |t| t.app_broken = true);
        }
    }
}
