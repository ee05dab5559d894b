//! Requests per target group and per service (DESIGN.md §6.1): the observer integrates each
//! target group's traffic between the instants its routing changes (the simulation reports its
//! target kinds then), splitting at the start of the measured time, so the counts are exact and
//! cost nothing while nothing changes. Offered is by construction served plus failed.

use crate::elb::routing::{self, Outcome, RoutedKind, Routing, TargetKind};
use crate::elb::traffic::Traffic;
use crate::engine::SimTime;
use crate::ids::ServiceId;

/// One target group's requests as observed.
#[derive(Clone, Debug)]
pub struct RequestObs {
    traffic: Traffic,
    routing: Routing,
    kinds: Vec<RoutedKind>,
    /// What routing reads of them, each kind's fraction of the rate, and the targets routed to:
    /// worked out once per routing change, not per stretch counted.
    targets: Vec<TargetKind>,
    fractions: Vec<f64>,
    routable: f64,
    since: SimTime,
    /// The services whose tasks are its targets (who a request nobody was routed to fails).
    services: Vec<ServiceId>,
    /// Over the whole run, and over the measured time.
    pub total: Outcome,
    pub measured: Outcome,
    /// Per service (indexed by service), over the whole run and the measured time.
    pub per_service_total: Vec<Outcome>,
    pub per_service_measured: Vec<Outcome>,
    /// Per minute of the run (the index): its requests, and the routable targets integrated
    /// over it (target-seconds), for the per-minute metrics.
    pub minutes: Vec<Minute>,
    /// Per service (indexed by service, empty for those not behind it), per minute.
    pub utilization: Vec<Vec<Utilization>>,
    /// The largest difference seen between a stretch's requests offered (the rate's integral)
    /// and its requests served plus failed, in requests: conservation, checked on every stretch
    /// (the tests hold it far below one request).
    pub conservation_error: f64,
    loads: Vec<TaskLoad>,
}

/// One minute's requests.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Minute {
    pub outcome: Outcome,
    pub target_seconds: f64,
}

/// One minute of a service's tasks behind this target group, for CloudWatch's averages: the
/// seconds of answering tasks, and their CPU and memory utilization (percent) integrated over
/// them (percent-seconds). CPU is what a task serves over what it serves at 100 % of its CPU
/// reservation; memory its base plus its slope times its requests per second, over its
/// reservation.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Utilization {
    pub task_seconds: f64,
    pub cpu_percent_seconds: f64,
    pub memory_percent_seconds: f64,
}

/// What the observer needs of a task definition for utilization: requests per second at 100 %
/// CPU (None: unknown), memory base and slope, and the memory reservation (MiB).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TaskLoad {
    pub capacity_rps: Option<f64>,
    pub memory_base_mib: f64,
    pub memory_mib_per_rps: f64,
    pub memory_mib: f64,
}

const MINUTE_MS: u64 = 60_000;

impl RequestObs {
    pub fn new(
        traffic: Traffic,
        routing: Routing,
        services: Vec<ServiceId>,
        service_count: usize,
        loads: Vec<TaskLoad>,
    ) -> RequestObs {
        RequestObs {
            traffic,
            routing,
            kinds: Vec::new(),
            targets: Vec::new(),
            fractions: Vec::new(),
            routable: 0.0,
            since: SimTime::ZERO,
            services,
            total: Outcome::default(),
            measured: Outcome::default(),
            per_service_total: vec![Outcome::default(); service_count],
            per_service_measured: vec![Outcome::default(); service_count],
            minutes: Vec::new(),
            utilization: vec![Vec::new(); service_count],
            loads,
            conservation_error: 0.0,
        }
    }

    /// Whether service `s` has this target group.
    pub fn serves(&self, s: usize) -> bool {
        self.services.iter().any(|x| x.index() == s)
    }

    /// The target group's kinds changed at `now`: what the old ones did until now is counted.
    pub fn routing_changed(&mut self, now: SimTime, kinds: Vec<RoutedKind>, measure_start: Option<SimTime>) {
        self.advance(now, measure_start);
        self.targets = kinds.iter().map(|k| k.kind).collect();
        self.fractions = routing::fractions(&self.routing, &self.targets);
        self.routable =
            self.targets.iter().zip(&self.fractions).filter(|(_, f)| **f > 0.0).map(|(k, _)| f64::from(k.count)).sum();
        self.kinds = kinds;
    }

    /// Counts the requests from the last change to `now`, split where the measured time starts.
    pub fn advance(&mut self, now: SimTime, measure_start: Option<SimTime>) {
        if now <= self.since {
            return;
        }
        let from = self.since;
        match measure_start.filter(|m| from < *m && *m < now) {
            Some(m) => {
                self.count(from, m, false);
                self.count(m, now, true);
            }
            None => self.count(from, now, measure_start.is_some_and(|m| m <= from)),
        }
        self.since = now;
    }

    /// Counts [a, b) minute by minute.
    fn count(&mut self, a: SimTime, b: SimTime, measured: bool) {
        let mut x = a;
        while x < b {
            let y = SimTime((x.0 / MINUTE_MS + 1) * MINUTE_MS).min(b);
            self.count_in_minute(x, y, measured);
            x = y;
        }
    }

