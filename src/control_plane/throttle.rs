//! The service throttle (SCHEDULING.md §3.5): tasks that repeatedly fail to start push the next
//! launch further out, up to 27 minutes; a task reaching RUNNING or a new deployment resets it.
//! The back-off schedule is undocumented: \[INFER\] after `throttle_after_failures` failures in a
//! row, wait base x 2^(n - threshold), capped (settings).

use crate::control_plane::Notice;
use crate::control_plane::{Ctx, State};
use crate::engine::SimDuration;
use crate::ids::ServiceId;

impl State {
    /// A task of deployment `d` failed to start (stopped before RUNNING, or could not be placed).
    pub fn record_start_failure(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId, d: usize) {
        let s = &self.settings;
        let svc = &mut self.services[sid.index()];
        svc.start_failures += 1;
        if svc.start_failures >= s.throttle_after_failures {
            let exponent = (svc.start_failures - s.throttle_after_failures).min(40);
            let delay_ms = s.throttle_base_delay.0.saturating_mul(1u64 << exponent).min(s.throttle_max_delay.0);
            svc.throttle_until = ctx.now.after(SimDuration(delay_ms));
            if !svc.impaired_reported {
                svc.impaired_reported = true;
                let message =
                    format!("(service {}) is unable to consistently start tasks successfully.", svc.spec.name);
                ctx.notice(Notice::log("SERVICE_TASK_START_IMPAIRED").service(&svc.spec.name).message(message));
            }
        }
        self.circuit_breaker_failure(ctx, sid, d);
    }

    /// A task reached RUNNING: launches go back to normal cadence.
    pub fn reset_throttle(&mut self, sid: ServiceId) {
        let svc = &mut self.services[sid.index()];
        svc.start_failures = 0;
        svc.throttle_until = crate::engine::SimTime::ZERO;
        svc.impaired_reported = false;
    }
}
