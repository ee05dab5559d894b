//! Keeps each service's stop index ([`StopIndex`]) in step with its tasks: a task's key is
//! recomputed wherever something it depends on changes (the task's own state, in
//! [`State::update_task`]; the group's tasks on its instance; its instance's DRAINING status).

use crate::control_plane::State;
use crate::ecs::placement::stop_index::{StopClass, StopKey};
use crate::ecs::task::{DesiredStatus, Task};
use crate::ids::{InstanceId, ServiceId, TaskId};

impl State {
    /// Where a task belongs in its service's stop index: nowhere unless desired RUNNING.
    pub fn stop_key(&self, t: &Task) -> Option<StopKey> {
        if t.desired_status != DesiredStatus::Running {
            return None;
        }
        let pending = t.last_status.is_pending();
        Some(StopKey {
            class: StopClass {
                deployment: t.deployment,
                draining: self.cluster.is_draining(t.instance),
                doomed: t.doomed.is_some(),
                starting_replacement: t.old_revision_replacement && pending,
            },
            tier: StopKey::tier(pending, t.is_healthy()),
            zone: t.zone,
            instance_tasks: self.cluster.instance(t.instance).group_task_count(t.group),
            seq: t.seq,
        })
    }

    /// Moves a service task to where it now belongs in its service's stop index.
    pub fn reindex_stop(&mut self, tid: TaskId) {
        let t = &self.tasks[tid.index()];
        let Some(sid) = t.service else { return };
        if self.services[sid.index()].stop_index.is_none() {
            return;
        }
        let key = self.stop_key(t);
        if key == t.stop_key {
            return;
        }
        let old = std::mem::replace(&mut self.tasks[tid.index()].stop_key, key);
        let Some(ix) = self.services[sid.index()].stop_index.as_mut() else { return };
        if let Some(old) = old {
            ix.remove(old, tid);
        }
        if let Some(key) = key {
            ix.insert(key, tid);
        }
    }

    /// The tasks of `sid` on `iid`, after the group's count there changed.
    pub fn reindex_stops_on(&mut self, sid: ServiceId, iid: InstanceId) {
        if self.services[sid.index()].stop_index.is_none() {
            return;
        }
        for i in 0..self.cluster.instance(iid).tasks.len() {
            let tid = self.cluster.instance(iid).tasks[i];
            if self.tasks[tid.index()].service == Some(sid) {
                self.reindex_stop(tid);
            }
        }
    }
}
