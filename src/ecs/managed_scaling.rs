//! Managed scaling (LOAD-BALANCING-AND-CAPACITY.md §2.3-2.4): the CapacityProviderReservation
//! metric ECS publishes every minute for an Auto Scaling group provider, and what the
//! target-tracking policy ECS creates on the group does with it. Pure arithmetic on counts; the
//! simulation (`sim::capacity_providers`) feeds it and acts on the answers.

use std::cmp::Ordering;

use super::capacity_provider::ManagedScaling;
use super::placement::TaskRequirements;

/// What an empty instance of the group offers tasks: its registered resources less what the
/// cluster's DAEMON services reserve on every instance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InstanceShape {
    pub cpu: u32,
    pub memory_mib: u32,
    pub enis: u32,
    pub gpus: u32,
}

/// Tasks of requirements `t` one empty instance holds; 0: the task does not fit the instance
/// type at all ("not compatible", §2.3 step 3). A task with a static host port takes the port,
/// so one per instance.
pub fn tasks_per_instance(shape: InstanceShape, t: &TaskRequirements) -> u32 {
    let per = |have: u32, need: u32| have.checked_div(need).unwrap_or(u32::MAX);
    let mut n = per(shape.cpu, t.cpu).min(per(shape.memory_mib, t.memory_mib)).min(per(shape.enis, t.enis));
    n = n.min(per(shape.gpus, t.gpus));
    if !t.ports_tcp.is_empty() || !t.ports_udp.is_empty() {
        n = n.min(1);
    }
    // A task that asks for nothing still takes a place: at most one per CPU unit [INFER].
    if n == u32::MAX { shape.cpu.max(1) } else { n }
}

/// The binpacking of §2.3 step 4 for the PROVISIONING tasks of one provider.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needed {
    /// Instances the compatible tasks need, each group of identical tasks packed on its own
    /// [INFER: ECS packs groups separately; mixing them could only need fewer].
    pub instances: u32,
    /// PROVISIONING tasks that fit the instance type.
    pub compatible_tasks: u32,
    /// Those that do not: they never trigger a scale-out (§2.3 step 3).
    pub incompatible_tasks: u32,
}

/// Instances needed for `groups` of (requirements, count) PROVISIONING tasks (§2.3 steps 2-4): a
/// group that does not fit the group's `smallest` type (per parameter, the least any of its
/// types offers) is not compatible; the others are binpacked on the `largest` (per parameter,
/// the most), the "maximum calculated instance count". With one type both are that type.
pub fn instances_needed<'t>(
    smallest: InstanceShape,
    largest: InstanceShape,
    groups: impl IntoIterator<Item = (&'t TaskRequirements, u32)>,
) -> Needed {
    let mut needed = Needed::default();
    for (t, count) in groups {
        match tasks_per_instance(smallest, t).min(1) * tasks_per_instance(largest, t) {
            0 => needed.incompatible_tasks += count,
            per => {
                needed.instances += count.div_ceil(per);
                needed.compatible_tasks += count;
            }
        }
    }
    needed
}

/// The instances one scale-out adds for `calc` needed ones (§2.3 step 5).
pub fn scale_out_step(calc: u32, scaling: &ManagedScaling) -> u32 {
    if calc < scaling.minimum_scaling_step_size {
        scaling.minimum_scaling_step_size
    } else {
        calc.min(scaling.maximum_scaling_step_size)
    }
}

/// One CapacityProviderReservation datapoint: `m` instances needed, `n` instances in the group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reservation {
    pub m: u32,
    pub n: u32,
}

impl Reservation {
    /// M for a group with `busy` instances running non-daemon tasks, `calc` instances needed by
    /// compatible PROVISIONING tasks (§2.4: busy plus the scale-out step when tasks wait).
    pub fn of(busy: u32, n: u32, calc: u32, scaling: &ManagedScaling) -> Reservation {
        let step = if calc > 0 { scale_out_step(calc, scaling) } else { 0 };
        Reservation { m: busy + step, n }
    }

    /// The metric in percent, with the documented special cases: no instances and no need is 100,
    /// a need and no instances is 200.
    pub fn percent(self) -> f64 {
        match (self.m, self.n) {
            (0, 0) => 100.0,
            (_, 0) => 200.0,
            (m, n) => f64::from(m) * 100.0 / f64::from(n),
        }
    }

    /// The metric against `target` percent, exactly (M x 100 against target x N).
    pub fn cmp_target(self, target: u32) -> Ordering {
        match (self.m, self.n) {
            (0, 0) => 100.cmp(&target),
            (_, 0) => 200.cmp(&target),
            (m, n) => (u64::from(m) * 100).cmp(&(u64::from(target) * u64::from(n))),
        }
    }

    /// The desired capacity target tracking asks for: ceil(N x CPR / target) (§2.4 [INFER: the
    /// standard target-tracking formula]), which is ceil(M x 100 / target); from zero instances
    /// the current capacity counts as 1 (so the first scale-out is to 2 at target 100).
    pub fn desired(self, target: u32) -> u32 {
        let target = u64::from(target.max(1));
        let wanted = if self.n == 0 { 200u64.div_ceil(target) } else { (u64::from(self.m) * 100).div_ceil(target) };
        u32::try_from(wanted).unwrap_or(u32::MAX)
    }

