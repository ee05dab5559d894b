//! Named invariants of the model, checked from outside it after every event in tests and with
//! `--check` (TigerBeetle's state checker): a violation is a bug in ecsim, never in the input.

use std::fmt;

use crate::cluster::InstanceStatus;
use crate::cluster::container_instance::AGENT_RESERVED_PORTS;
use crate::control_plane::State;
use crate::ecs::service::ServiceCounts;
use crate::ecs::task::{DesiredStatus, LastStatus, StopCode};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The invariant's name, e.g. `no_instance_overcommitted`.
    pub name: &'static str,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.detail)
    }
}

fn fail(name: &'static str, detail: String) -> Result<(), Violation> {
    Err(Violation { name, detail })
}

/// Checks every invariant; the first one broken is returned.
pub fn check(state: &State) -> Result<(), Violation> {
    let cluster = &state.cluster;
    let mut usage = crate::cluster::Usage::default();
    let counted = |ci: &&crate::cluster::ContainerInstance| !cluster.groups[ci.group.index()].fargate;
    for ci in cluster.instances().iter().filter(|ci| ci.status != InstanceStatus::Inactive).filter(counted) {
        usage.cpu_registered += u64::from(ci.cpu_registered);
        usage.cpu_reserved += u64::from(ci.cpu_registered - ci.cpu_free);
        usage.memory_mib_registered += u64::from(ci.memory_mib_registered);
        usage.memory_mib_reserved += u64::from(ci.memory_mib_registered - ci.memory_mib_free);
    }
    if usage != cluster.usage() {
        return fail("cluster_usage_adds_up", format!("kept {:?}, instances sum to {usage:?}", cluster.usage()));
    }
    let live: Vec<crate::ids::InstanceId> =
        cluster.instances().iter().filter(|ci| ci.status != InstanceStatus::Inactive).map(|ci| ci.id).collect();
    if live != cluster.live() {
        return fail(
            "capacity_index_in_sync",
            format!("the live list {:?} is not the live instances {live:?}", cluster.live()),
        );
    }
    for (g, booting) in state.group_zone_launching.iter().enumerate() {
        let zoned: u32 = booting.iter().sum();
        if zoned > state.group_launching[g] {
            return fail(
                "launching_counts_add_up",
                format!("group {g}: {zoned} instances booting in zones, {} launching in all", state.group_launching[g]),
            );
        }
    }
    let mut group_counts = vec![vec![0u32; cluster.zones.len()]; cluster.task_groups.len()];
    for ci in cluster.instances() {
        let (mut cpu, mut mem, mut enis, mut gpus) = (0u64, 0u64, 0u32, 0u32);
        let mut ports: Vec<u16> = AGENT_RESERVED_PORTS.to_vec();
        for &tid in &ci.tasks {
            let t = &state.tasks[tid.index()];
            if t.instance != ci.id || !t.holds_resources {
                return fail(
                    "no_task_on_two_instances",
                    format!("task {} is listed on {} but belongs elsewhere", t.name, ci.ec2_instance_id),
                );
            }
            let req = &state.requirements[t.task_definition.index()];
            cpu += u64::from(t.cpu);
            mem += u64::from(t.memory_mib);
            enis += req.enis;
            gpus += req.gpus;
            ports.extend(&req.ports_tcp);
        }
        if cpu > u64::from(ci.cpu_registered) || mem > u64::from(ci.memory_mib_registered) {
            return fail(
                "no_instance_overcommitted",
                format!(
                    "{} holds {cpu} CPU / {mem} MiB of {} / {}",
                    ci.ec2_instance_id, ci.cpu_registered, ci.memory_mib_registered
                ),
            );
        }
        if u64::from(ci.cpu_free) + cpu != u64::from(ci.cpu_registered)
            || u64::from(ci.memory_mib_free) + mem != u64::from(ci.memory_mib_registered)
        {
            return fail(
                "resource_ledger_balances",
                format!(
                    "{}: free {} CPU / {} MiB but tasks hold {cpu} / {mem} of {} / {}",
                    ci.ec2_instance_id, ci.cpu_free, ci.memory_mib_free, ci.cpu_registered, ci.memory_mib_registered
                ),
            );
        }
        if state.cluster.slots()[ci.id.index()] != crate::cluster::Slot::of(ci) {
            return fail(
                "capacity_index_in_sync",
                format!(
                    "{}: placement's slot {:?} disagrees with the instance",
                    ci.ec2_instance_id,
                    state.cluster.slots()[ci.id.index()]
                ),
            );
        }
        for (g, counts) in state.cluster.group_instance_counts().iter().enumerate() {
            if counts[ci.id.index()] != ci.group_task_count(crate::ids::TaskGroupId(g as u32)) {
                return fail(
                    "capacity_index_in_sync",
                    format!("{}: dense count of task group {g} disagrees with the instance", ci.ec2_instance_id),
                );
            }
        }
        let gpu_total = ci.gpus_registered;
        if gpus > gpu_total || ci.gpus_free + gpus != gpu_total {
            return fail(
                "gpu_ledger_balances",
                format!("{}: {} GPUs free, tasks hold {gpus} of {gpu_total}", ci.ec2_instance_id, ci.gpus_free),
            );
        }
        let eni_slots = ci.eni_task_slots;
        if enis > eni_slots || ci.eni_free + enis != eni_slots {
            return fail(
                "eni_ledger_balances",
                format!("{}: {} ENIs free, tasks hold {enis} of {eni_slots}", ci.ec2_instance_id, ci.eni_free),
            );
        }
        ports.sort_unstable();
        let n = ports.len();
        ports.dedup();
        if ports.len() != n {
            return fail("no_port_used_twice", format!("{} has a static host port reserved twice", ci.ec2_instance_id));
        }
        if ports != ci.ports_tcp {
            return fail(
                "port_ledger_balances",
                format!("{}: reserved {:?}, tasks need {:?}", ci.ec2_instance_id, ci.ports_tcp, ports),
            );
        }
        for &(g, c) in &ci.group_task_counts {
            group_counts[g.index()][ci.zone.index()] += c;
        }
    }
    let mut per_instance_group = vec![Vec::<(u32, u32)>::new(); cluster.instances().len()];
    let mut counts = vec![ServiceCounts::default(); state.services.len()];
    for t in &state.tasks {
        if t.holds_resources && !cluster.instance(t.instance).tasks.contains(&t.id) {
            return fail(
                "no_task_on_two_instances",
                format!("task {} holds resources but its instance does not list it", t.name),
            );
        }
        if t.last_status == LastStatus::Stopped && t.holds_resources {
            return fail("stopped_tasks_hold_nothing", format!("task {} is STOPPED but holds resources", t.name));
        }
        let ci = cluster.instance(t.instance);
        if ci.status == InstanceStatus::Inactive && t.last_status != LastStatus::Stopped && !t.host_lost {
            return fail(
                "no_task_on_inactive_instance",
                format!("task {} is {} on terminated {}", t.name, t.last_status.as_str(), ci.ec2_instance_id),
            );
        }
        let placed_while_draining =
            ci.status == InstanceStatus::Draining && ci.draining_since.is_some_and(|d| t.created_at > d);
        if placed_while_draining
            || (ci.status == InstanceStatus::Inactive
                && t.created_at > ci.registered_at
                && t.holds_resources
                && !t.host_lost)
        {
            return fail(
                "no_placement_on_draining_instance",
                format!("task {} was placed on {} while it was {}", t.name, ci.ec2_instance_id, ci.status.as_str()),
            );
        }
        if t.last_status.is_pending() && t.desired_status == DesiredStatus::Running && t.created_at < ci.registered_at {
            return fail("no_task_before_registration", format!("task {} predates its instance", t.name));
        }
        let c = t.counts();
        if c.live {
            let v = &mut per_instance_group[t.instance.index()];
            match v.iter_mut().find(|(g, _)| *g == t.group.0) {
                Some((_, n)) => *n += 1,
                None => v.push((t.group.0, 1)),
            }
        }
        if let Some(sid) = t.service {
            let s = &mut counts[sid.index()];
            s.live += u32::from(c.live);
            s.pending += u32::from(c.pending);
            s.running += u32::from(c.running);
            s.healthy += u32::from(c.healthy);
            s.doomed += u32::from(c.doomed);
        }
    }
    for ci in cluster.instances() {
        let mut want = per_instance_group[ci.id.index()].clone();
        want.sort_unstable();
        let mut have: Vec<(u32, u32)> = ci.group_task_counts.iter().map(|(g, c)| (g.0, *c)).collect();
        have.sort_unstable();
        if want != have {
            return fail(
                "group_counts_match_tasks",
                format!("{}: counted {have:?}, tasks say {want:?}", ci.ec2_instance_id),
            );
        }
    }
    if group_counts != cluster.group_zone_counts() {
        return fail(
            "zone_counts_match_tasks",
            format!("zone counts {:?} vs {:?}", cluster.group_zone_counts(), group_counts),
        );
    }
    for (svc, want) in state.services.iter().zip(counts) {
        if svc.counts != want {
            return fail(
                "service_counts_match_tasks",
                format!("service {}: counted {:?}, tasks say {want:?}", svc.spec.name, svc.counts),
            );
        }
    }
    check_census(state)?;
    check_spread_indexes(state)?;
    check_room_index(state)?;
    check_stop_indexes(state)?;
    check_capacity(state)
}

