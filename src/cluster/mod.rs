//! The cluster: Availability Zones, instance groups and container instances, and the ledger of
//! what each instance has left. Placement reads it; the simulation changes it.

pub mod capacity_index;
pub mod container_instance;
mod corruption;
pub mod instance_types;
pub mod room_index;
pub mod spread_index;
pub mod task_requirements;

use crate::engine::{SimDuration, SimTime};
use crate::ids::{GroupId, InstanceId, TaskGroupId, ZoneId};
pub use capacity_index::Slot;
use container_instance::{AGENT_RESERVED_PORTS, DYNAMIC_PORTS_LAST};
pub use container_instance::{ContainerInstance, InstanceLoss, InstanceStatus};
pub use task_requirements::TaskRequirements;

/// ECS's quota of container instances per cluster (SCHEDULING.md §2.6, not adjustable).
pub const MAX_CONTAINER_INSTANCES: u64 = 5_000;

/// One instance type an Auto Scaling group may launch, with what its instances register.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceTypeSpec {
    pub name: String,
    pub cpu: u32,
    pub memory_mib: u32,
    pub arm64: bool,
    /// GPUs per instance.
    pub gpus: u32,
    /// awsvpc tasks an instance can hold: its ENIs minus the primary one (or an explicit limit,
    /// e.g. with awsvpcTrunking).
    pub eni_task_slots: u32,
}

/// An instance group as the scenario describes it: an Auto Scaling group's worth of instances
/// spread over zones, of one instance type or several (a mixed instances policy).
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceGroupSpec {
    pub name: String,
    /// The types it launches, in launch priority: the first one EC2 has capacity for in the
    /// zone (the `prioritized` allocation strategy; `lowest-price` sorts them by the user's
    /// prices at load).
    pub types: Vec<InstanceTypeSpec>,
    /// Initial instances (the group's desired capacity).
    pub count: u32,
    /// How many of them are of each type, index for index with `types` (all of the first type
    /// unless the scenario says: a fleet as it runs now, say an imported one).
    pub initial_by_type: Vec<u32>,
    /// The Auto Scaling group's minimum and maximum size: its desired capacity stays between
    /// them (adding instances past the maximum is capped, as EC2 caps SetDesiredCapacity).
    pub min_size: u32,
    pub max_size: u32,
    pub zones: Vec<ZoneId>,
    /// Custom attributes, sorted by name.
    pub attributes: Vec<(String, String)>,
    /// EC2 launch + boot + agent registration for instances launched during the run.
    pub launch_time: SimDuration,
    /// When set, the Auto Scaling group launches a replacement this long after an instance is
    /// lost.
    pub replacement_delay: Option<SimDuration>,
    /// The Auto Scaling group ignores an instance's failed health checks this long after it
    /// launched (the console's default 300 s; the API's 0).
    pub health_check_grace_period: SimDuration,
    /// `ECS_ENABLE_SPOT_INSTANCE_DRAINING`: a Spot interruption notice sets the instance DRAINING.
    pub spot_instance_draining: bool,
    /// EC2 Auto Scaling's AZRebalance process (on unless suspended): when the group's zones hold
    /// counts differing by more than one (a zone back from an outage, say), it launches in the
    /// thinnest zone first, up to 10 % (at least one instance) above its capacity, and then
    /// terminates an instance in the most crowded one.
    pub az_rebalance: bool,
    /// The ECS agent version its instances run (for `agentVersion` queries).
    pub agent_version: String,
    /// Fargate capacity, not EC2 instances: one stand-in "instance" per zone with room for any
    /// number of tasks, each task isolated as on its own host (see [`InstanceGroupSpec::fargate`]).
    pub fargate: bool,
}

