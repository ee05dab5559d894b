//! A target group's data plane as a fluid (DESIGN.md §6.1): its traffic, the targets it routes
//! to (grouped by kind), and what became of its requests, integrated exactly between the instants
//! its targets change. The simulation owns it (Service Auto Scaling reads the per-minute metrics
//! it yields, as ECS reads CloudWatch); the observer adds up the stretches it reports.
//!
//! A stretch never crosses a minute boundary, so per-minute metrics are sums of whole stretches.
//! Pure arithmetic: time comes in as an argument.

use crate::elb::routing::{self, Outcome, RoutedKind, Routing, TargetKind};
use crate::elb::traffic::Traffic;
use crate::engine::SimTime;
use crate::ids::ServiceId;

const MINUTE_MS: u64 = 60_000;

/// What the data plane needs of a task definition for utilization: requests per second at 100 %
/// CPU (None: unknown), memory base and slope, and the memory reservation (MiB).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TaskLoad {
    pub capacity_rps: Option<f64>,
    pub memory_base_mib: f64,
    pub memory_mib_per_rps: f64,
    pub memory_mib: f64,
}

/// A service's tasks over a stretch, for CloudWatch's averages: the seconds of its answering
/// tasks, and their CPU and memory utilization (percent) integrated over them (percent-seconds).
/// CPU is what a task serves over what it serves at 100 % of its CPU reservation; memory its
/// base plus its slope times its requests per second, over its reservation.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Utilization {
    pub task_seconds: f64,
    pub cpu_percent_seconds: f64,
    pub memory_percent_seconds: f64,
}

impl Utilization {
    pub fn add(&mut self, u: &Utilization) {
        self.task_seconds += u.task_seconds;
        self.cpu_percent_seconds += u.cpu_percent_seconds;
        self.memory_percent_seconds += u.memory_percent_seconds;
    }
}

/// One service's part of a stretch.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ServiceShare {
    pub service: ServiceId,
    pub outcome: Outcome,
    pub load: Utilization,
}

/// What a target group's requests did over [from, to), within one minute.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stretch {
    pub from: SimTime,
    pub to: SimTime,
    pub outcome: Outcome,
    /// Routable targets integrated over the stretch (target-seconds).
    pub target_seconds: f64,
    /// Per service behind the target group.
    pub services: Vec<ServiceShare>,
    /// |requests offered (the rate's integral) − requests served and failed|: conservation,
    /// which honest routing holds to rounding.
    pub conservation_error: f64,
}

impl Stretch {
    /// The minute of the run the stretch lies in.
    pub fn minute(&self) -> usize {
        (self.from.0 / MINUTE_MS) as usize
    }
}

/// A target group's data plane.
#[derive(Clone, Debug)]
pub struct DataPlane {
    traffic: Traffic,
    routing: Routing,
    kinds: Vec<RoutedKind>,
    /// What routing reads of the kinds, each kind's fraction of the rate, its service's slot in
    /// `services`, and the targets routed to: worked out once per change, not per stretch.
    targets: Vec<TargetKind>,
    fractions: Vec<f64>,
    slots: Vec<Option<usize>>,
    routable: f64,
    since: SimTime,
    /// The services whose tasks are its targets (a request nobody was routed to fails theirs, in
    /// equal parts), and whether this target group counts each one's tasks and memory base in
    /// its utilization (a service behind several target groups counts them in its first).
    services: Vec<ServiceId>,
    counts_tasks: Vec<bool>,
    loads: Vec<TaskLoad>,
    /// Scratch for each piece's per-kind outcomes.
    per_kind: Vec<Outcome>,
}

impl DataPlane {
    pub fn new(
        traffic: Traffic,
        routing: Routing,
        services: Vec<ServiceId>,
        counts_tasks: Vec<bool>,
        loads: Vec<TaskLoad>,
    ) -> DataPlane {
        DataPlane {
            traffic,
            routing,
            kinds: Vec::new(),
            targets: Vec::new(),
            fractions: Vec::new(),
            slots: Vec::new(),
            routable: 0.0,
            since: SimTime::ZERO,
            services,
            counts_tasks,
            loads,
            per_kind: Vec::new(),
        }
    }

    pub fn services(&self) -> &[ServiceId] {
        &self.services
    }

    /// The targets changed at `now`: what the old ones did until now is reported first. The
    /// buffers are reused: this runs at every change of a target's state.
    pub fn set_kinds(&mut self, now: SimTime, kinds: &[RoutedKind], out: &mut Vec<Stretch>) {
        self.advance(now, out);
        self.targets.clear();
        self.targets.extend(kinds.iter().map(|k| k.kind));
        self.fractions = routing::fractions(&self.routing, &self.targets);
        self.routable =
            self.targets.iter().zip(&self.fractions).filter(|(_, f)| **f > 0.0).map(|(k, _)| f64::from(k.count)).sum();
        let services = &self.services;
        self.slots.clear();
        self.slots.extend(kinds.iter().map(|k| k.service.and_then(|s| services.iter().position(|x| *x == s))));
        self.kinds.clear();
        self.kinds.extend_from_slice(kinds);
    }

    /// Reports the requests from the last report to `now`, a stretch per minute touched.
    pub fn advance(&mut self, now: SimTime, out: &mut Vec<Stretch>) {
        let mut x = self.since;
        while x < now {
            let y = SimTime((x.0 / MINUTE_MS + 1) * MINUTE_MS).min(now);
            out.push(self.stretch(x, y));
            x = y;
        }
        self.since = self.since.max(now);
    }

