//! SVG plots of a run (plotters' SVG backend: no system libraries): per service, desired /
//! running / healthy over time with outages and below-minimum periods shaded and disruptions and
//! deployments marked; and its redundancy (AZ coverage, AZ and instance loss margins).

use plotters::prelude::*;

use crate::observer::Disruption;
use crate::observer::{Row, RunResult};
use crate::scenario::Scenario;

const WIDTH: u32 = 960;
const HEIGHT: u32 = 420;
const OUTAGE: RGBColor = RGBColor(220, 60, 60);
const BELOW_MIN: RGBColor = RGBColor(245, 170, 60);
const DISRUPTION: RGBColor = RGBColor(170, 30, 30);
const DEPLOYMENT: RGBColor = RGBColor(120, 60, 200);
const ROLLBACK: RGBColor = RGBColor(230, 110, 0);
const NOT_MEASURED: RGBColor = RGBColor(200, 200, 200);

type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// Axes, grid and labels, the same on every plot.
fn mesh(chart: &mut Chart<'_, '_>, unit: TimeUnit, y_desc: &str) -> Result<(), PlotError> {
    chart
        .configure_mesh()
        .x_desc(format!("time ({})", unit.name))
        .y_desc(y_desc)
        .x_label_formatter(&axis_number)
        .y_label_formatter(&axis_number)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    Ok(())
}

/// The time axis in human units: minutes up to 3 h, hours up to 3 d, then days.
#[derive(Clone, Copy)]
struct TimeUnit {
    ms: f64,
    name: &'static str,
}

fn time_unit(duration_ms: u64) -> TimeUnit {
    const HOUR: u64 = 3_600_000;
    if duration_ms <= 3 * HOUR {
        TimeUnit { ms: 60_000.0, name: "minutes" }
    } else if duration_ms <= 72 * HOUR {
        TimeUnit { ms: 3_600_000.0, name: "hours" }
    } else {
        TimeUnit { ms: 86_400_000.0, name: "days" }
    }
}

/// A step function as plot points: each (time in ms, value) holds until the next, up to `end`.
fn step_points(samples: impl IntoIterator<Item = (u64, f64)>, unit: TimeUnit, end: f64) -> Vec<(f64, f64)> {
    let mut points: Vec<(f64, f64)> = Vec::new();
    for (ms, v) in samples {
        let t = ms as f64 / unit.ms;
        match points.last() {
            // A sample that repeats the value (a closing row, another column's change) draws
            // nothing.
            Some(&(_, last)) if last == v => continue,
            Some(&(_, last)) => points.push((t, last)),
            None => {}
        }
        points.push((t, v));
    }
    if let Some(&(_, v)) = points.last().filter(|(t, _)| *t < end) {
        points.push((end, v));
    }
    thin(points, end)
}

/// A polyline with more points than the plot has pixel columns, reduced to what those columns
/// show: per column its first, lowest, highest and last point, in time order. A spike one
/// sample wide stays; a week of minutes costs the SVG a thousand columns, not ten thousand steps.
fn thin(points: Vec<(f64, f64)>, end: f64) -> Vec<(f64, f64)> {
    let columns = f64::from(WIDTH);
    if points.len() <= 4 * WIDTH as usize || end <= 0.0 {
        return points;
    }
    let column = |t: f64| (t / end * columns).floor().clamp(0.0, columns) as u32;
    let mut out = Vec::with_capacity(4 * WIDTH as usize + 4);
    let mut i = 0;
    while i < points.len() {
        let c = column(points[i].0);
        let mut j = i;
        let (mut lo, mut hi) = (i, i);
        while j + 1 < points.len() && column(points[j + 1].0) == c {
            j += 1;
            if points[j].1 < points[lo].1 {
                lo = j;
            }
            if points[j].1 > points[hi].1 {
                hi = j;
            }
        }
        let mut keep = [i, lo, hi, j];
        keep.sort_unstable();
        let mut last = usize::MAX;
        for k in keep {
            if k != last {
                out.push(points[k]);
                last = k;
            }
        }
        i = j + 1;
    }
    out
}

/// One row value of a service over time, as plot points.
fn steps(rows: &[&Row], unit: TimeUnit, end: f64, value: fn(&Row) -> u32) -> Vec<(f64, f64)> {
    step_points(rows.iter().map(|r| (r.time.0, f64::from(value(r)))), unit, end)
}

/// One plot: an SVG of the standard size with a caption, the run's time axis and `0..y_max`;
/// `draw` adds the series (given the time unit and the end of the axis), then the legend goes on.
fn plot(
    caption: &str,
    duration_ms: u64,
    y_max: f64,
    y_desc: &str,
    draw: impl FnOnce(&mut Chart<'_, '_>, TimeUnit, f64) -> Result<(), PlotError>,
) -> Result<String, PlotError> {
    let unit = time_unit(duration_ms);
    let end = duration_ms as f64 / unit.ms;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0f64..end, 0f64..y_max)?;
        mesh(&mut chart, unit, y_desc)?;
        draw(&mut chart, unit, end)?;
        legend(&mut chart)?;
        root.present()?;
    }
    Ok(svg)
}

