//! Charts, drawn by ECharts. ECharts is served by Seltzer itself (`/echarts.min.js`: the parts
//! these charts use, bundled from npm's package by `scripts/build-echarts.sh`) and only loaded
//! when a page first draws a chart, so pages without charts never download it. A chart option
//! that needs another part of ECharts (a chart type, a component) needs it added to
//! `frontend/js/echarts.js`.
//!
//! The chart options are ECharts' own JSON, built here with `serde_json`: a typed options crate
//! (charming) adds its serializers to the first load, which must stay within 300 KB.
//!
//! - `EChart`: a chart container; draws once ECharts is loaded, redraws on resize, reports
//!   clicks on points;
//! - `trend`: a check's values over time, each point coloured by its outcome, with the fail and
//!   warn zones in force drawn as bands;
//! - `health`: pass/warn/fail counts per scan, stacked.

use std::cell::RefCell;

use leptos::prelude::*;
use serde_json::{Value, json};
use shared::api::{CheckOutcome, HealthPoint, HistoryPoint, ValueUnit};
use shared::sodacl::Zone;
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use crate::components::format_measure;
use crate::prefs::{format_time, is_dark, use_prefs};

/// Outcome colours, the same in both themes (they sit on the chart's own background).
pub const FAIL: &str = "#dc2626";
pub const WARN: &str = "#d97706";
pub const PASS: &str = "#16a34a";
pub const NOT_EVALUATED: &str = "#94a3b8";

pub fn outcome_colour(outcome: Option<CheckOutcome>) -> &'static str {
    match outcome {
        Some(CheckOutcome::Fail) => FAIL,
        Some(CheckOutcome::Warn) => WARN,
        Some(CheckOutcome::Pass) => PASS,
        None => NOT_EVALUATED,
    }
}

#[wasm_bindgen]
extern "C" {
    /// An ECharts instance.
    type Instance;
    #[wasm_bindgen(js_namespace = echarts, js_name = init)]
    fn init(element: &web_sys::Element, theme: Option<&str>) -> Instance;
    #[wasm_bindgen(method, js_name = setOption)]
    fn set_option(this: &Instance, option: &JsValue);
    #[wasm_bindgen(method)]
    fn on(this: &Instance, event: &str, handler: &js_sys::Function);
    #[wasm_bindgen(method)]
    fn resize(this: &Instance);
}

thread_local! {
    /// The one load of `/echarts.min.js`, shared by every chart that waits for it.
    static LOADING: RefCell<Option<js_sys::Promise>> = const { RefCell::new(None) };
}

/// Resolves once ECharts is on the page, adding its script the first time.
pub async fn load_echarts() -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    if js_sys::Reflect::has(&window, &JsValue::from_str("echarts")).unwrap_or(false) {
        return Ok(());
    }
    let promise = LOADING.with(|cell| {
        cell.borrow_mut()
            .get_or_insert_with(|| {
                js_sys::Promise::new(&mut |resolve, reject| {
                    let added = window.document().and_then(|document| {
                        let script = document
                            .create_element("script")
                            .ok()?
                            .dyn_into::<web_sys::HtmlScriptElement>()
                            .ok()?;
                        script.set_src("/echarts.min.js");
                        script.set_onload(Some(&resolve));
                        script.set_onerror(Some(&reject));
                        document.head()?.append_child(&script).ok()
                    });
                    if added.is_none() {
                        let _ = reject.call0(&JsValue::NULL);
                    }
                })
            })
            .clone()
    });
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(|_| "the chart library (/echarts.min.js) did not load".to_owned())
}

