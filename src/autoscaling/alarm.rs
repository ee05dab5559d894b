//! CloudWatch alarm evaluation: M of N datapoints breaching (DatapointsToAlarm of
//! EvaluationPeriods), missing data treated as the alarm says (TreatMissingData), and the two
//! alarms target tracking creates (§4.2: above target for 3 of 3 minutes; below 90 % of it for
//! 15 of 15).

use super::{Comparison, MissingData, Statistic};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AlarmState {
    #[default]
    InsufficientData,
    Ok,
    Alarm,
}

/// The state after evaluating the last `evaluation_periods` datapoints (`points`, oldest first,
/// fewer at the start of the run: the absent ones are missing).
pub fn evaluate(
    points: &[Option<f64>],
    evaluation_periods: usize,
    datapoints_to_alarm: usize,
    comparison: Comparison,
    threshold: f64,
    missing: MissingData,
    previous: AlarmState,
) -> AlarmState {
    let absent = evaluation_periods.saturating_sub(points.len());
    let present: Vec<f64> = points.iter().flatten().copied().collect();
    let missing_count = absent + points.len() - present.len();
    let breaching = present.iter().filter(|v| comparison.holds(**v, threshold)).count();
    match missing {
        MissingData::Breaching => {
            if breaching + missing_count >= datapoints_to_alarm {
                AlarmState::Alarm
            } else {
                AlarmState::Ok
            }
        }
        MissingData::NotBreaching => {
            if breaching >= datapoints_to_alarm {
                AlarmState::Alarm
            } else {
                AlarmState::Ok
            }
        }
        MissingData::Missing | MissingData::Ignore => {
            if present.is_empty() {
                if missing == MissingData::Ignore { previous } else { AlarmState::InsufficientData }
            } else if breaching >= datapoints_to_alarm {
                AlarmState::Alarm
            } else if present.len() - breaching > evaluation_periods - datapoints_to_alarm {
                // Enough datapoints do not breach that the alarm cannot be in ALARM.
                AlarmState::Ok
            } else if missing == MissingData::Ignore {
                previous
            } else {
                // Not enough data either way.
                AlarmState::InsufficientData
            }
        }
    }
}

/// `values` combined by `statistic` (None when there are none).
pub fn aggregate(values: impl Iterator<Item = f64>, statistic: Statistic) -> Option<f64> {
    let mut n = 0usize;
    let (mut sum, mut min, mut max) = (0.0, f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        n += 1;
        sum += v;
        min = min.min(v);
        max = max.max(v);
    }
    (n > 0).then(|| match statistic {
        Statistic::Average => sum / n as f64,
        Statistic::Sum => sum,
        Statistic::Minimum => min,
        Statistic::Maximum => max,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use AlarmState::*;

    const GT: Comparison = Comparison::GreaterThan;

    #[test]
    fn three_of_three_needs_three_breaching_datapoints() {
        let eval = |p: &[Option<f64>]| evaluate(p, 3, 3, GT, 60.0, MissingData::Missing, InsufficientData);
        assert_eq!(eval(&[Some(90.0), Some(90.0)]), InsufficientData, "two minutes are not three");
        assert_eq!(eval(&[Some(90.0), Some(90.0), Some(90.0)]), Alarm);
        assert_eq!(eval(&[Some(90.0), Some(50.0), Some(90.0)]), Ok);
        assert_eq!(eval(&[None, Some(90.0), Some(90.0)]), InsufficientData, "no action on missing data");
    }

    #[test]
    fn missing_data_treatments() {
        let p = [None, Some(90.0), None];
        let eval = |m, prev| evaluate(&p, 3, 2, GT, 60.0, m, prev);
        assert_eq!(eval(MissingData::Breaching, Ok), Alarm);
        assert_eq!(eval(MissingData::NotBreaching, Alarm), Ok);
        assert_eq!(eval(MissingData::Ignore, Alarm), Alarm);
        assert_eq!(eval(MissingData::Missing, Alarm), InsufficientData);
    }

    #[test]
    fn aggregates() {
        let v = [1.0, 4.0, 7.0];
        assert_eq!(aggregate(v.into_iter(), Statistic::Average), Some(4.0));
        assert_eq!(aggregate(v.into_iter(), Statistic::Sum), Some(12.0));
        assert_eq!(aggregate(v.into_iter(), Statistic::Minimum), Some(1.0));
        assert_eq!(aggregate(v.into_iter(), Statistic::Maximum), Some(7.0));
        assert_eq!(aggregate(std::iter::empty(), Statistic::Sum), None);
    }
}