impl InstanceGroupSpec {
    /// The stand-in for FARGATE (or FARGATE_SPOT) capacity in `zones`: one per zone, room without
    /// practical limit (100,000 vCPU, 4 TiB, a million ENIs), nothing to launch or rebalance.
    /// Every Fargate task runs on its own micro-VM; the reports count each as its own host, and
    /// the cluster's usage leaves these out.
    pub fn fargate(name: &str, zones: Vec<ZoneId>) -> InstanceGroupSpec {
        InstanceGroupSpec {
            name: name.to_string(),
            types: vec![InstanceTypeSpec {
                name: "fargate".into(),
                cpu: 100_000 * 1024,
                memory_mib: 4 << 20,
                arm64: false,
                gpus: 0,
                eni_task_slots: 1_000_000,
            }],
            count: zones.len() as u32,
            initial_by_type: vec![zones.len() as u32],
            min_size: 0,
            max_size: zones.len() as u32,
            zones,
            attributes: Vec::new(),
            launch_time: SimDuration::ZERO,
            replacement_delay: None,
            health_check_grace_period: SimDuration::ZERO,
            spot_instance_draining: false,
            az_rebalance: false,
            agent_version: String::new(),
            fargate: true,
        }
    }

    /// A group of m5.large instances for unit tests (2 vCPU, 7,985 MiB, 2 awsvpc slots).
    #[cfg(test)]
    pub fn m5_large(name: &str, count: u32, zones: Vec<ZoneId>) -> InstanceGroupSpec {
        InstanceGroupSpec {
            name: name.into(),
            types: vec![InstanceTypeSpec {
                name: "m5.large".into(),
                cpu: 2048,
                memory_mib: 7985,
                arm64: false,
                gpus: 0,
                eni_task_slots: 2,
            }],
            count,
            initial_by_type: vec![count],
            min_size: 0,
            max_size: 5000,
            zones,
            attributes: vec![],
            launch_time: SimDuration::ZERO,
            replacement_delay: None,
            health_check_grace_period: SimDuration::ZERO,
            spot_instance_draining: false,
            az_rebalance: true,
            agent_version: "1.90.0".into(),
            fargate: false,
        }
    }

    /// The type of each initial instance, in registration order: the types interleaved over
    /// the zones as the counts allow (4 m5.large and 2 m5.xlarge over three zones: large in a, b,
    /// c and a, xlarge in b and c).
    pub fn initial_kinds(&self) -> impl Iterator<Item = u8> + '_ {
        self.initial_by_type.iter().enumerate().flat_map(|(k, n)| std::iter::repeat_n(k as u8, *n as usize))
    }

    /// The type it launches first (its only one, for most groups).
    pub fn first_type(&self) -> &InstanceTypeSpec {
        &self.types[0]
    }

    /// Per parameter (CPU, memory, ENI slots, GPUs) the least and the most any of its types
    /// offers: managed scaling's smallest and largest instance types (§2.3 step 2).
    pub fn smallest_and_largest(&self) -> (InstanceTypeSpec, InstanceTypeSpec) {
        let (mut small, mut large) = (self.types[0].clone(), self.types[0].clone());
        for t in &self.types[1..] {
            small.cpu = small.cpu.min(t.cpu);
            small.memory_mib = small.memory_mib.min(t.memory_mib);
            small.eni_task_slots = small.eni_task_slots.min(t.eni_task_slots);
            small.gpus = small.gpus.min(t.gpus);
            large.cpu = large.cpu.max(t.cpu);
            large.memory_mib = large.memory_mib.max(t.memory_mib);
            large.eni_task_slots = large.eni_task_slots.max(t.eni_task_slots);
            large.gpus = large.gpus.max(t.gpus);
        }
        (small, large)
    }
}

/// CPU units and MiB registered and reserved over the live (not INACTIVE) instances.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub cpu_registered: u64,
    pub cpu_reserved: u64,
    pub memory_mib_registered: u64,
    pub memory_mib_reserved: u64,
}

impl Usage {
    /// What `ci` counts for when its slot is `slot`: CPU registered and reserved, memory
    /// registered and reserved (nothing when it is not live).
    fn part(slot: Slot, ci: &ContainerInstance) -> [i64; 4] {
        if !slot.live {
            return [0; 4];
        }
        let (cpu, memory_mib) = (ci.cpu_registered, ci.memory_mib_registered);
        [cpu, cpu - slot.cpu_free.min(cpu), memory_mib, memory_mib - slot.memory_mib_free.min(memory_mib)]
            .map(i64::from)
    }