/// Each stop index holds exactly the service's live tasks, each under the key its state gives
/// now (its class, tier, zone and the group's tasks on its instance).
fn check_stop_indexes(state: &State) -> Result<(), Violation> {
    use crate::ecs::placement::stop_index::StopIndex;
    for svc in &state.services {
        let Some(ix) = &svc.stop_index else { continue };
        let mut want = StopIndex::new(state.cluster.zones.len());
        let mut stale = None;
        for t in svc.tasks.iter().map(|t| &state.tasks[t.index()]) {
            let key = state.stop_key(t);
            if key != t.stop_key {
                stale = Some(&t.name);
            }
            if let Some(key) = key {
                want.insert(key, t.id);
            }
        }
        if let Some(task) = stale {
            return fail(
                "stop_index_in_sync",
                format!("service {}: task {task} is filed under a stale key", svc.spec.name),
            );
        }
        if !ix.same_tasks(&want) {
            return fail(
                "stop_index_in_sync",
                format!("service {}: the stop index is not its live tasks under their keys", svc.spec.name),
            );
        }
    }
    Ok(())
}

/// Each spread index lists exactly the live instances, in their zones, with the group's tasks on
/// each.
fn check_spread_indexes(state: &State) -> Result<(), Violation> {
    let cluster = &state.cluster;
    for (g, ix) in cluster.spread_indexes().iter().enumerate() {
        let Some(ix) = ix else { continue };
        let mut want = crate::cluster::spread_index::SpreadIndex::new(cluster.zones.len());
        for &id in cluster.live() {
            want.insert(cluster.slots()[id.index()].zone, cluster.group_instance_counts()[g][id.index()], id);
        }
        if !ix.same(&want) {
            return fail(
                "spread_index_in_sync",
                format!("task group {}: the index is not the live instances and their counts", cluster.task_groups[g]),
            );
        }
    }
    Ok(())
}

