//! `/checks/{id}`: one check — its trend chart (points coloured by outcome, the warn and fail
//! zones as bands, 7/30/90 days or all), its results, where it is defined, its identities, and
//! one result opened below (clicking a point or a row opens it): Soda Core's diagnostics and the
//! failed-row samples. The range, the open result and the tab live in the URL.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use leptos_router::params::ParamsMap;
use serde_json::Value;
use shared::api::{
    CheckDetail, CheckFacts, CheckHistory, CheckListItem, CheckResultDetail, HistoryPoint, Samples,
    ValueUnit,
};
use shared::api::{CheckOutcome, IncidentSeverity, NewIncident, Role};
use shared::sodacl::Zone;
use shared::sodacl::threshold::SodaBounds;

use crate::api;
use crate::chart::{EChart, band_count, trend};
use crate::components::{
    SinceSummary, diagnostic_sentences, format_measure, incident_badge, loaded, outcome_badge,
    rule_summary, zone_words,
};
use crate::prefs::{Time, use_prefs};
use crate::url::with_changes;

const KEYS: &[&str] = &["range", "result", "tab"];

/// The chart never asks for more points than this: longer ranges are downsampled by the
/// server (the worst result of each time bucket), so a chart of years stays responsive.
const MAX_POINTS: u32 = 1000;

fn range_days(range: &str) -> Option<u32> {
    match range {
        "7" => Some(7),
        "30" => Some(30),
        "all" => None,
        _ => Some(90),
    }
}

#[component]
pub fn CheckPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.get().get("id").unwrap_or_default();
    let check = LocalResource::new(move || {
        let id = id();
        async move { api::check(&id).await }
    });
    view! {
        {loaded("check", Some("Check"), check, |detail| view! { <CheckView detail=detail /> }.into_any())}
    }
}

