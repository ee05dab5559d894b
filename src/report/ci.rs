//! What CI systems read: JUnit XML (one test case per expectation, plus the baseline), and a
//! Markdown summary for a pull-request comment. Both carry a marker so that a later run may
//! replace the file and nothing else.

use quick_xml::escape::escape;
use serde_json::Value;

use super::text::value_text as actual_text;
use super::{Change, Outcome, Rendered};

/// Identifies files ecsim wrote (see [`super::write_file`]).
pub const JUNIT_MARKER: &str = "<testsuites name=\"ecsim\"";
pub const MARKDOWN_MARKER: &str = "<!-- ecsim report -->";

/// Fractions to 5 decimals in the table (a summary.json keeps them whole).
fn fraction_text(v: &Value) -> String {
    v.as_f64().map_or_else(|| actual_text(v), |x| format!("{x:.5}"))
}

fn change_text(c: &Change) -> String {
    format!("{}: {} -> {}", c.label(), actual_text(&c.before), actual_text(&c.after))
}

/// JUnit XML: a suite named after the scenario; a case per expectation; with a baseline, a case
/// per metric that regressed (or one passing case saying none did).
pub fn junit(r: &Rendered) -> String {
    let scenario = r.summary["scenario"].as_str().unwrap_or("scenario");
    let mut cases: Vec<(String, Option<String>)> = r
        .outcomes
        .iter()
        .map(|o: &Outcome| {
            let failure = (!o.passed).then(|| format!("actual {}", actual_text(&o.actual)));
            (o.expectation.label(), failure)
        })
        .collect();
    if r.summary.get("baseline").is_some() {
        let regressions: Vec<&Change> = r.changes.iter().filter(|c| c.regression).collect();
        if regressions.is_empty() {
            cases.push(("baseline: no metric got worse".into(), None));
        }
        for c in regressions {
            cases.push((
                format!("baseline: {}", c.label()),
                Some(format!("worse than the baseline: {}", change_text(c))),
            ));
        }
    }
    let failures = cases.iter().filter(|(_, f)| f.is_some()).count();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml += &format!("{JUNIT_MARKER} tests=\"{}\" failures=\"{failures}\">\n", cases.len());
    xml += &format!("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\">\n", escape(scenario), cases.len());
    for (name, failure) in &cases {
        let name = escape(name.as_str());
        match failure {
            None => xml += &format!("    <testcase classname=\"{}\" name=\"{name}\"/>\n", escape(scenario)),
            Some(f) => {
                xml += &format!("    <testcase classname=\"{}\" name=\"{name}\">\n", escape(scenario));
                xml += &format!("      <failure message=\"{}\"/>\n", escape(f.as_str()));
                xml += "    </testcase>\n";
            }
        }
    }
    xml += "  </testsuite>\n</testsuites>\n";
    xml
}

/// A Markdown summary: verdict, the per-service table, expectations, baseline changes.
pub fn markdown(r: &Rendered) -> String {
    let s = &r.summary;
    let verdict = if r.passed() { "passed" } else { "FAILED" };
    let mut md =
        format!("{MARKDOWN_MARKER}\n### ecsim: {} (seed {}): {verdict}\n\n", str_of(&s["scenario"]), s["seed"]);
    md += "| service | availability | capacity | min healthy | outage s | min AZ margin | max time to recover s |\n";
    md += "|---|---|---|---|---|---|---|\n";
    if let Some(services) = s["services"].as_object() {
        for (name, v) in services {
            md += &format!(
                "| {name} | {} | {} | {} | {} | {} | {} |\n",
                fraction_text(&v["availability"]),
                fraction_text(&v["capacity_ratio"]),
                actual_text(&v["min_healthy"]),
                actual_text(&v["outage_s"]),
                actual_text(&v["min_az_loss_margin"]),
                actual_text(&v["max_time_to_recover_s"]),
            );
        }
    }
    if !r.outcomes.is_empty() {
        md += "\n| expectation | actual | |\n|---|---|---|\n";
        for o in &r.outcomes {
            let mark = if o.passed { "ok" } else { "**FAILED**" };
            md += &format!("| `{}` | {} | {mark} |\n", o.expectation.label(), actual_text(&o.actual));
        }
    }
    if s.get("baseline").is_some() {
        md += &format!("\nAgainst the baseline `{}`: ", str_of(&s["baseline"]["file"]));
        if r.changes.is_empty() {
            md += "no metric changed.\n";
        } else {
            md += "\n\n| metric | before | after | |\n|---|---|---|---|\n";
            for c in &r.changes {
                let mark = if c.regression { "**worse**" } else { "" };
                md += &format!("| {} | {} | {} | {mark} |\n", c.label(), actual_text(&c.before), actual_text(&c.after));
            }
        }
    }
    md
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}
