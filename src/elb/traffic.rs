//! Traffic (DESIGN.md §6.1, ecsim's own model): a target group's request rate r(t) in requests
//! per second, as a profile (constant, points, a diurnal curve, a CSV's points) times the spikes
//! in force times a seeded noise factor drawn once per minute. Between breakpoints (profile
//! points, spike edges, and minute boundaries when the curve is diurnal or noisy) r(t) is linear,
//! so the requests in any window are an exact sum of trapezoids: a fluid model, no event per
//! request. A diurnal curve is sampled at minute boundaries and linear between (its error against
//! the cosine is below 2 parts per million).

use crate::engine::dist::standard_normal;
use crate::engine::{SimDuration, SimRng, SimTime, Stream};

const MINUTE_MS: u64 = 60_000;
const DAY_MS: u64 = 86_400_000;

/// The rate before spikes and noise.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    Constant {
        rps: f64,
    },
    /// (time, rate) points in time order: linear between, flat before the first and after the
    /// last (also what a CSV of time and rate gives).
    Points(Vec<(SimTime, f64)>),
    /// A cosine with a one-day period: `max_rps` at `peak` (time of day, UTC), `min_rps` twelve
    /// hours away.
    Diurnal {
        min_rps: f64,
        max_rps: f64,
        peak: SimDuration,
    },
}

/// From `start`, for `length`, the rate is multiplied by `factor`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spike {
    pub start: SimTime,
    pub length: SimDuration,
    pub factor: f64,
}

/// A traffic stream as the scenario gives it.
#[derive(Clone, Debug, PartialEq)]
pub struct TrafficSpec {
    pub shape: Shape,
    pub spikes: Vec<Spike>,
    /// Per minute the rate is multiplied by exp(sigma Z - sigma^2 / 2), Z standard normal: a
    /// factor of mean 1 (0: no noise).
    pub noise_sigma: f64,
}

/// A stream at run time: its spec, where simulated time zero falls in the day, and the noise
/// factors drawn so far (minute by minute, from the stream's own random sub-stream, so any
/// window can be asked for in any order and the draws stay the same).
#[derive(Clone, Debug)]
pub struct Traffic {
    spec: TrafficSpec,
    /// Milliseconds past UTC midnight at simulated time zero.
    day_offset_ms: u64,
    noise: Vec<f64>,
    rng: SimRng,
}

impl Traffic {
    /// Stream number `k` of a run seeded `seed`, whose time zero is `day_offset_ms` past midnight.
    pub fn new(spec: TrafficSpec, seed: u64, k: u32, day_offset_ms: u64) -> Traffic {
        Traffic {
            spec,
            day_offset_ms: day_offset_ms % DAY_MS,
            noise: Vec::new(),
            rng: SimRng::substream(seed, Stream::Traffic, k),
        }
    }

    pub fn spec(&self) -> &TrafficSpec {
        &self.spec
    }

    fn per_minute(&self) -> bool {
        self.spec.noise_sigma > 0.0 || matches!(self.spec.shape, Shape::Diurnal { .. })
    }

    /// The noise factor of minute `m`.
    fn noise(&mut self, m: u64) -> f64 {
        if self.spec.noise_sigma <= 0.0 {
            return 1.0;
        }
        let s = self.spec.noise_sigma;
        while self.noise.len() as u64 <= m {
            let z = standard_normal(&mut self.rng);
            self.noise.push(libm::exp(s * z - s * s / 2.0));
        }
        self.noise[m as usize]
    }

    /// The diurnal curve's exact value at `t`.
    fn cosine(&self, t: SimTime, min_rps: f64, max_rps: f64, peak: SimDuration) -> f64 {
        let tod = (t.0 + self.day_offset_ms) % DAY_MS;
        let phase = (tod as f64 - peak.0 as f64) / DAY_MS as f64;
        min_rps + (max_rps - min_rps) * (1.0 + libm::cos(std::f64::consts::TAU * phase)) / 2.0
    }

