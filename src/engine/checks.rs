//! The timing of periodic checks, shared by container health checks (ECS) and target health
//! checks (ELB): which check first falls at or after a time, and the window during which the app
//! under check answers. Closed forms, so a check that changes nothing costs no event.

use super::{SimDuration, SimTime};

/// When the app passes its checks: from `from` until `until` (exclusive; `None`: for ever).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PassWindow {
    pub from: SimTime,
    pub until: Option<SimTime>,
}

impl PassWindow {
    pub fn passes(&self, t: SimTime) -> bool {
        t >= self.from && self.until.is_none_or(|u| t < u)
    }
}

/// First check index k >= `k_min` whose time `base + k x interval` is at or after `t`.
pub fn first_check_at_or_after(base: SimTime, interval: SimDuration, k_min: u64, t: SimTime) -> u64 {
    if t <= base {
        return k_min;
    }
    let k = (t.0 - base.0).div_ceil(interval.0.max(1));
    k.max(k_min)
}
