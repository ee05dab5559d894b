//! The fast path of placement: one pass over the cluster's capacity index for strategy chains it
//! can score alone (spread over zones or instances, binpack, random), and uniform random
//! placement by probing. The general path in `mod.rs` answers everything else the same way.

use super::{PlacementRequest, Resource, SpreadField, Strategy, fits_beyond_slot};
use crate::cluster::{Cluster, Slot};
use crate::engine::SimRng;
use crate::ids::InstanceId;

/// Random placement probes this many instances before it falls back to listing every feasible
/// one: on a cluster with room the first probe almost always fits.
const RANDOM_PROBES: u32 = 32;

/// The fast path: one pass over the capacity index, for chains it can score alone.
pub(super) struct SlotScan<'a, 'r> {
    pub cluster: &'a Cluster,
    pub req: &'a PlacementRequest<'r>,
    pub slot_only: bool,
    pub random: bool,
}

impl SlotScan<'_, '_> {
    pub fn run<const N: usize>(&self, scorers: [SlotScore; N], rng: &mut SimRng) -> Option<InstanceId> {
        let (cluster, req, t) = (self.cluster, self.req, self.req.task);
        let zone_counts = &cluster.group_zone_counts()[req.group.index()];
        let instance_counts = &cluster.group_instance_counts()[req.group.index()];
        // Each score fits in 32 bits, so the chain's lexicographic order is the order of the
        // scores packed into one u128, first strategy highest. With N fixed the fold unrolls,
        // so each strategy's branch goes the same way on every instance.
        let key = |i: usize, slot: &Slot| {
            scorers.iter().fold(0u128, |key, s| {
                let v = match s {
                    SlotScore::Zero => 0,
                    SlotScore::Zone => zone_counts[slot.zone.index()],
                    SlotScore::Instance => instance_counts[i],
                    SlotScore::CpuLeft => slot.cpu_free - t.cpu,
                    SlotScore::MemoryLeft => slot.memory_mib_free - t.memory_mib,
                };
                (key << 32) | u128::from(v)
            })
        };
        let mut best: Option<(u128, usize)> = None;
        let mut ties: Vec<usize> = Vec::new();
        // The loop body, for the two ways over the instances below.
        macro_rules! consider {
            ($i:expr, $slot:expr) => {{
                let (i, slot): (usize, &Slot) = ($i, $slot);
                if !slot.fits(t) || !(self.slot_only || fits_beyond_slot(cluster, req, i)) {
                    continue;
                }
                let k = key(i, slot);
                match best {
                    Some((b, _)) if k > b => {}
                    Some((b, _)) if k == b => {
                        if self.random {
                            ties.push(i);
                        }
                    }
                    _ => {
                        best = Some((k, i));
                        ties.clear();
                        if self.random {
                            ties.push(i);
                        }
                    }
                }
            }};
        }
        // Every instance live (no failure yet): a straight pass over the index; else through the
        // live list, so that instances gone long ago cost nothing.
        if cluster.live().len() == cluster.slots().len() {
            for (i, slot) in cluster.slots().iter().enumerate() {
                consider!(i, slot);
            }
        } else {
            for &id in cluster.live() {
                consider!(id.index(), &cluster.slots()[id.index()]);
            }
        }
        let (_, first) = best?;
        let chosen = if self.random { ties[rng.below(ties.len() as u64) as usize] } else { first };
        Some(InstanceId(chosen as u32))
    }
}

/// A strategy the capacity index can score on its own.
#[derive(Clone, Copy)]
pub(super) enum SlotScore {
    Zero,
    Zone,
    Instance,
    CpuLeft,
    MemoryLeft,
}

/// The chain as slot scores, when every strategy is one (and at most four: they pack in a u128).
pub(super) fn slot_scorers(chain: &[Strategy]) -> Option<Vec<SlotScore>> {
    if chain.len() > 4 {
        return None;
    }
    chain
        .iter()
        .map(|s| match s {
            Strategy::Random => Some(SlotScore::Zero),
            Strategy::Spread(SpreadField::Zone) => Some(SlotScore::Zone),
            Strategy::Spread(SpreadField::Instance) => Some(SlotScore::Instance),
            Strategy::Binpack(Resource::Cpu) => Some(SlotScore::CpuLeft),
            Strategy::Binpack(Resource::Memory) => Some(SlotScore::MemoryLeft),
            Strategy::Spread(SpreadField::Attribute(_)) | Strategy::Custom(_) => None,
        })
        .collect()
}

/// A uniformly random index among `0..n` that satisfies `ok`. Probing uniform indices and keeping
/// the first that fits is uniform over the feasible set; so is the fallback that lists them all,
/// hence so is the whole, whichever stage answers.
pub(super) fn pick_uniform(n: usize, ok: impl Fn(usize) -> bool, rng: &mut SimRng) -> Option<InstanceId> {
    if n == 0 {
        return None;
    }
    for _ in 0..RANDOM_PROBES {
        let i = rng.below(n as u64) as usize;
        if ok(i) {
            return Some(InstanceId(i as u32));
        }
    }
    let feasible: Vec<usize> = (0..n).filter(|&i| ok(i)).collect();
    if feasible.is_empty() {
        return None;
    }
    Some(InstanceId(feasible[rng.below(feasible.len() as u64) as usize] as u32))
}