    /// The profile (before spikes and noise) at `t`, as the linear model has it.
    fn base(&self, t: SimTime) -> f64 {
        match &self.spec.shape {
            Shape::Constant { rps } => *rps,
            Shape::Points(p) => points_at(p, t),
            Shape::Diurnal { min_rps, max_rps, peak } => {
                // Linear between the curve's values at the minute boundaries around t.
                let m0 = SimTime(t.0 / MINUTE_MS * MINUTE_MS);
                let m1 = SimTime(m0.0 + MINUTE_MS);
                let (a, b) = (self.cosine(m0, *min_rps, *max_rps, *peak), self.cosine(m1, *min_rps, *max_rps, *peak));
                a + (b - a) * (t.0 - m0.0) as f64 / MINUTE_MS as f64
            }
        }
    }

    /// The spikes' factor in force at `t` (those overlapping multiply).
    fn spike_factor(&self, t: SimTime) -> f64 {
        self.spec.spikes.iter().filter(|s| s.start <= t && t < s.start.after(s.length)).map(|s| s.factor).product()
    }

    /// r(t) in requests per second.
    pub fn rate(&mut self, t: SimTime) -> f64 {
        self.base(t) * self.spike_factor(t) * self.noise(t.0 / MINUTE_MS)
    }

    /// The first breakpoint strictly after `t`: where r may bend or jump.
    fn next_break(&self, t: SimTime) -> SimTime {
        let mut next = SimTime(u64::MAX);
        if self.per_minute() {
            next = next.min(SimTime((t.0 / MINUTE_MS + 1) * MINUTE_MS));
        }
        if let Shape::Points(p) = &self.spec.shape {
            let i = p.partition_point(|(at, _)| *at <= t);
            if let Some((at, _)) = p.get(i) {
                next = next.min(*at);
            }
        }
        for s in &self.spec.spikes {
            for edge in [s.start, s.start.after(s.length)] {
                if edge > t {
                    next = next.min(edge);
                }
            }
        }
        next
    }

    /// The requests offered from `a` to `b`: the exact integral of r.
    pub fn requests(&mut self, a: SimTime, b: SimTime) -> f64 {
        let mut total = 0.0;
        self.for_each_piece(a, b, |x, y, r0, r1| total += (r0 + r1) / 2.0 * (y.0 - x.0) as f64 / 1000.0);
        total
    }

    /// Calls `f(x, y, r0, r1)` for each piece [x, y) of [a, b) on which r is linear, from r0
    /// just after x to r1 just before y.
    pub fn for_each_piece(&mut self, a: SimTime, b: SimTime, mut f: impl FnMut(SimTime, SimTime, f64, f64)) {
        let mut x = a;
        while x < b {
            let y = self.next_break(x).min(b);
            let factor = self.spike_factor(x) * self.noise(x.0 / MINUTE_MS);
            f(x, y, self.base(x) * factor, self.base_before(y) * factor);
            x = y;
        }
    }

    /// The profile's value approaching `t` from the left (the linear piece ending at `t`).
    fn base_before(&self, t: SimTime) -> f64 {
        match &self.spec.shape {
            Shape::Diurnal { min_rps, max_rps, peak } if t.0.is_multiple_of(MINUTE_MS) => {
                self.cosine(t, *min_rps, *max_rps, *peak)
            }
            _ => self.base(t),
        }
    }
}

