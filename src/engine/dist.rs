//! Samplers for durations (image pull, start, run, time between failures). Written on `libm` so
//! every platform computes bit-identical values; pinned by a golden-value test.

use super::rng::SimRng;
use super::time::SimDuration;

/// z such that P(Z <= z) = 0.99 for a standard normal: turns (median, p99) into sigma.
const Z_P99: f64 = 2.326_347_874_040_840_8;

#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    Fixed(SimDuration),
    /// Uniform over [min, max] milliseconds.
    Uniform {
        min: SimDuration,
        max: SimDuration,
    },
    Exponential {
        mean: SimDuration,
    },
    /// Log-normal given by its median and 99th percentile (p99 >= median).
    LogNormal {
        median: SimDuration,
        p99: SimDuration,
    },
}

impl Distribution {
    pub fn fixed_secs(s: u64) -> Distribution {
        Distribution::Fixed(SimDuration::from_secs(s))
    }

    /// Draws one duration, rounded to the millisecond. Fixed draws consume no randomness, so a
    /// scenario with fixed timings uses no random numbers for them.
    pub fn sample(&self, rng: &mut SimRng) -> SimDuration {
        match *self {
            Distribution::Fixed(d) => d,
            Distribution::Uniform { min, max } => SimDuration(min.0 + rng.below(max.0.saturating_sub(min.0) + 1)),
            Distribution::Exponential { mean } => {
                // 1 - u lies in (0, 1], so the log is finite.
                let u = 1.0 - rng.unit_f64();
                to_ms(-(mean.0 as f64) * libm::log(u))
            }
            Distribution::LogNormal { median, p99 } => {
                let m = (median.0.max(1)) as f64;
                let sigma = libm::log(p99.0.max(median.0).max(1) as f64 / m) / Z_P99;
                to_ms(m * libm::exp(sigma * standard_normal(rng)))
            }
        }
    }

    /// The mean, for documentation and sanity checks.
    pub fn mean_ms(&self) -> f64 {
        match *self {
            Distribution::Fixed(d) => d.0 as f64,
            Distribution::Uniform { min, max } => (min.0 + max.0) as f64 / 2.0,
            Distribution::Exponential { mean } => mean.0 as f64,
            Distribution::LogNormal { median, p99 } => {
                let m = (median.0.max(1)) as f64;
                let sigma = libm::log(p99.0.max(median.0).max(1) as f64 / m) / Z_P99;
                m * libm::exp(sigma * sigma / 2.0)
            }
        }
    }
}

/// Box-Muller on libm.
pub(crate) fn standard_normal(rng: &mut SimRng) -> f64 {
    let u1 = 1.0 - rng.unit_f64();
    let u2 = rng.unit_f64();
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * std::f64::consts::PI * u2)
}

fn to_ms(x: f64) -> SimDuration {
    if x.is_finite() && x > 0.0 {
        // Clamp far below u64::MAX so later additions cannot overflow.
        SimDuration(libm::round(x.min(1e15)) as u64)
    } else {
        SimDuration(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::Stream;

    fn draws(d: &Distribution, n: usize) -> Vec<u64> {
        let mut rng = SimRng::new(2024, Stream::Test);
        (0..n).map(|_| d.sample(&mut rng).0).collect()
    }

    /// Golden values: these must never change, or every seeded run changes with them.
    #[test]
    fn golden_values() {
        let s = SimDuration::from_secs;
        assert_eq!(draws(&Distribution::Fixed(s(3)), 2), [3000, 3000]);
        assert_eq!(draws(&Distribution::Uniform { min: s(10), max: s(20) }, 4), GOLDEN_UNIFORM);
        assert_eq!(draws(&Distribution::Exponential { mean: s(60) }, 4), GOLDEN_EXP);
        assert_eq!(draws(&Distribution::LogNormal { median: s(10), p99: s(60) }, 4), GOLDEN_LOGNORMAL);
    }

    const GOLDEN_UNIFORM: [u64; 4] = [16393, 13589, 15007, 19836];
    const GOLDEN_EXP: [u64; 4] = [61176, 26672, 41667, 246623];
    const GOLDEN_LOGNORMAL: [u64; 4] = [4990, 24667, 26234, 6380];

    #[test]
    fn sample_statistics_match_parameters() {
        let n = 200_000;
        let exp = draws(&Distribution::Exponential { mean: SimDuration(60_000) }, n);
        let mean = exp.iter().sum::<u64>() as f64 / n as f64;
        assert!((mean - 60_000.0).abs() < 600.0, "exp mean {mean}");

        let mut ln = draws(&Distribution::LogNormal { median: SimDuration(10_000), p99: SimDuration(60_000) }, n);
        ln.sort_unstable();
        let median = ln[n / 2] as f64;
        let p99 = ln[n * 99 / 100] as f64;
        assert!((median - 10_000.0).abs() < 200.0, "median {median}");
        assert!((p99 - 60_000.0).abs() < 2_500.0, "p99 {p99}");

        let uni = draws(&Distribution::Uniform { min: SimDuration(10), max: SimDuration(20) }, n);
        assert!(uni.iter().all(|&v| (10..=20).contains(&v)));
        assert!(uni.contains(&10) && uni.contains(&20));
    }
}
