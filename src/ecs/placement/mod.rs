//! Task placement (SCHEDULING.md §5) as pure functions of cluster state: which instance a new task
//! goes to, why none fits, and which task a scale-in stops. Randomness comes in as an argument.
//!
//! Pipeline: drop instances that lack CPU, memory or ports or are not ACTIVE and connected; drop
//! those failing constraints; then each strategy in order keeps only its best-scoring candidates
//! (the narrowing model, §5.4); the tie-break picks among what is left.

mod explain;
pub mod query;
mod scale_in;
mod scan;
pub mod stop_index;
#[cfg(test)]
mod tests;

use explain::explain_failure;
pub use explain::{Explanation, check_instance, explain, member_of_ok};
pub use scale_in::{StopCandidate, choose_task_to_stop};
use scan::{SlotScan, pick_uniform, slot_scorers};

use crate::cluster::container_instance::DYNAMIC_PORTS_SPAN;
use crate::cluster::{Cluster, ContainerInstance, InstanceStatus};
use crate::engine::SimRng;
use crate::ids::{GroupId, InstanceId, TaskGroupId, TaskId, ZoneId};
pub use query::{Expr, QueryError};

/// The zone attribute, which spread handles from maintained counts.
pub const AZ_ATTRIBUTE: &str = "attribute:ecs.availability-zone";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpreadField {
    /// `instanceId` or `host`.
    Instance,
    /// `attribute:ecs.availability-zone`.
    Zone,
    /// Any other `attribute:NAME`.
    Attribute(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    Cpu,
    Memory,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Strategy {
    Spread(SpreadField),
    Binpack(Resource),
    Random,
    /// A strategy written by a library user (see [`PlacementStrategy`]).
    Custom(CustomStrategy),
}

/// What a strategy sees when it scores a candidate instance.
pub struct PlacementView<'a> {
    pub cluster: &'a Cluster,
    /// What the task needs.
    pub task: &'a TaskRequirements,
    /// The task group (service or RunTask group) being placed or scaled in.
    pub group: TaskGroupId,
}

/// A placement strategy of your own: the extension point for researchers. Placement keeps the
/// feasible instances (resources, ports, ENIs, constraints), then each strategy of the chain keeps
/// the candidates with the lowest score; ties go to the next strategy, then to the tie-break.
/// Put one in a service with `Strategy::Custom(CustomStrategy::new(...))` on a loaded scenario
/// (`examples/fewest_tasks.rs` compares one with the built-ins).
pub trait PlacementStrategy: Send + Sync {
    /// A short name for reports and equality.
    fn name(&self) -> &str;

    /// Lower wins. Called only for instances that can take the task.
    fn score(&self, view: &PlacementView<'_>, candidate: &ContainerInstance) -> i64;

    /// On scale-in, tasks on instances with the highest stop score go first. By default the
    /// instance the strategy likes least for placement.
    fn stop_score(&self, view: &PlacementView<'_>, instance: &ContainerInstance) -> i64 {
        self.score(view, instance)
    }
}

/// A shareable custom strategy; two are equal when their names are.
#[derive(Clone)]
pub struct CustomStrategy(pub std::sync::Arc<dyn PlacementStrategy>);

impl CustomStrategy {
    pub fn new(s: impl PlacementStrategy + 'static) -> CustomStrategy {
        CustomStrategy(std::sync::Arc::new(s))
    }
}

impl PartialEq for CustomStrategy {
    fn eq(&self, other: &Self) -> bool {
        self.0.name() == other.0.name()
    }
}
impl Eq for CustomStrategy {}

impl std::fmt::Debug for CustomStrategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Custom({})", self.0.name())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Constraint {
    DistinctInstance,
    MemberOf { expression: String, expr: Expr },
}

/// How ties left after the strategy chain are broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TieBreak {
    /// The instance registered first; in scale-in, the task launched last. Reproducible by hand.
    Ordered,
    /// Uniformly at random from the `placement` stream.
    Random,
}

