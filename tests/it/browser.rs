//! report.html in a real browser: every bundled scenario's page opened in headless Chromium,
//! checked from the rendered DOM (plots, tables, the event-log filter) and from a screenshot.
//! Without Chromium the test says so and passes, unless ECSIM_REQUIRE_BROWSER is set (CI sets
//! it, after installing Debian's chromium).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::determinism::{bundled, render};

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ECSIM_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// Chromium, or `None` with a note that the test is skipped (a failure if CI requires it).
fn chromium_or_skip() -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        assert!(
            std::env::var_os("ECSIM_REQUIRE_BROWSER").is_none(),
            "ECSIM_REQUIRE_BROWSER is set but no chromium found"
        );
        eprintln!("skipped: no chromium on PATH (set ECSIM_CHROMIUM or install Debian's chromium)");
    }
    found
}

/// Runs headless Chromium on `url` with `args` (the flags this closed network needs).
fn browse(chrome: &Path, profile: &Path, args: &[&str], url: &str) -> Vec<u8> {
    let out = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .expect("chromium starts");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// Distinct colours in a PNG: a blank or broken page has one or two.
fn colours(png_bytes: &[u8]) -> usize {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("PNG size")];
    let info = reader.next_frame(&mut buf).expect("a PNG frame");
    let step = info.color_type.samples();
    let mut seen: Vec<[u8; 3]> = buf[..info.buffer_size()].chunks(step).map(|p| [p[0], p[1], p[2]]).collect();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

#[test]
fn every_bundled_report_renders_in_chromium() {
    let Some(chrome) = chromium_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    for path in bundled() {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let files = render(&path, None, false);
        let (_, page) = files.iter().find(|(n, _)| n == "report.html").expect("report.html in the report");
        let html = tmp.path().join(format!("{name}.html"));
        std::fs::write(&html, page).unwrap();
        let scenario = ecsim::scenario::load_file(&path).unwrap();
        let profile = tmp.path().join(format!("profile-{name}"));
        let url = format!("file://{}", html.display());

        let dom = String::from_utf8(browse(&chrome, &profile, &["--dump-dom"], &url)).unwrap();
        let svgs = dom.matches("<svg").count();
        let managed = scenario.capacity_providers.iter().filter(|p| p.managed_scaling.is_some()).count();
        assert_eq!(
            svgs,
            2 * scenario.services.len() + 1 + 2 * managed + scenario.traffic.len(),
            "{name}: a tasks and a redundancy plot per service, cluster usage, capacity and reservation per managed capacity provider, and requests per target group with traffic"
        );
        for id in ["header", "services", "deployments", "disruptions", "expectations", "log"] {
            assert!(dom.contains(&format!("id=\"{id}\"")), "{name}: no #{id}");
        }
        for s in &scenario.services {
            assert!(dom.contains(&format!("{}: tasks over time", s.name)), "{name}: no plot for {}", s.name);
        }
        // The filter ran on load: every row counted as shown.
        let rows = dom.matches("<tr data-service=").count();
        assert!(dom.contains(&format!("{rows} shown")), "{name}: the log filter did not run");

        let shot = tmp.path().join(format!("{name}.png"));
        browse(&chrome, &profile, &[&format!("--screenshot={}", shot.display()), "--window-size=1100,1400"], &url);
        let png_bytes = std::fs::read(&shot).expect("a screenshot");
        assert!(colours(&png_bytes) > 50, "{name}: the screenshot looks blank");
    }
}

/// The event log's filter, driven by the page's own link syntax: only that service's rows
/// of that kind stay visible.
#[test]
fn the_event_log_filters_by_service_and_kind() {
    let Some(chrome) = chromium_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/az-outage.toml");
    let files = render(&path, None, false);
    let (_, page) = files.iter().find(|(n, _)| n == "report.html").unwrap();
    let html = tmp.path().join("r.html");
    std::fs::write(&html, page).unwrap();
    let url = format!("file://{}#service=api&kind=SERVICE_TASKS_STARTED", html.display());
    let dom = String::from_utf8(browse(&chrome, &tmp.path().join("p"), &["--dump-dom"], &url)).unwrap();
    let visible: Vec<&str> = dom
        .split("<tr data-service=")
        .skip(1)
        .filter(|row| !row.split('>').next().unwrap_or_default().contains("display: none"))
        .collect();
    assert!(!visible.is_empty());
    assert!(
        visible.iter().all(|r| r.starts_with("\"api\" data-kind=\"SERVICE_TASKS_STARTED\"")),
        "{:?}",
        visible.iter().map(|r| &r[..60.min(r.len())]).collect::<Vec<_>>()
    );
    assert!(dom.contains(&format!("{} shown", visible.len())));
}
