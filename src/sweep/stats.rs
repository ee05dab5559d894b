//! Statistics of one metric over a sweep's runs: mean, standard deviation, order statistics and
//! a 95 % confidence interval of the mean (Student's t). Pure arithmetic on sorted values, so the
//! same values give the same bytes on any machine.

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

/// Two-sided 97.5 % quantiles of Student's t for 1..=30 degrees of freedom.
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
    2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/// The t quantile for a 95 % interval with `df` degrees of freedom (the normal 1.96 past 120).
fn t975(df: usize) -> f64 {
    match df {
        0 => f64::NAN,
        1..=30 => T975[df - 1],
        31..=60 => 2.000,
        61..=120 => 1.980,
        _ => 1.960,
    }
}

/// The `q` quantile of sorted values, interpolated linearly between order statistics (R's type 7).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Statistics of `values` (NaN-free); `None` for an empty sample.
pub fn stats(values: &[f64]) -> Option<Stats> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let mean = v.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 { (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt() } else { 0.0 };
    let half = if n > 1 { t975(n - 1) * sd / (n as f64).sqrt() } else { 0.0 };
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
        ci95_low: mean - half,
        ci95_high: mean + half,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_samples() {
        let s = stats(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!((s.n, s.mean, s.min, s.max), (8, 5.0, 2.0, 9.0));
        assert!((s.sd - 2.138_089_935).abs() < 1e-9);
        assert_eq!(s.p50, 4.5);
        // t(7) = 2.365: 5 +- 2.365 x 2.138 / sqrt(8).
        assert!((s.ci95_high - (5.0 + 2.365 * s.sd / 8f64.sqrt())).abs() < 1e-12);
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.95), 4.8);
        let one = stats(&[3.0]).unwrap();
        assert_eq!((one.sd, one.ci95_low, one.ci95_high, one.p5), (0.0, 3.0, 3.0, 3.0));
        assert!(stats(&[]).is_none());
    }
}
