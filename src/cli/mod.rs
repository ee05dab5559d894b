//! The subcommands behind `main`: `run` (its own module), `validate` and `diff`, and the exit
//! codes of DESIGN.md §5.

pub mod import;
pub mod run;
pub mod sweep;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ecsim::report;
use ecsim::scenario;

use crate::Format;

/// Exit codes (DESIGN.md §5): 0 success, 1 an expectation failed or a metric regressed, 2 bad
/// input, 3 internal error.
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_BAD_INPUT: u8 = 2;
pub const EXIT_INTERNAL: u8 = 3;

/// Reports bad input or usage on stderr: exit code 2.
pub fn bad_input(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_BAD_INPUT)
}

/// `--tolerance` is a relative worsening: a number >= 0.
pub fn check_tolerance(tolerance: f64) -> Result<(), String> {
    if tolerance.is_finite() && tolerance >= 0.0 {
        Ok(())
    } else {
        Err(format!("--tolerance: expected a number >= 0, found {tolerance}"))
    }
}

/// Writes to stdout; a closed pipe (`ecsim run | head`) is not an error worth a panic.
pub fn say(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

pub fn validate(files: &[PathBuf], verbose: bool) -> ExitCode {
    let mut bad = 0;
    for f in files {
        if let Some(outcome) = validate_aws(f, verbose) {
            bad += usize::from(!outcome);
            continue;
        }
        match scenario::load_file(f) {
            Ok(s) => {
                let n = |k: usize, noun: &str| ecsim::words::count(k as u64, noun);
                // Fargate's stand-ins are not the user's instance groups.
                let groups = s.groups.iter().filter(|g| !g.fargate).count();
                let on_fargate = s
                    .services
                    .iter()
                    .filter(|svc| {
                        svc.capacity_provider_strategy.iter().any(|i| s.capacity_providers[i.provider].is_fargate())
                    })
                    .count();
                let fargate = if on_fargate > 0 { format!(", {on_fargate} on Fargate") } else { String::new() };
                let head = format!(
                    "{}: ok ({}{fargate}, {}, {})\n",
                    f.display(),
                    n(s.services.len(), "service"),
                    n(groups, "instance group"),
                    n(s.timeline.len(), "timeline event")
                );
                say(&(head + &notes(&s.ignored_fields, &s.assumptions, verbose)));
            }
            Err(diags) => {
                bad += 1;
                eprintln!("{diags}");
            }
        }
    }
    if bad > 0 { ExitCode::from(EXIT_BAD_INPUT) } else { ExitCode::SUCCESS }
}

/// A `.json` file that is not a scenario: validated as the AWS object it is. `None` for
/// scenarios (and files that cannot be read: the scenario loader says why); `Some(passed)`
/// otherwise.
fn validate_aws(f: &Path, verbose: bool) -> Option<bool> {
    if f.extension().is_none_or(|e| !e.eq_ignore_ascii_case("json")) {
        return None;
    }
    let text = std::fs::read_to_string(f).ok()?;
    match scenario::aws_file::validate_unless_scenario(&f.display().to_string(), &text)? {
        Ok(report) => {
            let head = format!("{}: ok, {}\n", f.display(), report.what);
            say(&(head + &notes(&report.ignored, &report.assumed, verbose)));
            Some(true)
        }
        Err(diags) => {
            eprintln!("{diags}");
            Some(false)
        }
    }
}

/// Under a valid file: the defaults ecsim assumed, and with `--verbose` what it accepted
/// without simulating.
fn notes(ignored: &[String], assumed: &[String], verbose: bool) -> String {
    let ignored = ignored.iter().filter(|_| verbose).map(|f| format!("  accepted, not simulated: {f}\n"));
    ignored.chain(assumed.iter().map(|a| format!("  assumed: {a}\n"))).collect()
}

/// The changes against a baseline for people: what differs in what was run, then the table and
/// how many got worse (metrics, and subjects or metrics only one side has).
pub fn changes_text(changes: &[report::Change], notes: &[String]) -> String {
    let mut out: String = notes.iter().map(|n| format!("note: {n}\n")).collect();
    if changes.is_empty() {
        return out + "no metric changed\n";
    }
    let one_sided = changes.iter().filter(|c| c.presence != report::Presence::Both).count();
    let worse = changes.iter().filter(|c| c.regression && c.presence == report::Presence::Both).count();
    out += &report::changes_table(changes);
    out += &format!("{} got worse", ecsim::words::count(worse as u64, "metric"));
    if one_sided > 0 {
        let what = ecsim::words::count_as(one_sided as u64, "subject or metric is", "subjects or metrics are");
        out += &format!("; {what} on one side only (each counts as a regression)");
    }
    out + "\n"
}

/// A summary.json read back, or a message naming the file and what is wrong with it.
pub fn read_summary(path: &Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        format!("{}:{}:{}: expected a summary.json, found invalid JSON: {e}", path.display(), e.line(), e.column())
    })?;
    if !value["services"].is_object() {
        return Err(format!(
            "{}: expected an ecsim summary.json (with \"services\"), found other JSON",
            path.display()
        ));
    }
    Ok(value)
}

pub fn diff(a: &Path, b: &Path, tolerance: f64, format: Format) -> ExitCode {
    if let Err(e) = check_tolerance(tolerance) {
        return bad_input(&e);
    }
    let (before, after) = match (read_summary(a), read_summary(b)) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(e), _) | (_, Err(e)) => return bad_input(&e),
    };
    let changes = report::baseline::compare(&before, &after, tolerance);
    let notes = report::baseline::provenance_notes(&before, &after);
    let regressions = changes.iter().filter(|c| c.regression).count();
    match format {
        Format::Json => {
            let json = report::baseline::to_json(&a.display().to_string(), tolerance, &changes, &notes);
            say(&format!("{}\n", serde_json::to_string_pretty(&json).unwrap_or_default()));
        }
        Format::Text => say(&changes_text(&changes, &notes)),
    }
    if regressions > 0 { ExitCode::from(EXIT_FAILED) } else { ExitCode::SUCCESS }
}