/// The service default (§5.5): spread over AZs, then over instances.
pub fn default_service_strategies() -> Vec<Strategy> {
    vec![Strategy::Spread(SpreadField::Zone), Strategy::Spread(SpreadField::Instance)]
}

pub use crate::cluster::TaskRequirements;

/// What a task of a definition needs from an instance (the cluster holds the type; the task
/// definition is ECS's).
impl TaskRequirements {
    pub fn of(td: &crate::ecs::task_definition::TaskDefinition) -> TaskRequirements {
        use crate::ecs::task_definition::Protocol;
        TaskRequirements {
            cpu: td.reserved_cpu(),
            memory_mib: td.reserved_memory_mib(),
            ports_tcp: td.static_host_ports(Protocol::Tcp),
            ports_udp: td.static_host_ports(Protocol::Udp),
            dynamic_ports: td.dynamic_port_count(),
            enis: u32::from(td.network_mode == crate::ecs::task_definition::NetworkMode::Awsvpc),
            gpus: td.containers.iter().map(|c| c.gpus).sum(),
        }
    }
}

/// Why an instance cannot take a task, in the order ECS checks (the documented failure reasons).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    Draining,
    Agent,
    Cpu,
    Memory,
    Ports,
    Eni,
    Gpu,
    DistinctInstance,
    MemberOf,
}

impl Reason {
    /// The API failure reason (`RESOURCE:CPU`, ...).
    pub fn code(self) -> &'static str {
        match self {
            Reason::Draining => "DRAINING",
            Reason::Agent => "AGENT",
            Reason::Cpu => "RESOURCE:CPU",
            Reason::Memory => "RESOURCE:MEMORY",
            Reason::Ports => "RESOURCE:PORTS",
            Reason::Eni => "RESOURCE:ENI",
            Reason::Gpu => "RESOURCE:GPU",
            Reason::DistinctInstance => "DistinctInstance placement constraint unsatisfied",
            Reason::MemberOf => "MemberOf placement constraint unsatisfied",
        }
    }

    /// How a service event describes the closest matching instance's problem.
    pub fn service_event_text(self) -> &'static str {
        match self {
            Reason::Draining => "is in DRAINING status",
            Reason::Agent => "encountered error \"AGENT\"",
            Reason::Cpu => "has insufficient CPU units available",
            Reason::Memory => "has insufficient memory available",
            Reason::Ports => "is already using a port required by your task",
            Reason::Eni => "has no elastic network interface left for an awsvpc task",
            Reason::Gpu => "has insufficient GPUs available",
            Reason::DistinctInstance => "encountered error \"DistinctInstance placement constraint unsatisfied\"",
            Reason::MemberOf => "encountered error \"MemberOf placement constraint unsatisfied\"",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacementFailure {
    /// The instance that failed the fewest checks (\[INFER\] for ECS's "closest matching"), and
    /// the first check it failed. `None` when the cluster has no instances at all.
    pub closest: Option<(InstanceId, Reason)>,
    /// How many instances each check removed (first failing check per instance).
    pub removed: Vec<(Reason, u32)>,
}

pub struct PlacementRequest<'a> {
    pub task: &'a TaskRequirements,
    pub group: TaskGroupId,
    /// Only the instances of this Auto Scaling group (the capacity provider the task was
    /// assigned to); `None`: any instance of the cluster (the EC2 launch type).
    pub pool: Option<GroupId>,
    pub strategies: &'a [Strategy],
    pub constraints: &'a [Constraint],
    pub tie_break: TieBreak,
}

