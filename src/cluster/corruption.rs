//! Deliberate corruption of the cluster's own books, for testing the invariant checker (a
//! checker is only trusted once it has been seen to fire). The cluster's bookkeeping cannot be
//! broken from outside, since every change goes through [`Cluster::update_instance`] or the task
//! ledger; this is the one way around it, and nothing in a normal run calls it.

use super::Cluster;
use crate::ids::{InstanceId, TaskId};

impl Cluster {
    /// Breaks the cluster invariant `name` behind the books' back. `placed` is a task holding
    /// resources and its instance, where the corruption needs one. `None` when `name` is not the
    /// cluster's to break; `Some(false)` when this cluster offers nothing to break that way.
    #[doc(hidden)]
    pub fn corrupt(&mut self, name: &str, placed: Option<(TaskId, InstanceId)>) -> Option<bool> {
        let done = match name {
            "cluster_usage_adds_up" => {
                self.usage.cpu_reserved += 1;
                true
            }
            "instance_counts_add_up" => self.group_busy_instances.first_mut().map(|busy| *busy += 1).is_some(),
            "type_counts_add_up" => self.type_live.first_mut().and_then(|t| t.first_mut()).map(|n| *n += 1).is_some(),
            "no_task_on_two_instances" => {
                let Some((t, home)) = placed else { return Some(false) };
                let Some(other) = self.instances.iter().position(|ci| ci.id != home) else { return Some(false) };
                self.instances[other].tasks.push(t);
                true
            }
            "capacity_index_in_sync" => self.slots.first_mut().map(|slot| slot.cpu_free ^= 1).is_some(),
            "gpu_ledger_balances" | "eni_ledger_balances" | "port_ledger_balances" => {
                let Some(ci) = self.instances.first_mut() else { return Some(false) };
                match name {
                    "gpu_ledger_balances" => ci.gpus_free += 1,
                    "eni_ledger_balances" => ci.eni_free += 1,
                    _ => ci.ports_tcp.push(u16::MAX),
                }
                // The slot re-read too, so that only the ledger against the tasks is wrong.
                let id = ci.id;
                self.sync_slot(id);
                true
            }
            "group_counts_match_tasks" => {
                let Some(ci) = self.instances.iter_mut().find(|ci| !ci.group_task_counts.is_empty()) else {
                    return Some(false);
                };
                ci.group_task_counts[0].1 += 1;
                let (g, i) = (ci.group_task_counts[0].0, ci.id);
                self.group_instance_counts[g.index()][i.index()] += 1;
                true
            }
            "zone_counts_match_tasks" => {
                self.group_zone_counts.first_mut().and_then(|z| z.first_mut()).map(|c| *c += 1).is_some()
            }
            "room_index_in_sync" => {
                // An instance with room for the first size said to have none.
                let bits = self.room.room.first_mut().and_then(|z| z.iter_mut().find(|b| b.0.iter().any(|w| *w != 0)));
                let word = bits.and_then(|b| b.0.iter_mut().find(|w| **w != 0));
                word.map(|w| *w &= *w - 1).is_some()
            }
            "spread_index_in_sync" => {
                let Some(ix) = self.spread_indexes.iter_mut().flatten().next() else { return Some(false) };
                let Some(set) = ix.zones.iter_mut().find(|z| !z.is_empty()) else { return Some(false) };
                let Some(&(n, id)) = set.iter().next() else { return Some(false) };
                set.remove(&(n, id));
                set.insert((n + 1, id));
                true
            }
            _ => return None,
        };
        Some(done)
    }
}