/// A chart: `option` is drawn into the container once ECharts is loaded. `on_click` receives the
/// series and data index of a clicked point.
#[component]
pub fn EChart(
    id: &'static str,
    /// The ECharts option, as JSON text (`trend(..).to_string()`).
    option: String,
    height: u32,
    #[prop(into)] label: String,
    #[prop(optional)] on_click: Option<Callback<(usize, usize)>>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let state = RwSignal::new("loading");
    let dark = is_dark(use_prefs().theme.get_untracked());
    // This component's own element (never looked up by id: while a page re-renders, an old and
    // a new chart with the same id can both exist for a moment).
    let node = NodeRef::<leptos::html::Div>::new();
    let drawn = StoredValue::new(false);
    Effect::new(move || {
        let Some(div) = node.get() else {
            return;
        };
        if drawn.get_value() {
            return;
        }
        drawn.set_value(true);
        let option = option.clone();
        leptos::task::spawn_local(async move {
            if let Err(e) = load_echarts().await {
                error.set(Some(e));
                state.set("error");
                return;
            }
            let element: &web_sys::Element = &div;
            let (true, Ok(option)) = (element.is_connected(), js_sys::JSON::parse(&option)) else {
                error.set(Some("the chart could not be drawn".to_owned()));
                state.set("error");
                return;
            };
            let instance = init(element, dark.then_some("dark"));
            instance.set_option(&option);
            if let Some(on_click) = on_click {
                let handler = Closure::<dyn Fn(JsValue)>::new(move |event: JsValue| {
                    let index = |key: &str| {
                        js_sys::Reflect::get(&event, &JsValue::from_str(key))
                            .ok()
                            .and_then(|v| v.as_f64())
                            .map(|v| v as usize)
                    };
                    if let (Some(series), Some(data)) = (index("seriesIndex"), index("dataIndex")) {
                        // A chart outliving its page must not call into a disposed one.
                        let _ = on_click.try_run((series, data));
                    }
                });
                instance.on("click", handler.as_ref().unchecked_ref());
                handler.forget();
            }
            // Follow the container's width (phone rotation, window resize).
            let resize = Closure::<dyn Fn()>::new(move || instance.resize());
            if let Some(w) = web_sys::window() {
                let _ =
                    w.add_event_listener_with_callback("resize", resize.as_ref().unchecked_ref());
            }
            resize.forget();
            state.set("ready");
        });
    });
    view! {
        <div class="chart-wrap">
            <div id=id node_ref=node class="chart" role="img" aria-label=label data-state=move || state.get()
                style=format!("height: {height}px")></div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </div>
    }
}

/// A y range [low, high] cut from a zone: the bands it covers within the axis.
fn bands(zone: &Zone, low: f64, high: f64) -> Vec<(f64, f64)> {
    let above = zone.gt.or(zone.gte);
    let below = zone.lt.or(zone.lte);
    let mut out = Vec::new();
    if zone.split {
        if let Some(a) = above {
            out.push((a, high));
        }
        if let Some(b) = below {
            out.push((low, b));
        }
    } else {
        let (from, to) = (above.unwrap_or(low), below.unwrap_or(high));
        if from < to {
            out.push((from, to));
        } else if from == to {
            // `= x`: a hairline band, so the zone is still visible.
            let pad = (high - low) * 0.004;
            out.push((from - pad, to + pad));
        }
    }
    out.into_iter()
        .map(|(a, b)| (a.max(low), b.min(high)))
        .filter(|(a, b)| a <= b)
        .collect()
}

fn zone_bounds(zone: &Zone) -> impl Iterator<Item = f64> {
    [zone.gt, zone.gte, zone.lt, zone.lte]
        .into_iter()
        .flatten()
        .filter(|v| v.is_finite())
}

/// The y axis: every value and every zone bound, with some room.
fn y_range(points: &[HistoryPoint]) -> (f64, f64) {
    let values = points.iter().filter_map(|p| p.value);
    let bounds = points
        .iter()
        .flat_map(|p| p.fail.iter().chain(p.warn.iter()))
        .flat_map(zone_bounds);
    let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.chain(bounds).filter(|v| v.is_finite()) {
        low = low.min(v);
        high = high.max(v);
    }
    if !low.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if high > low {
        (high - low) * 0.1
    } else {
        low.abs().max(1.0) * 0.1
    };
    nice(low - pad, high + pad)
}

/// Widens [low, high] to round numbers (steps of 1, 2 or 5 × a power of ten), so the axis ends
/// on labels a person reads at a glance.
fn nice(low: f64, high: f64) -> (f64, f64) {
    let span = high - low;
    if span <= 0.0 || !span.is_finite() {
        return (low, high);
    }
    let magnitude = 10f64.powf(span.log10().floor());
    let step = [0.1, 0.2, 0.5, 1.0]
        .into_iter()
        .map(|f| f * magnitude)
        .find(|s| span / s <= 10.0)
        .unwrap_or(magnitude);
    // Round away the float noise of the multiplication (0.9200000000000002 → 0.92).
    let scale = 10f64.powf((-step.log10().floor()).max(0.0));
    let clean = |v: f64| (v * scale).round() / scale;
    (
        clean((low / step).floor() * step),
        clean((high / step).ceil() * step),
    )
}

