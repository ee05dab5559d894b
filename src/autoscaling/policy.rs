//! What a scalable target's policies ask for each minute, and how the asks combine (§4.2-4.3):
//! scale out if any policy wants to, in only if every target-tracking policy that may scale in
//! wants to, the largest resulting capacity wins; cooldowns; scale-in suspended while the service
//! deploys; Min/MaxCapacity bound every action.

use super::{AdjustmentType, CapacityBasis, StepAdjustment, StepScaling, TargetTracking, TargetTrackingSettings};
use crate::engine::{SimDuration, SimTime};

/// One policy's wish this minute.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ask {
    /// No alarm in ALARM (or not enough data): no opinion, which vetoes a target-tracking
    /// scale-in.
    Hold,
    Out {
        capacity: u32,
        cooldown: SimDuration,
    },
    In {
        capacity: u32,
        cooldown: SimDuration,
    },
}

/// Target tracking's ask from its metric's last datapoints (oldest first; each with what it
/// averaged over), per §4.2's \[INFER\] formula: above target for `high_datapoints` minutes ⇒
/// ceil(C × m / T); below `low_ratio` × T for `low_datapoints` minutes ⇒ ceil(C × m / T), at most
/// `scale_in_limit_percent` of C removed. C is the desired count (or, during a scale-out
/// cooldown, the count before that scale-out, so capacity already added counts), or what the
/// metric averaged over (`CapacityBasis::Measured`).
pub fn target_tracking_ask(
    policy: &TargetTracking,
    settings: &TargetTrackingSettings,
    points: &[(Option<f64>, f64)],
    desired: u32,
    scale_out_base: Option<u32>,
) -> Ask {
    let t = policy.target_value;
    let last_n = |n: u32| {
        let n = n as usize;
        (points.len() >= n && n > 0).then(|| &points[points.len() - n..])
    };
    let Some(&(Some(m), measured)) = points.last() else { return Ask::Hold };
    let basis = |c: u32| match settings.capacity_basis {
        CapacityBasis::Desired => f64::from(c),
        CapacityBasis::Measured => measured,
    };
    let high = last_n(settings.high_datapoints).is_some_and(|p| p.iter().all(|(v, _)| v.is_some_and(|v| v > t)));
    if high {
        let c = basis(scale_out_base.unwrap_or(desired));
        return Ask::Out { capacity: ceil_u32(c * m / t), cooldown: policy.scale_out_cooldown };
    }
    let low_line = settings.low_ratio * t;
    let low = last_n(settings.low_datapoints).is_some_and(|p| p.iter().all(|(v, _)| v.is_some_and(|v| v < low_line)));
    if low && !policy.disable_scale_in {
        let c = basis(desired);
        let floor = f64::from(desired) * (1.0 - settings.scale_in_limit_percent / 100.0);
        let capacity = ceil_u32((c * m / t).max(floor.ceil()));
        return Ask::In { capacity, cooldown: policy.scale_in_cooldown };
    }
    Ask::Hold
}

fn ceil_u32(x: f64) -> u32 {
    if x.is_finite() { x.ceil().clamp(0.0, f64::from(u32::MAX)) as u32 } else { u32::MAX }
}

/// The step whose bounds (relative to the threshold) hold `d`: above the threshold the lower
/// bound is inclusive and the upper exclusive, below it the reverse.
pub fn step_for(steps: &[StepAdjustment], d: f64) -> Option<&StepAdjustment> {
    steps.iter().find(|s| {
        if d >= 0.0 {
            s.lower.is_none_or(|l| d >= l) && s.upper.is_none_or(|u| d < u)
        } else {
            s.lower.is_none_or(|l| d > l) && s.upper.is_none_or(|u| d <= u)
        }
    })
}

/// A percent change of `capacity` as a whole number of tasks: above 1 rounded down, between 0
/// and 1 is 1, between −1 and 0 is −1, below −1 rounded up (toward zero).
pub fn percent_change(capacity: u32, percent: i64) -> i64 {
    let x = f64::from(capacity) * percent as f64 / 100.0;
    if x > 1.0 {
        x.floor() as i64
    } else if x > 0.0 {
        1
    } else if x < -1.0 {
        x.ceil() as i64
    } else if x < 0.0 {
        -1
    } else {
        0
    }
}

