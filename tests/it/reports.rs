//! What a run reports beyond its metrics: disruptions with recovery times, expectations (in the
//! scenario and on the command line), baselines, and the CI formats.

use std::path::Path;

use crate::cli::ecsim;
use crate::common::*;
use ecsim::report;

fn four_tasks_losing_an_instance(expect: &str) -> String {
    cluster(
        "30m",
        &["us-east-1a", "us-east-1b", "us-east-1c"],
        "name = \"big\"\ninstance_type = \"m5.xlarge\"\ncount = 3",
    ) + &app(256, 512, "{ containerPort = 8080 }", "")
        + &service("web", 4, "")
        + "[[events]]\nat = \"10m\"\naction = \"terminate_instances\"\ninstances = [\"big-1\"]\n"
        + expect
}

fn summary(toml: &str) -> (report::Rendered, serde_json::Value) {
    let s = scenario(toml);
    let r = ecsim::sim::Simulation::new(&s, 1).run().unwrap();
    let rendered = report::render(&r, &s, None).unwrap();
    let json = rendered.summary.clone();
    (rendered, json)
}

/// The instance holding 2 of 4 tasks fails at 10 min; replacements are healthy 15 s + 40 s later:
/// one disruption, 4 healthy before, 2 at the lowest, recovered in 55 s.
#[test]
fn an_instance_failure_is_a_disruption_with_its_recovery_time() {
    let (_, s) = summary(&four_tasks_losing_an_instance(""));
    let d = &s["disruptions"][0];
    assert_eq!(d["time_s"], 600.0);
    assert_eq!(d["kind"], "INSTANCE_TERMINATED");
    assert_eq!(d["what"], "big-1");
    assert_eq!(d["services"]["web"]["healthy_before"], 4);
    assert_eq!(d["services"]["web"]["healthy_lowest"], 2);
    assert_eq!(d["services"]["web"]["time_to_recover_s"], 55.0);
    assert_eq!(s["services"]["web"]["max_time_to_recover_s"], 55.0);
    assert_eq!(s["services"]["web"]["disruptions"], 1);
    assert_eq!(s["services"]["web"]["unrecovered_disruptions"], 0);
}

/// A service that never gets back (no capacity left) has no time to recover: null, and an
/// expectation on it fails.
#[test]
fn a_service_that_never_recovers_has_no_time_to_recover() {
    let toml = cluster("30m", &["us-east-1a"], "name = \"small\"\ninstance_type = \"m5.large\"\ncount = 2")
        + &app(1024, 3000, "", "")
        + &service("web", 4, "")
        + "[[events]]\nat = \"10m\"\naction = \"terminate_instances\"\ninstances = [\"small-1\"]\n"
        + "[[expect]]\nservice = \"web\"\nmetric = \"max_time_to_recover_s\"\nmax = 300\n";
    let (rendered, s) = summary(&toml);
    assert_eq!(s["disruptions"][0]["services"]["web"]["time_to_recover_s"], serde_json::Value::Null);
    assert_eq!(s["services"]["web"]["unrecovered_disruptions"], 1);
    assert_eq!(s["services"]["web"]["max_time_to_recover_s"], serde_json::Value::Null);
    assert!(!rendered.passed());
    assert_eq!(s["expectations"][0]["actual"], serde_json::Value::Null);
}

/// `[[expect]]` tables: each listed in summary.json with its actual value; one failing makes
/// `passed` false.
#[test]
fn scenario_expectations_are_checked_and_listed() {
    let expect = "[[expect]]\nservice = \"web\"\nmetric = \"availability\"\nmin = 0.999\n\
                  [[expect]]\nservice = \"web\"\nmetric = \"min_healthy\"\nmin = 3\n\
                  [[expect]]\nservice = \"web\"\nmetric = \"max_time_to_recover_s\"\nmax = 60\n";
    let (rendered, s) = summary(&four_tasks_losing_an_instance(expect));
    let e = s["expectations"].as_array().unwrap();
    assert_eq!(e.len(), 3);
    assert_eq!((e[0]["actual"].as_f64(), e[0]["passed"].as_bool()), (Some(1.0), Some(true)));
    assert_eq!((e[1]["actual"].as_u64(), e[1]["passed"].as_bool()), (Some(2), Some(false)), "2 healthy at the lowest");
    assert_eq!((e[2]["actual"].as_f64(), e[2]["passed"].as_bool()), (Some(55.0), Some(true)));
    assert_eq!(s["passed"], false);
    assert!(!rendered.passed());
    let table = report::expectations_table(&rendered.outcomes);
    assert!(table.contains("web.min_healthy >= 3") && table.contains("FAILED"), "{table}");
}

