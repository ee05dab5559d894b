//! The comparison of a sweep's variants: a table for the terminal (mean with its 95 % interval,
//! p5 and p95 per chosen metric) and comparison.svg (per variant, the distribution of each
//! chosen metric as a box from p25 to p75, whiskers from p5 to p95, the median, and the mean
//! with its interval; a legend says which is which, each axis its unit).

use plotters::prelude::*;

use super::stats::Stats;
use super::{Aggregate, Column, Variant};
use crate::scenario::SubjectKind;

/// The table: one line per variant and subject with a chosen metric, columns per metric.
pub fn comparison_table(aggregate: &[Vec<String>], chosen: &[String]) -> String {
    let col = |name: &str| aggregate[0].iter().position(|h| h == name).expect("aggregate column");
    let (label, kind, subject, metric, mean, lo, hi, p5, p95) = (
        col("label"),
        col("kind"),
        col("subject"),
        col("metric"),
        col("mean"),
        col("ci95_low"),
        col("ci95_high"),
        col("p5"),
        col("p95"),
    );
    let mut keys: Vec<(&str, &str, &str)> = Vec::new();
    for r in aggregate[1..].iter().filter(|r| chosen.contains(&r[metric])) {
        let k = (r[label].as_str(), r[kind].as_str(), r[subject].as_str());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let short = |x: &str| x.parse::<f64>().map_or_else(|_| "-".to_string(), |v| format!("{v:.4}"));
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut head = vec!["variant".to_string(), "subject".to_string()];
    for m in chosen {
        head.push(format!("{m} mean [95% CI]"));
        head.push(format!("{m} p5..p95"));
    }
    for (l, k, s) in keys {
        let name = if k == "service" { s.to_string() } else { format!("{k}:{s}") };
        let mut line = vec![l.to_string(), name];
        for m in chosen {
            match aggregate[1..].iter().find(|r| r[label] == l && r[kind] == k && r[subject] == s && &r[metric] == m) {
                Some(r) => {
                    line.push(format!("{} [{}, {}]", short(&r[mean]), short(&r[lo]), short(&r[hi])));
                    line.push(format!("{}..{}", short(&r[p5]), short(&r[p95])));
                }
                None => line.extend(["-".to_string(), "-".to_string()]),
            }
        }
        rows.push(line);
    }
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    crate::report::table(&head, rows)
}

const PANEL_HEIGHT: u32 = 300;

/// comparison.svg: a panel per (subject, chosen metric), subjects in runs.csv's order, the
/// metrics in the order chosen, the variants side by side.
pub fn comparison_svg(
    aggregate: &Aggregate,
    variants: &[Variant],
    chosen: &[String],
) -> Result<String, Box<dyn std::error::Error>> {
    let mut subjects: Vec<(SubjectKind, &str)> = Vec::new();
    for (c, _) in &aggregate.columns {
        if !subjects.contains(&(c.kind, c.subject.as_str())) {
            subjects.push((c.kind, &c.subject));
        }
    }
    let panels: Vec<&(Column, Vec<Option<Stats>>)> = subjects
        .iter()
        .flat_map(|&(kind, subject)| {
            chosen.iter().filter_map(move |m| {
                aggregate.columns.iter().find(|(c, _)| c.kind == kind && c.subject == subject && c.metric == m)
            })
        })
        .collect();
    let mut svg = String::new();
    {
        let n = variants.len();
        // The variants are named v0, v1, ... on the axes and spelled out under the panels,
        // after the legend of what each glyph is.
        let key_height = 22 * n as u32 + 16 + 30;
        let height = PANEL_HEIGHT * panels.len().max(1) as u32 + key_height;
        let root = SVGBackend::with_string(&mut svg, (960, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let (plots, key) = root.split_vertically(height - key_height);
        let text = ("sans-serif", 13).into_text_style(&key);
        let blue = RGBColor(60, 120, 200);
        let red = RGBColor(200, 60, 60);
        // The legend: box, whiskers, median line, mean dot, each with its meaning.
        key.draw(&Rectangle::new([(20, 6), (44, 20)], blue.mix(0.3).filled()))?;
        key.draw_text("p25 to p75 of the seeds", &text, (50, 7))?;
        key.draw(&PathElement::new(vec![(230, 6), (230, 20)], BLACK.stroke_width(1)))?;
        key.draw(&PathElement::new(vec![(225, 6), (235, 6)], BLACK.stroke_width(1)))?;
        key.draw(&PathElement::new(vec![(225, 20), (235, 20)], BLACK.stroke_width(1)))?;
        key.draw_text("whiskers: p5 to p95", &text, (242, 7))?;
        key.draw(&PathElement::new(vec![(400, 13), (424, 13)], blue.stroke_width(3)))?;
        key.draw_text("median", &text, (430, 7))?;
        key.draw(&Circle::new((510, 13), 4, red.filled()))?;
        key.draw(&PathElement::new(vec![(520, 6), (520, 20)], red.stroke_width(2)))?;
        key.draw_text("mean, and its 95 % bootstrap interval", &text, (528, 7))?;
        for (i, v) in variants.iter().enumerate() {
            key.draw_text(&format!("v{i}: {}", v.label()), &text, (20, 38 + 22 * i as i32))?;
        }
        let areas = plots.split_evenly((panels.len().max(1), 1));
        let labels: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
        for ((column, per_variant), area) in panels.iter().map(|p| (&p.0, &p.1)).zip(areas) {
            let lo = per_variant.iter().flatten().map(|s| s.min).fold(f64::INFINITY, f64::min);
            let hi = per_variant.iter().flatten().map(|s| s.max).fold(f64::NEG_INFINITY, f64::max);
            // An axis needs a finite range (plotters never finishes laying out NaN or 1e999).
            let (lo, hi) = if lo.is_finite() && hi.is_finite() { (lo, hi) } else { (0.0, 1.0) };
            let pad = ((hi - lo) * 0.1).max(1e-6);
            let mut chart = ChartBuilder::on(&area)
                .caption(column.name(), ("sans-serif", 18))
                .margin(10)
                .x_label_area_size(36)
                .y_label_area_size(80)
                .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), (lo - pad)..(hi + pad))?;
            let label_of = |x: &f64| {
                let i = x.round();
                if (x - i).abs() < 1e-9 && i >= 0.0 && (i as usize) < n {
                    labels[i as usize].clone()
                } else {
                    String::new()
                }
            };
            chart
                .configure_mesh()
                .x_labels(n.max(2))
                .x_label_formatter(&label_of)
                .x_desc("variant")
                .y_desc(unit_of(column.metric))
                .y_label_formatter(&tick)
                .label_style(("sans-serif", 13))
                .light_line_style(WHITE.mix(0.0))
                .draw()?;
            for (i, s) in per_variant.iter().enumerate() {
                let Some(s) = s else { continue };
                let x = i as f64;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.25, s.p25), (x + 0.25, s.p75)],
                    blue.mix(0.3).filled(),
                )))?;
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x, s.p5), (x, s.p95)],
                    BLACK.stroke_width(1),
                )))?;
                for y in [s.p5, s.p95] {
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(x - 0.1, y), (x + 0.1, y)],
                        BLACK.stroke_width(1),
                    )))?;
                }
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x - 0.25, s.p50), (x + 0.25, s.p50)],
                    blue.stroke_width(3),
                )))?;
                chart.draw_series(std::iter::once(Circle::new((x, s.mean), 4, red.filled())))?;
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x + 0.3, s.ci95_low), (x + 0.3, s.ci95_high)],
                    red.stroke_width(2),
                )))?;
            }
        }
        root.present()?;
    }
    Ok(svg)
}