/// Linear interpolation in time-ordered points, flat outside them (0 without points).
fn points_at(p: &[(SimTime, f64)], t: SimTime) -> f64 {
    let i = p.partition_point(|(at, _)| *at <= t);
    match (i.checked_sub(1).map(|k| p[k]), p.get(i)) {
        (None, Some((_, r))) => *r,
        (Some((_, r)), None) => r,
        (Some((t0, r0)), Some((t1, r1))) => r0 + (r1 - r0) * (t.0 - t0.0) as f64 / (t1.0 - t0.0) as f64,
        (None, None) => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: u64) -> SimTime {
        SimTime(x * 1000)
    }

    fn traffic(shape: Shape, spikes: Vec<Spike>, noise_sigma: f64) -> Traffic {
        Traffic::new(TrafficSpec { shape, spikes, noise_sigma }, 7, 0, 0)
    }

    #[test]
    fn constant_rate_with_a_spike_integrates_exactly() {
        let spike = Spike { start: s(600), length: SimDuration::from_secs(300), factor: 3.0 };
        let mut t = traffic(Shape::Constant { rps: 100.0 }, vec![spike], 0.0);
        assert_eq!(t.requests(s(0), s(3600)), 100.0 * 3600.0 + 2.0 * 100.0 * 300.0);
        assert_eq!(t.rate(s(599)), 100.0);
        assert_eq!(t.rate(s(600)), 300.0);
        assert_eq!(t.rate(s(900)), 100.0, "the spike ends at start + length");
        // Any split of the window gives the same count.
        let parts: f64 = [0, 601, 777, 1900, 3600].windows(2).map(|w| t.requests(s(w[0]), s(w[1]))).sum();
        assert_eq!(parts, 420_000.0);
    }

    #[test]
    fn points_are_linear_between_and_flat_outside() {
        let p = vec![(s(100), 10.0), (s(200), 30.0)];
        let mut t = traffic(Shape::Points(p), vec![], 0.0);
        assert_eq!(t.rate(s(0)), 10.0);
        assert_eq!(t.rate(s(150)), 20.0);
        assert_eq!(t.rate(s(500)), 30.0);
        // 100 s at 10, a ramp from 10 to 30 over 100 s (2,000), 100 s at 30.
        assert_eq!(t.requests(s(0), s(300)), 1000.0 + 2000.0 + 3000.0);
    }

    /// A diurnal day peaks at its peak time, bottoms twelve hours later, and offers the mean of
    /// min and max over a whole day, to a few parts per million.
    #[test]
    fn diurnal_day() {
        let shape = Shape::Diurnal { min_rps: 100.0, max_rps: 500.0, peak: SimDuration::from_mins(14 * 60) };
        let mut t = traffic(shape.clone(), vec![], 0.0);
        assert!((t.rate(s(14 * 3600)) - 500.0).abs() < 1e-9);
        assert!((t.rate(s(2 * 3600)) - 100.0).abs() < 1e-9);
        let day = t.requests(s(0), s(86_400));
        assert!((day / (300.0 * 86_400.0) - 1.0).abs() < 2e-6, "{day}");
        // Time zero at 13:00 UTC: the peak comes an hour in.
        let mut late = Traffic::new(TrafficSpec { shape, spikes: vec![], noise_sigma: 0.0 }, 7, 0, 13 * 3_600_000);
        assert!((late.rate(s(3600)) - 500.0).abs() < 1e-9);
    }

    /// Noise is a factor per minute with mean 1, the same draws whichever windows are asked for,
    /// and independent between streams.
    #[test]
    fn noise_is_seeded_per_minute() {
        let mut a = traffic(Shape::Constant { rps: 100.0 }, vec![], 0.2);
        let day = a.requests(s(0), s(86_400));
        assert!((day / 8_640_000.0 - 1.0).abs() < 0.02, "mean 1 over 1,440 minutes: {day}");
        assert_eq!(a.rate(s(30)), a.rate(s(59)), "constant within a minute");
        let mut b = traffic(Shape::Constant { rps: 100.0 }, vec![], 0.2);
        let pieces: f64 = (0..24).map(|h| b.requests(s(h * 3600), s((h + 1) * 3600))).sum();
        assert!((pieces - day).abs() < 1e-6 * day);
        let mut other = Traffic::new(a.spec().clone(), 7, 1, 0);
        assert_ne!(other.rate(s(0)), a.rate(s(0)));
    }
}
