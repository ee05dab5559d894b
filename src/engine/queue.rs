//! The event queue: 4-ary heaps (`dary_heap`: shallower than a binary heap, so fewer
//! mispredicted comparisons per pop) ordered by (time, seq), packed in one `u128`. `seq` increases with every insertion, so
//! events at the same instant run in the order they were scheduled (FoundationDB's FIFO rule).
//! Cancellation is lazy: a cancelled key is remembered and its event skipped when popped.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use dary_heap::QuaternaryHeap;

use super::time::SimTime;

/// Identifies one scheduled event, for cancellation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EventKey(u64);

struct Entry<E> {
    /// time in ms in the high 64 bits, seq in the low: one comparison orders both.
    key: u128,
    event: E,
}

impl<E> Entry<E> {
    fn time(&self) -> SimTime {
        SimTime((self.key >> 64) as u64)
    }
    fn seq(&self) -> u64 {
        self.key as u64
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed so that the heap (a max-heap) pops the earliest (time, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// Events due less than this far ahead of the last popped time go to the near heap.
const NEAR_HORIZON_MS: u64 = 60_000;

/// Two heaps with one order: events due within `NEAR_HORIZON_MS` of the present (image pulls,
/// container starts, stop signals, arrivals) and those further out (a batch task's exit hours
/// ahead, a deployment's timeout). Most pops are near events, and the near heap stays a few
/// dozen entries deep however many tasks wait for their far-off exits. Each pop takes the
/// smaller (time, seq) of the two tops, so the order is exactly that of a single heap.
pub struct EventQueue<E> {
    near: QuaternaryHeap<Entry<E>>,
    far: QuaternaryHeap<Entry<E>>,
    /// The time of the last pop: "near" is measured from here.
    present_ms: u64,
    next_seq: u64,
    cancelled: BTreeSet<u64>,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            near: QuaternaryHeap::new(),
            far: QuaternaryHeap::with_capacity(n),
            present_ms: 0,
            next_seq: 0,
            cancelled: BTreeSet::new(),
        }
    }

    pub fn schedule(&mut self, time: SimTime, event: E) -> EventKey {
        let seq = self.next_seq;
        self.next_seq += 1;
        let entry = Entry { key: (u128::from(time.0) << 64) | u128::from(seq), event };
        if time.0.saturating_sub(self.present_ms) < NEAR_HORIZON_MS {
            self.near.push(entry);
        } else {
            self.far.push(entry);
        }
        EventKey(seq)
    }

    /// Marks an event so it is skipped when it reaches the front. Cancelling an event that already
    /// ran is harmless.
    pub fn cancel(&mut self, key: EventKey) {
        if key.0 < self.next_seq {
            self.cancelled.insert(key.0);
        }
    }

    /// The earliest entry, and whether it is in the far heap.
    fn front(&self) -> Option<(&Entry<E>, bool)> {
        match (self.near.peek(), self.far.peek()) {
            // `Entry`'s order is reversed: the greater entry is the earlier event.
            (Some(n), Some(f)) if f > n => Some((f, true)),
            (None, Some(f)) => Some((f, true)),
            (Some(n), _) => Some((n, false)),
            (None, None) => None,
        }
    }

    fn pop_front(&mut self) -> Option<Entry<E>> {
        let (_, far) = self.front()?;
        if far { self.far.pop() } else { self.near.pop() }
    }

    /// Removes and returns the earliest live event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        while let Some(entry) = self.pop_front() {
            if !self.cancelled.is_empty() && self.cancelled.remove(&entry.seq()) {
                continue;
            }
            self.present_ms = entry.time().0;
            return Some((entry.time(), entry.event));
        }
        None
    }

    /// Time of the earliest live event.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        loop {
            let (seq, time) = self.front().map(|(e, _)| (e.seq(), e.time()))?;
            if self.cancelled.is_empty() || !self.cancelled.remove(&seq) {
                return Some(time);
            }
            self.pop_front();
        }
    }

    /// Events scheduled and not yet popped (cancelled ones included until they are skipped).
    pub fn len(&self) -> usize {
        self.near.len() + self.far.len()
    }

    pub fn is_empty(&self) -> bool {
        self.near.is_empty() && self.far.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::{SimRng, Stream};
    use std::collections::BTreeMap;

    #[test]
    fn equal_times_pop_in_insertion_order() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(5), "b");
        q.schedule(SimTime(1), "a");
        q.schedule(SimTime(5), "c");
        q.schedule(SimTime(5), "d");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
    }

    #[test]
    fn cancelled_events_are_skipped() {
        let mut q = EventQueue::new();
        let k = q.schedule(SimTime(1), 1);
        q.schedule(SimTime(2), 2);
        q.cancel(k);
        assert_eq!(q.peek_time(), Some(SimTime(2)));
        assert_eq!(q.pop(), Some((SimTime(2), 2)));
        assert_eq!(q.pop(), None);
    }

    /// nexosim's check: the queue against a BTreeMap model under many random operations, with
    /// events due within the near horizon only and with most of them far beyond it.
    #[test]
    fn matches_a_btreemap_model() {
        model_check(1000);
        model_check(10 * NEAR_HORIZON_MS);
    }

    fn model_check(time_range_ms: u64) {
        let mut rng = SimRng::new(7, Stream::Test);
        let mut q = EventQueue::new();
        let mut model: BTreeMap<(u64, u64), u64> = BTreeMap::new();
        let mut keys = Vec::new();
        let mut seq = 0u64;
        for _ in 0..200_000 {
            match rng.below(10) {
                0..=5 => {
                    // Times from the present on, as a simulation schedules them.
                    let now = model.first_key_value().map_or(0, |((t, _), _)| *t);
                    let t = now + rng.below(time_range_ms);
                    let k = q.schedule(SimTime(t), seq);
                    model.insert((t, seq), seq);
                    keys.push((k, t, seq));
                    seq += 1;
                }
                6 if !keys.is_empty() => {
                    let i = rng.below(keys.len() as u64) as usize;
                    let (k, t, s) = keys.swap_remove(i);
                    q.cancel(k);
                    model.remove(&(t, s));
                }
                _ => {
                    let want = model.pop_first();
                    let got = q.pop();
                    assert_eq!(got.map(|(t, e)| (t.0, e)), want.map(|((t, _), e)| (t, e)));
                    if let Some((_, s)) = want {
                        keys.retain(|&(_, _, ks)| ks != s);
                    }
                }
            }
        }
    }
}