/// The room index says, for each watched task size, exactly which live instances of each zone
/// take placements and have that much CPU and memory free.
fn check_room_index(state: &State) -> Result<(), Violation> {
    let cluster = &state.cluster;
    let mut want = crate::cluster::room_index::RoomIndex::new(cluster.zones.len(), &cluster.room().sizes);
    for &id in cluster.live() {
        want.update(id.index(), &crate::cluster::capacity_index::Slot::default(), &cluster.slots()[id.index()]);
    }
    let same = want.room.iter().zip(&cluster.room().room).all(|(w, k)| w.iter().zip(k).all(|(a, b)| a.same(b)));
    if !same {
        return fail(
            "room_index_in_sync",
            "the instances with room for a task size are not what their slots say".into(),
        );
    }
    Ok(())
}

/// Each service's census, kept as tasks and instances change, is what its tasks say now.
fn check_census(state: &State) -> Result<(), Violation> {
    use crate::ecs::census::{Census, CensusKey};
    for svc in &state.services {
        // The task list is the tasks not yet STOPPED, in launch order (finish_stop finds a task
        // in it by halving).
        let listed = svc.tasks.iter().map(|t| &state.tasks[t.index()]);
        if listed.clone().any(|t| t.last_status == LastStatus::Stopped)
            || !svc.tasks.windows(2).all(|w| state.tasks[w[0].index()].seq < state.tasks[w[1].index()].seq)
        {
            return fail(
                "census_in_sync",
                format!("service {}: its task list holds a STOPPED task or is out of launch order", svc.spec.name),
            );
        }
        let mut want = Census::default();
        for t in svc.tasks.iter().map(|t| &state.tasks[t.index()]) {
            want.retally(CensusKey::default(), CensusKey::of(t, state.cluster.is_draining(t.instance)));
        }
        let n = svc.deployments.len();
        if svc.census.sized(n) != want.sized(n) {
            return fail(
                "census_in_sync",
                format!("service {}: kept {:?}, its tasks say {want:?}", svc.spec.name, svc.census),
            );
        }
    }
    Ok(())
}