    /// The change in `ci`'s part when its slot goes from `old` to `new`.
    fn change(old: Slot, new: Slot, ci: &ContainerInstance) -> [i64; 4] {
        let (before, after) = (Usage::part(old, ci), Usage::part(new, ci));
        std::array::from_fn(|k| after[k] - before[k])
    }

    fn add(&mut self, change: [i64; 4]) {
        let totals = [
            &mut self.cpu_registered,
            &mut self.cpu_reserved,
            &mut self.memory_mib_registered,
            &mut self.memory_mib_reserved,
        ];
        for (total, d) in totals.into_iter().zip(change) {
            *total = total.saturating_add_signed(d);
        }
    }
}

/// The cluster. Its instances and everything kept about them (the capacity index, usage, live
/// lists, per-group and per-type counts, the room and spread indexes) are the cluster's own: an
/// instance changes only through [`Cluster::update_instance`], which brings them up to date, so
/// no caller can leave them behind.
#[derive(Clone, Debug)]
pub struct Cluster {
    pub zones: Vec<String>,
    pub zone_up: Vec<bool>,
    pub groups: Vec<InstanceGroupSpec>,
    /// Instances launched per group so far, for naming (`web-asg-4`).
    pub launched_per_group: Vec<u32>,
    instances: Vec<ContainerInstance>,
    /// Placement's compact view of `instances`, index for index (see [`capacity_index`]).
    slots: Vec<Slot>,
    /// The instances not INACTIVE, in registration order: what placement scans. A terminated
    /// instance keeps its record (reports name it) but costs nothing after, so a run that
    /// replaces instances all day scans the fleet it has, not every instance it ever had.
    live: Vec<InstanceId>,
    /// Tasks with desired status RUNNING per task group and instance, dense: what spread over
    /// instances and distinctInstance read in a scan (each instance's sparse list serves queries).
    group_instance_counts: Vec<Vec<u32>>,
    /// Task group names (`service:web`), indexed by `TaskGroupId`.
    pub task_groups: Vec<String>,
    /// Tasks with desired status RUNNING per task group and zone: what AZ spread counts.
    group_zone_counts: Vec<Vec<u32>>,
    /// CPU and memory registered and reserved over the instances not INACTIVE, kept up to
    /// date by `sync_slot` (what the cluster usage plot shows).
    usage: Usage,
    /// Instances in DRAINING status (the scheduler has work while any exists).
    draining_instances: u32,
    /// Live (not INACTIVE) instances per instance group.
    group_live_instances: Vec<u32>,
    /// Some group is Fargate's stand-in (placement then checks each instance's pool).
    pub has_fargate: bool,
    /// CPU and memory registered and reserved per group (Fargate's stand-ins included), kept by
    /// `sync_slot`: what usage in instance-hours and Fargate vCPU- and GB-hours integrates.
    group_usage: Vec<Usage>,
    /// Groups whose usage or live instances changed since the observer last heard (each once).
    groups_changed: Vec<GroupId>,
    group_changed: Vec<bool>,
    /// Instances per instance group holding at least one task not of a DAEMON service (what
    /// managed scaling calls busy).
    group_busy_instances: Vec<u32>,
    /// (group, type) of each EC2 instance that came or went since the observer last heard:
    /// what instance-hours per type follow (rare: launches and terminations only).
    type_live_changed: Vec<(GroupId, u8)>,
    /// Live instances per group and type.
    type_live: Vec<Vec<u32>>,
    /// (type name, zone) pairs EC2 has no capacity for now (`insufficient_capacity` windows):
    /// an Auto Scaling group launches another of its types there, or in another zone.
    pub capacity_short: Vec<(String, ZoneId)>,
    /// Wall-clock time of simulated time zero, ms since the Unix epoch (for `registeredAt`).
    pub start_epoch_ms: i64,
    /// Per task group, its spread index when one was asked for (services placed by spread over
    /// zones then instances, ECS's default).
    spread_indexes: Vec<Option<spread_index::SpreadIndex>>,
    /// Which instances have room for each task size the spread indexes place.
    room: room_index::RoomIndex,
}