impl PlacementRequest<'_> {
    /// Whether `ci` is in the request's pool: its capacity provider's group, or without one any
    /// EC2 instance (Fargate's stand-ins take only tasks assigned to FARGATE or FARGATE_SPOT).
    pub fn admits(&self, cluster: &Cluster, ci: &ContainerInstance) -> bool {
        match self.pool {
            Some(g) => ci.group == g,
            None => !cluster.groups[ci.group.index()].fargate,
        }
    }

    /// Whether a random draw decides among the last ties.
    pub fn is_random(&self) -> bool {
        self.tie_break == TieBreak::Random || self.strategies.contains(&Strategy::Random)
    }
}

pub(super) fn resource_checks(ci: &ContainerInstance, t: &TaskRequirements) -> impl Iterator<Item = Reason> {
    [
        (ci.status != InstanceStatus::Active, Reason::Draining),
        (!ci.agent_connected, Reason::Agent),
        (ci.cpu_free < t.cpu, Reason::Cpu),
        (ci.memory_mib_free < t.memory_mib, Reason::Memory),
        (
            !ci.ports_free(&ci.ports_tcp, &t.ports_tcp)
                || !ci.ports_free(&ci.ports_udp, &t.ports_udp)
                || ci.dynamic_ports_used.len() + t.dynamic_ports > DYNAMIC_PORTS_SPAN,
            Reason::Ports,
        ),
        (ci.eni_free < t.enis, Reason::Eni),
        (ci.gpus_free < t.gpus, Reason::Gpu),
    ]
    .into_iter()
    .filter_map(|(failed, r)| failed.then_some(r))
}

pub(super) fn constraint_checks<'a>(
    ci: &'a ContainerInstance,
    cluster: &'a Cluster,
    req: &'a PlacementRequest<'_>,
) -> impl Iterator<Item = Reason> + 'a {
    req.constraints.iter().filter_map(move |c| match c {
        Constraint::DistinctInstance => (ci.group_task_count(req.group) > 0).then_some(Reason::DistinctInstance),
        Constraint::MemberOf { expr, .. } => (!expr.matches(ci, cluster)).then_some(Reason::MemberOf),
    })
}

/// The checks the capacity index cannot answer: static host ports and constraints (for an
/// instance whose slot fits).
pub(super) fn fits_beyond_slot(cluster: &Cluster, req: &PlacementRequest<'_>, i: usize) -> bool {
    let t = req.task;
    let ci = &cluster.instances()[i];
    req.admits(cluster, ci)
        && (t.ports_tcp.is_empty() || ci.ports_free(&ci.ports_tcp, &t.ports_tcp))
        && (t.ports_udp.is_empty() || ci.ports_free(&ci.ports_udp, &t.ports_udp))
        && req.constraints.iter().all(|c| match c {
            Constraint::DistinctInstance => cluster.group_instance_counts()[req.group.index()][i] == 0,
            Constraint::MemberOf { expr, .. } => expr.matches(ci, cluster),
        })
}