/// Bad expectations are bad input, with the field path and a suggestion.
#[test]
fn bad_expectations_are_reported() {
    let err = |expect: &str| match ecsim::scenario::load_str("s.toml", &four_tasks_losing_an_instance(expect), None) {
        Ok(_) => panic!("accepted {expect}"),
        Err(d) => d.to_string(),
    };
    let e = err("[[expect]]\nservice = \"web\"\nmetric = \"availabilty\"\nmin = 0.9\n");
    assert!(
        e.contains("expect[0].metric: expected a service metric") && e.contains("(did you mean \"availability\"?)"),
        "{e}"
    );
    let e = err("[[expect]]\nservice = \"wbe\"\nmetric = \"availability\"\nmin = 0.9\n");
    assert!(
        e.contains("expect[0].service: expected the name of a service, found \"wbe\" (did you mean \"web\"?)"),
        "{e}"
    );
    let e = err("[[expect]]\nservice = \"web\"\nmetric = \"availability\"\n");
    assert!(e.contains("expect[0]") && e.contains("at least one of min, max or equals"), "{e}");
    let e = err("[[expect]]\nservice = \"web\"\nworkload = \"w\"\nmetric = \"availability\"\nmin = 1\n");
    assert!(e.contains("found several"), "{e}");
}

/// A baseline: a run on three instances is compared with one on two; the worse metrics are
/// regressions in that direction only, and a tolerance forgives small ones.
#[test]
fn a_baseline_catches_what_got_worse() {
    let (_, good) = summary(&four_tasks_losing_an_instance(""));
    let worse_toml = four_tasks_losing_an_instance("").replace("count = 3", "count = 2");
    let (_, worse) = summary(&worse_toml);
    let changes = report::baseline::compare(&good, &worse, 0.0);
    let regressed: Vec<String> = changes.iter().filter(|c| c.regression).map(|c| c.label()).collect();
    // Two instances in three zones: the tasks cover two zones, with less margin.
    assert_eq!(regressed, ["web.min_az_coverage", "web.min_az_loss_margin", "web.min_instance_loss_margin"]);
    assert_eq!(good["services"]["web"]["min_az_coverage"], 2);
    assert_eq!(worse["services"]["web"]["min_az_coverage"], 1);
    let back = report::baseline::compare(&worse, &good, 0.0);
    assert!(back.iter().all(|c| !c.regression), "improvements are not regressions: {back:?}");
    assert!(report::baseline::compare(&good, &good, 0.0).is_empty());
    // 1000 % tolerance forgives every numeric worsening.
    assert!(report::baseline::compare(&good, &worse, 10.0).iter().all(|c| !c.regression));
}