/// Read-only views of what the cluster keeps.
impl Cluster {
    /// Every instance registered over the run (INACTIVE ones keep their record), by id.
    pub fn instances(&self) -> &[ContainerInstance] {
        &self.instances
    }

    /// Placement's compact view of the instances, index for index (see [`capacity_index`]).
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// The instances not INACTIVE, in registration order.
    pub fn live(&self) -> &[InstanceId] {
        &self.live
    }

    /// Tasks with desired status RUNNING per task group and instance.
    pub fn group_instance_counts(&self) -> &[Vec<u32>] {
        &self.group_instance_counts
    }

    /// Tasks with desired status RUNNING per task group and zone.
    pub fn group_zone_counts(&self) -> &[Vec<u32>] {
        &self.group_zone_counts
    }

    /// CPU and memory registered and reserved over the live EC2 instances.
    pub fn usage(&self) -> Usage {
        self.usage
    }

    /// Instances in DRAINING status.
    pub fn draining_instances(&self) -> u32 {
        self.draining_instances
    }

    /// Live instances per instance group.
    pub fn group_live_instances(&self) -> &[u32] {
        &self.group_live_instances
    }

    /// Instances per group holding a task not of a DAEMON service.
    pub fn group_busy_instances(&self) -> &[u32] {
        &self.group_busy_instances
    }

    /// Live instances per group and type.
    pub fn type_live(&self) -> &[Vec<u32>] {
        &self.type_live
    }

    /// Per task group, its spread index when one is kept.
    pub fn spread_indexes(&self) -> &[Option<spread_index::SpreadIndex>] {
        &self.spread_indexes
    }

    /// Which instances have room for each watched task size.
    pub fn room(&self) -> &room_index::RoomIndex {
        &self.room
    }

    /// Hands `f` each (group, type) whose live instances changed since the last call, once, with
    /// its live instances now. The list keeps its room, so an instant costs no allocation.
    pub fn drain_changed_types(&mut self, mut f: impl FnMut(GroupId, u8, u32)) {
        if self.type_live_changed.is_empty() {
            return;
        }
        self.type_live_changed.sort_unstable();
        self.type_live_changed.dedup();
        for &(group, kind) in &self.type_live_changed {
            f(group, kind, self.type_live[group.index()][usize::from(kind)]);
        }
        self.type_live_changed.clear();
    }
}

impl Cluster {
    pub fn new(zones: Vec<String>, groups: Vec<InstanceGroupSpec>) -> Cluster {
        let n = groups.len();
        let has_fargate = groups.iter().any(|g| g.fargate);
        debug_assert!(
            groups.iter().all(|g| g.initial_by_type.iter().sum::<u32>() == g.count),
            "initial fleets by type add up"
        );
        let type_live = groups.iter().map(|g| vec![0; g.types.len()]).collect();
        Cluster {
            zone_up: vec![true; zones.len()],
            zones,
            groups,
            launched_per_group: vec![0; n],
            instances: Vec::new(),
            slots: Vec::new(),
            live: Vec::new(),
            group_instance_counts: Vec::new(),
            task_groups: Vec::new(),
            group_zone_counts: Vec::new(),
            usage: Usage::default(),
            draining_instances: 0,
            group_live_instances: vec![0; n],
            has_fargate,
            group_usage: vec![Usage::default(); n],
            groups_changed: Vec::new(),
            group_changed: vec![false; n],
            group_busy_instances: vec![0; n],
            type_live_changed: Vec::new(),
            type_live,
            capacity_short: Vec::new(),
            start_epoch_ms: 0,
            spread_indexes: Vec::new(),
            room: Default::default(),
        }
    }

    pub fn instance(&self, id: InstanceId) -> &ContainerInstance {
        &self.instances[id.index()]
    }

    /// Container instances registered (ACTIVE or DRAINING; Fargate's stand-ins are not
    /// container instances): what the quota counts.
    pub fn container_instances(&self) -> u64 {
        (self.groups.iter().zip(&self.group_live_instances))
            .filter(|(g, _)| !g.fargate)
            .map(|(_, n)| u64::from(*n))
            .sum()
    }

