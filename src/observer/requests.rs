//! Requests per target group and per service (DESIGN.md §6.1), as the simulation's data planes
//! report them stretch by stretch: totals over the run and over the measured time, per minute,
//! and the services' utilization per minute. The simulation ends its stretches at every instant
//! where the measured time can start (a service's steady state changing, `measure_from`), so a
//! stretch is measured whole or not at all; one that straddles the start is counted against
//! conservation, where the tests see it.

use crate::elb::data_plane::{Stretch, Utilization};
use crate::elb::routing::Outcome;
use crate::engine::SimTime;
use crate::ids::ServiceId;

/// One target group's requests as observed.
#[derive(Clone, Debug)]
pub struct RequestObs {
    /// The services whose tasks are its targets.
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
    /// Per service, per minute: its requests that failed as overload.
    pub service_overload: Vec<Vec<f64>>,
    /// The largest conservation error a stretch reported, in requests (the tests hold it far
    /// below one request); a stretch straddling the measured time's start counts whole.
    pub conservation_error: f64,
}

/// One minute's requests.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Minute {
    pub outcome: Outcome,
    pub target_seconds: f64,
}

impl RequestObs {
    pub fn new(services: Vec<ServiceId>, service_count: usize) -> RequestObs {
        RequestObs {
            services,
            total: Outcome::default(),
            measured: Outcome::default(),
            per_service_total: vec![Outcome::default(); service_count],
            per_service_measured: vec![Outcome::default(); service_count],
            minutes: Vec::new(),
            utilization: vec![Vec::new(); service_count],
            service_overload: vec![Vec::new(); service_count],
            conservation_error: 0.0,
        }
    }

    /// Whether service `s` has this target group.
    pub fn serves(&self, s: usize) -> bool {
        self.services.iter().any(|x| x.index() == s)
    }

    /// Adds a stretch the data plane reported.
    pub fn add(&mut self, s: &Stretch, measure_start: Option<SimTime>) {
        let measured = measure_start.is_some_and(|m| m <= s.from);
        let straddles = measure_start.is_some_and(|m| s.from < m && m < s.to);
        let error = if straddles { s.outcome.offered() } else { s.conservation_error };
        self.conservation_error = self.conservation_error.max(error);
        let m = s.minute();
        if self.minutes.len() <= m {
            self.minutes.resize(m + 1, Minute::default());
        }
        self.minutes[m].outcome.add(&s.outcome);
        self.minutes[m].target_seconds += s.target_seconds;
        self.total.add(&s.outcome);
        if measured {
            self.measured.add(&s.outcome);
        }
        for share in &s.services {
            let i = share.service.index();
            self.per_service_total[i].add(&share.outcome);
            if measured {
                self.per_service_measured[i].add(&share.outcome);
            }
            let u = &mut self.utilization[i];
            if u.len() <= m {
                u.resize(m + 1, Utilization::default());
            }
            u[m].add(&share.load);
            let o = &mut self.service_overload[i];
            if o.len() <= m {
                o.resize(m + 1, 0.0);
            }
            o[m] += share.outcome.overload;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elb::data_plane::ServiceShare;

    fn stretch(from: u64, to: u64) -> Stretch {
        let outcome = Outcome { served: 100.0, ..Outcome::default() };
        Stretch {
            from: SimTime(from),
            to: SimTime(to),
            outcome,
            services: vec![ServiceShare { service: ServiceId(0), outcome, ..Default::default() }],
            ..Stretch::default()
        }
    }

    /// A stretch is measured whole or not at all; one that straddles the measured time's start
    /// (the simulation failed to end it there) counts whole against conservation.
    #[test]
    fn a_stretch_straddling_the_measured_start_is_caught() {
        let mut o = RequestObs::new(vec![ServiceId(0)], 1);
        let start = Some(SimTime(30_000));
        o.add(&stretch(0, 30_000), start);
        o.add(&stretch(30_000, 60_000), start);
        assert_eq!((o.total.served, o.measured.served, o.per_service_measured[0].served), (200.0, 100.0, 100.0));
        assert_eq!(o.conservation_error, 0.0);
        o.add(&stretch(60_000, 120_000), Some(SimTime(90_000)));
        assert_eq!(o.conservation_error, 100.0);
    }
}
