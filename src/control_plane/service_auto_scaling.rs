//! Service Auto Scaling as the simulation runs it: each minute the metered data planes report,
//! CloudWatch closes the minute, the step-scaling alarms are evaluated, and every scalable
//! target's policies decide; scheduled actions fire at their times. A change of desired count
//! goes through UpdateService like a user's, and is logged as a scaling activity.

use std::collections::VecDeque;

use crate::autoscaling::alarm::{self, AlarmState};
use crate::autoscaling::cloudwatch::CloudWatch;
use crate::autoscaling::policy::{self, Ask, Decision, TargetScaling};
use crate::autoscaling::{Activity, AutoScaling, Metric, PolicyKind};
use crate::control_plane::Notice;
use crate::control_plane::{Ctx, Event, State};
use crate::ecs::deployment::RolloutState;
use crate::engine::{SimDuration, SimTime};
use crate::ids::ServiceId;

const MINUTE: SimDuration = SimDuration::from_mins(1);

/// Service Auto Scaling's state in a run.
#[derive(Clone, Debug, Default)]
pub struct AutoScalingState {
    pub spec: AutoScaling,
    /// Per scalable target: its bounds and cooldowns.
    pub targets: Vec<TargetScaling>,
    /// Per alarm: its state and its datapoints (newest last).
    alarm_states: Vec<AlarmState>,
    alarm_points: Vec<VecDeque<Option<f64>>>,
    /// Minutes closed so far.
    minutes: u64,
    /// Per scheduled action, when it last fired.
    fired: Vec<Option<SimTime>>,
    /// Per scalable target its policies, and per policy the alarms that invoke it (indices).
    policies_of: Vec<Vec<usize>>,
    alarms_of: Vec<Vec<usize>>,
    /// Where CloudWatch keeps each policy's metric (target tracking; 0 for step policies) and
    /// each alarm's.
    policy_metric: Vec<usize>,
    alarm_metric: Vec<usize>,
    /// Scratch for a minute's decisions (reused: this runs every minute per scaled service).
    asks: Vec<(usize, Option<usize>, Ask)>,
    points: Vec<(Option<f64>, f64)>,
    plain: Vec<Ask>,
}

impl AutoScalingState {
    /// `cloudwatch` keeps every metric the spec reads (see [`crate::sim::setup`], which builds both).
    pub fn new(spec: &AutoScaling, cloudwatch: &CloudWatch) -> AutoScalingState {
        let at = |m: Metric| cloudwatch.position(m).unwrap_or(0);
        AutoScalingState {
            policy_metric: (spec.policies.iter())
                .map(|p| match &p.kind {
                    PolicyKind::TargetTracking(t) => at(t.metric),
                    PolicyKind::Step(_) => 0,
                })
                .collect(),
            alarm_metric: spec.alarms.iter().map(|a| at(a.metric)).collect(),
            targets: spec.targets.iter().map(|t| TargetScaling::new(t.min_capacity, t.max_capacity)).collect(),
            alarm_states: vec![AlarmState::default(); spec.alarms.len()],
            alarm_points: vec![VecDeque::new(); spec.alarms.len()],
            minutes: 0,
            fired: vec![None; spec.scheduled.len()],
            policies_of: (spec.targets.iter())
                .map(|t| (0..spec.policies.len()).filter(|&p| spec.policies[p].service == t.service).collect())
                .collect(),
            alarms_of: (0..spec.policies.len())
                .map(|p| (0..spec.alarms.len()).filter(|&a| spec.alarms[a].actions.contains(&p)).collect())
                .collect(),
            asks: Vec::new(),
            points: Vec::new(),
            plain: Vec::new(),
            spec: spec.clone(),
        }
    }
}

impl State {
    /// At the start: the first minute tick (when any policy reads metrics) and each scheduled
    /// action's first time.
    pub fn start_auto_scaling(&mut self, ctx: &mut Ctx<'_>) {
        if self.auto_scaling.spec.reads_metrics() {
            ctx.at(SimTime::ZERO.after(MINUTE), Event::MetricMinute);
        }
        for i in 0..self.auto_scaling.spec.scheduled.len() {
            self.schedule_action(ctx, i);
        }
    }

