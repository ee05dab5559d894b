//! Where a load balancer sends a target group's requests at an instant (LOAD-BALANCING §1.6,
//! §1.9; DESIGN.md §6.1), and what becomes of them: each routed target's fraction of the rate,
//! and the split of a linear stretch of rate into served, failed for want of a routable target,
//! failed on a target that cannot answer, and failed as overload. Pure arithmetic on a view of
//! the targets grouped by kind (zone, health, answering, capacity, slow-start weight), so its cost
//! follows the kinds, not the fleet.
//!
//! ALB (cross-zone on): every routable target gets an equal share, weighted by slow start. NLB
//! (cross-zone off): the rate is split evenly over the zones with routable targets, then within
//! each zone. Routable: healthy targets; when the healthy ones fall below the target group's
//! routing threshold (by default: none left), every registered target in scope that is not
//! initial, draining or unused (fail-open; per zone with cross-zone off). A zone below its DNS
//! failover threshold is left out of DNS, so its share goes to the other zones, unless every zone
//! is (\[INFER\]: DNS changes take effect at once; clients' caches are not modelled).

use crate::elb::target_group::{LoadBalancerType, TargetState};
use crate::ids::{ServiceId, TaskDefId, ZoneId};

/// Targets alike for routing: how many, where, in what health state, whether they can answer
/// (their task RUNNING, its essential containers up, its instance and zone alive, its build
/// answering), what one serves per second before it overloads, and their slow-start weight
/// (1 outside slow start).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TargetKind {
    pub zone: ZoneId,
    pub state: TargetState,
    pub answering: bool,
    pub capacity_rps: f64,
    pub weight: f64,
    pub count: u32,
}

/// Targets alike for routing, and whose they are.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RoutedKind {
    pub service: Option<ServiceId>,
    pub task_definition: TaskDefId,
    pub kind: TargetKind,
}

/// A target group's failover thresholds (`target_group_health.*.minimum_healthy_targets`): a
/// count and an optional percentage, breached when either is. The defaults (count 1, no
/// percentage) are the classic fail-open.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Threshold {
    pub count: u32,
    pub percentage: Option<u32>,
}

impl Default for Threshold {
    fn default() -> Threshold {
        Threshold { count: 1, percentage: None }
    }
}

impl Threshold {
    fn breached(self, healthy: u32, candidates: u32) -> bool {
        healthy < self.count
            || self.percentage.is_some_and(|p| u64::from(healthy) * 100 < u64::from(p) * u64::from(candidates))
    }
}

/// How a target group routes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Routing {
    pub lb_type: LoadBalancerType,
    pub cross_zone: bool,
    pub routing_failover: Threshold,
    pub dns_failover: Threshold,
}

impl Routing {
    /// The load balancer's defaults: ALB cross-zone on, NLB off; classic fail-open.
    pub fn of(lb_type: LoadBalancerType) -> Routing {
        Routing {
            lb_type,
            cross_zone: lb_type == LoadBalancerType::Application,
            routing_failover: Threshold::default(),
            dns_failover: Threshold::default(),
        }
    }
}

/// Registered targets that may be routed to when failing open: not initial, draining or unused.
fn candidate(state: TargetState) -> bool {
    matches!(state, TargetState::Healthy | TargetState::Unhealthy)
}