/// The command line: a failed `--expect` exits 1 and shows in JUnit and Markdown; a baseline
/// regression exits 1; `ecsim diff` agrees; `--format json` is summary.json.
#[test]
fn ci_gates_on_expectations_and_baselines() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("s.toml"), four_tasks_losing_an_instance("")).unwrap();
    let ok = ecsim(&["run", "s.toml", "--out", "good", "--expect", "web.availability>=0.999"], dir);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    let o = ecsim(
        &["run", "s.toml", "--out", "r", "--expect", "web.min_healthy>=3", "--junit", "j.xml", "--markdown", "m.md"],
        dir,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("0 of 1 expectations held"));
    let junit = std::fs::read_to_string(dir.join("j.xml")).unwrap();
    assert!(junit.contains("tests=\"1\" failures=\"1\"") && junit.contains("web.min_healthy &gt;= 3"), "{junit}");
    assert!(junit.contains("<failure message=\"actual 2\"/>"), "{junit}");
    let md = std::fs::read_to_string(dir.join("m.md")).unwrap();
    assert!(md.contains("FAILED") && md.contains("`web.min_healthy >= 3` | 2 | **FAILED**"), "{md}");
    // A file the user wrote is not overwritten.
    std::fs::write(dir.join("mine.md"), "my notes").unwrap();
    let o = ecsim(&["run", "s.toml", "--out", "r", "--markdown", "mine.md"], dir);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(dir.join("mine.md")).unwrap(), "my notes");

    std::fs::write(dir.join("worse.toml"), four_tasks_losing_an_instance("").replace("count = 3", "count = 2"))
        .unwrap();
    let o = ecsim(&["run", "worse.toml", "--out", "worse", "--baseline", "good/summary.json"], dir);
    assert_eq!(o.status.code(), Some(1), "a regression fails");
    assert!(String::from_utf8_lossy(&o.stdout).contains("WORSE"));
    let d = ecsim(&["diff", "good/summary.json", "worse/summary.json"], dir);
    assert_eq!(d.status.code(), Some(1));
    let d = ecsim(&["diff", "worse/summary.json", "good/summary.json"], dir);
    assert_eq!(d.status.code(), Some(0), "the other way round it is an improvement");
    let j = ecsim(&["run", "s.toml", "--out", "r3", "--format", "json"], dir);
    let v: serde_json::Value = serde_json::from_slice(&j.stdout).expect("stdout is JSON");
    assert_eq!(v["services"]["web"]["min_healthy"], 2);
    let bad = ecsim(&["run", "s.toml", "--out", "r4", "--expect", "web.availability>0.9"], dir);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("use >= or <="));
}

/// The plots: one per service for tasks and one for redundancy, with the time axis in human
/// units, and the outage shaded when the only task's instance fails.
#[test]
fn plots_show_tasks_outages_and_redundancy() {
    let toml = cluster("30m", &["us-east-1a"], "name = \"one\"\ninstance_type = \"m5.large\"\ncount = 2")
        + &app(256, 512, "", "")
        + &service("web", 1, "")
        + "[[events]]\nat = \"10m\"\naction = \"terminate_instances\"\ninstances = [\"one-1\"]\n";
    let (rendered, s) = summary(&toml);
    assert!(s["services"]["web"]["outage_s"].as_f64().unwrap() > 0.0);
    let tasks = file(&rendered, "tasks-web.svg");
    assert!(tasks.starts_with("<svg"), "an SVG document");
    for text in ["web: tasks over time", "time (minutes)", "desired", "running", "healthy"] {
        assert!(tasks.contains(text), "missing {text:?}");
    }
    // The outage (one task, its instance lost) is shaded red.
    assert!(tasks.contains("fill=\"#DC3C3C\""), "no outage shading");
    let redundancy = file(&rendered, "redundancy-web.svg");
    for text in ["web: redundancy over time", "AZ coverage", "AZ loss margin", "instance loss margin"] {
        assert!(redundancy.contains(text), "missing {text:?}");
    }
    // A day-long run is plotted in hours.
    let (day, _) = summary(&toml.replace("duration = \"30m\"", "duration = \"1d\""));
    assert!(file(&day, "tasks-web.svg").contains("time (hours)"));
}

/// The plots README shows are what ecsim draws today for `scenarios/az-outage.toml`
/// (regenerate: `ecsim run scenarios/az-outage.toml --out /tmp/a && cp /tmp/a/tasks-web.svg
/// reports/examples/az-outage-tasks-web.svg`, likewise redundancy-web.svg).
#[test]
fn readme_plots_are_current() {
    let rendered = render_bundled("az-outage");
    for name in ["tasks-web.svg", "redundancy-web.svg"] {
        let committed = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/examples").join(format!("az-outage-{name}")),
        )
        .unwrap();
        assert!(file(&rendered, name).into_bytes() == committed, "reports/examples/az-outage-{name} is stale");
    }
}

/// A bundled scenario's report at its own seed.
fn render_bundled(name: &str) -> report::Rendered {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.toml"));
    let s = ecsim::scenario::load_file(&path).unwrap();
    let r = ecsim::sim::Simulation::new(&s, s.seed).run().unwrap();
    report::render(&r, &s, None).unwrap()
}