/// What a strategy needs that does not depend on the candidate (computed once per placement).
pub(super) enum StrategyCtx<'c> {
    None,
    AttributeCounts(Vec<(Option<&'c str>, i64)>),
}

impl<'c> StrategyCtx<'c> {
    pub(super) fn of(cluster: &'c Cluster, group: TaskGroupId, s: &Strategy) -> StrategyCtx<'c> {
        match s {
            Strategy::Spread(SpreadField::Attribute(name)) => {
                StrategyCtx::AttributeCounts(attribute_counts(cluster, group, name))
            }
            _ => StrategyCtx::None,
        }
    }
}

/// One strategy's score for a candidate: lower is better.
pub(super) fn score(
    cluster: &Cluster,
    req: &PlacementRequest<'_>,
    s: &Strategy,
    ctx: &StrategyCtx<'_>,
    ci: &ContainerInstance,
) -> i64 {
    let t = req.task;
    match (s, ctx) {
        (Strategy::Random, _) => 0,
        (Strategy::Spread(SpreadField::Zone), _) => {
            i64::from(cluster.group_zone_counts()[req.group.index()][ci.zone.index()])
        }
        (Strategy::Spread(SpreadField::Instance), _) => i64::from(ci.group_task_count(req.group)),
        (Strategy::Spread(SpreadField::Attribute(name)), StrategyCtx::AttributeCounts(counts)) => {
            let v = ci.attribute(name);
            counts.iter().find(|(k, _)| *k == v).map_or(0, |(_, c)| *c)
        }
        (Strategy::Spread(SpreadField::Attribute(_)), StrategyCtx::None) => 0,
        (Strategy::Binpack(Resource::Cpu), _) => i64::from(ci.cpu_free - t.cpu),
        (Strategy::Binpack(Resource::Memory), _) => i64::from(ci.memory_mib_free - t.memory_mib),
        (Strategy::Custom(c), _) => c.0.score(&PlacementView { cluster, task: t, group: req.group }, ci),
    }
}

/// Chooses the instance for one task, or says why none can take it.
pub fn place(cluster: &Cluster, req: &PlacementRequest<'_>, rng: &mut SimRng) -> Result<InstanceId, PlacementFailure> {
    try_place(cluster, req, rng).ok_or_else(|| explain_failure(cluster, req))
}

/// The zone a request's constraints come down to when they are exactly one
/// `attribute:ecs.availability-zone == ZONE` (AZ rebalancing's launch): `Some(None)` without
/// constraints, `None` for anything else.
fn zone_only(cluster: &Cluster, constraints: &[Constraint]) -> Option<Option<usize>> {
    use query::{Arg, Op, Pred, Subject};
    match constraints {
        [] => Some(None),
        [
            Constraint::MemberOf {
                expr: Expr::Pred(Pred { subject: Subject::Attribute(a), op: Op::Eq, arg: Arg::Value(z) }),
                ..
            },
        ] if a == "ecs.availability-zone" => cluster.zones.iter().position(|name| name == z).map(Some),
        _ => None,
    }
}

/// [`place`] without the failure explanation, for callers that simply retry later (queued batch
/// work). The narrowing model (each strategy keeps its best-scoring candidates) is the
/// lexicographic minimum of the strategies' scores, found in one pass over the capacity index.
pub fn try_place(cluster: &Cluster, req: &PlacementRequest<'_>, rng: &mut SimRng) -> Option<InstanceId> {
    let t = req.task;
    // Without static host ports, a Fargate pool or constraints the slot answers feasibility
    // alone.
    let slot_answers = t.ports_tcp.is_empty() && t.ports_udp.is_empty() && req.pool.is_none() && !cluster.has_fargate;
    let slot_only = slot_answers && req.constraints.is_empty();
    let slots = cluster.slots();
    let ok = |i: usize| slots[i].fits(t) && (slot_only || fits_beyond_slot(cluster, req, i));
    let n = req.strategies.len().min(MAX_STRATEGIES);
    let chain = &req.strategies[..n];
    let random = req.is_random();
    let live = cluster.live();
    if chain.iter().all(|s| *s == Strategy::Random) {
        return if random {
            pick_uniform(live.len(), |j| ok(live[j].index()), rng).map(|j| live[j.index()])
        } else {
            live.iter().copied().find(|id| ok(id.index()))
        };
    }
    // ECS's default for services, spread over zones then instances, from the group's index
    // when it keeps one: the fronts of a few ordered lists instead of the whole fleet.
    // A constraint to one zone (AZ rebalancing) is the index looked at in that zone alone.
    if let Some(ix) = cluster.spread_indexes()[req.group.index()].as_ref()
        && slot_answers
        && let Some(zone) = zone_only(cluster, req.constraints)
        && !random
        && matches!(chain, [Strategy::Spread(SpreadField::Zone), Strategy::Spread(SpreadField::Instance)])
        && let Some(room) = cluster.room().of((t.cpu, t.memory_mib))
    {
        return ix.best(&cluster.group_zone_counts()[req.group.index()], room, zone, |i| slots[i].fits(t));
    }
    if let Some(scorers) = slot_scorers(chain) {
        // A fixed number of scores lets the compiler unroll the key.
        let scan = SlotScan { cluster, req, slot_only, random };
        return match scorers[..] {
            [a] => scan.run([a], rng),
            [a, b] => scan.run([a, b], rng),
            [a, b, c] => scan.run([a, b, c], rng),
            [a, b, c, d] => scan.run([a, b, c, d], rng),
            _ => scan.run([], rng),
        };
    }
    let ctxs: Vec<StrategyCtx<'_>> = chain.iter().map(|s| StrategyCtx::of(cluster, req.group, s)).collect();
    let zone_counts = &cluster.group_zone_counts()[req.group.index()];
    let instance_counts = &cluster.group_instance_counts()[req.group.index()];
    let mut best = [i64::MAX; MAX_STRATEGIES];
    let mut ties: Vec<InstanceId> = Vec::new();
    let mut first: Option<InstanceId> = None;
    for &id in live {
        let (i, slot) = (id.index(), &slots[id.index()]);
        if !ok(i) {
            continue;
        }
        // Lexicographic comparison, computing a score only while the candidate ties the best so
        // far on the earlier ones.
        let mut order = std::cmp::Ordering::Equal;
        let mut key = best;
        for (k, (s, c)) in chain.iter().zip(&ctxs).enumerate() {
            let v = match s {
                Strategy::Random => 0,
                Strategy::Spread(SpreadField::Zone) => i64::from(zone_counts[slot.zone.index()]),
                Strategy::Spread(SpreadField::Instance) => i64::from(instance_counts[i]),
                Strategy::Binpack(Resource::Cpu) => i64::from(slot.cpu_free - t.cpu),
                Strategy::Binpack(Resource::Memory) => i64::from(slot.memory_mib_free - t.memory_mib),
                _ => score(cluster, req, s, c, &cluster.instances()[i]),
            };
            if order == std::cmp::Ordering::Equal {
                order = v.cmp(&best[k]);
                if order == std::cmp::Ordering::Greater {
                    break;
                }
            }
            key[k] = v;
        }
        let id = InstanceId(i as u32);
        match order {
            std::cmp::Ordering::Less => {
                best = key;
                first = Some(id);
                ties.clear();
                if random {
                    ties.push(id);
                }
            }
            std::cmp::Ordering::Equal => {
                if first.is_none() {
                    best = key;
                    first = Some(id);
                }
                if random {
                    ties.push(id);
                }
            }
            std::cmp::Ordering::Greater => {}
        }
    }
    match first {
        Some(_) if random => Some(ties[rng.below(ties.len() as u64) as usize]),
        other => other,
    }
}

/// ECS allows at most five strategies per service or RunTask.
pub const MAX_STRATEGIES: usize = 5;

/// Tasks of `group` per value of attribute `name` over the live instances.
pub(super) fn attribute_counts<'c>(
    cluster: &'c Cluster,
    group: TaskGroupId,
    name: &str,
) -> Vec<(Option<&'c str>, i64)> {
    let mut counts: Vec<(Option<&str>, i64)> = Vec::new();
    for ci in cluster.live_instances() {
        let v = ci.attribute(name);
        let n = i64::from(ci.group_task_count(group));
        match counts.iter_mut().find(|(k, _)| *k == v) {
            Some((_, c)) => *c += n,
            None => counts.push((v, n)),
        }
    }
    counts
}

pub(super) fn keep_min<T>(items: &mut Vec<T>, score: impl Fn(&T) -> i64) {
    let Some(best) = items.iter().map(&score).min() else { return };
    items.retain(|x| score(x) == best);
}

pub(super) fn keep_max<T>(items: &mut Vec<T>, score: impl Fn(&T) -> i64) {
    keep_min(items, |x| -score(x));
}