#[component]
fn CheckView(detail: CheckDetail) -> impl IntoView {
    let query = use_query_map();
    let c = detail.check.clone();
    let unit = c.unit;
    let id = c.id.to_string();
    // A memo, so that opening a result (another query parameter) does not refetch the history.
    let range = Memo::new(move |_| query.get().get("range").unwrap_or_else(|| "90".to_owned()));
    let history_id = id.clone();
    let history = LocalResource::new(move || {
        let id = history_id.clone();
        let days = range_days(&range.get());
        async move { api::history(&id, days, MAX_POINTS).await }
    });
    let path = format!("/checks/{id}");
    let range_link = {
        move |value: &'static str, label: &'static str| {
            let path = path.clone();
            view! {
                <a class="range" href=move || with_changes(&path, &query.get(), KEYS, &[("range", Some(value.to_owned())), ("result", None)])
                    aria-current=move || (range.get() == value).then_some("true")>{label}</a>
            }
        }
    };
    let location = match (&detail.file_path, detail.line) {
        (Some(file), Some(line)) => format!("{file}, line {line}"),
        (Some(file), None) => file.clone(),
        (None, Some(line)) => format!("line {line}"),
        (None, None) => "not sent by Soda Core".to_owned(),
    };
    let identities = detail
        .identities
        .iter()
        .map(|i| view! { <li><span class="muted">{i.version.clone()}</span>" "<code>{i.identity.clone()}</code></li> })
        .collect_view();
    let dataset = match (c.dataset_id, c.dataset.clone()) {
        (Some(id), Some(name)) => view! { <a href=format!("/datasets/{id}")>{name}</a> }.into_any(),
        (_, name) => {
            view! { <span>{name.unwrap_or_else(|| "(data source level)".to_owned())}</span> }
                .into_any()
        }
    };
    let latest = detail.latest_result_id;
    let open_incident = c.open_incidents.first().copied();
    view! {
        <p class="breadcrumb"><a href="/">"Checks"</a>" / "</p>
        <h1 id="check-name">{c.name.clone()}</h1>
        {incident_badge(&c.open_incidents)}
        <p class="actions"><a href=format!("/editor?check={}", c.id)>"Try other thresholds in the editor →"</a></p>
        <p class="check-status" id="check-status">
            {outcome_badge(c.outcome)}
            {c.value.map(|v| view! { <span class="latest-value">{format!(" · value {}", format_measure(v, c.unit))}</span> })}
            " · " <Time ts=c.data_timestamp.clone() />
        </p>
        <SinceSummary item=c.clone() />
        <dl class="facts">
            <dt>"Dataset"</dt><dd>{dataset}</dd>
            <dt>"Data source"</dt><dd>{c.data_source.clone()}</dd>
            {c.column.clone().map(|col| view! { <dt>"Column"</dt><dd>{col}</dd> })}
            <dt>"Definition"</dt><dd><pre class="definition"><code id="check-definition">{detail.definition.clone()}</code></pre></dd>
            <dt>"Defined in"</dt><dd id="check-location">{location}</dd>
            <dt>"Check type"</dt><dd>{detail.check_type}</dd>
            <dt>"Scan definition"</dt><dd>{c.scan_definition.clone().unwrap_or_default()}</dd>
            {(!c.attributes.is_empty()).then(|| view! {
                <dt>"Attributes"</dt>
                <dd>{c.attributes.iter().map(|a| format!("{}={}", a.name, a.value)).collect::<Vec<_>>().join(", ")}</dd>
            })}
        </dl>
        <section aria-labelledby="trend-title">
            <div class="section-head">
                <h2 id="trend-title">"Trend"</h2>
                <nav class="ranges" aria-label="Time range">
                    {range_link("7", "7 days")}
                    {range_link("30", "30 days")}
                    {range_link("90", "90 days")}
                    {range_link("all", "All")}
                </nav>
                <a class="export" href=format!("/api/checks/{id}/history.csv") download="">"CSV"</a>
            </div>
            {loaded("history", None, history, move |h| {
                view! { <History history=h latest=latest query=query unit=unit open_incident=open_incident /> }.into_any()
            })}
        </section>
        <Notified check=c />
        <details class="identities">
            <summary>"Identities"</summary>
            <p class="hint">"Soda Core identifies a check by these hashes; the checks editor uses them to find this check's history."</p>
            <ul id="check-identities">{identities}</ul>
        </details>
    }
}

