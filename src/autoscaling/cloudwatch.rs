//! CloudWatch as Service Auto Scaling reads it: one datapoint a minute per metric some policy or
//! alarm reads, built from the stretches the metered target groups' data planes report
//! ([`crate::elb::data_plane`]), and the recent datapoints kept for the alarms.
//!
//! \[INFER\] A datapoint is the minute's time-average and is read at the minute's end (CloudWatch
//! publishes a minute or so later); a 1-minute Maximum or Minimum is that average too (ecsim has
//! no samples within a minute). No answering task in a minute (or no `capacity_rps` for CPU):
//! no datapoint, which alarms treat as missing data.

use std::collections::VecDeque;

use super::Metric;
use crate::elb::data_plane::{Stretch, Utilization};

/// The metrics read, and their recent datapoints.
#[derive(Clone, Debug, Default)]
pub struct CloudWatch {
    /// Target groups whose stretches are counted (the sim integrates them every minute).
    metered: Vec<bool>,
    /// This minute so far: per service, its tasks' utilization; per target group, its requests
    /// and routable target-seconds.
    service_minute: Vec<Utilization>,
    tg_requests: Vec<f64>,
    tg_target_seconds: Vec<f64>,
    /// Per service, whether its task definition says what a task serves (CPU is known).
    cpu_known: Vec<bool>,
    pub metrics: Vec<Metric>,
    /// Per metric, its last datapoints (newest last) and what each averaged over (tasks or
    /// targets), at most `keep` of them.
    history: Vec<VecDeque<(Option<f64>, f64)>>,
    keep: usize,
}

impl CloudWatch {
    /// `metered`: per target group, whether its stretches count; `cpu_known`: per service.
    pub fn new(metrics: Vec<Metric>, metered: Vec<bool>, cpu_known: Vec<bool>, keep: usize) -> CloudWatch {
        let tgs = metered.len();
        CloudWatch {
            history: vec![VecDeque::with_capacity(keep); metrics.len()],
            metrics,
            service_minute: vec![Utilization::default(); cpu_known.len()],
            tg_requests: vec![0.0; tgs],
            tg_target_seconds: vec![0.0; tgs],
            metered,
            cpu_known,
            keep: keep.max(1),
        }
    }

    pub fn is_metered(&self, tg: usize) -> bool {
        self.metered.get(tg).copied().unwrap_or(false)
    }

    /// The target groups to integrate at each minute's end.
    pub fn metered_groups(&self) -> impl Iterator<Item = usize> + '_ {
        self.metered.iter().enumerate().filter(|(_, m)| **m).map(|(g, _)| g)
    }

    /// A stretch a data plane reported.
    pub fn record(&mut self, tg: usize, s: &Stretch) {
        if !self.is_metered(tg) {
            return;
        }
        self.tg_requests[tg] += s.outcome.offered();
        self.tg_target_seconds[tg] += s.target_seconds;
        for share in &s.services {
            self.service_minute[share.service.index()].add(&share.load);
        }
    }

    /// The minute (of `seconds`) ends: each metric gets its datapoint.
    pub fn close_minute(&mut self, seconds: f64) {
        for (i, m) in self.metrics.iter().enumerate() {
            let point = match *m {
                Metric::Cpu(s) => {
                    let u = self.service_minute[s.index()];
                    let v = (u.task_seconds > 0.0 && self.cpu_known[s.index()])
                        .then(|| u.cpu_percent_seconds / u.task_seconds);
                    (v, u.task_seconds / seconds)
                }
                Metric::Memory(s) => {
                    let u = self.service_minute[s.index()];
                    (
                        (u.task_seconds > 0.0).then(|| u.memory_percent_seconds / u.task_seconds),
                        u.task_seconds / seconds,
                    )
                }
                Metric::RequestCountPerTarget(g) => {
                    // [INFER] Fewer than one routable target on average counts as one, so requests
                    // with nothing to serve them still ask for capacity (and zeros are real zeros).
                    let targets = self.tg_target_seconds[g] / seconds;
                    (Some(self.tg_requests[g] / targets.max(1.0)), targets)
                }
                Metric::RequestCount(g) => (Some(self.tg_requests[g]), self.tg_target_seconds[g] / seconds),
            };
            let h = &mut self.history[i];
            if h.len() == self.keep {
                h.pop_front();
            }
            h.push_back(point);
        }
        self.service_minute.iter_mut().for_each(|u| *u = Utilization::default());
        self.tg_requests.iter_mut().for_each(|x| *x = 0.0);
        self.tg_target_seconds.iter_mut().for_each(|x| *x = 0.0);
    }

    /// Where `metric` is kept (looked up once, by whoever reads it every minute).
    pub fn position(&self, metric: Metric) -> Option<usize> {
        self.metrics.iter().position(|m| *m == metric)
    }

    /// The last `n` datapoints of the metric at `position`, oldest first (fewer at the start of
    /// the run).
    pub fn last(&self, position: usize, n: usize) -> impl Iterator<Item = (Option<f64>, f64)> + '_ {
        let h = &self.history[position];
        h.iter().skip(h.len().saturating_sub(n)).copied()
    }
}