    /// Whether there is anything to scale: no tasks and no instances is no demand, whatever the
    /// target [INFER: the special case gives 100 %, which a target below 100 would otherwise
    /// read as a reason to launch into an idle group].
    pub fn idle(self) -> bool {
        self.m == 0 && self.n == 0
    }
}

/// How many instances one scale-in step removes from `current` towards `goal`: target tracking
/// lowers desired capacity "by more than one instance but less than 50 %" per step (§2.4), so at
/// most (current - 1) / 2 and at least one \[INFER\].
pub fn scale_in_step(current: u32, goal: u32) -> u32 {
    current.saturating_sub(goal).min(((current.saturating_sub(1)) / 2).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scaling() -> ManagedScaling {
        ManagedScaling::default()
    }

    /// Worked example 14: N 4 and M 6 give 150 % and a desired capacity of 6; from zero with
    /// one task's need, 200 % and 2; nothing and nothing, 100 % and no action; N 5 and M 3,
    /// 60 %, below target.
    #[test]
    fn worked_example_14_cpr_basics() {
        let r = Reservation { m: 6, n: 4 };
        assert_eq!(r.percent(), 150.0);
        assert_eq!(r.cmp_target(100), Ordering::Greater);
        assert_eq!(r.desired(100), 6);
        let from_zero = Reservation::of(0, 0, 1, &scaling());
        assert_eq!(from_zero.percent(), 200.0);
        assert_eq!(from_zero.desired(100), 2);
        let idle = Reservation { m: 0, n: 0 };
        assert_eq!(idle.percent(), 100.0);
        assert!(idle.idle());
        let low = Reservation { m: 3, n: 5 };
        assert_eq!(low.percent(), 60.0);
        assert_eq!(low.cmp_target(100), Ordering::Less);
        assert_eq!(low.desired(100), 3);
    }

    /// Worked example 15: target 80 with M = N = 6 asks for ceil(6 / 0.8) = 8.
    #[test]
    fn worked_example_15_target_80_keeps_headroom() {
        let r = Reservation { m: 6, n: 6 };
        assert_eq!(r.cmp_target(80), Ordering::Greater);
        assert_eq!(r.desired(80), 8);
        // Once at 8 the metric is 75 %: below target, and scale-in aims back at 8.
        let at8 = Reservation { m: 6, n: 8 };
        assert_eq!(at8.cmp_target(80), Ordering::Less);
        assert_eq!(at8.desired(80), 8);
    }

    /// Worked example 16: one instance needed with a minimum step of 3 adds 3; five needed with
    /// a maximum step of 2 adds 2.
    #[test]
    fn worked_example_16_step_sizes() {
        let min3 = ManagedScaling { minimum_scaling_step_size: 3, ..scaling() };
        assert_eq!(scale_out_step(1, &min3), 3);
        let max2 = ManagedScaling { maximum_scaling_step_size: 2, ..scaling() };
        assert_eq!(scale_out_step(5, &max2), 2);
        let full = 4;
        assert_eq!(Reservation::of(full, full, 5, &max2).desired(100), full + 2);
    }

    /// Worked example 17: an ASG of m5.large (2 vCPU) and m5.4xlarge (16 vCPU); a 4-vCPU task
    /// does not fit the smallest type, so it is not compatible and needs nothing, though the
    /// largest could run four. The tasks that fit are binpacked on the largest type.
    #[test]
    fn worked_example_17_oversized_tasks_are_not_compatible() {
        let small = InstanceShape { cpu: 2048, memory_mib: 7680, enis: 2, gpus: 0 };
        let large = InstanceShape { cpu: 16384, memory_mib: 63488, enis: 7, gpus: 0 };
        let big = TaskRequirements { cpu: 4096, memory_mib: 1024, ..Default::default() };
        let fits = TaskRequirements { cpu: 512, memory_mib: 1024, ..Default::default() };
        assert_eq!(tasks_per_instance(large, &big), 4);
        let n = instances_needed(small, large, [(&big, 3), (&fits, 9)]);
        // 9 tasks of 512 units: 32 fit on an m5.4xlarge, so one instance.
        assert_eq!(n, Needed { instances: 1, compatible_tasks: 9, incompatible_tasks: 3 });
        // With the small type alone the same 9 need ceil(9 / 4) = 3.
        let n = instances_needed(small, small, [(&big, 3), (&fits, 9)]);
        assert_eq!(n, Needed { instances: 3, compatible_tasks: 9, incompatible_tasks: 3 });
        // Static ports: one task per instance.
        let web = TaskRequirements { cpu: 256, memory_mib: 512, ports_tcp: vec![80], ..Default::default() };
        assert_eq!(tasks_per_instance(small, &web), 1);
    }

    #[test]
    fn scale_in_steps_stay_under_half() {
        assert_eq!(scale_in_step(5, 3), 2);
        assert_eq!(scale_in_step(2, 0), 1);
        assert_eq!(scale_in_step(100, 10), 49);
        assert_eq!(scale_in_step(3, 3), 0);
    }
}