    /// Whether the instance is DRAINING (its service tasks are leaving it).
    pub fn is_draining(&self, id: InstanceId) -> bool {
        self.instances[id.index()].status == InstanceStatus::Draining
    }

    /// Changes an instance with `f`, then brings up to date everything the cluster keeps about
    /// it (its slot in the capacity index, usage, live lists, DRAINING count, room and spread
    /// indexes): the one way to change an instance.
    pub fn update_instance<R>(&mut self, id: InstanceId, f: impl FnOnce(&mut ContainerInstance) -> R) -> R {
        let draining = self.is_draining(id);
        let r = f(&mut self.instances[id.index()]);
        match (draining, self.is_draining(id)) {
            (false, true) => self.draining_instances += 1,
            (true, false) => self.draining_instances -= 1,
            _ => {}
        }
        self.sync_slot(id);
        r
    }

    pub fn zone_name(&self, z: ZoneId) -> &str {
        &self.zones[z.index()]
    }

    pub fn task_group(&mut self, name: &str) -> TaskGroupId {
        if let Some(i) = self.task_groups.iter().position(|g| g == name) {
            return TaskGroupId(i as u32);
        }
        self.task_groups.push(name.to_string());
        self.group_zone_counts.push(vec![0; self.zones.len()]);
        self.group_instance_counts.push(vec![0; self.instances.len()]);
        self.spread_indexes.push(None);
        TaskGroupId((self.task_groups.len() - 1) as u32)
    }

    pub fn task_group_id(&self, name: &str) -> Option<TaskGroupId> {
        self.task_groups.iter().position(|g| g == name).map(|i| TaskGroupId(i as u32))
    }

    /// Registers a new container instance of `group` in `zone`, of the group's type `kind`
    /// (an index into its types), ACTIVE and connected.
    pub fn register_instance(&mut self, group: GroupId, zone: ZoneId, kind: u8, now: SimTime) -> InstanceId {
        let spec = &self.groups[group.index()];
        let itype = &spec.types[usize::from(kind)];
        self.launched_per_group[group.index()] += 1;
        let n = self.launched_per_group[group.index()];
        let id = InstanceId(self.instances.len() as u32);
        let mut attributes = spec.attributes.clone();
        let builtin = [
            ("ecs.availability-zone", self.zones[zone.index()].clone()),
            ("ecs.instance-type", itype.name.clone()),
            ("ecs.os-type", "linux".to_string()),
            ("ecs.os-family", "LINUX".to_string()),
            ("ecs.cpu-architecture", if itype.arm64 { "arm64" } else { "x86_64" }.to_string()),
        ];
        for (k, v) in builtin {
            if !attributes.iter().any(|(name, _)| name == k) {
                attributes.push((k.to_string(), v));
            }
        }
        attributes.sort();
        self.instances.push(ContainerInstance {
            id,
            ec2_instance_id: format!("{}-{n}", spec.name).into(),
            group,
            zone,
            instance_type: itype.name.clone(),
            kind,
            status: InstanceStatus::Active,
            agent_connected: true,
            registered_at: now,
            cpu_registered: itype.cpu,
            memory_mib_registered: itype.memory_mib,
            cpu_free: itype.cpu,
            memory_mib_free: itype.memory_mib,
            eni_task_slots: itype.eni_task_slots,
            eni_free: itype.eni_task_slots,
            gpus_registered: itype.gpus,
            gpus_free: itype.gpus,
            ports_tcp: AGENT_RESERVED_PORTS.to_vec(),
            ports_udp: Vec::new(),
            dynamic_ports_used: Default::default(),
            dynamic_port_cursor: DYNAMIC_PORTS_LAST,
            attributes,
            lost_to: None,
            lost_reason: None,
            draining_since: None,
            spot_notice: false,
            impaired_since: None,
            tasks: Vec::new(),
            non_daemon_tasks: 0,
            terminate_when_drained: false,
            group_task_counts: Vec::new(),
        });
        self.slots.push(Slot::default());
        for counts in &mut self.group_instance_counts {
            counts.push(0);
        }
        self.sync_slot(id);
        id
    }