/// `query` comes from the page (a memo made inside this component, under the history's
/// `Suspend`, did not follow later navigations).
#[component]
fn History(
    history: CheckHistory,
    latest: Option<i64>,
    query: Memo<ParamsMap>,
    unit: ValueUnit,
    /// The check's newest open incident.
    open_incident: Option<i64>,
) -> impl IntoView {
    let navigate = use_navigate();
    let prefs = use_prefs();
    let points = history.points;
    let path = format!("/checks/{}", history.check_id);
    let selected = {
        let latest = latest.or_else(|| points.last().map(|p| p.result_id));
        move || {
            query
                .get()
                .get("result")
                .and_then(|r| r.parse::<i64>().ok())
                .or(latest)
        }
    };
    let open = {
        move |params: &ParamsMap, result_id: i64| {
            with_changes(
                &path,
                params,
                KEYS,
                &[("result", Some(result_id.to_string()))],
            )
        }
    };
    let result_ids: Vec<i64> = points.iter().map(|p| p.result_id).collect();
    let on_click = {
        let open = open.clone();
        Callback::new(move |(series, index): (usize, usize)| {
            if series == 0
                && let Some(result_id) = result_ids.get(index)
            {
                navigate(
                    &open(&query.get_untracked(), *result_id),
                    NavigateOptions {
                        scroll: false,
                        ..Default::default()
                    },
                );
            }
        })
    };
    let summary = if history.downsampled {
        format!(
            "{} results in this range; the chart shows {} (the worst of each time bucket).",
            history.total_points,
            points.len()
        )
    } else {
        format!(
            "{} result{} in this range.",
            points.len(),
            if points.len() == 1 { "" } else { "s" }
        )
    };
    let bands = band_count(&points);
    let empty = points.is_empty();
    let chart = trend(&points, prefs.utc.get_untracked(), unit);
    // Newest first; re-rendered when another result is opened, to mark it.
    let recent: Vec<HistoryPoint> = points.iter().rev().take(200).cloned().collect();
    let rows = move || {
        let params = query.get();
        let open_id = selected();
        recent
            .iter()
            .map(|p| {
                let href = open(&params, p.result_id);
                view! {
                    <tr data-result-id=p.result_id aria-selected=(open_id == Some(p.result_id)).then_some("true")>
                        <td>{outcome_badge(p.outcome)}</td>
                        <td class="number">{p.value.map(|v| format_measure(v, unit)).unwrap_or_default()}</td>
                        <td><Time ts=Some(p.data_timestamp.clone()) /></td>
                        <td><a href=format!("/scans/{}", p.scan_id)>{format!("Scan {}", p.scan_id)}</a></td>
                        <td><a href=href>"Open"</a></td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <p class="summary" id="history-summary">{summary}</p>
        {if empty {
            view! { <p class="empty-state">"No results in this range. Choose a longer one."</p> }.into_any()
        } else {
            view! {
                <div class="trend" id="trend" data-points=points.len() data-bands=bands>
                    <EChart id="trend-chart" option=chart.to_string() height=300 on_click=on_click
                        label=format!("Trend of the check's value: {} points, coloured by outcome; warn and fail zones shaded", points.len()) />
                </div>
            }.into_any()
        }}
        {move || selected().map(|id| view! { <ResultPanel result_id=id query=query open=open_incident /> })}
        <h2>"Results"</h2>
        <div class="table-scroll">
            <table class="checks results" id="results">
                <thead><tr><th>"Outcome"</th><th>"Value"</th><th>"Data timestamp"</th><th>"Scan"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// One result, opened: its diagnostics, and its failed-row samples in a second tab.
#[component]
fn ResultPanel(result_id: i64, query: Memo<ParamsMap>, open: Option<i64>) -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let result = LocalResource::new(move || api::check_result(result_id));
    let tab = move || {
        query
            .get()
            .get("tab")
            .unwrap_or_else(|| "diagnostics".to_owned())
    };
    let tab_link = move |value: &'static str| {
        let path = location.pathname.get();
        with_changes(
            &path,
            &query.get(),
            KEYS,
            &[("tab", Some(value.to_owned())), ("page", None)],
        )
    };
    view! {
        <section class="result-panel" id="result-panel" data-result-id=result_id aria-label="The open result">
            {loaded("result", None, result, move |r| {
                        {
                            let rows = r.sample_rows;
                            let failing = matches!(r.outcome, Some(CheckOutcome::Fail | CheckOutcome::Warn));
                            view! {
                                <h2>"Result " <Time ts=Some(r.data_timestamp.clone()) /></h2>
                                {failing.then(|| view! { <OpenIncident result_id=r.id title=r.name.clone() open=open /> })}
                                <nav class="tabs" role="tablist" aria-label="Result details">
                                    <a role="tab" id="tab-diagnostics" href=move || tab_link("diagnostics")
                                        aria-selected=move || (tab() != "rows").to_string()>"Diagnostics"</a>
                                    <a role="tab" id="tab-rows" href=move || tab_link("rows")
                                        aria-selected=move || (tab() == "rows").to_string()>
                                        {format!("Failed rows ({rows})")}</a>
                                </nav>
                                {move || if tab() == "rows" {
                                    view! { <FailedRows result_id=r.id /> }.into_any()
                                } else {
                                    view! { <Diagnostics result=r.clone() /> }.into_any()
                                }}
                            }.into_any()
                        }
            })}
        </section>
    }
}

/// For editors, a failing or warning result opens an incident, or joins the check's open one
/// (then shown).
#[component]
fn OpenIncident(result_id: i64, title: String, open: Option<i64>) -> impl IntoView {
    let session = crate::session::use_session();
    let title = RwSignal::new(title);
    let severity = RwSignal::new("major".to_owned());
    let error = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let open_new = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let incident = NewIncident {
            title: title.get_untracked(),
            severity: IncidentSeverity::parse(&severity.get_untracked())
                .unwrap_or(IncidentSeverity::Major),
            description: None,
            lead_email: None,
            check_result_ids: vec![result_id],
        };
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api::create_incident(&incident).await {
                Ok(d) => navigate(&format!("/incidents/{}", d.incident.id), Default::default()),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let join_navigate = use_navigate();
    let join = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(incident) = open else { return };
        let navigate = join_navigate.clone();
        leptos::task::spawn_local(async move {
            match api::link_incident(incident, vec![result_id]).await {
                Ok(_) => navigate(&format!("/incidents/{incident}"), Default::default()),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let start = open_new;
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let (start, join) = (start.clone(), join.clone());
                Suspend::new(async move {
                    let editor = session.me.await.map(|m| m.role >= Role::Editor).unwrap_or(false);
                    editor.then(|| view! {
                        {open.map(|n| view! {
                            <form class="inline-form" id="join-incident" on:submit=join>
                                <button type="submit">{format!("Add to incident #{n}")}</button>
                            </form>
                        })}
                        <form class="inline-form" id="open-incident" on:submit=start>
                            <label for="incident-title">"Incident"</label>
                            <input id="incident-title" required prop:value=title
                                on:input=move |ev| title.set(event_target_value(&ev)) />
                            <select id="incident-severity" aria-label="Severity" prop:value=severity
                                on:change=move |ev| severity.set(event_target_value(&ev))>
                                <option value="minor">"minor"</option>
                                <option value="major">"major"</option>
                                <option value="critical">"critical"</option>
                            </select>
                            <button type="submit">"Open an incident"</button>
                        </form>
                        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    })
                })
            }}
        </Suspense>
    }
}

/// The notification rules that cover this check (paused ones said so), or that none does.
#[component]
fn Notified(check: CheckListItem) -> impl IntoView {
    let rules = LocalResource::new(api::rules);
    view! {
        <p class="notified" id="notified">
            {move || rules.get().map(|answer| {
                let facts = CheckFacts {
                    name: &check.name,
                    dataset: check.dataset.as_deref(),
                    data_source: &check.data_source,
                    attributes: &check.attributes,
                };
                let matching: Vec<String> = answer
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|r| r.definition.filter.matches(&facts))
                    .map(|r| {
                        let paused = if r.definition.paused { " (paused)" } else { "" };
                        format!("{}{paused}: {}", r.definition.name, rule_summary(&r.definition))
                    })
                    .collect();
                if matching.is_empty() {
                    "No notification rule covers this check.".to_owned()
                } else {
                    format!("Notifications: {}.", matching.join("; "))
                }
            })}
        </p>
    }
}

#[component]
fn Diagnostics(result: CheckResultDetail) -> impl IntoView {
    let entries = match &result.diagnostics {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                view! { <dt>{k.clone()}</dt><dd><code>{text}</code></dd> }
            })
            .collect_view()
            .into_any(),
        _ => view! { <dt>"Diagnostics"</dt><dd>"none sent"</dd> }.into_any(),
    };
    // The zones Soda Core reported, as the sentence a person reads first.
    let verdict = |key: &str, verb: &str| {
        let bounds = result.diagnostics.get(key)?.clone();
        let bounds: SodaBounds = serde_json::from_value(bounds).ok()?;
        (bounds != SodaBounds::default()).then(|| {
            let words = zone_words(&Zone::from_soda_bounds(&bounds), result.unit);
            view! { <li>{format!("{verb} when the value is {words}.")}</li> }
        })
    };
    let mut sentences: Vec<_> = [verdict("fail", "Fails"), verdict("warn", "Warns")]
        .into_iter()
        .flatten()
        .map(IntoAny::into_any)
        .collect();
    sentences.extend(
        diagnostic_sentences(&result.diagnostics, result.unit)
            .into_iter()
            .map(|s| view! { <li>{s}</li> }.into_any()),
    );
    // What a re-sent scan replaced: the earlier outcome and value for this data timestamp.
    sentences.extend(result.replaced.iter().map(|old| {
        let value = old
            .value
            .map(|v| format!(", value {}", format_measure(v, result.unit)))
            .unwrap_or_default();
        let outcome = old.outcome.map_or("not evaluated", |o| o.as_str());
        view! {
            <li class="replaced">
                "Replaced an earlier result for this data timestamp (" {outcome} {value} ") when the scan was sent again "
                <Time ts=Some(old.replaced_at.clone()) />"."
            </li>
        }
        .into_any()
    }));
    let has_sentences = !sentences.is_empty();
    view! {
        <div role="tabpanel" id="diagnostics">
            {has_sentences.then(|| view! { <ul class="verdicts" id="verdicts">{sentences}</ul> })}
            <dl class="facts">
                <dt>"Outcome"</dt><dd>{outcome_badge(result.outcome)}</dd>
                <dt>"Value"</dt><dd>{result.value.map(|v| format_measure(v, result.unit)).unwrap_or_else(|| "none".to_owned())}</dd>
                <dt>"Scan"</dt><dd><a href=format!("/scans/{}", result.scan_id)>{format!("Scan {}", result.scan_id)}</a></dd>
                {entries}
            </dl>
            {(!result.outcome_reasons.is_null()).then(|| view! {
                <h3>"Outcome reasons"</h3>
                <pre class="snippet">{serde_json::to_string_pretty(&result.outcome_reasons).unwrap_or_default()}</pre>
            })}
        </div>
    }
}

#[component]
fn FailedRows(result_id: i64) -> impl IntoView {
    let samples = LocalResource::new(move || api::samples(result_id));
    view! {
        <div role="tabpanel" id="failed-rows">
            {loaded("failed rows", None, samples, |s| if s.files.is_empty() {
                view! {
                    <p class="empty-state">"No failed-row samples for this result. Soda Core sends them for checks that find failing rows, unless sample collection is switched off."</p>
                }.into_any()
            } else {
                view! { <SampleTables samples=s /> }.into_any()
            })}
        </div>
    }
}

#[component]
fn SampleTables(samples: Samples) -> impl IntoView {
    samples
        .files
        .into_iter()
        .map(|file| {
            let names: Vec<String> = file
                .columns
                .as_array()
                .map(|cols| {
                    cols.iter()
                        .map(|c| c.get("name").and_then(Value::as_str).unwrap_or("?").to_owned())
                        .collect()
                })
                .unwrap_or_default();
            let header = names.iter().map(|n| view! { <th>{n.clone()}</th> }).collect_view();
            let rows = file
                .rows
                .iter()
                .map(|row| {
                    let cells = row
                        .as_array()
                        .map(|cells| {
                            cells
                                .iter()
                                .map(|v| match v {
                                    Value::String(s) => s.clone(),
                                    Value::Null => "null".to_owned(),
                                    other => other.to_string(),
                                })
                                .collect::<Vec<_>>()
                        })
                        .unwrap_or_default();
                    view! { <tr>{cells.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr> }
                })
                .collect_view();
            view! {
                <p class="summary">{format!("{} row{} · {}", file.rows.len(), if file.rows.len() == 1 { "" } else { "s" }, file.file_path)}</p>
                <div class="table-scroll">
                    <table class="checks samples">
                        <thead><tr>{header}</tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            }
        })
        .collect_view()
}