/// The unit of a metric, for its axis.
pub fn unit_of(metric: &str) -> &'static str {
    match metric {
        "availability" => "fraction of the measured time",
        "capacity_ratio" => "healthy / desired, time average",
        "min_az_coverage" => "Availability Zones",
        "min_healthy"
        | "min_az_loss_margin"
        | "min_instance_loss_margin"
        | "tasks_started"
        | "tasks_failed_to_start"
        | "arrived"
        | "started"
        | "never_started"
        | "max_provisioning_tasks"
        | "provisioned_tasks"
        | "provisioning_given_up" => "tasks",
        "min_healthy_targets" => "targets",
        "max_cpu_utilization" => "percent of the CPU reservation",
        "request_availability" => "served / offered",
        "requests_offered"
        | "requests_served"
        | "requests_failed"
        | "requests_failed_no_target"
        | "requests_failed_dead_target"
        | "requests_failed_overload" => "requests",
        "scale_out_activities" | "scale_in_activities" | "scheduled_activities" => "scaling activities",
        "instances_min" | "instances_max" | "instances_launched" | "instances_terminated" => "instances",
        "instance_hours" => "instance-hours",
        "vcpu_hours" => "vCPU-hours",
        "gb_hours" => "GB-hours",
        "cost" => "cost, in [pricing]'s currency",
        m if m.ends_with("_s") || m.contains("_s_") => "seconds",
        _ => "count",
    }
}

/// An axis number: six decimals at most, trailing zeros dropped (tick steps are not exact in
/// binary).
fn tick(v: &f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}