/// One file of a rendered report, as text.
fn file(rendered: &report::Rendered, name: &str) -> String {
    let (_, bytes) = rendered.files.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no {name}"));
    String::from_utf8(bytes.clone()).unwrap()
}

/// A circuit-breaker rollback is marked on the tasks plot apart from ordinary deployments.
#[test]
fn a_rollback_is_marked_on_the_plot() {
    let rendered = render_bundled("bad-build-rollback");
    let svg = file(&rendered, "tasks-web.svg");
    assert!(svg.contains("rollback start/end") && svg.contains("deployment start/end"));
    // web:1 is reactivated by the rollback from the failed web:2.
    assert_eq!(rendered.summary["services"]["web"]["deployments"][0]["is_rollback"], true);
    assert_eq!(rendered.summary["services"]["web"]["deployments"][1]["rollout_state"], "FAILED");
}

/// Two services, web and api, as summary.json values.
fn two_services(api_name: &str) -> serde_json::Value {
    let toml = four_tasks_losing_an_instance("")
        + &service(api_name, 2, "")
        + "\n[[expect]]\nservice = \"web\"\nmetric = \"availability\"\nmin = 0.5\n";
    summary(&toml).1
}

/// A gate must see a service that is gone or renamed: `diff` of a two-service summary against
/// one where api is missing (or renamed) lists it and fails, as the command line says.
#[test]
fn a_subject_or_metric_on_one_side_only_is_a_regression() {
    let both = two_services("api");
    let mut gone = both.clone();
    gone["services"].as_object_mut().unwrap().remove("api");
    let changes = report::baseline::compare(&both, &gone, 0.0);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!((changes[0].label(), changes[0].regression), ("api (service)".to_string(), true));
    assert_eq!(changes[0].presence, report::Presence::BaselineOnly);
    let renamed = two_services("api-v2");
    let labels: Vec<String> = report::baseline::compare(&both, &renamed, 0.0).iter().map(|c| c.label()).collect();
    assert!(labels.contains(&"api (service)".to_string()) && labels.contains(&"api-v2 (service)".to_string()));
    // A metric one side lacks (a baseline from another ecsim version, a hand-edited file).
    let mut older = both.clone();
    older["services"]["web"].as_object_mut().unwrap().remove("status");
    let c = report::baseline::compare(&older, &both, 0.0);
    assert_eq!((c[0].label(), c[0].presence, c[0].regression), ("web.status".into(), report::Presence::NewOnly, true));
    // What was run is stated: another scenario file (another hash) here.
    assert!(report::baseline::provenance_notes(&both, &renamed)[0].contains("changed since the baseline (sha256"));

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("both.json"), both.to_string()).unwrap();
    std::fs::write(dir.join("gone.json"), gone.to_string()).unwrap();
    let d = ecsim(&["diff", "both.json", "gone.json"], dir);
    let out = String::from_utf8_lossy(&d.stdout);
    assert_eq!(d.status.code(), Some(1), "{out}");
    assert!(out.contains("api (service)") && out.contains("absent"), "{out}");
    assert!(out.contains("1 subject or metric is on one side only (each counts as a regression)"), "{out}");
}