    /// [a, b), within one minute.
    fn stretch(&mut self, a: SimTime, b: SimTime) -> Stretch {
        let dt = (b.0 - a.0) as f64 / 1000.0;
        let mut s = Stretch {
            from: a,
            to: b,
            target_seconds: self.routable * dt,
            services: self.services.iter().map(|&service| ServiceShare { service, ..Default::default() }).collect(),
            ..Stretch::default()
        };
        // The services' tasks that answer count in their averages, routed to or not.
        for (k, slot) in self.kinds.iter().zip(&self.slots) {
            let Some(i) = slot.filter(|i| k.kind.answering && self.counts_tasks[*i]) else { continue };
            let load = self.loads[k.task_definition.index()];
            let n = f64::from(k.kind.count);
            let u = &mut s.services[i].load;
            u.task_seconds += n * dt;
            if load.memory_mib > 0.0 {
                u.memory_percent_seconds += n * dt * load.memory_base_mib / load.memory_mib * 100.0;
            }
        }
        let (kinds, slots, targets, fractions, loads) =
            (&self.kinds, &self.slots, &self.targets, &self.fractions, &self.loads);
        let shares = self.services.len().max(1) as f64;
        let mut per_kind = std::mem::take(&mut self.per_kind);
        self.traffic.for_each_piece(a, b, |x, y, r0, r1| {
            let seconds = (y.0 - x.0) as f64 / 1000.0;
            let offered = (r0 + r1) / 2.0 * seconds;
            let before = s.outcome.offered();
            let no_target = routing::outcome_per_kind(targets, fractions, r0, r1, seconds, &mut per_kind);
            for ((k, slot), o) in kinds.iter().zip(slots).zip(&per_kind) {
                s.outcome.add(o);
                let Some(share) = slot.map(|i| &mut s.services[i]) else { continue };
                share.outcome.add(o);
                if o.served <= 0.0 {
                    continue;
                }
                // Load follows what a task serves.
                let load = loads[k.task_definition.index()];
                if let Some(c) = load.capacity_rps {
                    share.load.cpu_percent_seconds += o.served / c * 100.0;
                }
                if load.memory_mib > 0.0 {
                    share.load.memory_percent_seconds += load.memory_mib_per_rps * o.served / load.memory_mib * 100.0;
                }
            }
            if no_target > 0.0 {
                // Requests nobody was routed: the target group's, and its services' in equal parts.
                s.outcome.no_target += no_target;
                for share in &mut s.services {
                    share.outcome.no_target += no_target / shares;
                }
            }
            let counted = s.outcome.offered() - before;
            s.conservation_error = s.conservation_error.max((counted - offered).abs());
        });
        self.per_kind = per_kind;
        s
    }

    /// Test hook: routing that loses requests (fractions no longer adding up to the whole), for
    /// seeing the conservation check fire.
    #[cfg(test)]
    pub fn corrupt_fractions(&mut self, factor: f64) {
        for f in &mut self.fractions {
            *f *= factor;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elb::target_group::{LoadBalancerType, TargetState};
    use crate::elb::traffic::{Shape, TrafficSpec};
    use crate::ids::{TaskDefId, ZoneId};

    fn plane(out: &mut Vec<Stretch>) -> DataPlane {
        let spec = TrafficSpec { shape: Shape::Constant { rps: 100.0 }, spikes: vec![], noise_sigma: 0.0 };
        let traffic = Traffic::new(spec, 1, 0, 0);
        let load =
            TaskLoad { capacity_rps: Some(100.0), memory_base_mib: 256.0, memory_mib_per_rps: 1.0, memory_mib: 512.0 };
        let mut p = DataPlane::new(
            traffic,
            Routing::of(LoadBalancerType::Application),
            vec![ServiceId(0)],
            vec![true],
            vec![load],
        );
        let kind = TargetKind {
            zone: ZoneId(0),
            state: TargetState::Healthy,
            answering: true,
            capacity_rps: f64::INFINITY,
            weight: 1.0,
            count: 2,
        };
        p.set_kinds(
            SimTime::ZERO,
            &[RoutedKind { service: Some(ServiceId(0)), task_definition: TaskDefId(0), kind }],
            out,
        );
        p
    }

    /// Stretches split at minute boundaries and carry the service's load: two tasks sharing
    /// 100 requests/s run at 50 % CPU, memory (256 + 50) / 512.
    #[test]
    fn stretches_split_by_minute_and_carry_load() {
        let mut out = Vec::new();
        let mut p = plane(&mut out);
        assert!(out.is_empty());
        p.advance(SimTime(90_000), &mut out);
        assert_eq!(out.iter().map(|s| (s.from.0, s.to.0)).collect::<Vec<_>>(), [(0, 60_000), (60_000, 90_000)]);
        let first = &out[0];
        assert_eq!(first.outcome.served, 6000.0);
        assert_eq!(first.target_seconds, 120.0);
        let u = first.services[0].load;
        assert_eq!(u.task_seconds, 120.0);
        assert!((u.cpu_percent_seconds / u.task_seconds - 50.0).abs() < 1e-9);
        assert!((u.memory_percent_seconds / u.task_seconds - 306.0 / 512.0 * 100.0).abs() < 1e-9);
    }

    /// Conservation holds on honest routing, and the check fires when routing loses requests.
    #[test]
    fn conservation_check_fires_on_lost_requests() {
        let mut out = Vec::new();
        let mut p = plane(&mut out);
        p.advance(SimTime(60_000), &mut out);
        assert!(out[0].conservation_error < 1e-12);
        p.corrupt_fractions(0.5);
        p.advance(SimTime(120_000), &mut out);
        assert!(
            (out[1].conservation_error - 3000.0).abs() < 1e-9,
            "half of a minute's 6,000 lost: {}",
            out[1].conservation_error
        );
    }
}
