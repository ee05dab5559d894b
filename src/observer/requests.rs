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
}

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

    fn count(&mut self, a: SimTime, b: SimTime, measured: bool) {
        let plain: Vec<TargetKind> = self.kinds.iter().map(|k| k.kind).collect();
        let (kinds, fractions) = (&self.kinds, &self.fractions);
        let (total, measured_sum) = (&mut self.total, &mut self.measured);
        let (per_total, per_measured) = (&mut self.per_service_total, &mut self.per_service_measured);
        let services = &self.services;
        self.traffic.for_each_piece(a, b, |x, y, r0, r1| {
            let seconds = (y.0 - x.0) as f64 / 1000.0;
            let (per_kind, no_target) = routing::outcome_per_kind(&plain, fractions, r0, r1, seconds);
            let mut add = |o: &Outcome, service: Option<ServiceId>| {
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