    /// Counts [a, b), within one minute.
    fn count_in_minute(&mut self, a: SimTime, b: SimTime, measured: bool) {
        let m = (a.0 / MINUTE_MS) as usize;
        if self.minutes.len() <= m {
            self.minutes.resize(m + 1, Minute::default());
        }
        let dt = (b.0 - a.0) as f64 / 1000.0;
        self.minutes[m].target_seconds += self.routable * dt;
        // The services' tasks that answer count in their averages, routed to or not.
        for k in self.kinds.iter().filter(|k| k.kind.answering) {
            let Some(s) = k.service else { continue };
            let u = &mut self.utilization[s.index()];
            if u.len() <= m {
                u.resize(m + 1, Utilization::default());
            }
            let load = self.loads[k.task_definition.index()];
            let n = f64::from(k.kind.count);
            u[m].task_seconds += n * dt;
            if load.memory_mib > 0.0 {
                u[m].memory_percent_seconds += n * dt * load.memory_base_mib / load.memory_mib * 100.0;
            }
        }
        let minute = &mut self.minutes[m].outcome;
        let (kinds, plain, fractions) = (&self.kinds, &self.targets, &self.fractions);
        let (total, measured_sum) = (&mut self.total, &mut self.measured);
        let (per_total, per_measured) = (&mut self.per_service_total, &mut self.per_service_measured);
        let services = &self.services;
        let (loads, utilization) = (&self.loads, &mut self.utilization);
        for s in services {
            let u = &mut utilization[s.index()];
            if u.len() <= m {
                u.resize(m + 1, Utilization::default());
            }
        }
        let conservation = &mut self.conservation_error;
        self.traffic.for_each_piece(a, b, |x, y, r0, r1| {
            let seconds = (y.0 - x.0) as f64 / 1000.0;
            let offered = (r0 + r1) / 2.0 * seconds;
            let before = total.offered();
            let (per_kind, no_target) = routing::outcome_per_kind(plain, fractions, r0, r1, seconds);
            let mut add = |o: &Outcome, service: Option<ServiceId>| {
                minute.add(o);
                total.add(o);
                if measured {
                    measured_sum.add(o);
                }
                if let Some(s) = service {
                    per_total[s.index()].add(o);
                    if measured {
                        per_measured[s.index()].add(o);
                    }
                }
            };
            for (k, o) in kinds.iter().zip(&per_kind) {
                add(o, k.service);
                // Load follows what a task serves.
                let (Some(s), true) = (k.service, o.served > 0.0) else { continue };
                let load = loads[k.task_definition.index()];
                let u = &mut utilization[s.index()][m];
                if let Some(c) = load.capacity_rps {
                    u.cpu_percent_seconds += o.served / c * 100.0;
                }
                if load.memory_mib > 0.0 {
                    u.memory_percent_seconds += load.memory_mib_per_rps * o.served / load.memory_mib * 100.0;
                }
            }
            if no_target > 0.0 {
                // Requests nobody was routed: the target group's, and its services' in equal parts.
                let share = no_target / services.len().max(1) as f64;
                minute.no_target += no_target;
                total.no_target += no_target;
                if measured {
                    measured_sum.no_target += no_target;
                }
                for s in services {
                    per_total[s.index()].no_target += share;
                    if measured {
                        per_measured[s.index()].no_target += share;
                    }
                }
            }
            let counted = total.offered() - before;
            *conservation = conservation.max((counted - offered).abs());
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elb::target_group::{LoadBalancerType, TargetState};
    use crate::elb::traffic::{Shape, TrafficSpec};
    use crate::ids::{TaskDefId, ZoneId};

    fn obs() -> RequestObs {
        let spec = TrafficSpec { shape: Shape::Constant { rps: 100.0 }, spikes: vec![], noise_sigma: 0.0 };
        let traffic = Traffic::new(spec, 1, 0, 0);
        let mut o = RequestObs::new(
            traffic,
            Routing::of(LoadBalancerType::Application),
            vec![ServiceId(0)],
            1,
            vec![TaskLoad::default()],
        );
        let kind = TargetKind {
            zone: ZoneId(0),
            state: TargetState::Healthy,
            answering: true,
            capacity_rps: f64::INFINITY,
            weight: 1.0,
            count: 2,
        };
        o.routing_changed(
            SimTime::ZERO,
            vec![RoutedKind { service: Some(ServiceId(0)), task_definition: TaskDefId(0), kind }],
            None,
        );
        o
    }

    /// Conservation holds on honest routing, and the check fires when routing loses requests
    /// (fractions that no longer add up to the whole).
    #[test]
    fn conservation_check_fires_on_lost_requests() {
        let mut o = obs();
        o.advance(SimTime(60_000), None);
        assert!(o.conservation_error < 1e-12);
        assert_eq!(o.total.served, 6000.0);
        o.fractions[0] *= 0.5;
        o.advance(SimTime(120_000), None);
        assert!(
            (o.conservation_error - 3000.0).abs() < 1e-9,
            "half of a minute's 6,000 lost: {}",
            o.conservation_error
        );
    }
}