/// The series' legend, the same on every plot.
fn legend<'a, 'b: 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, CT>,
) -> Result<(), PlotError> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 13))
        .position(SeriesLabelPosition::LowerRight)
        .draw()?;
    Ok(())
}

/// A labelled line.
fn line(
    chart: &mut Chart<'_, '_>,
    label: &str,
    color: RGBColor,
    width: u32,
    points: Vec<(f64, f64)>,
) -> Result<(), PlotError> {
    chart
        .draw_series(LineSeries::new(points, color.stroke_width(width)))?
        .label(label)
        .legend(line_legend(color, width));
    Ok(())
}

/// Intervals where `cond` holds, in plot units.
fn spans(rows: &[&Row], unit: TimeUnit, end: f64, cond: impl Fn(&Row) -> bool) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        if cond(r) {
            let from = r.time.0 as f64 / unit.ms;
            let to = rows.get(i + 1).map_or(end, |n| n.time.0 as f64 / unit.ms);
            match out.last_mut() {
                Some((_, last_to)) if *last_to == from => *last_to = to,
                _ => out.push((from, to)),
            }
        }
    }
    out
}

type PlotError = Box<dyn std::error::Error>;

/// A line of a plot: label, colour, width, and its value in a timeseries row.
type RowLine = (&'static str, RGBColor, u32, fn(&Row) -> u32);
/// A line of the cluster usage plot.
type UsageLine = (&'static str, RGBColor, u32, fn(&crate::cluster::Usage) -> f64);
type ProviderLine = (&'static str, RGBColor, u32, fn(&crate::control_plane::ProviderReading) -> u32);

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { 100.0 * part as f64 / whole as f64 }
}

/// Whole numbers without a decimal point; others with one.
fn axis_number(v: &f64) -> String {
    if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.1}") }
}

/// A legend entry for a shaded band.
fn band_legend(color: RGBColor, alpha: f64) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], color.mix(alpha).filled())
}

/// A legend entry for a line.
fn line_legend(color: RGBColor, width: u32) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(width))
}

/// desired / running / healthy of service `s`, as an SVG document.
pub fn service_svg(
    result: &RunResult,
    scenario: &Scenario,
    s: usize,
    disruptions: &[Disruption],
) -> Result<String, PlotError> {
    let rows: Vec<&Row> = result.plot_rows[s].iter().collect();
    let spec = &scenario.services[s];
    let min_pct = u64::from(spec.minimum_healthy_percent);
    let top = rows.iter().map(|r| r.values.desired.max(r.values.running).max(r.values.healthy)).max().unwrap_or(1);
    let y_max = f64::from(top) * 1.15 + 1.0;
    plot(&format!("{}: tasks over time", spec.name), result.simulated.0, y_max, "tasks", |chart, unit, end| {
        // Before the measured time (the ramp-up to steady state) nothing counts: grey, not red.
        let measured_from = result.measure_start.map_or(0.0, |t| t.0 as f64 / unit.ms);
        let measured = |r: &Row| r.time.0 as f64 / unit.ms >= measured_from;
        if measured_from > 0.0 {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, 0.0), (measured_from, y_max)],
                    NOT_MEASURED.mix(0.3).filled(),
                )))?
                .label("before steady state")
                .legend(band_legend(NOT_MEASURED, 0.3));
        }
        let below = |r: &Row| {
            let min = (u64::from(r.values.desired) * min_pct).div_ceil(100);
            measured(r) && u64::from(r.values.healthy) < min
        };
        let bands = [
            ("below minimum healthy", BELOW_MIN, 0.3, spans(&rows, unit, end, below)),
            (
                "outage",
                OUTAGE,
                0.4,
                spans(&rows, unit, end, |r| measured(r) && r.values.healthy == 0 && r.values.desired > 0),
            ),
        ];
        for (label, color, alpha, intervals) in bands {
            if intervals.is_empty() {
                continue;
            }
            let rects = intervals
                .into_iter()
                .map(|(from, to)| Rectangle::new([(from, 0.0), (to, y_max)], color.mix(alpha).filled()));
            chart.draw_series(rects)?.label(label).legend(band_legend(color, alpha));
        }
        let disruption_times: Vec<f64> = disruptions
            .iter()
            .filter(|d| d.services.iter().any(|x| x.service == s))
            .map(|d| d.time.0 as f64 / unit.ms)
            .collect();
        let deployments = &result.services[s].deployments;
        let times = |rollback: bool| -> Vec<f64> {
            deployments
                .iter()
                .filter(|d| d.is_rollback == rollback)
                .flat_map(|d| std::iter::once(d.started).chain(d.finished))
                .map(|t| t.0 as f64 / unit.ms)
                .filter(|t| *t > 0.0)
                .collect()
        };
        let marks: [(&str, RGBColor, Vec<f64>); 3] = [
            ("disruption", DISRUPTION, disruption_times),
            ("deployment start/end", DEPLOYMENT, times(false)),
            ("rollback start/end", ROLLBACK, times(true)),
        ];
        for (label, color, times) in marks {
            if times.is_empty() {
                continue;
            }
            let marks = times.into_iter().map(|t| PathElement::new(vec![(t, 0.0), (t, y_max)], color.stroke_width(2)));
            chart.draw_series(marks)?.label(label).legend(line_legend(color, 2));
        }
        // Widest first, so that lines that coincide stay visible side by side.
        let series: [RowLine; 3] = [
            ("desired", RGBColor(170, 170, 170), 6, |r| r.values.desired),
            ("running", RGBColor(60, 120, 200), 3, |r| r.values.running),
            ("healthy", RGBColor(30, 150, 70), 1, |r| r.values.healthy),
        ];
        for (label, color, width, value) in series {
            line(chart, label, color, width, steps(&rows, unit, end, value))?;
        }
        Ok(())
    })
}