/// Per target kind, the fraction of the group's rate each target of that kind receives (0 for
/// those not routed to). All zero when nothing is routable: every request then fails (503).
pub fn fractions(routing: &Routing, kinds: &[TargetKind]) -> Vec<f64> {
    let count = |pred: &dyn Fn(&TargetKind) -> bool, zone: Option<ZoneId>| -> u32 {
        kinds.iter().filter(|k| zone.is_none_or(|z| k.zone == z) && pred(k)).map(|k| k.count).sum()
    };
    let healthy = |k: &TargetKind| k.state == TargetState::Healthy;
    let cand = |k: &TargetKind| candidate(k.state);
    // Which kinds are routed to, per scope (everything with cross-zone on, else each zone).
    let scopes: Vec<Option<ZoneId>> = if routing.cross_zone {
        vec![None]
    } else {
        let mut zones: Vec<ZoneId> = kinds.iter().map(|k| k.zone).collect();
        zones.sort_unstable();
        zones.dedup();
        zones.into_iter().map(Some).collect()
    };
    let mut routed = vec![false; kinds.len()];
    let mut in_dns: Vec<Option<ZoneId>> = Vec::new();
    for scope in &scopes {
        let (h, c) = (count(&healthy, *scope), count(&cand, *scope));
        let open = routing.routing_failover.breached(h, c);
        for (i, k) in kinds.iter().enumerate() {
            if scope.is_none_or(|z| k.zone == z) && k.count > 0 {
                routed[i] = if open { cand(k) } else { healthy(k) };
            }
        }
        if !routing.dns_failover.breached(h, c) {
            in_dns.push(*scope);
        }
    }
    // DNS failover: a zone below its threshold gets no clients unless every zone is below.
    if in_dns.is_empty() {
        in_dns = scopes.clone();
    }
    let mut out = vec![0.0; kinds.len()];
    if routing.cross_zone {
        let total: f64 =
            kinds.iter().zip(&routed).filter(|(_, r)| **r).map(|(k, _)| k.weight * f64::from(k.count)).sum();
        if total > 0.0 {
            for (i, k) in kinds.iter().enumerate() {
                if routed[i] {
                    out[i] = k.weight / total;
                }
            }
        }
        return out;
    }
    // Cross-zone off: evenly over the zones in DNS that have something routable, then within.
    let live: Vec<ZoneId> = in_dns
        .iter()
        .flatten()
        .copied()
        .filter(|z| kinds.iter().zip(&routed).any(|(k, r)| *r && k.zone == *z))
        .collect();
    for z in &live {
        let total: f64 = kinds
            .iter()
            .zip(&routed)
            .filter(|(k, r)| **r && k.zone == *z)
            .map(|(k, _)| k.weight * f64::from(k.count))
            .sum();
        for (i, k) in kinds.iter().enumerate() {
            if routed[i] && k.zone == *z {
                out[i] = k.weight / total / live.len() as f64;
            }
        }
    }
    out
}

/// What became of the requests of a stretch of time.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Outcome {
    pub served: f64,
    /// Nothing routable (503).
    pub no_target: f64,
    /// Routed to a target that cannot answer (502/504 until the load balancer stops routing to it).
    pub dead_target: f64,
    /// Beyond what the target serves at its maximum utilization.
    pub overload: f64,
}

impl Outcome {
    pub fn offered(&self) -> f64 {
        self.served + self.failed()
    }

    pub fn failed(&self) -> f64 {
        self.no_target + self.dead_target + self.overload
    }

    /// Served over offered; 1 when nothing was offered.
    pub fn availability(&self) -> f64 {
        let offered = self.offered();
        if offered > 0.0 { self.served / offered } else { 1.0 }
    }

    pub fn add(&mut self, o: &Outcome) {
        self.served += o.served;
        self.no_target += o.no_target;
        self.dead_target += o.dead_target;
        self.overload += o.overload;
    }
}

/// The requests of a stretch of `seconds` over which the rate goes linearly from `r0` to `r1`,
/// routed by `fractions` to `kinds` (each target of a kind serving at most its capacity; the
/// rest of its share fails as overload). Exact: a share's excess over its capacity is a linear
/// function clipped at zero, integrated in closed form.
pub fn outcome(kinds: &[TargetKind], fractions: &[f64], r0: f64, r1: f64, seconds: f64) -> Outcome {
    let mut per_kind = Vec::new();
    let no_target = outcome_per_kind(kinds, fractions, r0, r1, seconds, &mut per_kind);
    let mut o = Outcome { no_target, ..Outcome::default() };
    for k in &per_kind {
        o.add(k);
    }
    o
}

