//! Which instances have room for a task, by zone and task size: for each size the scenario's task
//! definitions ask for (CPU units, MiB), one bit per instance of each zone, set while it is live,
//! takes placements and has that much CPU and memory free. Kept by the cluster whenever an
//! instance's slot changes (O(sizes) per change), read by the spread index to skip full
//! instances a machine word (64 instances) at a time.

use super::capacity_index::Slot;

/// Bits by instance id, grown as instances register.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bits(pub Vec<u64>);

impl Bits {
    pub fn set(&mut self, i: usize, on: bool) {
        let (w, b) = (i / 64, i % 64);
        if w >= self.0.len() {
            if !on {
                return;
            }
            self.0.resize(w + 1, 0);
        }
        if on {
            self.0[w] |= 1 << b;
        } else {
            self.0[w] &= !(1 << b);
        }
    }

    pub fn get(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// Word `w` (0 past the end).
    pub fn word(&self, w: usize) -> u64 {
        self.0.get(w).copied().unwrap_or(0)
    }

    /// The same bits, ignoring trailing zero words.
    pub fn same(&self, other: &Bits) -> bool {
        (0..self.0.len().max(other.0.len())).all(|w| self.word(w) == other.word(w))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoomIndex {
    /// The task sizes watched: (CPU units, MiB).
    pub sizes: Vec<(u32, u32)>,
    /// Per size, per zone.
    pub room: Vec<Vec<Bits>>,
}

impl RoomIndex {
    pub fn new(zones: usize, sizes: &[(u32, u32)]) -> RoomIndex {
        let mut sizes = sizes.to_vec();
        sizes.sort_unstable();
        sizes.dedup();
        RoomIndex { room: vec![vec![Bits::default(); zones]; sizes.len()], sizes }
    }

    /// Whether `slot` has room for `size`.
    pub fn fits(slot: &Slot, size: (u32, u32)) -> bool {
        slot.live && slot.open && slot.cpu_free >= size.0 && slot.memory_mib_free >= size.1
    }

    /// Instance `i` went from `old` to `new`.
    pub fn update(&mut self, i: usize, old: &Slot, new: &Slot) {
        for (s, &size) in self.sizes.iter().enumerate() {
            let (was, is) = (Self::fits(old, size), Self::fits(new, size));
            if was != is || old.zone != new.zone {
                self.room[s][old.zone.index()].set(i, false);
                self.room[s][new.zone.index()].set(i, is);
            }
        }
    }

    /// The bits of `size` per zone, if it is watched.
    pub fn of(&self, size: (u32, u32)) -> Option<&[Bits]> {
        self.sizes.binary_search(&size).ok().map(|s| &self.room[s][..])
    }
}
