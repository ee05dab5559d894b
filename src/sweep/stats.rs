//! Statistics of one metric over a sweep's runs: mean, standard deviation, order statistics and
//! a 95 % confidence interval of the mean. The interval is a bootstrap percentile interval: the
//! 2.5th and 97.5th percentiles of the means of resamples drawn with replacement. Unlike the
//! t-interval it never leaves the values' own range (an availability interval never passes 1,
//! an outage time never goes below 0) and it follows a skewed metric's shape. The resamples come
//! from a seeded stream, so the same values and seed give the same bytes on any machine.

/// Summary of a sample.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (n - 1); 0 for a single value.
    pub sd: f64,
    pub min: f64,
    pub p5: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
    pub max: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
}

/// Bootstrap resamples for the interval: 1,000 (what percentile intervals want at the least),
/// fewer for very large samples so that one metric costs at most `BOOTSTRAP_DRAWS` draws; never
/// under 200.
pub const BOOTSTRAP_RESAMPLES: usize = 1000;
const BOOTSTRAP_DRAWS: usize = 2_000_000;
const BOOTSTRAP_MIN_RESAMPLES: usize = 200;

/// The 95 % bootstrap percentile interval of the mean of sorted `v`, resampled from `seed`.
fn bootstrap_interval(v: &[f64], seed: u64) -> (f64, f64) {
    let n = v.len();
    if v[0] == v[n - 1] {
        return (v[0], v[0]);
    }
    let resamples = (BOOTSTRAP_DRAWS / n).clamp(BOOTSTRAP_MIN_RESAMPLES, BOOTSTRAP_RESAMPLES);
    // Two indices from each 64-bit draw (multiply-shift: the bias is n / 2^32, nothing here), so
    // resample r reads draws r x m .. (r + 1) x m of the stream: the resamples are drawn in
    // stretches of RESAMPLES_PER_TASK, in parallel, each from its own place in the stream, and
    // are exactly those of one pass (the means are sorted, so their order does not matter).
    let index = |x: u64| (((x & 0xffff_ffff) * n as u64) >> 32) as usize;
    let m = n.div_ceil(2);
    const RESAMPLES_PER_TASK: usize = 50;
    let mut means: Vec<f64> = (0..resamples.div_ceil(RESAMPLES_PER_TASK))
        .into_par_iter()
        .flat_map_iter(|task| {
            let first = task * RESAMPLES_PER_TASK;
            let mut rng = SimRng::new(seed, Stream::Bootstrap);
            rng.seek_u64((first * m) as u64);
            (first..resamples.min(first + RESAMPLES_PER_TASK)).map(move |_| {
                let mut sum = 0.0;
                for j in 0..m {
                    let x = rng.next_u64();
                    sum += v[index(x)];
                    if 2 * j + 1 < n {
                        sum += v[index(x >> 32)];
                    }
                }
                sum / n as f64
            })
        })
        .collect();
    means.sort_by(f64::total_cmp);
    (quantile(&means, 0.025), quantile(&means, 0.975))
}

/// The `q` quantile of sorted values, interpolated linearly between order statistics (R's type 7).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Statistics of `values` (finite numbers); `None` for an empty sample. `seed` draws the
/// bootstrap resamples: a fixed function of what is summarised, so reruns and merges agree.
pub fn stats(values: &[f64], seed: u64) -> Option<Stats> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let mean = v.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 { (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt() } else { 0.0 };
    let (ci95_low, ci95_high) = bootstrap_interval(&v, seed);
    Some(Stats {
        n,
        mean,
        sd,
        min: v[0],
        p5: quantile(&v, 0.05),
        p25: quantile(&v, 0.25),
        p50: quantile(&v, 0.5),
        p75: quantile(&v, 0.75),
        p95: quantile(&v, 0.95),
        max: v[n - 1],
        ci95_low,
        ci95_high,
    })
}

use crate::engine::{SimRng, Stream};
use rayon::prelude::*;