/// [`outcome`] kind by kind (what each kind's targets served and failed), and the requests no
/// target was routed (all of them when nothing is routable). The routed fractions sum to 1, so
/// the parts add up to what was offered. The per-kind outcomes go into `out` (its allocation
/// reused: this runs for every stretch of every target group).
pub fn outcome_per_kind(
    kinds: &[TargetKind],
    fractions: &[f64],
    r0: f64,
    r1: f64,
    seconds: f64,
    out: &mut Vec<Outcome>,
) -> f64 {
    let offered = (r0 + r1) / 2.0 * seconds;
    out.clear();
    out.resize(kinds.len(), Outcome::default());
    let routed: f64 = kinds.iter().zip(fractions).map(|(k, f)| f * f64::from(k.count)).sum();
    if routed <= 0.0 {
        return offered;
    }
    for ((k, f), o) in kinds.iter().zip(fractions).zip(out.iter_mut()) {
        if *f <= 0.0 {
            continue;
        }
        let n = f64::from(k.count);
        let share = (r0 * f + r1 * f) / 2.0 * seconds * n;
        if !k.answering {
            o.dead_target = share;
            continue;
        }
        let excess = n * excess_over(r0 * f, r1 * f, k.capacity_rps, seconds);
        o.overload = excess;
        o.served = share - excess;
    }
    0.0
}

