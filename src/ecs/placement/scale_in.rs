//! Which task a scale-in stops (SCHEDULING.md §5.8).

use super::*;

/// A running or pending task a scale-in may stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StopCandidate {
    pub task: TaskId,
    /// Its age (the task's `seq`): ties go to the newest.
    pub seq: u64,
    pub instance: InstanceId,
    pub zone: ZoneId,
    /// Not yet RUNNING: such tasks go first, since they serve nothing yet (\[INFER\]).
    pub pending: bool,
    /// Unhealthy tasks go next (§3.3).
    pub healthy: bool,
    pub cpu: u32,
    pub memory_mib: u32,
}

/// Chooses which task a scale-in stops (§5.8): pending tasks first, then unhealthy ones; then by
/// the service's
/// strategies (spread: the zone/instance/value with the most tasks of the group; binpack: the
/// task whose instance will have the most of the resource left); with no strategy, the most
/// loaded AZ, then the most loaded instance. Ties: the newest task, or random.
pub fn choose_task_to_stop(
    cluster: &Cluster,
    group: TaskGroupId,
    candidates: &[StopCandidate],
    strategies: &[Strategy],
    tie_break: TieBreak,
    rng: &mut SimRng,
) -> Option<TaskId> {
    let mut cands: Vec<&StopCandidate> = candidates.iter().collect();
    if cands.is_empty() {
        return None;
    }
    keep_max(&mut cands, |c| i64::from(c.pending));
    keep_max(&mut cands, |c| i64::from(!c.healthy));
    let defaults = default_service_strategies();
    let chain = if strategies.is_empty() { &defaults[..] } else { strategies };
    for s in chain {
        if cands.len() == 1 {
            break;
        }
        match s {
            Strategy::Random => {}
            Strategy::Spread(SpreadField::Zone) => {
                let counts = &cluster.group_zone_counts()[group.index()];
                keep_max(&mut cands, |c| i64::from(counts[c.zone.index()]));
            }
            Strategy::Spread(SpreadField::Instance) => {
                keep_max(&mut cands, |c| i64::from(cluster.instance(c.instance).group_task_count(group)))
            }
            Strategy::Spread(SpreadField::Attribute(name)) => {
                let counts = attribute_counts(cluster, group, name);
                keep_max(&mut cands, |c| {
                    let v = cluster.instance(c.instance).attribute(name);
                    counts.iter().find(|(k, _)| *k == v).map_or(0, |(_, n)| *n)
                });
            }
            Strategy::Binpack(Resource::Cpu) => {
                keep_max(&mut cands, |c| i64::from(cluster.instance(c.instance).cpu_free + c.cpu))
            }
            Strategy::Binpack(Resource::Memory) => {
                keep_max(&mut cands, |c| i64::from(cluster.instance(c.instance).memory_mib_free + c.memory_mib))
            }
            Strategy::Custom(custom) => {
                let task = TaskRequirements::default();
                let view = PlacementView { cluster, task: &task, group };
                keep_max(&mut cands, |c| custom.0.stop_score(&view, cluster.instance(c.instance)));
            }
        }
    }
    let random = tie_break == TieBreak::Random || strategies.contains(&Strategy::Random);
    let chosen = if random {
        cands[rng.below(cands.len() as u64) as usize]
    } else {
        cands.iter().max_by_key(|c| c.seq).copied()?
    };
    Some(chosen.task)
}
