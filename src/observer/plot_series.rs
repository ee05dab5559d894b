//! A service's rows reduced to what a plot can show: per pixel column of the time axis, its rows
//! as they are when there are few, else the column's first and last rows and, for each value, a
//! row where it is lowest and one where it is highest (a min/max envelope: a one-second outage in
//! a week still shows). Kept as the rows come, so a plot of a week costs a few thousand rows per
//! service, not the week's history.

use super::Row;

/// Columns of the time axis: the plots' width in pixels.
pub const COLUMNS: u64 = 960;

/// A column with at most this many rows keeps them all (a short run's plot is drawn from every
/// row, as before the reduction).
const KEEP_WHOLE: usize = 16;

#[derive(Clone, Debug, Default)]
pub struct PlotSeries {
    column_ms: u64,
    /// The rows of the column being filled.
    current: Vec<Row>,
    kept: Vec<Row>,
}

impl PlotSeries {
    /// A series for a run of `duration_ms`.
    pub fn new(duration_ms: u64) -> PlotSeries {
        PlotSeries { column_ms: (duration_ms / COLUMNS).max(1), current: Vec::new(), kept: Vec::new() }
    }

    pub fn push(&mut self, row: Row) {
        if self.current.first().is_some_and(|f| f.time.0 / self.column_ms != row.time.0 / self.column_ms) {
            self.close_column();
        }
        self.current.push(row);
    }

    fn close_column(&mut self) {
        let rows = &self.current;
        if rows.len() <= KEEP_WHOLE {
            self.kept.append(&mut self.current);
            return;
        }
        let values: [fn(&Row) -> u32; 7] = [
            |r| r.values.desired,
            |r| r.values.running,
            |r| r.values.healthy,
            |r| r.values.pending,
            |r| r.values.az_coverage,
            |r| r.values.az_loss_margin,
            |r| r.values.instance_loss_margin,
        ];
        let mut keep = vec![0, rows.len() - 1];
        for value in values {
            let (mut lo, mut hi) = (0, 0);
            for (i, r) in rows.iter().enumerate() {
                if value(r) < value(&rows[lo]) {
                    lo = i;
                }
                if value(r) > value(&rows[hi]) {
                    hi = i;
                }
            }
            keep.extend([lo, hi]);
        }
        keep.sort_unstable();
        keep.dedup();
        self.kept.extend(keep.into_iter().map(|i| rows[i]));
        self.current.clear();
    }

    /// The reduced rows, in time order.
    pub fn finish(mut self) -> Vec<Row> {
        self.close_column();
        self.kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimTime;
    use crate::ids::ServiceId;
    use crate::observer::Values;

    fn row(ms: u64, healthy: u32) -> Row {
        Row { time: SimTime(ms), service: ServiceId(0), values: Values { desired: 4, healthy, ..Values::default() } }
    }

    /// A week of rows every 10 s with one second at zero healthy: the reduced series is a few
    /// rows per column, keeps the outage, and keeps a short run's rows whole.
    #[test]
    fn a_one_second_outage_in_a_week_survives_the_reduction() {
        let week_ms = 7 * 86_400_000;
        let mut s = PlotSeries::new(week_ms);
        let mut all = Vec::new();
        for i in 0..week_ms / 10_000 {
            all.push(row(i * 10_000, 3 + (i % 2) as u32));
            if i == 33_333 {
                all.push(row(i * 10_000 + 5_000, 0));
                all.push(row(i * 10_000 + 6_000, 4));
            }
        }
        for r in &all {
            s.push(*r);
        }
        let kept = s.finish();
        assert!(kept.len() <= 16 * COLUMNS as usize && kept.len() < all.len() / 10, "{} rows", kept.len());
        assert!(kept.iter().any(|r| r.values.healthy == 0 && r.time.0 == 33_333 * 10_000 + 5_000));
        assert!(kept.windows(2).all(|w| w[0].time <= w[1].time), "in time order");
        assert_eq!((kept[0], kept[kept.len() - 1]), (all[0], all[all.len() - 1]));

        let mut short = PlotSeries::new(3_600_000);
        let rows: Vec<Row> = (0..500).map(|i| row(i * 7_000, (i % 5) as u32)).collect();
        rows.iter().for_each(|r| short.push(*r));
        assert_eq!(short.finish(), rows, "an hour of rows every 7 s: at most one a column, all kept");
    }
}