/// Bands for one kind of zone: one per run of points that had the same zone, from the run's
/// first point to the next run's (so a changed threshold shows where it changed).
fn zone_areas(
    points: &[HistoryPoint],
    zone_of: fn(&HistoryPoint) -> Option<Zone>,
    low: f64,
    high: f64,
) -> Vec<Value> {
    let mut areas = Vec::new();
    let mut start = 0;
    while start < points.len() {
        let zone = zone_of(&points[start]);
        let mut end = start + 1;
        while end < points.len() && zone_of(&points[end]) == zone {
            end += 1;
        }
        let to = &points[end.min(points.len() - 1)].data_timestamp;
        if let Some(zone) = zone {
            for (a, b) in bands(&zone, low, high) {
                areas.push(json!([
                    { "xAxis": points[start].data_timestamp, "yAxis": a },
                    { "xAxis": to, "yAxis": b },
                ]));
            }
        }
        start = end;
    }
    areas
}

/// How many fail and warn bands `trend` draws (for the page's test hooks).
pub fn band_count(points: &[HistoryPoint]) -> usize {
    // The bands are the same whatever the axis's unit.
    let (low, high) = y_range(points);
    zone_areas(points, |p| p.fail, low, high).len()
        + zone_areas(points, |p| p.warn, low, high).len()
}

/// The y axis's unit for values stored in `unit`: what to divide them by, and the labels'
/// suffix. Durations read in the largest unit their range reaches twice (days, hours, minutes,
/// else seconds).
fn axis_unit(points: &[HistoryPoint], unit: ValueUnit) -> (f64, &'static str) {
    match unit {
        ValueUnit::Number => (1.0, ""),
        ValueUnit::Percent => (1.0, " %"),
        ValueUnit::Milliseconds => {
            let largest = points
                .iter()
                .filter_map(|p| p.value)
                .chain(
                    points
                        .iter()
                        .flat_map(|p| p.fail.iter().chain(p.warn.iter()))
                        .flat_map(zone_bounds),
                )
                .map(f64::abs)
                .fold(0.0, f64::max);
            [
                (86_400_000.0, " d"),
                (3_600_000.0, " h"),
                (60_000.0, " min"),
            ]
            .into_iter()
            .find(|(ms, _)| largest >= 2.0 * ms)
            .unwrap_or((1000.0, " s"))
        }
    }
}

/// The point with its value and zones divided by `by`.
fn scaled(p: &HistoryPoint, by: f64) -> HistoryPoint {
    let zone = |z: Option<Zone>| {
        z.map(|z| Zone {
            gt: z.gt.map(|v| v / by),
            gte: z.gte.map(|v| v / by),
            lt: z.lt.map(|v| v / by),
            lte: z.lte.map(|v| v / by),
            split: z.split,
        })
    };
    HistoryPoint {
        value: p.value.map(|v| v / by),
        fail: zone(p.fail),
        warn: zone(p.warn),
        ..p.clone()
    }
}

/// A check's trend: the values as a line, each point in its outcome's colour (and named with
/// its outcome, value in its unit and time for the tooltip); series 1 and 2 carry the fail and
/// warn bands. The axis reads in the value's unit (a freshness in hours or days, a percentage
/// with `%`).
pub fn trend(points: &[HistoryPoint], utc: bool, unit: ValueUnit) -> Value {
    let (divisor, suffix) = axis_unit(points, unit);
    let shown: Vec<HistoryPoint> = points.iter().map(|p| scaled(p, divisor)).collect();
    let (low, high) = y_range(&shown);
    let data: Vec<Value> = points
        .iter()
        .zip(&shown)
        .map(|(p, on_axis)| {
            let outcome = p.outcome.map_or("not evaluated", CheckOutcome::as_str);
            let value = p
                .value
                .map_or_else(|| "no value".to_owned(), |v| format_measure(v, unit));
            json!({
                "value": [p.data_timestamp, on_axis.value],
                "name": format!("{outcome} · {value} · {}", format_time(&p.data_timestamp, utc)),
                "itemStyle": { "color": outcome_colour(p.outcome) },
            })
        })
        .collect();
    let points = &shown;
    let band = |name: &str, colour: &str, areas: Vec<Value>| {
        json!({
            "type": "line", "name": name, "data": [], "color": colour,
            "markArea": { "silent": true, "itemStyle": { "color": colour, "opacity": 0.13 }, "data": areas },
        })
    };
    json!({
        "backgroundColor": "transparent",
        // Animating many points only delays the chart.
        "animation": points.len() <= 300,
        "animationDuration": 300,
        "grid": { "left": 56, "right": 16, "top": 40, "bottom": 32 },
        "legend": { "top": 4, "data": ["value", "fail zone", "warn zone"] },
        // The name carries the value in its unit: the tooltip shows only that.
        "tooltip": { "trigger": "item", "formatter": "{b}" },
        "xAxis": { "type": "time" },
        "yAxis": {
            "type": "value", "min": low, "max": high, "scale": true,
            "axisLabel": { "formatter": format!("{{value}}{suffix}") },
        },
        "series": [
            {
                "type": "line", "name": "value", "symbolSize": 7, "color": NOT_EVALUATED,
                "lineStyle": { "color": NOT_EVALUATED, "width": 1.5 },
                "data": data,
            },
            band("fail zone", FAIL, zone_areas(points, |p| p.fail, low, high)),
            band("warn zone", WARN, zone_areas(points, |p| p.warn, low, high)),
        ],
    })
}