    /// Re-reads an instance's slot after its resources, status or agent connection changed.
    fn sync_slot(&mut self, id: InstanceId) {
        let ci = &self.instances[id.index()];
        let old = self.slots[id.index()];
        let new = Slot::of(ci);
        if new == old {
            // Nothing placement, usage or the indexes read changed (a loss's reason, say).
            return;
        }
        let g = ci.group.index();
        let change = Usage::change(old, new, ci);
        // Fargate capacity is not the cluster's to use up.
        if !self.groups[g].fargate {
            self.usage.add(change);
        }
        if (change != [0; 4] || old.live != new.live) && !self.group_changed[g] {
            self.group_changed[g] = true;
            self.groups_changed.push(ci.group);
        }
        self.group_usage[g].add(change);
        self.slots[id.index()] = new;
        self.room.update(id.index(), &old, &new);
        if old.live != new.live {
            if !self.groups[g].fargate {
                self.type_live_changed.push((ci.group, ci.kind));
            }
            let live = &mut self.group_live_instances[g];
            let of_type = &mut self.type_live[g][usize::from(ci.kind)];
            if new.live {
                *live += 1;
                *of_type += 1;
            } else {
                *live -= 1;
                *of_type -= 1;
            }
            // Ids grow with registration, so the list stays sorted.
            for (g, ix) in self.spread_indexes.iter_mut().enumerate() {
                let Some(ix) = ix.as_mut() else { continue };
                let n = self.group_instance_counts[g][id.index()];
                if new.live {
                    ix.insert(new.zone, n, id);
                } else {
                    ix.remove(old.zone, n, id);
                }
            }
            match (self.live.binary_search(&id), new.live) {
                (Err(at), true) => self.live.insert(at, id),
                (Ok(at), false) => {
                    self.live.remove(at);
                }
                _ => {}
            }
        }
    }

    /// Counts a task of `group` on `instance` as desired-RUNNING (+1) or no longer (-1).
    pub fn count_group_task(&mut self, instance: InstanceId, group: TaskGroupId, delta: i32) {
        let zone = self.instances[instance.index()].zone;
        self.instances[instance.index()].adjust_group_count(group, delta);
        let c = &mut self.group_zone_counts[group.index()][zone.index()];
        *c = c.saturating_add_signed(delta);
        let c = &mut self.group_instance_counts[group.index()][instance.index()];
        let old = *c;
        *c = c.saturating_add_signed(delta);
        let new = *c;
        if let Some(ix) = self.spread_indexes[group.index()].as_mut()
            && self.slots[instance.index()].live
        {
            ix.remove(zone, old, instance);
            ix.insert(zone, new, instance);
        }
    }

    /// Keeps, from now on, which instances have room for tasks of each of `sizes` (CPU units,
    /// MiB): what the spread indexes read.
    pub fn watch_room(&mut self, sizes: &[(u32, u32)]) {
        self.room = room_index::RoomIndex::new(self.zones.len(), sizes);
        for &id in &self.live {
            let slot = self.slots[id.index()];
            self.room.update(id.index(), &capacity_index::Slot::default(), &slot);
        }
    }

    /// Keeps a spread index for task group `group` from now on.
    pub fn index_spread(&mut self, group: TaskGroupId) {
        if self.spread_indexes[group.index()].is_some() {
            return;
        }
        let mut ix = spread_index::SpreadIndex::new(self.zones.len());
        for &id in &self.live {
            ix.insert(self.slots[id.index()].zone, self.group_instance_counts[group.index()][id.index()], id);
        }
        self.spread_indexes[group.index()] = Some(ix);
    }

    /// The zone of a group with the fewest instances among zones that are up and have capacity
    /// for one of its types, counting those still booting there (`booting`, per zone): where an
    /// Auto Scaling group launches to stay balanced. Ties go to the zone listed first.
    pub fn zone_for_launch(&self, group: GroupId, booting: &[u32]) -> Option<ZoneId> {
        let mut per_zone = booting.to_vec();
        for ci in self.live_instances().filter(|ci| ci.group == group) {
            per_zone[ci.zone.index()] += 1;
        }
        let spec = &self.groups[group.index()];
        spec.zones
            .iter()
            .filter(|z| self.zone_up[z.index()] && self.launch_kind(group, **z).is_some())
            .min_by_key(|z| (per_zone[z.index()], z.0))
            .copied()
    }

