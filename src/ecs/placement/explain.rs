//! Placement spelled out: per check, how many instances were removed and why; per strategy, how
//! many candidates it kept; for a failure, the closest matching instance (ECS's wording).

use super::*;

/// A placement decision spelled out: how many instances each check removed, how many candidates
/// each strategy of the chain kept, and what won.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    pub instances: u32,
    /// Instances removed, by the first check each failed.
    pub removed: Vec<(Reason, u32)>,
    /// Candidates left after each strategy (label, count).
    pub kept: Vec<(String, u32)>,
}

impl Strategy {
    /// The strategy as ECS writes it: `spread(attribute:ecs.availability-zone)`, `binpack(memory)`.
    pub fn label(&self) -> String {
        match self {
            Strategy::Spread(SpreadField::Zone) => format!("spread({AZ_ATTRIBUTE})"),
            Strategy::Spread(SpreadField::Instance) => "spread(instanceId)".into(),
            Strategy::Spread(SpreadField::Attribute(a)) => format!("spread(attribute:{a})"),
            Strategy::Binpack(Resource::Cpu) => "binpack(cpu)".into(),
            Strategy::Binpack(Resource::Memory) => "binpack(memory)".into(),
            Strategy::Random => "random".into(),
            Strategy::Custom(c) => format!("custom({})", c.0.name()),
        }
    }
}

/// Explains the decision [`place`] makes for `req` (a second, slower pass: only for `--explain`).
pub fn explain(cluster: &Cluster, req: &PlacementRequest<'_>) -> Explanation {
    let mut removed: Vec<(Reason, u32)> = Vec::new();
    let mut candidates: Vec<&ContainerInstance> = Vec::new();
    let live = cluster.live_instances().filter(|ci| req.admits(cluster, ci));
    for ci in live.clone() {
        match resource_checks(ci, req.task).chain(constraint_checks(ci, cluster, req)).next() {
            Some(r) => match removed.iter_mut().find(|(x, _)| *x == r) {
                Some((_, n)) => *n += 1,
                None => removed.push((r, 1)),
            },
            None => candidates.push(ci),
        }
    }
    removed.sort();
    let mut kept = Vec::new();
    for s in req.strategies {
        // With no candidate left the strategies have nothing to say.
        if candidates.is_empty() {
            break;
        }
        let ctx = StrategyCtx::of(cluster, req.group, s);
        keep_min(&mut candidates, |ci| score(cluster, req, s, &ctx, ci));
        kept.push((s.label(), candidates.len() as u32));
    }
    Explanation { instances: live.count() as u32, removed, kept }
}

impl Explanation {
    /// "12 instances; 4 removed (RESOURCE:MEMORY 3, DRAINING 1); spread(...) kept 3; binpack(memory) kept 1"
    pub fn summary(&self) -> String {
        let gone: u32 = self.removed.iter().map(|(_, n)| n).sum();
        let mut text = crate::words::count(self.instances, "instance");
        if gone > 0 {
            let why: Vec<String> = self.removed.iter().map(|(r, n)| format!("{} {n}", r.code())).collect();
            text += &format!("; {gone} removed ({})", why.join(", "));
        }
        for (label, n) in &self.kept {
            text += &format!("; {label} kept {n}");
        }
        text
    }
}

/// Why `ci` cannot take the task (the first check it fails), for placement on a named instance
/// (DAEMON services, StartTask).
pub fn check_instance(cluster: &Cluster, req: &PlacementRequest<'_>, ci: &ContainerInstance) -> Option<Reason> {
    resource_checks(ci, req.task).chain(constraint_checks(ci, cluster, req)).next()
}

/// Whether `ci` satisfies the request's memberOf constraints (what makes an instance eligible
/// for a DAEMON service).
pub fn member_of_ok(cluster: &Cluster, constraints: &[Constraint], ci: &ContainerInstance) -> bool {
    // Fargate runs no DAEMON service.
    !cluster.groups[ci.group.index()].fargate
        && constraints.iter().all(|c| match c {
            Constraint::MemberOf { expr, .. } => expr.matches(ci, cluster),
            Constraint::DistinctInstance => true,
        })
}

pub(super) fn explain_failure(cluster: &Cluster, req: &PlacementRequest<'_>) -> PlacementFailure {
    let mut removed: Vec<(Reason, u32)> = Vec::new();
    let mut closest: Option<(usize, InstanceId, Reason)> = None;
    // Instances outside the capacity provider's group are not candidates at all.
    for ci in cluster.live_instances().filter(|ci| req.admits(cluster, ci)) {
        let failed: Vec<Reason> = resource_checks(ci, req.task).chain(constraint_checks(ci, cluster, req)).collect();
        let Some(&first) = failed.first() else { continue };
        match removed.iter_mut().find(|(r, _)| *r == first) {
            Some((_, n)) => *n += 1,
            None => removed.push((first, 1)),
        }
        if closest.is_none_or(|(n, _, _)| failed.len() < n) {
            closest = Some((failed.len(), ci.id, first));
        }
    }
    removed.sort();
    PlacementFailure { closest: closest.map(|(_, id, r)| (id, r)), removed }
}
