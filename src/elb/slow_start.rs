//! ALB slow start (LOAD-BALANCING-AND-CAPACITY.md §5): a target turning healthy while another
//! healthy target, itself past slow start, carries the load ramps its share of requests up
//! linearly over `slow_start.duration_seconds`. Modelled in ten steps, each weighted by the
//! ramp's mean over it (\[INFER\]: routing changes at ten instants, not continuously).

use crate::elb::routing::RoutedKind;
use crate::elb::target_group::TargetState;
use crate::engine::SimDuration;

/// A target's step outside slow start (weight 1); steps 0-9 ramp up.
pub const FULL_WEIGHT: u8 = 10;

/// The routing weight of a target at `step`: the ramp's mean over the step, (step + 0.5) / 10.
pub fn weight(step: u8) -> f64 {
    if step >= FULL_WEIGHT { 1.0 } else { (f64::from(step) + 0.5) / f64::from(FULL_WEIGHT) }
}

/// How long each step lasts for a ramp of `duration`.
pub fn step(duration: SimDuration) -> SimDuration {
    SimDuration(duration.0 / u64::from(FULL_WEIGHT))
}

/// Whether a target turning healthy now enters slow start: the group ramps (`duration` > 0) and
/// some other healthy target past its own ramp carries the load (`kinds`, the group's targets).
pub fn enters(duration: SimDuration, kinds: &[RoutedKind]) -> bool {
    duration > SimDuration::ZERO
        && kinds.iter().any(|k| k.kind.state == TargetState::Healthy && k.kind.weight >= 1.0 && k.kind.count > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_steps_at_the_ramps_mean_then_full_weight() {
        assert_eq!(weight(0), 0.05);
        assert_eq!(weight(9), 0.95);
        assert_eq!(weight(FULL_WEIGHT), 1.0);
        assert_eq!(step(SimDuration::from_secs(30)), SimDuration::from_secs(3));
    }
}
