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
    fractions: Vec<f64>,
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
}

/// One minute's requests.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Minute {
    pub outcome: Outcome,
    pub target_seconds: f64,
}

const MINUTE_MS: u64 = 60_000;

impl RequestObs {
    pub fn new(traffic: Traffic, routing: Routing, services: Vec<ServiceId>, service_count: usize) -> RequestObs {
        RequestObs {
            traffic,
            routing,
            kinds: Vec::new(),
            fractions: Vec::new(),
            since: SimTime::ZERO,
            services,
            total: Outcome::default(),
            measured: Outcome::default(),
            per_service_total: vec![Outcome::default(); service_count],
            per_service_measured: vec![Outcome::default(); service_count],
            minutes: Vec::new(),
        }
    }

    /// Whether service `s` has this target group.
    pub fn serves(&self, s: usize) -> bool {
        self.services.iter().any(|x| x.index() == s)
    }

    /// The target group's kinds changed at `now`: what the old ones did until now is counted.
    pub fn routing_changed(&mut self, now: SimTime, kinds: Vec<RoutedKind>, measure_start: Option<SimTime>) {
        self.advance(now, measure_start);
        let plain: Vec<TargetKind> = kinds.iter().map(|k| k.kind).collect();
        self.fractions = routing::fractions(&self.routing, &plain);
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
        let routable: f64 = self
            .kinds
            .iter()
            .zip(&self.fractions)
            .filter(|(_, f)| **f > 0.0)
            .map(|(k, _)| f64::from(k.kind.count))
            .sum();
        self.minutes[m].target_seconds += routable * (b.0 - a.0) as f64 / 1000.0;
        let minute = &mut self.minutes[m].outcome;
        let plain: Vec<TargetKind> = self.kinds.iter().map(|k| k.kind).collect();
        let (kinds, fractions) = (&self.kinds, &self.fractions);
        let (total, measured_sum) = (&mut self.total, &mut self.measured);
        let (per_total, per_measured) = (&mut self.per_service_total, &mut self.per_service_measured);
        let services = &self.services;
        self.traffic.for_each_piece(a, b, |x, y, r0, r1| {
            let seconds = (y.0 - x.0) as f64 / 1000.0;
            let (per_kind, no_target) = routing::outcome_per_kind(&plain, fractions, r0, r1, seconds);
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
        });
    }
}