/// The integral over `seconds` of max(0, x(t) - cap), x linear from `x0` to `x1`.
fn excess_over(x0: f64, x1: f64, cap: f64, seconds: f64) -> f64 {
    if !cap.is_finite() {
        return 0.0;
    }
    let (a, b) = (x0 - cap, x1 - cap);
    match (a > 0.0, b > 0.0) {
        (true, true) => (a + b) / 2.0 * seconds,
        (false, false) => 0.0,
        // One end above: the triangle between the crossing and that end.
        (true, false) => a * a / (a - b) / 2.0 * seconds,
        (false, true) => b * b / (b - a) / 2.0 * seconds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TargetState::*;

    fn kind(zone: u16, state: TargetState, count: u32) -> TargetKind {
        TargetKind {
            zone: ZoneId(zone),
            state,
            answering: state == Healthy,
            capacity_rps: f64::INFINITY,
            weight: 1.0,
            count,
        }
    }

    /// Worked example 8: 3 targets all unhealthy ⇒ requests spread over all 3 (fail-open); 2
    /// unhealthy and 1 healthy ⇒ all to the healthy one; no registered target ⇒ every request
    /// fails (503).
    #[test]
    fn worked_example_8_fail_open() {
        let alb = Routing::of(LoadBalancerType::Application);
        let all_bad = [kind(0, Unhealthy, 3)];
        let f = fractions(&alb, &all_bad);
        assert!((f[0] - 1.0 / 3.0).abs() < 1e-12);
        // They cannot answer: routed to, every request fails on them.
        let o = outcome(&all_bad, &f, 90.0, 90.0, 10.0);
        assert!((o.dead_target - 900.0).abs() < 1e-9 && o.served == 0.0);
        let mixed = [kind(0, Unhealthy, 2), kind(1, Healthy, 1)];
        assert_eq!(fractions(&alb, &mixed), [0.0, 1.0]);
        let o = outcome(&mixed, &fractions(&alb, &mixed), 90.0, 90.0, 10.0);
        assert_eq!(o, Outcome { served: 900.0, ..Outcome::default() });
        let o = outcome(&[], &[], 90.0, 90.0, 10.0);
        assert_eq!(o.no_target, 900.0);
        // Only initial or draining targets: nothing routable [INFER] (503).
        let new = [kind(0, Initial, 2), kind(0, Draining, 1)];
        assert_eq!(outcome(&new, &fractions(&alb, &new), 90.0, 90.0, 10.0).no_target, 900.0);
    }

    /// Worked example 9: 2 zones of 10 targets, DNS and routing failover at 50 %, 6 targets fail
    /// in zone b. Cross-zone off: b has 4 of 10 healthy (40 % < 50 %): it leaves DNS, and its own
    /// node would route to all 10 of its targets; every request goes to a's 10. Cross-zone on: 14
    /// of 20 (70 %): the 14 healthy share everything.
    #[test]
    fn worked_example_9_target_group_health_thresholds() {
        let half = Threshold { count: 1, percentage: Some(50) };
        let kinds = [kind(0, Healthy, 10), kind(1, Healthy, 4), kind(1, Unhealthy, 6)];
        let off = Routing { routing_failover: half, dns_failover: half, ..Routing::of(LoadBalancerType::Network) };
        let f = fractions(&off, &kinds);
        assert_eq!(f, [0.1, 0.0, 0.0], "zone b is out of DNS");
        let on = Routing { cross_zone: true, ..off };
        let f = fractions(&on, &kinds);
        assert!((f[0] - 1.0 / 14.0).abs() < 1e-12 && (f[1] - 1.0 / 14.0).abs() < 1e-12 && f[2] == 0.0);
        // Without DNS failover, zone b's node fails open to all 10 of its targets.
        let routing_only = Routing { dns_failover: Threshold { count: 0, percentage: None }, ..off };
        let f = fractions(&routing_only, &kinds);
        assert_eq!(f, [0.05, 0.05, 0.05]);
    }

    /// Worked example 10: 2 targets in zone a, 8 in b. ALB (cross-zone on): 10 % each. NLB
    /// (off): a's targets 25 % each, b's 6.25 %.
    #[test]
    fn worked_example_10_cross_zone() {
        let kinds = [kind(0, Healthy, 2), kind(1, Healthy, 8)];
        assert_eq!(fractions(&Routing::of(LoadBalancerType::Application), &kinds), [0.1, 0.1]);
        assert_eq!(fractions(&Routing::of(LoadBalancerType::Network), &kinds), [0.25, 0.0625]);
    }

    /// Worked example 11: slow start 120 s, one old target and one healthy since t=0: at 60 s the
    /// new one weighs 0.5 and gets 0.5 / 1.5 = 33 % of the requests; from 120 s, half.
    #[test]
    fn worked_example_11_slow_start() {
        let alb = Routing::of(LoadBalancerType::Application);
        let at = |weight: f64| [kind(0, Healthy, 1), TargetKind { weight, ..kind(0, Healthy, 1) }];
        let f = fractions(&alb, &at(60.0 / 120.0));
        assert!((f[1] - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(fractions(&alb, &at(1.0)), [0.5, 0.5]);
    }

    /// Overload: a share above capacity fails beyond it, exactly even when the rate crosses the
    /// capacity inside the stretch; what is offered is always served plus failed.
    #[test]
    fn overload_is_the_share_above_capacity() {
        let t = [TargetKind { capacity_rps: 100.0, ..kind(0, Healthy, 2) }];
        let f = fractions(&Routing::of(LoadBalancerType::Application), &t);
        // 300 rps for 10 s over 2 targets of 100: 1,000 fail.
        let o = outcome(&t, &f, 300.0, 300.0, 10.0);
        assert_eq!((o.served, o.overload), (2000.0, 1000.0));
        // A ramp from 100 to 300 rps: each target's share goes 50 -> 150 and passes 100 half way:
        // a triangle of 5 s x 50 rps / 2 = 125 per target.
        let o = outcome(&t, &f, 100.0, 300.0, 10.0);
        assert!((o.overload - 250.0).abs() < 1e-9, "{o:?}");
        assert!((o.offered() - 2000.0).abs() < 1e-9);
    }
}
