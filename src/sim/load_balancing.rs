//! The load balancers' data plane as the simulation keeps it: for each target group that has
//! traffic, its registered targets counted by kind (service, task definition, zone, health
//! state, whether the task can answer). Kept incrementally from [`State::update_task`], the one
//! place task state changes, so routing costs what the kinds cost, not the fleet; the observer
//! hears a target group's kinds at the end of an instant in which they changed, and integrates
//! its requests between such instants (DESIGN.md §6.1).

use crate::ecs::task::{LastStatus, Task};
use crate::elb::routing::{RoutedKind, TargetKind};
use crate::elb::target_group::TargetState;
use crate::ids::{ServiceId, TaskDefId, TaskId, ZoneId};
use crate::observer::Notice;
use crate::sim::{Ctx, State};

/// One target's routing key: target group, service, task definition, zone, state, answering,
/// slow-start step.
pub type TargetKey = (usize, Option<ServiceId>, TaskDefId, ZoneId, TargetState, bool, u8);

/// A target group's data plane.
#[derive(Clone, Debug, Default)]
pub struct TargetGroupTraffic {
    pub kinds: Vec<RoutedKind>,
    changed: bool,
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
                t.changed = true;
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

    /// End of an instant: the target groups whose kinds changed tell the observer (kinds with no
    /// target left are dropped, so the list stays as short as the kinds present).
    pub fn report_routing(&mut self, ctx: &mut Ctx<'_>) {
        for (tg, t) in self.traffic.iter_mut().enumerate() {
            let Some(t) = t.as_mut().filter(|t| t.changed) else { continue };
            t.changed = false;
            t.kinds.retain(|k| k.kind.count > 0);
            ctx.notice(Notice::Routing { target_group: tg, kinds: t.kinds.clone() });
        }
    }

    /// A task's app stops answering (a build that fails the load balancer's health checks).
    pub fn app_breaks(&mut self, ctx: &mut Ctx<'_>, tid: TaskId, epoch: u32) {
        if self.tasks[tid.index()].epoch == epoch {
            self.update_task(ctx, tid, |t| t.app_broken = true);
        }
    }
}
