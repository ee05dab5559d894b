//! Where the tasks meet the load balancers' data planes: a task's targets, as routing keys, move
//! between the kinds of their target groups' traffic ([`TargetGroupTraffic`]) from
//! [`State::update_task`], the one place task state changes; at the end of an instant the groups
//! whose kinds changed report their requests, which CloudWatch and then the observer hear. Every
//! data plane also reports where the measured time can start, so no stretch straddles that start.
//!
//! [`TargetGroupTraffic`]: crate::elb::target_group_traffic::TargetGroupTraffic

use crate::control_plane::{Ctx, Notice, State};
use crate::ecs::task::{LastStatus, Task};
use crate::elb::data_plane::Stretch;
use crate::elb::target_group_traffic::TargetClass;
use crate::ids::TaskId;

/// One target's routing key: its target group, and what makes it alike with others there.
pub type TargetKey = (usize, TargetClass);

/// Whether the task answers requests now: RUNNING, its host alive, its app not broken.
pub fn answering(task: &Task) -> bool {
    task.last_status == LastStatus::Running && !task.host_lost && !task.app_broken
}

/// The routing keys of a task's targets in target groups with traffic (`on`, per group).
pub fn target_keys(task: &Task, on: &[bool]) -> Vec<TargetKey> {
    let answering = answering(task);
    task.targets
        .iter()
        .zip(&task.target_weights)
        .filter(|((tg, _), _)| on[*tg])
        .map(|(&(tg, state), &step)| {
            let weight = crate::elb::slow_start::weight(step);
            let (service, task_definition, zone) = (task.service, task.task_definition, task.zone);
            (tg, TargetClass { service, task_definition, zone, state, answering, weight })
        })
        .collect()
}

impl State {
    /// Moves a task's targets from the kinds of `before` to those of `after`.
    pub fn retally_targets(&mut self, before: &[TargetKey], after: &[TargetKey]) {
        if before == after {
            return;
        }
        for (keys, delta) in [(before, -1), (after, 1)] {
            for &(tg, class) in keys {
                let Some(t) = self.traffic[tg].as_mut() else { continue };
                let b = &self.task_definitions[class.task_definition.index()].behavior;
                // The share past this fails as overload.
                let capacity_rps = || b.capacity_rps.map_or(f64::INFINITY, |c| c * b.max_utilization_percent / 100.0);
                if t.tally(class, delta, capacity_rps) {
                    self.traffic_changed.push(tg);
                }
            }
        }
    }

    /// End of an instant: the target groups whose kinds changed report their requests up to now
    /// (see [`TargetGroupTraffic::report`]); with `all`, every data plane does (the measured time
    /// may start here).
    ///
    /// [`TargetGroupTraffic::report`]: crate::elb::target_group_traffic::TargetGroupTraffic::report
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
            t.report(ctx.now, all, &mut stretches);
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