/// The bookkeeping managed scaling reads: instances and busy instances per group, tasks in
/// PROVISIONING per provider and in the cluster, and each service's tasks per strategy item.
fn check_capacity(state: &State) -> Result<(), Violation> {
    let cluster = &state.cluster;
    let daemon = |t: &crate::ecs::task::Task| t.service.is_some_and(|s| state.services[s.index()].spec.daemon);
    let mut live = vec![0u32; cluster.groups.len()];
    let mut busy = vec![0u32; cluster.groups.len()];
    let mut of_type: Vec<Vec<u32>> = cluster.groups.iter().map(|g| vec![0; g.types.len()]).collect();
    for ci in cluster.instances() {
        let non_daemon = ci.tasks.iter().filter(|t| !daemon(&state.tasks[t.index()])).count() as u32;
        if non_daemon != ci.non_daemon_tasks {
            return fail(
                "instance_counts_add_up",
                format!("{}: {} non-daemon tasks counted, {non_daemon} held", ci.ec2_instance_id, ci.non_daemon_tasks),
            );
        }
        live[ci.group.index()] += u32::from(ci.status != InstanceStatus::Inactive);
        of_type[ci.group.index()][usize::from(ci.kind)] += u32::from(ci.status != InstanceStatus::Inactive);
        if cluster.groups[ci.group.index()].types[usize::from(ci.kind)].name != ci.instance_type {
            return fail(
                "type_counts_add_up",
                format!("{}: type {} is not its group's type #{}", ci.ec2_instance_id, ci.instance_type, ci.kind),
            );
        }
        busy[ci.group.index()] += u32::from(non_daemon > 0);
    }
    if live != cluster.group_live_instances() || busy != cluster.group_busy_instances() {
        return fail(
            "instance_counts_add_up",
            format!(
                "per group: kept {:?} live and {:?} busy, instances say {live:?} and {busy:?}",
                cluster.group_live_instances(),
                cluster.group_busy_instances()
            ),
        );
    }
    if of_type != cluster.type_live() {
        return fail(
            "type_counts_add_up",
            format!("live instances per group and type: kept {:?}, instances say {of_type:?}", cluster.type_live()),
        );
    }
    let mut per_provider = vec![std::collections::BTreeMap::<crate::ids::TaskDefId, u32>::new(); state.providers.len()];
    let mut total = 0u32;
    for svc in &state.services {
        for e in &svc.provisioning {
            *per_provider[e.provider].entry(svc.deployments[e.deployment].task_definition).or_insert(0) += 1;
            total += 1;
        }
        let items = &svc.spec.capacity_provider_strategy;
        let mut want = vec![0u32; items.len()];
        for t in svc.tasks.iter().map(|t| &state.tasks[t.index()]).filter(|t| t.counts().live) {
            let p = state.group_provider[cluster.instance(t.instance).group.index()];
            if let Some(i) = items.iter().position(|it| Some(it.provider) == p) {
                want[i] += 1;
            }
        }
        for e in &svc.provisioning {
            if let Some(i) = items.iter().position(|it| it.provider == e.provider) {
                want[i] += 1;
            }
        }
        if want != svc.provider_tasks {
            return fail(
                "provider_tasks_match_tasks",
                format!("service {}: counted {:?} per provider, tasks say {want:?}", svc.spec.name, svc.provider_tasks),
            );
        }
    }
    for e in &state.standalone_provisioning {
        *per_provider[e.provider].entry(e.task_definition).or_insert(0) += 1;
        total += 1;
    }
    for (p, want) in state.providers.iter().zip(&per_provider) {
        if p.provisioning_by_td != *want || p.provisioning != want.values().sum::<u32>() {
            return fail(
                "provisioning_counts_add_up",
                format!(
                    "provider {}: kept {} ({:?}), services hold {want:?}",
                    p.spec.name, p.provisioning, p.provisioning_by_td
                ),
            );
        }
    }
    if total != state.provisioning_total {
        return fail(
            "provisioning_counts_add_up",
            format!("cluster: kept {} PROVISIONING tasks, services hold {total}", state.provisioning_total),
        );
    }
    Ok(())
}