    fn schedule_action(&mut self, ctx: &mut Ctx<'_>, i: usize) {
        let a = &self.auto_scaling.spec.scheduled[i];
        let after = self.auto_scaling.fired[i];
        let next = a.schedule.next_after(after, a.start.unwrap_or(SimTime::ZERO), a.end, self.cluster.start_epoch_ms);
        if let Some(t) = next.filter(|t| *t <= self.end) {
            ctx.at(t, Event::ScheduledAction(i as u16));
        }
    }

    /// A scheduled action fires: the target's Min/Max change, the desired count moves into
    /// them, whatever the cooldowns (§4.4).
    pub fn scheduled_action(&mut self, ctx: &mut Ctx<'_>, i: usize) {
        self.auto_scaling.fired[i] = Some(ctx.now);
        let a = self.auto_scaling.spec.scheduled[i].clone();
        self.schedule_action(ctx, i);
        let Some(t) = self.auto_scaling.spec.targets.iter().position(|t| t.service == a.service) else { return };
        if self.auto_scaling.spec.targets[t].scheduled_scaling_suspended {
            return;
        }
        let desired = self.services[a.service.index()].desired_count;
        if let Some(new) = self.auto_scaling.targets[t].schedule(a.min_capacity, a.max_capacity, desired) {
            let cause = format!("scheduled action name {} was triggered", a.name);
            self.scale_service(ctx, a.service, new, Activity::Scheduled, &cause);
        }
    }

    /// A minute ends: CloudWatch's datapoints, the alarms, then every scalable target's policies.
    pub fn metric_minute(&mut self, ctx: &mut Ctx<'_>) {
        let metered: Vec<usize> = self.cloudwatch.metered_groups().collect();
        for g in metered {
            self.advance_data_plane(ctx, g);
        }
        self.cloudwatch.close_minute(60.0);
        self.auto_scaling.minutes += 1;
        self.evaluate_alarms();
        for t in 0..self.auto_scaling.spec.targets.len() {
            self.decide_target(ctx, t);
        }
        let next = ctx.now.after(MINUTE);
        if next <= self.end {
            ctx.at(next, Event::MetricMinute);
        }
    }

    /// Alarms whose period ends with this minute take a datapoint and are evaluated.
    fn evaluate_alarms(&mut self) {
        let minutes = self.auto_scaling.minutes;
        for (i, al) in self.auto_scaling.spec.alarms.iter().enumerate() {
            let period = u64::from(al.period_minutes);
            if !minutes.is_multiple_of(period) {
                continue;
            }
            let values =
                self.cloudwatch.last(self.auto_scaling.alarm_metric[i], period as usize).filter_map(|(v, _)| v);
            let point = alarm::aggregate(values, al.statistic);
            let previous = self.auto_scaling.alarm_states[i];
            let points = &mut self.auto_scaling.alarm_points[i];
            if points.len() == al.evaluation_periods as usize {
                points.pop_front();
            }
            points.push_back(point);
            let state = alarm::evaluate(
                points.make_contiguous(),
                al.evaluation_periods as usize,
                al.datapoints_to_alarm as usize,
                al.comparison,
                al.threshold,
                al.missing,
                previous,
            );
            self.auto_scaling.alarm_states[i] = state;
        }
    }