/// AZ coverage and the AZ and instance loss margins of service `s`, as an SVG document.
pub fn redundancy_svg(result: &RunResult, scenario: &Scenario, s: usize) -> Result<String, PlotError> {
    let rows: Vec<&Row> = result.plot_rows[s].iter().collect();
    let top = rows.iter().map(|r| r.values.az_coverage.max(r.values.az_loss_margin)).max().unwrap_or(1);
    let y_max = f64::from(top) * 1.15 + 1.0;
    let caption = format!("{}: redundancy over time", scenario.services[s].name);
    plot(&caption, result.simulated.0, y_max, "AZs / healthy tasks", |chart, unit, end| {
        let series: [RowLine; 3] = [
            ("AZ coverage", RGBColor(60, 120, 200), 5, |r| r.values.az_coverage),
            ("AZ loss margin", RGBColor(30, 150, 70), 3, |r| r.values.az_loss_margin),
            ("instance loss margin", RGBColor(200, 120, 40), 1, |r| r.values.instance_loss_margin),
        ];
        for (label, color, width, value) in series {
            line(chart, label, color, width, steps(&rows, unit, end, value))?;
        }
        Ok(())
    })
}

/// Cluster CPU and memory reserved, as percentages of what the live instances registered.
pub fn usage_svg(result: &RunResult) -> Result<String, PlotError> {
    plot("cluster: CPU and memory reserved", result.simulated.0, 105.0, "% of registered", |chart, unit, end| {
        let lines: [UsageLine; 2] = [
            ("CPU reserved", RGBColor(60, 120, 200), 3, |u| percent(u.cpu_reserved, u.cpu_registered)),
            ("memory reserved", RGBColor(200, 120, 40), 2, |u| percent(u.memory_mib_reserved, u.memory_mib_registered)),
        ];
        for (label, color, width, f) in lines {
            line(chart, label, color, width, step_points(result.usage.iter().map(|(t, u)| (t.0, f(u))), unit, end))?;
        }
        Ok(())
    })
}

/// A capacity provider over time, from its managed-scaling datapoints: the group's registered
/// instances and desired capacity, and the tasks waiting in PROVISIONING.
pub fn capacity_provider_svg(result: &RunResult, p: usize) -> Result<String, PlotError> {
    let cp = &result.capacity_providers[p];
    let peak = cp.rows.iter().map(|(_, r)| r.instances.max(r.desired).max(r.provisioning)).max().unwrap_or(0);
    let caption = format!("capacity provider {}: instances and PROVISIONING tasks", cp.name);
    plot(&caption, result.simulated.0, f64::from(peak.max(1)) * 1.1, "instances / tasks", |chart, unit, end| {
        let lines: [ProviderLine; 3] = [
            ("desired capacity", RGBColor(120, 120, 120), 2, |r| r.desired),
            ("registered instances", RGBColor(60, 120, 200), 3, |r| r.instances),
            ("tasks in PROVISIONING", RGBColor(230, 110, 0), 2, |r| r.provisioning),
        ];
        for (label, color, width, f) in lines {
            let points = step_points(cp.rows.iter().map(|(t, r)| (t.0, f64::from(f(r)))), unit, end);
            line(chart, label, color, width, points)?;
        }
        Ok(())
    })
}