/// Invariants that hold between instants (after every scheduler reaction), not mid-instant.
pub fn check_instant_end(state: &State) -> Result<(), Violation> {
    for svc in state.services.iter().filter(|s| s.spec.daemon) {
        let mut on: Vec<u32> = svc
            .tasks
            .iter()
            .map(|t| &state.tasks[t.index()])
            .filter(|t| t.desired_status == DesiredStatus::Running)
            .map(|t| t.instance.0)
            .collect();
        on.sort_unstable();
        if on.windows(2).any(|w| w[0] == w[1]) {
            return fail(
                "one_daemon_task_per_instance",
                format!("service {} runs two tasks on one instance", svc.spec.name),
            );
        }
    }
    Ok(())
}

/// Every invariant by name: what `check`, `check_instant_end` and the [`Checker`] can report.
pub const NAMES: [&str; 28] = [
    "cluster_usage_adds_up",
    "launching_counts_add_up",
    "no_task_on_two_instances",
    "no_instance_overcommitted",
    "resource_ledger_balances",
    "capacity_index_in_sync",
    "gpu_ledger_balances",
    "eni_ledger_balances",
    "no_port_used_twice",
    "port_ledger_balances",
    "stopped_tasks_hold_nothing",
    "no_task_on_inactive_instance",
    "no_placement_on_draining_instance",
    "no_task_before_registration",
    "group_counts_match_tasks",
    "zone_counts_match_tasks",
    "service_counts_match_tasks",
    "census_in_sync",
    "spread_index_in_sync",
    "room_index_in_sync",
    "stop_index_in_sync",
    "one_daemon_task_per_instance",
    "maximum_percent_respected",
    "minimum_healthy_percent_respected",
    "instance_counts_add_up",
    "type_counts_add_up",
    "provisioning_counts_add_up",
    "provider_tasks_match_tasks",
];

/// What the checker remembers of a task slot between events.
#[derive(Clone, Copy, Debug, Default)]
struct Seen {
    epoch: u32,
    live: bool,
    healthy: bool,
}

