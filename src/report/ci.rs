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
    format!("{}: {} -> {}", c.label(), c.before_text(), c.after_text())
}

/// Each service's status (outage, below_min_healthy, degraded, full) from the summary.
fn statuses(summary: &Value) -> Vec<(String, String)> {
    summary["services"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, v)| (name.clone(), v["status"].as_str().unwrap_or_default().to_string()))
        .collect()
}

/// JUnit XML: a suite named after the scenario; a case per expectation; with a baseline, a case
/// per metric that regressed (or one passing case saying none did); with neither, one passing
/// case saying so (some CI reporters treat an empty suite as a failure), with the services'
/// statuses in its output. `time` is there because reporters want it, and 0 because a real one
/// would make two identical runs write different files (the simulated time is a property).
pub fn junit(r: &Rendered) -> String {
    let scenario = r.summary["scenario"].as_str().unwrap_or("scenario");
    let mut cases: Vec<(String, Option<String>, Option<String>)> = r
        .outcomes
        .iter()
        .map(|o: &Outcome| {
            let failure = (!o.passed).then(|| format!("actual {}", actual_text(&o.actual)));
            (o.expectation.label(), failure, None)
        })
        .collect();
    if r.summary.get("baseline").is_some() {
        let regressions: Vec<&Change> = r.changes.iter().filter(|c| c.regression).collect();
        if regressions.is_empty() {
            cases.push(("baseline: no metric got worse".into(), None, None));
        }
        for c in regressions {
            let why = match c.presence {
                super::Presence::Both => "worse than the baseline",
                super::Presence::BaselineOnly => "in the baseline, missing from this run",
                super::Presence::NewOnly => "missing from the baseline",
            };
            cases.push((format!("baseline: {}", c.label()), Some(format!("{why}: {}", change_text(c))), None));
        }
    }
    if !r.checked() {
        let out: Vec<String> = statuses(&r.summary).iter().map(|(s, st)| format!("service {s}: {st}")).collect();
        cases.push(("no expectations".into(), None, Some(out.join("\n"))));
    }
    let failures = cases.iter().filter(|(_, f, _)| f.is_some()).count();
    let class = escape(scenario);
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml += &format!("{JUNIT_MARKER} tests=\"{}\" failures=\"{failures}\" time=\"0\">\n", cases.len());
    xml += &format!(
        "  <testsuite name=\"{class}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"0\">\n",
        cases.len()
    );
    xml += "    <properties>\n";
    for key in ["seed", "scenario_sha256", "simulated_s", "ecsim_version"] {
        let v = &r.summary[key];
        xml += &format!("      <property name=\"{key}\" value=\"{}\"/>\n", escape(actual_text(v).as_str()));
    }
    xml += "    </properties>\n";
    for (name, failure, output) in &cases {
        let name = escape(name.as_str());
        xml += &format!("    <testcase classname=\"{class}\" name=\"{name}\" time=\"0\"");
        if failure.is_none() && output.is_none() {
            xml += "/>\n";
            continue;
        }
        xml += ">\n";
        if let Some(f) = failure {
            xml += &format!("      <failure message=\"{}\"/>\n", escape(f.as_str()));
        }
        if let Some(o) = output {
            xml += &format!("      <system-out>{}</system-out>\n", escape(o.as_str()));
        }
        xml += "    </testcase>\n";
    }
    xml += "  </testsuite>\n</testsuites>\n";
    xml
}

/// A Markdown summary: verdict, the per-service table with each service's status (the metrics
/// that earned a status short of full in bold), expectations, baseline changes.
pub fn markdown(r: &Rendered) -> String {
    let s = &r.summary;
    let verdict = match r.verdict() {
        "FAILED" => "**FAILED**",
        v => v,
    };
    let mut md =
        format!("{MARKDOWN_MARKER}\n### ecsim: {} (seed {}): {verdict}\n\n", str_of(&s["scenario"]), s["seed"]);
    md += "| service | status | availability | capacity | min healthy | outage s | below min healthy s | degraded s | min AZ margin | max time to recover s |\n";
    md += "|---|---|---|---|---|---|---|---|---|---|\n";
    if let Some(services) = s["services"].as_object() {
        for (name, v) in services {
            let status = v["status"].as_str().unwrap_or_default();
            let earned = super::status::earned_by(status);
            let cell = |metric: &str, text: String| if earned.contains(&metric) { format!("**{text}**") } else { text };
            md += &format!(
                "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                if status == "full" { status.to_string() } else { format!("**{status}**") },
                cell("availability", fraction_text(&v["availability"])),
                cell("capacity_ratio", fraction_text(&v["capacity_ratio"])),
                cell("min_healthy", actual_text(&v["min_healthy"])),
                cell("outage_s", actual_text(&v["outage_s"])),
                cell("below_min_healthy_s", actual_text(&v["below_min_healthy_s"])),
                cell("degraded_s", actual_text(&v["degraded_s"])),
                actual_text(&v["min_az_loss_margin"]),
                actual_text(&v["max_time_to_recover_s"]),
            );
        }
    }
    if r.outcomes.is_empty() {
        md += "\nNo expectations: add `[[expect]]` tables or `--expect` to make this run a gate.\n";
    } else {
        md += "\n| expectation | actual | |\n|---|---|---|\n";
        for o in &r.outcomes {
            let mark = if o.passed { "ok" } else { "**FAILED**" };
            md += &format!("| `{}` | {} | {mark} |\n", o.expectation.label(), actual_text(&o.actual));
        }
    }
    if s.get("baseline").is_some() {
        md += &format!("\nAgainst the baseline `{}`: ", str_of(&s["baseline"]["file"]));
        for n in &r.baseline_notes {
            md += &format!("\n> note: {n}\n");
        }
        if r.changes.is_empty() {
            md += "no metric changed.\n";
        } else {
            md += "\n\n| metric | before | after | |\n|---|---|---|---|\n";
            for c in &r.changes {
                let mark = if c.regression { "**worse**" } else { "" };
                md += &format!("| {} | {} | {} | {mark} |\n", c.label(), c.before_text(), c.after_text());
            }
        }
    }
    md
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}