/// Step scaling's capacity for a metric `value` against the alarm's `threshold`, from
/// `capacity` (None: no step holds the value).
pub fn step_capacity(policy: &StepScaling, threshold: f64, value: f64, capacity: u32) -> Option<u32> {
    let step = step_for(&policy.steps, value - threshold)?;
    let adj = step.scaling_adjustment;
    let new = match policy.adjustment_type {
        AdjustmentType::ExactCapacity => adj,
        AdjustmentType::ChangeInCapacity => i64::from(capacity) + adj,
        AdjustmentType::PercentChangeInCapacity => {
            let mut delta = percent_change(capacity, adj);
            if let Some(m) = policy.min_adjustment_magnitude.map(i64::from)
                && delta != 0
                && delta.abs() < m
            {
                delta = delta.signum() * m;
            }
            i64::from(capacity) + delta
        }
    };
    Some(new.clamp(0, i64::from(u32::MAX)) as u32)
}

/// A scalable target's bounds and cooldowns as they stand.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TargetScaling {
    pub min_capacity: u32,
    pub max_capacity: u32,
    /// A scale-out cooldown runs until this time, begun at this capacity.
    pub scale_out_until: SimTime,
    pub scale_out_base: u32,
    pub scale_in_until: SimTime,
}

/// What the policies decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Out(u32),
    In(u32),
    None,
}

impl TargetScaling {
    pub fn new(min_capacity: u32, max_capacity: u32) -> TargetScaling {
        TargetScaling {
            min_capacity,
            max_capacity,
            scale_out_until: SimTime::ZERO,
            scale_out_base: 0,
            scale_in_until: SimTime::ZERO,
        }
    }

    /// The capacity a scale-out during its cooldown counts from (what was there before it).
    pub fn scale_out_base(&self, now: SimTime) -> Option<u32> {
        (now < self.scale_out_until).then_some(self.scale_out_base)
    }

    /// Combines the asks of a minute. `tt_in_votes`: whether every target-tracking policy that
    /// may scale in asked to (a Hold from one vetoes); `deploying`: scale-in is suspended.
    pub fn decide(
        &mut self,
        now: SimTime,
        desired: u32,
        asks: &[Ask],
        tt_in_votes: bool,
        deploying: bool,
        suspended: (bool, bool),
    ) -> Decision {
        let (in_suspended, out_suspended) = suspended;
        let clamp = |c: u32| c.clamp(self.min_capacity, self.max_capacity.max(self.min_capacity));
        let out = asks
            .iter()
            .filter_map(|a| match a {
                Ask::Out { capacity, cooldown } => Some((clamp(*capacity), *cooldown)),
                _ => None,
            })
            .max_by_key(|(c, _)| *c);
        if let Some((capacity, cooldown)) = out.filter(|(c, _)| *c > desired && !out_suspended) {
            if now >= self.scale_out_until {
                self.scale_out_base = desired;
            }
            self.scale_out_until = now.after(cooldown);
            // A scale-out cancels the scale-in cooldown.
            self.scale_in_until = now;
            return Decision::Out(capacity);
        }
        if out.is_some() || !tt_in_votes || deploying || in_suspended || now < self.scale_in_until {
            return Decision::None;
        }
        let inward = asks
            .iter()
            .filter_map(|a| match a {
                Ask::In { capacity, cooldown } => Some((clamp(*capacity), *cooldown)),
                _ => None,
            })
            .max_by_key(|(c, _)| *c);
        match inward.filter(|(c, _)| *c < desired) {
            Some((capacity, cooldown)) => {
                self.scale_in_until = now.after(cooldown);
                Decision::In(capacity)
            }
            None => Decision::None,
        }
    }

