//! Checking expectations against the summary: each one's actual value and whether it held.

use serde_json::{Value, json};

use crate::scenario::{Expectation, Expected};

/// One expectation after the run.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub expectation: Expectation,
    /// The metric's value in summary.json (`null` if it has none, e.g. a time to recover that
    /// never came).
    pub actual: Value,
    pub passed: bool,
}

/// Checks `expectations` against a summary.json value.
pub fn evaluate(summary: &Value, expectations: &[Expectation]) -> Vec<Outcome> {
    expectations
        .iter()
        .map(|e| {
            let actual = summary[e.kind.section()][&e.subject][&e.metric].clone();
            let passed = holds(e, &actual);
            Outcome { expectation: e.clone(), actual, passed }
        })
        .collect()
}

fn holds(e: &Expectation, actual: &Value) -> bool {
    let number = actual.as_f64();
    let in_min = e.min.is_none_or(|m| number.is_some_and(|x| x >= m));
    let in_max = e.max.is_none_or(|m| number.is_some_and(|x| x <= m));
    let equal = match &e.equals {
        None => true,
        Some(Expected::Number(want)) => number.is_some_and(|x| x == *want),
        Some(Expected::Text(want)) => actual.as_str() == Some(want.as_str()),
    };
    in_min && in_max && equal
}

/// The `expectations` list of summary.json.
pub fn to_json(outcomes: &[Outcome]) -> Value {
    outcomes
        .iter()
        .map(|o| {
            let e = &o.expectation;
            json!({
                e.kind.key(): e.subject,
                "metric": e.metric,
                "min": e.min,
                "max": e.max,
                "equals": e.equals.as_ref().map(|v| match v {
                    Expected::Number(x) => json!(x),
                    Expected::Text(s) => json!(s),
                }),
                "actual": o.actual,
                "passed": o.passed,
            })
        })
        .collect()
}