/// A dataset's health: pass, warn and fail counts per scan, stacked, by data timestamp.
pub fn health(points: &[HealthPoint], utc: bool) -> Value {
    let labels: Vec<String> = points
        .iter()
        .map(|p| format_time(&p.data_timestamp, utc))
        .collect();
    let series = |name: &str, colour: &str, value: fn(&HealthPoint) -> i64| {
        json!({
            "type": "bar", "name": name, "stack": "outcomes", "color": colour, "barMaxWidth": 48,
            "data": points.iter().map(value).collect::<Vec<_>>(),
        })
    };
    json!({
        "backgroundColor": "transparent",
        "animationDuration": 300,
        "grid": { "left": 40, "right": 16, "top": 40, "bottom": 56 },
        "legend": { "top": 4, "data": ["fail", "warn", "pass"] },
        "tooltip": { "trigger": "axis" },
        "xAxis": { "type": "category", "data": labels },
        "yAxis": { "type": "value", "minInterval": 1 },
        "series": [
            series("fail", FAIL, |p| p.counts.fail),
            series("warn", WARN, |p| p.counts.warn),
            series("pass", PASS, |p| p.counts.pass),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_ends_are_round_numbers() {
        assert_eq!(nice(-12.7, 55.7), (-20.0, 60.0));
        assert_eq!(nice(0.93, 1.07), (0.92, 1.08));
        assert_eq!(nice(5.0, 5.0), (5.0, 5.0));
    }

    #[test]
    fn durations_are_drawn_in_the_largest_unit_they_reach() {
        let point = |ms: f64| HistoryPoint {
            result_id: 1,
            scan_id: 1,
            data_timestamp: "2026-11-01T00:00:00Z".to_owned(),
            value: Some(ms),
            outcome: Some(CheckOutcome::Pass),
            fail: Some(Zone {
                gt: Some(86_400_000.0),
                ..Zone::default()
            }),
            warn: None,
        };
        let week = [point(3_600_000.0), point(7.0 * 86_400_000.0)];
        assert_eq!(
            axis_unit(&week, ValueUnit::Milliseconds),
            (86_400_000.0, " d")
        );
        let minutes = [HistoryPoint {
            fail: None,
            ..point(300_000.0)
        }];
        assert_eq!(
            axis_unit(&minutes, ValueUnit::Milliseconds),
            (60_000.0, " min")
        );
        let option = trend(&week, true, ValueUnit::Milliseconds);
        assert_eq!(option["series"][0]["data"][1]["value"][1], 7.0);
        assert_eq!(option["yAxis"]["axisLabel"]["formatter"], "{value} d");
        let name = option["series"][0]["data"][1]["name"].as_str().unwrap();
        assert!(name.starts_with("pass · 7d"), "{name}");
        let band = &option["series"][1]["markArea"]["data"][0];
        assert_eq!(
            band[0]["yAxis"], 1.0,
            "the fail zone (older than a day) in days"
        );
        assert_eq!(axis_unit(&week, ValueUnit::Percent), (1.0, " %"));
    }

    #[test]
    fn zones_become_bands_within_the_axis() {
        let above = Zone {
            gte: Some(50.0),
            ..Zone::default()
        };
        assert_eq!(bands(&above, 0.0, 60.0), vec![(50.0, 60.0)]);
        let outside = Zone {
            lt: Some(1.0),
            gt: Some(3.0),
            split: true,
            ..Zone::default()
        };
        assert_eq!(bands(&outside, 0.0, 5.0), vec![(3.0, 5.0), (0.0, 1.0)]);
        let beyond = Zone {
            gt: Some(100.0),
            ..Zone::default()
        };
        assert!(
            bands(&beyond, 0.0, 60.0).is_empty(),
            "off the axis: no band"
        );
    }
}