    /// A scheduled action sets Min and/or Max: the desired count moves into the new range,
    /// whatever the cooldowns (None: it already lies there).
    pub fn schedule(&mut self, min: Option<u32>, max: Option<u32>, desired: u32) -> Option<u32> {
        // [INFER] A bound set alone that crosses the other moves the other with it (example 22:
        // Max 5 after Min 10 leaves 5..5).
        if let Some(m) = min {
            self.min_capacity = m;
            self.max_capacity = self.max_capacity.max(m);
        }
        if let Some(m) = max {
            self.max_capacity = m;
            if min.is_none() {
                self.min_capacity = self.min_capacity.min(m);
            }
        }
        let new = desired.clamp(self.min_capacity, self.max_capacity.max(self.min_capacity));
        (new != desired).then_some(new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autoscaling::{Metric, Statistic};
    use crate::ids::ServiceId;

    fn cpu60() -> TargetTracking {
        TargetTracking {
            target_value: 60.0,
            metric: Metric::Cpu(ServiceId(0)),
            scale_out_cooldown: SimDuration::from_secs(300),
            scale_in_cooldown: SimDuration::from_secs(300),
            disable_scale_in: false,
        }
    }

    fn minutes(v: f64, n: usize) -> Vec<(Option<f64>, f64)> {
        vec![(Some(v), 4.0); n]
    }

    /// Worked example 20: target 60, C = 4: CPU 90 % for 3 minutes asks for ceil(4 × 90 / 60) =
    /// 6; within the 300 s cooldown a further ask acts only if above 6; CPU 30 % for 15 minutes
    /// asks for ceil(4 × 30 / 60) = 2, not below MinCapacity, the next scale-in 300 s later.
    #[test]
    fn worked_example_20_target_tracking_cpu() {
        let s = TargetTrackingSettings::default();
        let p = cpu60();
        assert_eq!(target_tracking_ask(&p, &s, &minutes(90.0, 2), 4, None), Ask::Hold, "2 of 3 minutes");
        let ask = target_tracking_ask(&p, &s, &minutes(90.0, 3), 4, None);
        assert_eq!(ask, Ask::Out { capacity: 6, cooldown: SimDuration::from_secs(300) });
        let mut t = TargetScaling::new(1, 10);
        let now = SimTime(180 * 1000);
        assert_eq!(t.decide(now, 4, &[ask], false, false, (false, false)), Decision::Out(6));
        // A minute later the new tasks do not yet carry load: the same 90 % over the 4 tasks
        // counted from asks for 6 again, which is not above 6.
        let later = SimTime(240 * 1000);
        let again = target_tracking_ask(&p, &s, &minutes(90.0, 4), 6, t.scale_out_base(later));
        assert_eq!(again, Ask::Out { capacity: 6, cooldown: SimDuration::from_secs(300) });
        assert_eq!(t.decide(later, 6, &[again], false, false, (false, false)), Decision::None);
        // A larger spike within the cooldown asks for more: ceil(4 × 120 / 60) = 8.
        let spike = target_tracking_ask(&p, &s, &minutes(120.0, 4), 6, t.scale_out_base(later));
        assert_eq!(t.decide(later, 6, &[spike], false, false, (false, false)), Decision::Out(8));
        // Scale-in: 14 minutes below 54 % are not 15.
        assert_eq!(target_tracking_ask(&p, &s, &minutes(30.0, 14), 4, None), Ask::Hold);
        let mut t = TargetScaling::new(3, 10);
        let ask_in = target_tracking_ask(&p, &s, &minutes(30.0, 15), 4, None);
        assert_eq!(ask_in, Ask::In { capacity: 2, cooldown: SimDuration::from_secs(300) });
        let now = SimTime(3600 * 1000);
        assert_eq!(t.decide(now, 4, &[ask_in], true, true, (false, false)), Decision::None, "deploying");
        assert_eq!(t.decide(now, 4, &[ask_in], true, false, (false, false)), Decision::In(3), "MinCapacity 3");
        let soon = SimTime((3600 + 299) * 1000);
        let ask_in = target_tracking_ask(&p, &s, &minutes(10.0, 15), 3, None);
        t.min_capacity = 1;
        assert_eq!(t.decide(soon, 3, &[ask_in], true, false, (false, false)), Decision::None, "cooldown");
        assert_eq!(
            t.decide(soon.after(SimDuration::from_secs(1)), 3, &[ask_in], true, false, (false, false)),
            Decision::In(1)
        );
    }

    /// Several policies: out if any, in only if all, largest capacity wins.
    #[test]
    fn several_policies() {
        let cd = SimDuration::from_secs(300);
        let mut t = TargetScaling::new(1, 20);
        let asks = [
            Ask::Out { capacity: 5, cooldown: cd },
            Ask::In { capacity: 2, cooldown: cd },
            Ask::Out { capacity: 7, cooldown: cd },
        ];
        assert_eq!(t.decide(SimTime::ZERO, 4, &asks, false, false, (false, false)), Decision::Out(7));
        let mut t = TargetScaling::new(1, 20);
        let asks = [Ask::In { capacity: 2, cooldown: cd }, Ask::Hold];
        assert_eq!(t.decide(SimTime::ZERO, 4, &asks, false, false, (false, false)), Decision::None);
        let asks = [Ask::In { capacity: 2, cooldown: cd }, Ask::In { capacity: 3, cooldown: cd }];
        assert_eq!(t.decide(SimTime::ZERO, 4, &asks, true, false, (false, false)), Decision::In(3));
    }

    fn doc_policy(out: bool) -> StepScaling {
        let s = |lower, upper, adj| StepAdjustment { lower, upper, scaling_adjustment: adj };
        let steps = if out {
            vec![s(Some(0.0), Some(10.0), 0), s(Some(10.0), Some(20.0), 10), s(Some(20.0), None, 30)]
        } else {
            vec![s(Some(-10.0), Some(0.0), 0), s(Some(-20.0), Some(-10.0), -10), s(None, Some(-20.0), -30)]
        };
        StepScaling {
            adjustment_type: AdjustmentType::PercentChangeInCapacity,
            steps,
            min_adjustment_magnitude: None,
            cooldown: SimDuration::ZERO,
            aggregation: Statistic::Average,
        }
    }

    /// Worked example 21 (the step-scaling guide's): C = 10, threshold 50 %: 60 → 11, 70 → 14,
    /// 40 → 13, 30 → 10.
    #[test]
    fn worked_example_21_step_scaling() {
        let (out, inward) = (doc_policy(true), doc_policy(false));
        let c = step_capacity(&out, 50.0, 60.0, 10).unwrap();
        assert_eq!(c, 11);
        let c = step_capacity(&out, 50.0, 70.0, c).unwrap();
        assert_eq!(c, 14);
        let c = step_capacity(&inward, 50.0, 40.0, c).unwrap();
        assert_eq!(c, 13);
        let c = step_capacity(&inward, 50.0, 30.0, c).unwrap();
        assert_eq!(c, 10);
    }

    #[test]
    fn percent_rounding_and_min_adjustment_magnitude() {
        assert_eq!(
            [percent_change(10, 5), percent_change(10, 25), percent_change(10, -5), percent_change(10, -25)],
            [1, 2, -1, -2]
        );
        let mut p = doc_policy(true);
        p.min_adjustment_magnitude = Some(3);
        assert_eq!(step_capacity(&p, 50.0, 62.0, 10), Some(13), "+10 % of 10 is 1, at least 3");
    }

    /// The step-scaling guide's cooldown example: +2 starts a cooldown; the alarm asking for +3
    /// during it adds only 1 (the 2 already added count).
    #[test]
    fn capacity_added_during_cooldown_counts() {
        let cd = SimDuration::from_secs(300);
        let mut t = TargetScaling::new(1, 20);
        assert_eq!(
            t.decide(SimTime::ZERO, 10, &[Ask::Out { capacity: 12, cooldown: cd }], false, false, (false, false)),
            Decision::Out(12)
        );
        let now = SimTime(60 * 1000);
        let base = t.scale_out_base(now).unwrap();
        assert_eq!(base, 10);
        let ask = Ask::Out { capacity: base + 3, cooldown: cd };
        assert_eq!(t.decide(now, 12, &[ask], false, false, (false, false)), Decision::Out(13));
    }

    /// Worked example 22: current 3, an action sets Min 10 ⇒ 10, whatever the cooldown; a later
    /// one sets Max 5 ⇒ 5.
    #[test]
    fn worked_example_22_scheduled_actions() {
        let mut t = TargetScaling::new(1, 20);
        t.decide(
            SimTime::ZERO,
            2,
            &[Ask::Out { capacity: 3, cooldown: SimDuration::from_secs(300) }],
            false,
            false,
            (false, false),
        );
        assert_eq!(t.schedule(Some(10), None, 3), Some(10));
        assert_eq!(t.schedule(None, Some(5), 10), Some(5));
        assert_eq!(t.schedule(Some(1), Some(5), 5), None);
    }
}
