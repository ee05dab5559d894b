//! A service's status over the measured time, worst first: `outage` (some time with no healthy
//! task), `below_min_healthy` (some time under minimumHealthyPercent), `degraded` (some time
//! under desiredCount), `full`. It is what a reader wants first, and it is a metric like the
//! others: summary.json, expectations (`web.status == full`), baselines (worse is a regression).

use crate::observer::Accum;

/// The status a service earned, by the worst thing that happened to it.
pub fn of(a: &Accum) -> &'static str {
    if a.outage_ms > 0 {
        "outage"
    } else if a.below_min_healthy_ms > 0 {
        "below_min_healthy"
    } else if a.degraded_ms > 0 {
        "degraded"
    } else {
        "full"
    }
}

/// The metrics that earned a status: what a report highlights beside it.
pub fn earned_by(status: &str) -> &'static [&'static str] {
    match status {
        "outage" => &["outage_s", "availability", "min_healthy"],
        "below_min_healthy" => &["below_min_healthy_s", "min_healthy"],
        "degraded" => &["degraded_s", "capacity_ratio"],
        _ => &[],
    }
}

/// Higher is better; `None` for a word that is not a status.
pub fn rank(status: &str) -> Option<u8> {
    match status {
        "outage" => Some(0),
        "below_min_healthy" => Some(1),
        "degraded" => Some(2),
        "full" => Some(3),
        _ => None,
    }
}