/// A stable 64-bit hash (FNV-1a) of what a statistic summarises, as its bootstrap seed.
pub fn seed_of(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The resamples one after another, as the interval was first computed: the resamples drawn
    /// in parallel stretches must give exactly these bytes.
    fn one_pass(v: &[f64], seed: u64) -> (f64, f64) {
        let n = v.len();
        if v[0] == v[n - 1] {
            return (v[0], v[0]);
        }
        let resamples = (BOOTSTRAP_DRAWS / n).clamp(BOOTSTRAP_MIN_RESAMPLES, BOOTSTRAP_RESAMPLES);
        let mut rng = SimRng::new(seed, Stream::Bootstrap);
        let index = |x: u64| (((x & 0xffff_ffff) * n as u64) >> 32) as usize;
        let mut means: Vec<f64> = (0..resamples)
            .map(|_| {
                let mut sum = 0.0;
                let mut k = 0;
                while k < n {
                    let x = rng.next_u64();
                    sum += v[index(x)];
                    if k + 1 < n {
                        sum += v[index(x >> 32)];
                    }
                    k += 2;
                }
                sum / n as f64
            })
            .collect();
        means.sort_by(f64::total_cmp);
        (quantile(&means, 0.025), quantile(&means, 0.975))
    }

    #[test]
    fn parallel_resamples_give_the_bytes_of_one_pass() {
        let mut rng = SimRng::new(5, Stream::Test);
        // Odd and even sizes, and sizes where fewer resamples are drawn (past 2,000 values),
        // some not a whole number of stretches.
        for n in [2usize, 3, 7, 8, 9, 30, 101, 1000, 2001, 4001, 12_345] {
            let mut v: Vec<f64> = (0..n).map(|_| (rng.below(1000) as f64) / 7.0).collect();
            v.sort_by(f64::total_cmp);
            let seed = rng.next_u64();
            let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().expect("a pool");
            let (lo, hi) = pool.install(|| bootstrap_interval(&v, seed));
            let (want_lo, want_hi) = one_pass(&v, seed);
            assert_eq!((lo.to_bits(), hi.to_bits()), (want_lo.to_bits(), want_hi.to_bits()), "n = {n}");
        }
    }

    #[test]
    fn known_samples() {
        let s = stats(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], 1).unwrap();
        assert_eq!((s.n, s.mean, s.min, s.max), (8, 5.0, 2.0, 9.0));
        assert!((s.sd - 2.138_089_935).abs() < 1e-9);
        assert_eq!(s.p50, 4.5);
        // The bootstrap interval sits around the mean, about as wide as the t-interval
        // (5 +- 2.365 x 2.138 / sqrt(8) = [3.21, 6.79]); the resampled means are a little
        // narrower (the plug-in variance).
        assert!(s.ci95_low < 5.0 && s.ci95_high > 5.0, "{s:?}");
        assert!(s.ci95_low > 3.0 && s.ci95_high < 7.0, "{s:?}");
        assert_eq!(stats(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], 1), Some(s), "the same seed, the same bytes");
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.95), 4.8);
        let one = stats(&[3.0], 1).unwrap();
        assert_eq!((one.sd, one.ci95_low, one.ci95_high, one.p5), (0.0, 3.0, 3.0, 3.0));
        assert!(stats(&[], 1).is_none());
    }

    /// The case the t-interval got wrong: an availability of 1 in 29 runs and 0.999 in one has a
    /// t-interval past 1; the bootstrap interval stays inside [min, max], as does an outage time
    /// that is 0 in most runs.
    #[test]
    fn intervals_stay_inside_the_values_range() {
        let mut availability = vec![1.0; 29];
        availability.push(0.999);
        let s = stats(&availability, seed_of(&["0", "web.availability"])).unwrap();
        assert!(s.ci95_high <= 1.0 && s.ci95_low >= 0.999, "{s:?}");
        assert!(s.ci95_low < 1.0, "the one bad run shows: {s:?}");
        let mut outage = vec![0.0; 27];
        outage.extend([55.0, 120.0, 300.0]);
        let s = stats(&outage, seed_of(&["0", "web.outage_s"])).unwrap();
        assert!(s.ci95_low >= 0.0 && s.ci95_high <= 300.0, "{s:?}");
        assert!(s.ci95_low <= s.mean && s.mean <= s.ci95_high, "{s:?}");
    }
}
