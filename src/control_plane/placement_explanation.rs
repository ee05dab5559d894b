//! `--explain`: placement decisions written into the event log as PLACEMENT_EXPLANATION entries,
//! for a service's tasks, RunTask calls and batch workloads alike. Only the subject named by
//! `settings.explain` pays for the second, explaining pass over the cluster.

use crate::control_plane::Notice;
use crate::control_plane::{Ctx, State};
use crate::ecs::placement::{Explanation, PlacementRequest, explain};
use crate::ids::TaskId;
use crate::name::Name;

impl State {
    /// The explanation of `req`, if `--explain` names any of `subjects` (a service, a task
    /// family, a workload, a task group).
    pub fn explanation_for(&self, subjects: &[&str], req: &PlacementRequest<'_>) -> Option<Explanation> {
        let wanted = self.settings.explain.as_deref()?;
        subjects.contains(&wanted).then(|| explain(&self.cluster, req))
    }

    /// Logs where `tid` went and why (`random`: whether a random draw broke the last tie).
    pub fn log_placed(&self, ctx: &mut Ctx<'_>, tid: TaskId, random: bool, e: &Explanation) {
        let t = &self.tasks[tid.index()];
        let ci = self.cluster.instance(t.instance);
        let message = format!(
            "(task {}) placed on {} ({}): {}; chosen {} ({} tie-break).",
            t.name,
            ci.ec2_instance_id,
            self.cluster.zone_name(ci.zone),
            e.summary(),
            ci.ec2_instance_id,
            if random { "random" } else { "ordered" }
        );
        let service = t.service.map(|s| Name::from(&self.services[s.index()].spec.name)).unwrap_or_default();
        ctx.notice(
            Notice::log("PLACEMENT_EXPLANATION")
                .service(service)
                .task(&t.name)
                .instance(&ci.ec2_instance_id)
                .message(message),
        );
    }

    /// Logs why a task of `who` (`service web`, `RunTask job:1`, `workload batch`) fits nowhere.
    pub fn log_unplaced(&self, ctx: &mut Ctx<'_>, who: &str, service: Option<&str>, e: &Explanation) {
        let message = format!("({who}) could not place a task: {}.", e.summary());
        ctx.notice(Notice::log("PLACEMENT_EXPLANATION").service(service.unwrap_or_default()).message(message));
    }
}