    /// One scalable target's policies decide. The cause of an activity is worded only when one
    /// happens: this runs every minute for every scaled service.
    fn decide_target(&mut self, ctx: &mut Ctx<'_>, t: usize) {
        let mut asks = std::mem::take(&mut self.auto_scaling.asks);
        let mut points = std::mem::take(&mut self.auto_scaling.points);
        asks.clear();
        let spec = &self.auto_scaling.spec;
        let target = &spec.targets[t];
        let service = target.service;
        let svc = &self.services[service.index()];
        let desired = svc.desired_count;
        let deploying = svc.primary().rollout_state == RolloutState::InProgress;
        let now = ctx.now;
        let base = self.auto_scaling.targets[t].scale_out_base(now);
        let settings = &self.settings.target_tracking;
        let mut tt_in_votes = true;
        for &pi in &self.auto_scaling.policies_of[t] {
            match &spec.policies[pi].kind {
                PolicyKind::TargetTracking(tt) => {
                    let n = settings.high_datapoints.max(settings.low_datapoints) as usize;
                    points.clear();
                    points.extend(self.cloudwatch.last(self.auto_scaling.policy_metric[pi], n));
                    let ask = policy::target_tracking_ask(tt, settings, &points, desired, base);
                    if !tt.disable_scale_in && !matches!(ask, Ask::In { .. }) {
                        tt_in_votes = false;
                    }
                    asks.push((pi, None, ask));
                }
                PolicyKind::Step(step) => {
                    for &ai in &self.auto_scaling.alarms_of[pi] {
                        let al = &spec.alarms[ai];
                        if self.auto_scaling.alarm_states[ai] != AlarmState::Alarm {
                            continue;
                        }
                        // The aggregation over the alarm's latest datapoints picks the step.
                        let recent = self.auto_scaling.alarm_points[ai].iter().flatten().copied();
                        let Some(value) = alarm::aggregate(recent, step.aggregation) else { continue };
                        let out = policy::step_capacity(step, al.threshold, value, base.unwrap_or(desired));
                        let inward = policy::step_capacity(step, al.threshold, value, desired);
                        let ask = match (out, inward) {
                            (Some(c), _) if c > desired => Ask::Out { capacity: c, cooldown: step.cooldown },
                            (_, Some(c)) if c < desired => Ask::In { capacity: c, cooldown: step.cooldown },
                            _ => Ask::Hold,
                        };
                        asks.push((pi, Some(ai), ask));
                    }
                }
            }
        }
        let mut plain = std::mem::take(&mut self.auto_scaling.plain);
        plain.clear();
        plain.extend(asks.iter().map(|(.., a)| *a));
        let suspended = (target.dynamic_scaling_in_suspended, target.dynamic_scaling_out_suspended);
        let decision = if asks.is_empty() {
            Decision::None
        } else {
            self.auto_scaling.targets[t].decide(now, desired, &plain, tt_in_votes, deploying, suspended)
        };
        let change = match decision {
            Decision::Out(c) => Some((c, Activity::ScaleOut)),
            Decision::In(c) => Some((c, Activity::ScaleIn)),
            Decision::None => None,
        };
        if let Some((new, activity)) = change {
            // The cause: the policy whose ask won (the largest of the decided direction).
            let bounds = &self.auto_scaling.targets[t];
            let clamp = |c: u32| c.clamp(bounds.min_capacity, bounds.max_capacity.max(bounds.min_capacity));
            let won = asks.iter().find(|(.., a)| match (a, activity) {
                (Ask::Out { capacity, .. }, Activity::ScaleOut) | (Ask::In { capacity, .. }, Activity::ScaleIn) => {
                    clamp(*capacity) == new
                }
                _ => false,
            });
            let cause = match won {
                Some(&(pi, Some(ai), _)) => format!(
                    "monitor alarm {} in state ALARM triggered policy {}",
                    spec.alarms[ai].name, spec.policies[pi].name
                ),
                Some(&(pi, None, _)) => {
                    let side = if activity == Activity::ScaleIn { "AlarmLow" } else { "AlarmHigh" };
                    format!(
                        "monitor alarm TargetTracking-{}-{side} in state ALARM triggered policy {}",
                        svc.spec.name, spec.policies[pi].name
                    )
                }
                None => String::new(),
            };
            self.scale_service(ctx, service, new, activity, &cause);
        }
        self.auto_scaling.asks = asks;
        self.auto_scaling.points = points;
        self.auto_scaling.plain = plain;
    }

    /// Application Auto Scaling sets a service's desired count (UpdateService).
    fn scale_service(&mut self, ctx: &mut Ctx<'_>, sid: ServiceId, desired: u32, activity: Activity, cause: &str) {
        let name = self.services[sid.index()].spec.name.clone();
        let from = self.services[sid.index()].desired_count;
        let message = format!("Setting desired count to {desired} (from {from}). Cause: {cause}.");
        ctx.notice(Notice::log("SCALING_ACTIVITY").service(&name).message(message));
        ctx.notice(Notice::ScalingActivity { service: sid, activity });
        self.update_desired_count(ctx, sid, desired);
    }
}