/// A capacity provider's CapacityProviderReservation datapoints against its target capacity.
pub fn reservation_svg(result: &RunResult, p: usize, target_percent: u32) -> Result<String, PlotError> {
    let cp = &result.capacity_providers[p];
    let peak = cp.rows.iter().map(|(_, r)| r.cpr_hundredths / 100).max().unwrap_or(100).max(target_percent);
    let caption = format!("capacity provider {}: CapacityProviderReservation", cp.name);
    plot(&caption, result.simulated.0, f64::from(peak) * 1.1, "% of instances needed", |chart, unit, end| {
        let points = step_points(cp.rows.iter().map(|(t, r)| (t.0, f64::from(r.cpr_hundredths) / 100.0)), unit, end);
        line(chart, "CapacityProviderReservation", RGBColor(60, 120, 200), 3, points)?;
        let target = f64::from(target_percent);
        line(chart, "targetCapacity", RGBColor(170, 30, 30), 1, vec![(0.0, target), (end, target)])
    })
}

/// Requests on target group `g`, minute by minute: offered and served (requests per second,
/// the minute's average), and on a second axis the desired count of the services behind it.
pub fn requests_svg(
    result: &RunResult,
    scenario: &Scenario,
    g: usize,
    minutes: &[crate::observer::requests::Minute],
) -> Result<String, PlotError> {
    let unit = time_unit(result.simulated.0);
    let end = result.simulated.0 as f64 / unit.ms;
    let seconds = |m: usize| super::minute_seconds(result, m);
    // Each minute's average rate, drawn as a step over the minute.
    let rate = |value: fn(&crate::elb::routing::Outcome) -> f64| {
        let samples =
            minutes.iter().enumerate().map(|(m, minute)| (m as u64 * 60_000, value(&minute.outcome) / seconds(m)));
        step_points(samples, unit, end)
    };
    let offered = rate(|o| o.offered());
    let served = rate(|o| o.served);
    let y_max = offered.iter().map(|p| p.1).fold(1.0, f64::max) * 1.15;
    let services: Vec<usize> = scenario.services_behind(g).iter().map(|s| s.index()).collect();
    let desired: Vec<Vec<(f64, f64)>> = services
        .iter()
        .map(|s| {
            let rows: Vec<&Row> = result.plot_rows[*s].iter().collect();
            steps(&rows, unit, end, |r| r.values.desired)
        })
        .collect();
    let d_max = desired.iter().flatten().map(|p| p.1).fold(1.0, f64::max) * 1.15 + 1.0;
    let name = &result.target_groups[g].name;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("target group {name}: requests per second, minute by minute"), ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .right_y_label_area_size(50)
            .build_cartesian_2d(0f64..end, 0f64..y_max)?
            .set_secondary_coord(0f64..end, 0f64..d_max);
        mesh(&mut chart, unit, "requests per second")?;
        chart
            .configure_secondary_axes()
            .y_desc("desired tasks")
            .y_label_formatter(&axis_number)
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 15))
            .draw()?;
        let (blue, green, purple) = (RGBColor(60, 120, 200), RGBColor(40, 160, 80), RGBColor(120, 60, 200));
        chart
            .draw_series(LineSeries::new(offered, blue.stroke_width(2)))?
            .label("offered")
            .legend(line_legend(blue, 2));
        chart
            .draw_series(LineSeries::new(served, green.stroke_width(2)))?
            .label("served")
            .legend(line_legend(green, 2));
        for (s, points) in services.iter().zip(desired) {
            let label = format!("desired tasks of {} (right axis)", scenario.services[*s].name);
            chart
                .draw_secondary_series(LineSeries::new(points, purple.stroke_width(1)))?
                .label(label)
                .legend(line_legend(purple, 1));
        }
        legend(&mut chart)?;
        root.present()?;
    }
    Ok(svg)
}

#[cfg(test)]
mod thin_tests {
    use super::*;

    /// Thinning keeps every column's extremes (a one-sample spike survives) and the ends.
    #[test]
    fn thinning_keeps_what_the_columns_show() {
        let n = 20_000;
        let mut points: Vec<(f64, f64)> = (0..n).map(|i| (i as f64, (i % 7) as f64)).collect();
        points[12_345].1 = 100.0;
        let end = n as f64;
        let thinned = thin(points.clone(), end);
        assert!(thinned.len() <= 4 * WIDTH as usize + 4 && thinned.len() < points.len() / 4, "{}", thinned.len());
        assert!(thinned.contains(&(12_345.0, 100.0)));
        assert_eq!((thinned[0], thinned[thinned.len() - 1]), (points[0], points[n - 1]));
        assert!(thinned.windows(2).all(|w| w[0].0 <= w[1].0), "in time order");
        let short: Vec<(f64, f64)> = points[..100].to_vec();
        assert_eq!(thin(short.clone(), end), short, "nothing to thin");
    }
}