/// No expectations is not a pass: a run with an outage and nothing to hold it against says "no
/// expectations" in report.html, Markdown and JUnit; each service gets its status with the
/// metrics that earned it highlighted; JUnit still has a case (and time attributes).
#[test]
fn without_expectations_the_verdict_says_so_and_statuses_show() {
    // One task on the one instance that fails: an outage until the replacement is healthy.
    let toml = cluster("30m", &["us-east-1a"], "name = \"g\"\ninstance_type = \"m5.large\"\ncount = 2")
        + &app(256, 512, "", "")
        + &service("solo", 1, "")
        + &service("pair", 2, "placementConstraints = [{ type = \"distinctInstance\" }]")
        + "[[events]]\nat = \"10m\"\naction = \"terminate_instances\"\ninstances = [\"g-1\"]\n";
    let (rendered, json) = summary(&toml);
    assert_eq!(json["services"]["solo"]["status"], "outage");
    assert!(json["services"]["solo"]["outage_s"].as_f64().unwrap() > 0.0);
    assert_eq!(json["services"]["pair"]["status"], "below_min_healthy", "{}", json["services"]["pair"]);
    assert_eq!(rendered.verdict(), "no expectations");
    let html = file(&rendered, "report.html");
    assert!(html.contains("<span class=\"none\" id=\"verdict\">no expectations</span>"), "verdict");
    assert!(!html.contains("class=\"pass\""), "nothing says passed");
    assert!(html.contains("<span class=\"status outage\">outage</span>"));
    assert!(html.contains("<mark class=\"outage\">"), "the outage metrics are marked");
    let md = report::ci::markdown(&rendered);
    assert!(md.contains("): no expectations\n"), "{md}");
    assert!(md.contains("| solo | **outage** |"), "{md}");
    let junit = report::ci::junit(&rendered);
    assert!(junit.contains("tests=\"1\" failures=\"0\" time=\"0\""), "{junit}");
    assert!(junit.contains("<testcase classname=\"test\" name=\"no expectations\" time=\"0\">"), "{junit}");
    assert!(junit.contains("service solo: outage"), "{junit}");
    // An expectation on the status itself.
    let (gated, _) = summary(&(toml + "[[expect]]\nservice = \"solo\"\nmetric = \"status\"\nequals = \"full\"\n"));
    assert_eq!(gated.verdict(), "FAILED");
}

/// However long the run, report.html stays under 5 MB: a week's worth of plots, log lines,
/// deployments and disruptions is cut to the page's budgets, each cut said on the page with
/// where the rest is (the plots' files, events.csv, summary.json).
#[test]
fn the_page_stays_under_five_megabytes_however_long_the_run() {
    let s = scenario(&four_tasks_losing_an_instance(""));
    let mut r = ecsim::sim::Simulation::new(&s, 1).run().unwrap();
    let mut rendered = report::render(&r, &s, None).unwrap();
    let small = report::html::report_html(&rendered, &r);
    assert!(!small.contains("has them all") && !small.contains("shown from their files"), "nothing cut yet");
    // 300 plots of 100 kB, 10,000 log lines of 600 bytes out of 2 million, 5,000 deployments and
    // disruptions.
    let svg = file(&rendered, "tasks-web.svg");
    let big_svg =
        svg.replacen("<svg", &format!("<svg data-pad=\"{}\"", "x".repeat(100_000 - svg.len().min(99_000))), 1);
    for i in 0..300 {
        rendered.files.push((format!("tasks-s{i}.svg"), big_svg.clone().into_bytes()));
    }
    let (t, line) = r.log.last().cloned().unwrap();
    let line = line.message("a long message ".repeat(40));
    r.log_digest.first = vec![(t, line); 10_000];
    r.log_digest.total = 2_000_000;
    let web = &mut rendered.summary["services"]["web"];
    let deployment = web["deployments"][0].clone();
    web["deployments"] = serde_json::Value::Array(vec![deployment; 5_000]);
    let disruption = rendered.summary["disruptions"][0].clone();
    rendered.summary["disruptions"] = serde_json::Value::Array(vec![disruption; 5_000]);

    let page = report::html::report_html(&rendered, &r);
    assert!(page.len() < 5_000_000, "{} bytes", page.len());
    let inline = page.matches("<svg").count();
    let linked = page.matches("<img src=").count();
    assert!(inline > 10 && linked > 100 && inline + linked == 300 + small.matches("<svg").count(), "{inline} {linked}");
    assert!(page.contains(&format!("{linked} plots shown from their files")));
    let lines = page.matches("<tr data-service=").count();
    assert!(lines > 1_000 && lines < 10_000, "{lines} log lines");
    assert!(page.contains(&format!("The first {lines} of 2000000 entries")), "the cut is said");
    assert!(page.contains("<a href=\"events.csv\">events.csv</a> has them all"));
    assert!(page.contains("deployments; summary.json has them all"));
    assert!(page.contains("disruptions; summary.json has them all"));
}