/// The invariants about what one event did, which need the state before it: the scheduler's own
/// launches keep maximumPercent and its own stops keep minimumHealthyPercent (SCHEDULING.md
/// §4.1; losses from failures may take a service below its floor, ECS's choices may not). Kept
/// beside the model, never in it (TigerBeetle's state checker).
#[derive(Clone, Debug, Default)]
pub struct Checker {
    seen: Vec<Seen>,
    /// Tasks in PROVISIONING per service: one placed becomes a live task without being a launch.
    provisioning: Vec<usize>,
}

impl Checker {
    pub fn new(state: &State) -> Checker {
        let mut c = Checker::default();
        c.remember(state);
        c
    }

    /// Checks every invariant after one event and remembers the state for the next.
    pub fn after_event(&mut self, state: &State) -> Result<(), Violation> {
        check(state)?;
        let moves = self.scheduler_moves(state);
        self.remember(state);
        moves
    }

    fn remember(&mut self, state: &State) {
        self.provisioning.clear();
        self.provisioning.extend(state.services.iter().map(|s| s.provisioning.len()));
        self.seen.clear();
        self.seen.extend(state.tasks.iter().map(|t| {
            let c = t.counts();
            Seen { epoch: t.epoch, live: c.live, healthy: c.live && c.healthy }
        }));
    }

    fn scheduler_moves(&self, state: &State) -> Result<(), Violation> {
        // Per service: did the event launch a task, and did the scheduler stop a healthy one?
        let mut new_live = vec![0usize; state.services.len()];
        let mut stopped_healthy = vec![false; state.services.len()];
        for (i, t) in state.tasks.iter().enumerate() {
            let Some(sid) = t.service else { continue };
            let before = self.seen.get(i).copied();
            let live = t.desired_status == DesiredStatus::Running;
            if live && before.is_none_or(|b| !b.live || b.epoch != t.epoch) {
                new_live[sid.index()] += 1;
            }
            if !live
                && before.is_some_and(|b| b.live && b.healthy)
                && t.stop_code == Some(StopCode::ServiceSchedulerInitiated)
            {
                stopped_healthy[sid.index()] = true;
            }
        }
        for (s, svc) in state.services.iter().enumerate().filter(|(_, s)| !s.spec.daemon) {
            let desired = svc.desired_count;
            // A launch: a new task beyond those that left PROVISIONING, or a new PROVISIONING one.
            let before = self.provisioning.get(s).copied().unwrap_or(0);
            let placed_from_provisioning = before.saturating_sub(svc.provisioning.len());
            let launched = new_live[s] > placed_from_provisioning || svc.provisioning.len() > before;
            if launched {
                // Stopping tasks hold their place when the setting counts them (the conservative
                // reading of the docs); a service may always hold desiredCount.
                let stopping = if state.settings.max_percent_counts_stopping {
                    svc.tasks
                        .iter()
                        .map(|t| &state.tasks[t.index()])
                        .filter(|t| {
                            t.desired_status == DesiredStatus::Stopped
                                && matches!(t.last_status, LastStatus::Stopping | LastStatus::Deactivating)
                        })
                        .count() as u32
                } else {
                    0
                };
                let bound = svc.spec.max_total_tasks(desired).max(desired);
                // Tasks in PROVISIONING are the service's tasks too (placing one launches
                // nothing new).
                let live = svc.counts.live + svc.provisioning.len() as u32;
                if live + stopping > bound {
                    return fail(
                        "maximum_percent_respected",
                        format!(
                            "service {} launched a task with {live} live ({} PROVISIONING) and {stopping} stopping; maximumPercent allows {bound}",
                            svc.spec.name,
                            svc.provisioning.len()
                        ),
                    );
                }
            }
            let floor = svc.spec.min_healthy_tasks(desired);
            if stopped_healthy[s] && svc.counts.healthy < floor {
                return fail(
                    "minimum_healthy_percent_respected",
                    format!(
                        "the scheduler stopped a healthy task of service {}, leaving {} healthy; minimumHealthyPercent requires {floor}",
                        svc.spec.name, svc.counts.healthy
                    ),
                );
            }
        }
        Ok(())
    }
}
