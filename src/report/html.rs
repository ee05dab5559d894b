//! report.html: the whole report as one self-contained page (inline SVG, CSS and a few lines of
//! inline script for the event-log filter; nothing fetched from the network), for people who
//! would rather look than read JSON.

use std::fmt::Write;

use quick_xml::escape::escape;
use serde_json::Value;

use super::text::value_text;
use super::{Rendered, secs_text};
use crate::observer::RunResult;
use crate::scenario::expect::{REQUEST_METRICS, SCALING_METRICS, SERVICE_METRICS, is_text_metric};

const STYLE: &str = "
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1040px; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
.meta { color: #555; font-size: 0.9em; } .meta code { font-size: 0.95em; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.6em 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f3f3f3; } td.l, th.l { text-align: left; }
.pass { color: #1e7a3c; font-weight: bold; } .fail { color: #b3261e; font-weight: bold; }
.none { color: #555; font-weight: bold; }
.outage { background: #f7d4d2; } .below_min_healthy { background: #fbe3c4; }
.degraded { background: #fbf3c4; } .full { background: #d9efdf; } mark { color: inherit; padding: 0 3px; }
span.status { padding: 1px 6px; border-radius: 3px; font-weight: bold; }
.plot { margin: 0.8em 0; } .plot svg { max-width: 100%; height: auto; border: 1px solid #eee; }
#log td { text-align: left; vertical-align: top; } #log td.t { text-align: right; white-space: nowrap; }
.filters { margin: 0.5em 0; } .filters select, .filters input { margin-right: 1em; }
";

/// Shows only the log rows matching the chosen service, kind and text.
const SCRIPT: &str = "
function filterLog() {
  var s = document.getElementById('f-service').value, k = document.getElementById('f-kind').value;
  var q = document.getElementById('f-text').value.toLowerCase(), shown = 0;
  var rows = document.querySelectorAll('#log tbody tr');
  for (var i = 0; i < rows.length; i++) {
    var r = rows[i];
    var ok = (!s || r.dataset.service === s) && (!k || r.dataset.kind === k) &&
      (!q || r.textContent.toLowerCase().indexOf(q) >= 0);
    r.style.display = ok ? '' : 'none';
    if (ok) shown++;
  }
  document.getElementById('f-count').textContent = shown + ' shown';
}
// A link may carry a filter: report.html#service=web&kind=TASK_STOPPED&text=spot
(function () {
  var h = new URLSearchParams(location.hash.slice(1));
  var ids = { service: 'f-service', kind: 'f-kind', text: 'f-text' };
  for (var k in ids) { if (h.get(k)) document.getElementById(ids[k]).value = h.get(k); }
  filterLog();
})();
";

/// What the page may spend, in bytes, so that it stays under 5 MB for any run (a browser opens
/// it at once): plots inline up to [`PLOTS_BYTES`], the rest shown from their files; the event
/// log's first lines up to [`LOG_BYTES`] (events.csv has every line); the disruptions and
/// deployments tables up to their own budgets (summary.json has every row).
pub const PLOTS_BYTES: usize = 2_400_000;
pub const LOG_BYTES: usize = 1_400_000;
pub const TABLE_BYTES: usize = 300_000;

/// Rows up to `budget` bytes of cells, and a note saying where the rest is if any were left.
fn within_budget(mut rows: Vec<Vec<String>>, budget: usize, what: &str, rest_in: &str) -> (Vec<Vec<String>>, String) {
    let mut spent = 0;
    let fits = rows.iter().take_while(|r| {
        spent += r.iter().map(|c| c.len() + 9).sum::<usize>();
        spent <= budget
    });
    let n = fits.count();
    if n == rows.len() {
        return (rows, String::new());
    }
    let note = format!("<p class=\"meta\">The first {n} of {} {what}; {rest_in} has them all.</p>\n", rows.len());
    rows.truncate(n);
    (rows, note)
}

fn esc(s: &str) -> String {
    escape(s).into_owned()
}

fn cell(v: &Value) -> String {
    esc(&match v {
        Value::Number(n) => {
            n.as_f64().filter(|x| x.fract() != 0.0).map_or_else(|| n.to_string(), |x| format!("{x:.4}"))
        }
        other => value_text(other),
    })
}

fn verdict(passed: bool) -> &'static str {
    if passed { "<span class=\"pass\">passed</span>" } else { "<span class=\"fail\">FAILED</span>" }
}

/// The run's verdict: passed, FAILED, or "no expectations" (nothing was checked).
fn run_verdict(r: &Rendered) -> &'static str {
    match r.verdict() {
        "no expectations" => "<span class=\"none\" id=\"verdict\">no expectations</span>",
        "passed" => "<span class=\"pass\" id=\"verdict\">passed</span>",
        _ => "<span class=\"fail\" id=\"verdict\">FAILED</span>",
    }
}

/// A table: a header row, then rows of cells (already HTML); the first column left-aligned.
fn table(id: &str, header: &[&str], rows: &[Vec<String>]) -> String {
    let mut t = format!("<table id=\"{id}\"><thead><tr>");
    for (i, h) in header.iter().enumerate() {
        let _ = write!(t, "<th{}>{}</th>", if i == 0 { " class=\"l\"" } else { "" }, esc(h));
    }
    t += "</tr></thead><tbody>";
    for r in rows {
        t += "<tr>";
        for (i, c) in r.iter().enumerate() {
            let _ = write!(t, "<td{}>{c}</td>", if i == 0 { " class=\"l\"" } else { "" });
        }
        t += "</tr>";
    }
    t + "</tbody></table>\n"
}

/// The page, from the rendered report (its summary and plots) and the run (its event log).
pub fn report_html(r: &Rendered, result: &RunResult) -> String {
    let s = &r.summary;
    let name = s["scenario"].as_str().unwrap_or_default();
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ecsim: {}</title><style>{STYLE}</style></head><body>\n",
        esc(name)
    );
    let _ = write!(h, "<h1>ecsim report: {}</h1>\n<p class=\"meta\" id=\"header\">", esc(name));
    let _ = writeln!(
        h,
        "scenario file <code>{}</code> · seed <code>{}</code> · ecsim {} · sha256 <code>{}</code><br>{} s simulated · {} · measured from {} s · {}</p>",
        esc(s["scenario_file"].as_str().unwrap_or_default()),
        s["seed"],
        esc(s["ecsim_version"].as_str().unwrap_or_default()),
        esc(s["scenario_sha256"].as_str().unwrap_or_default()),
        s["simulated_s"],
        crate::words::count(s["events"].as_u64().unwrap_or(0), "event"),
        s["measured_from_s"],
        run_verdict(r),
    );
    h += &services_section(s);
    h += &capacity_providers_section(s);
    h += &usage_section(s);
    h += &plots_section(r);
    h += &deployments_section(s);
    h += &disruptions_section(s);
    h += &expectations_section(r);
    h += &log_section(result);
    let _ = write!(h, "<script>{SCRIPT}</script>\n</body></html>\n");
    h
}

fn services_section(s: &Value) -> String {
    // Every metric an expectation can name (the deployment's state has its own table).
    // Metrics down, services across: a page is narrower than sixteen metrics.
    let services: Vec<(&String, &Value)> = s["services"].as_object().into_iter().flatten().collect();
    // The metrics of traffic and of Service Auto Scaling only where some service has them (null
    // everywhere else).
    let applies = |k: &str| {
        let optional = REQUEST_METRICS.contains(&k) || SCALING_METRICS.contains(&k);
        !optional || services.iter().any(|(_, v)| !v[k].is_null())
    };
    let keys: Vec<&str> = SERVICE_METRICS.iter().copied().filter(|k| !is_text_metric(k) && applies(k)).collect();
    let status_of = |v: &Value| v["status"].as_str().unwrap_or_default().to_string();
    let mut rows: Vec<Vec<String>> = vec![
        std::iter::once("status".to_string())
            .chain(services.iter().map(|(_, v)| {
                let st = esc(&status_of(v));
                format!("<span class=\"status {st}\">{}</span>", st.replace('_', " "))
            }))
            .collect(),
    ];
    // The metrics that earned a service its status are marked in the status's colour.
    rows.extend(keys.iter().map(|k| {
        std::iter::once(esc(k))
            .chain(services.iter().map(|(_, v)| {
                let st = status_of(v);
                if super::status::earned_by(&st).contains(k) {
                    format!("<mark class=\"{}\">{}</mark>", esc(&st), cell(&v[*k]))
                } else {
                    cell(&v[*k])
                }
            }))
            .collect()
    }));
    let mut header = vec!["metric"];
    header.extend(services.iter().map(|(name, _)| name.as_str()));
    format!("<h2>Services</h2>\n{}", table("services", &header, &rows))
}

/// Per capacity provider, every metric an expectation can name (providers across).
fn capacity_providers_section(s: &Value) -> String {
    let providers: Vec<(&String, &Value)> = s["capacity_providers"].as_object().into_iter().flatten().collect();
    if providers.is_empty() {
        return String::new();
    }
    let rows: Vec<Vec<String>> = crate::scenario::expect::CAPACITY_PROVIDER_METRICS
        .iter()
        .map(|k| std::iter::once(esc(k)).chain(providers.iter().map(|(_, v)| cell(&v[*k]))).collect())
        .collect();
    let mut header = vec!["metric"];
    header.extend(providers.iter().map(|(name, _)| name.as_str()));
    format!("<h2>Capacity providers</h2>\n{}", table("capacity-providers", &header, &rows))
}

/// Instance-hours by type, Fargate vCPU- and GB-hours, and the cost with the user's prices.
fn usage_section(s: &Value) -> String {
    let u = &s["usage"];
    let mut rows: Vec<Vec<String>> = u["instance_hours"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(t, h)| vec![format!("{} instance-hours", esc(t)), cell(h)])
        .collect();
    for (key, label) in [
        ("fargate_vcpu_hours", "FARGATE vCPU-hours"),
        ("fargate_gb_hours", "FARGATE GB-hours"),
        ("fargate_spot_vcpu_hours", "FARGATE_SPOT vCPU-hours"),
        ("fargate_spot_gb_hours", "FARGATE_SPOT GB-hours"),
    ] {
        if u[key].as_f64().is_some_and(|x| x > 0.0) {
            rows.push(vec![label.to_string(), cell(&u[key])]);
        }
    }
    let cost = match &u["cost"] {
        Value::Null => "no [pricing] given".to_string(),
        c => cell(c),
    };
    rows.push(vec!["cost".to_string(), cost]);
    format!("<h2>Usage</h2>\n{}", table("usage", &["usage", "amount"], &rows))
}

fn plots_section(r: &Rendered) -> String {
    let mut h = String::from("<h2>Plots</h2>\n");
    let mut spent = 0;
    let mut linked = 0u64;
    for (file, bytes) in r.files.iter().filter(|(f, _)| f.ends_with(".svg")) {
        spent += bytes.len();
        if spent <= PLOTS_BYTES {
            let svg = String::from_utf8_lossy(bytes);
            let _ = writeln!(h, "<div class=\"plot\" data-file=\"{}\">{svg}</div>", esc(file));
        } else {
            // Past the page's budget a plot is shown from its file in the report folder.
            linked += 1;
            let f = esc(file);
            let _ = writeln!(
                h,
                "<div class=\"plot\" data-file=\"{f}\"><a href=\"{f}\"><img src=\"{f}\" alt=\"{f}\" loading=\"lazy\"></a></div>"
            );
        }
    }
    if linked > 0 {
        let note = format!(
            "<p class=\"meta\">{} shown from their files in the report folder (the page keeps under 5 MB).</p>\n",
            crate::words::count(linked, "plot")
        );
        h.insert_str("<h2>Plots</h2>\n".len(), &note);
    }
    h
}

fn deployments_section(s: &Value) -> String {
    let mut rows = Vec::new();
    for (service, v) in s["services"].as_object().into_iter().flatten() {
        for d in v["deployments"].as_array().into_iter().flatten() {
            rows.push(vec![
                esc(service),
                cell(&d["id"]),
                cell(&d["task_definition"]),
                cell(&d["status"]),
                cell(&d["rollout_state"]),
                cell(&d["started_s"]),
                cell(&d["finished_s"]),
                cell(&d["duration_s"]),
                cell(&d["rolled_back"]),
                cell(&d["failed_tasks"]),
            ]);
        }
    }
    let header = [
        "service",
        "deployment",
        "task definition",
        "status",
        "rollout state",
        "started s",
        "finished s",
        "duration s",
        "rolled back",
        "failed tasks",
    ];
    let (rows, note) = within_budget(rows, TABLE_BYTES, "deployments", "summary.json");
    format!("<h2>Deployments</h2>\n{note}{}", table("deployments", &header, &rows))
}

fn disruptions_section(s: &Value) -> String {
    let mut rows = Vec::new();
    for d in s["disruptions"].as_array().into_iter().flatten() {
        let services = d["services"].as_object();
        let affected: Vec<String> = services
            .into_iter()
            .flatten()
            .map(|(name, x)| {
                let ttr = match &x["time_to_recover_s"] {
                    Value::Null => "not recovered".to_string(),
                    t => format!("recovered in {t} s"),
                };
                format!("{name}: {} → {} healthy, {ttr}", x["healthy_before"], x["healthy_lowest"])
            })
            .collect();
        let capacity = match &d["time_to_capacity_s"] {
            Value::Null => "not back".to_string(),
            t => format!("{t} s"),
        };
        rows.push(vec![
            cell(&d["time_s"]),
            cell(&d["kind"]),
            cell(&d["what"]),
            esc(&capacity),
            esc(&affected.join("; ")),
        ]);
    }
    let none =
        if rows.is_empty() { "<p>No instance failure, AZ outage, Spot interruption, stop or drain.</p>\n" } else { "" };
    let (rows, note) = within_budget(rows, TABLE_BYTES, "disruptions", "summary.json");
    let header = ["time s", "kind", "what", "time to capacity", "services"];
    format!("<h2>Disruptions</h2>\n{none}{note}{}", table("disruptions", &header, &rows))
}

fn expectations_section(r: &Rendered) -> String {
    let rows: Vec<Vec<String>> = r
        .outcomes
        .iter()
        .map(|o| vec![esc(&o.expectation.label()), cell(&o.actual), verdict(o.passed).to_string()])
        .collect();
    let mut h = String::from("<h2>Expectations</h2>\n");
    if rows.is_empty() {
        h += "<p>None: add <code>[[expect]]</code> tables or <code>--expect</code>.</p>\n";
    }
    h += &table("expectations", &["expectation", "actual", "result"], &rows);
    if !r.changes.is_empty() {
        let rows: Vec<Vec<String>> = r
            .changes
            .iter()
            .map(|c| {
                let mark = if c.regression { verdict(false) } else { "" };
                vec![esc(&c.label()), esc(&c.before_text()), esc(&c.after_text()), mark.to_string()]
            })
            .collect();
        h += "<h3>Against the baseline</h3>\n";
        for n in &r.baseline_notes {
            let _ = writeln!(h, "<p class=\"meta\">note: {}</p>", esc(n));
        }
        h += &table("baseline", &["metric", "baseline", "now", ""], &rows);
    }
    h
}

fn log_section(result: &RunResult) -> String {
    let log = &result.log_digest;
    let services: Vec<&str> = log.services.iter().map(String::as_str).collect();
    let kinds: Vec<&str> = log.kinds.iter().copied().collect();
    let options = |all: &str, items: &[&str]| {
        let mut o = format!("<option value=\"\">{all}</option>");
        for i in items {
            let _ = write!(o, "<option>{}</option>", esc(i));
        }
        o
    };
    let mut h = String::from("<h2>Event log</h2>\n<div class=\"filters\">");
    let _ = writeln!(
        h,
        "<select id=\"f-service\" onchange=\"filterLog()\">{}</select><select id=\"f-kind\" onchange=\"filterLog()\">{}</select><input id=\"f-text\" placeholder=\"text\" oninput=\"filterLog()\"><span id=\"f-count\"></span></div>",
        options("every service", &services),
        options("every kind", &kinds)
    );
    // The log's first lines, as many as the page's budget holds.
    let mut body = String::new();
    let mut shown = 0u64;
    let mut time = String::new();
    for (t, e) in &log.first {
        if body.len() >= LOG_BYTES {
            break;
        }
        shown += 1;
        secs_text(t.0, &mut time);
        let _ = writeln!(
            body,
            "<tr data-service=\"{}\" data-kind=\"{}\"><td class=\"t\">{time}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&e.service),
            e.kind,
            e.kind,
            esc(&e.service),
            esc(&e.task),
            esc(&e.instance),
            esc(&e.message)
        );
    }
    if log.total > shown {
        let _ = writeln!(
            h,
            "<p>The first {shown} of {} entries (the filters search these); <a href=\"events.csv\">events.csv</a> has them all.</p>",
            log.total
        );
    }
    h += "<table id=\"log\"><thead><tr><th>time s</th><th>kind</th><th>service</th><th>task</th><th>instance</th><th>message</th></tr></thead><tbody>\n";
    h + &body + "</tbody></table>\n"
}