    /// The type `group` launches in `zone`: the first of its types (in launch priority) EC2 has
    /// capacity for there; None when it has none of them.
    pub fn launch_kind(&self, group: GroupId, zone: ZoneId) -> Option<u8> {
        let types = &self.groups[group.index()].types;
        let short = |name: &str| self.capacity_short.iter().any(|(n, z)| n == name && *z == zone);
        types.iter().position(|t| !short(&t.name)).map(|k| k as u8)
    }

    /// The instances not INACTIVE, in registration order.
    pub fn live_instances(&self) -> impl Iterator<Item = &ContainerInstance> + Clone {
        self.live.iter().map(|id| &self.instances[id.index()])
    }

    /// Hands `f` each group whose usage or live instances changed since the last call, once, in
    /// the order they changed, with its live instances and usage now. The list keeps its room,
    /// so an instant costs no allocation.
    pub fn drain_changed_groups(&mut self, mut f: impl FnMut(GroupId, u32, Usage)) {
        for &g in &self.groups_changed {
            self.group_changed[g.index()] = false;
            f(g, self.group_live_instances[g.index()], self.group_usage[g.index()]);
        }
        self.groups_changed.clear();
    }

    /// Task `tid` takes its place on `iid`: `cpu` units and `memory_mib` (its definition's or
    /// RunTask's overrides), and the ENIs, GPUs and ports of `req` (`daemon`: a DAEMON
    /// service's task). Returns the dynamic host ports the agent assigned.
    pub fn hold_task(
        &mut self,
        iid: InstanceId,
        tid: crate::ids::TaskId,
        req: &TaskRequirements,
        (cpu, memory_mib): (u32, u32),
        daemon: bool,
    ) -> Vec<u16> {
        let ci = &mut self.instances[iid.index()];
        ci.cpu_free = ci.cpu_free.saturating_sub(cpu);
        ci.memory_mib_free = ci.memory_mib_free.saturating_sub(memory_mib);
        ci.eni_free = ci.eni_free.saturating_sub(req.enis);
        ci.gpus_free = ci.gpus_free.saturating_sub(req.gpus);
        container_instance::insert_sorted(&mut ci.ports_tcp, &req.ports_tcp);
        container_instance::insert_sorted(&mut ci.ports_udp, &req.ports_udp);
        let dynamic_ports = ci.take_dynamic_ports(req.dynamic_ports).unwrap_or_default();
        ci.tasks.push(tid);
        if !daemon {
            ci.non_daemon_tasks += 1;
            if ci.non_daemon_tasks == 1 {
                self.group_busy_instances[ci.group.index()] += 1;
            }
        }
        self.sync_slot(iid);
        dynamic_ports
    }

    /// Task `tid` gives back what [`Cluster::hold_task`] gave it.
    pub fn release_task(
        &mut self,
        iid: InstanceId,
        tid: crate::ids::TaskId,
        req: &TaskRequirements,
        (cpu, memory_mib): (u32, u32),
        dynamic_ports: &[u16],
        daemon: bool,
    ) {
        let ci = &mut self.instances[iid.index()];
        ci.cpu_free += cpu;
        ci.memory_mib_free += memory_mib;
        ci.eni_free += req.enis;
        ci.gpus_free += req.gpus;
        container_instance::remove_sorted(&mut ci.ports_tcp, &req.ports_tcp);
        container_instance::remove_sorted(&mut ci.ports_udp, &req.ports_udp);
        for p in dynamic_ports {
            ci.dynamic_ports_used.remove(p);
        }
        ci.tasks.retain(|&t| t != tid);
        if !daemon {
            ci.non_daemon_tasks -= 1;
            if ci.non_daemon_tasks == 0 {
                self.group_busy_instances[ci.group.index()] -= 1;
            }
        }
        self.sync_slot(iid);
    }

    pub fn find_instance(&self, ec2_instance_id: &str) -> Option<InstanceId> {
        self.instances.iter().find(|ci| ci.ec2_instance_id == ec2_instance_id).map(|ci| ci.id)
    }
}
