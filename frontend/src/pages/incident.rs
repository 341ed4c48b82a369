//! `/incidents/{id}`: one incident — its fields, the results it is about (each linking to its
//! check's result), its timeline, and for editors the forms that change it and comment.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use shared::api::{
    IncidentChange, IncidentCheckResult, IncidentDetail, IncidentEvent, IncidentSeverity,
    IncidentStatus, Role,
};

use super::incidents::severity_badge;
use crate::api;
use crate::chart::{EChart, trend};
use crate::components::{format_measure, loaded, outcome_badge};
use crate::prefs::{Time, use_prefs};

#[component]
pub fn IncidentPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.get().get("id").unwrap_or_default();
    let detail = LocalResource::new(move || {
        let id = id();
        async move { api::incident(&id).await }
    });
    // A change or comment answers with the incident as it now is.
    let fresh = RwSignal::new(None::<IncidentDetail>);
    view! {
        {loaded("incident", Some("Incident"), detail, move |d| {
            view! {
                {move || {
                    let shown = fresh.get().filter(|f| f.incident.id == d.incident.id).unwrap_or_else(|| d.clone());
                    view! { <IncidentView detail=shown fresh=fresh /> }
                }}
            }.into_any()
        })}
    }
}

#[component]
fn IncidentView(detail: IncidentDetail, fresh: RwSignal<Option<IncidentDetail>>) -> impl IntoView {
    let i = detail.incident.clone();
    let session = crate::session::use_session();
    let trends = linked_checks(&detail.check_results);
    let results = detail
        .check_results
        .into_iter()
        .map(|r| view! { <LinkedResult r=r /> })
        .collect_view();
    let timeline = detail
        .timeline
        .into_iter()
        .map(|e| view! { <TimelineEntry e=e /> })
        .collect_view();
    let resolved = i.resolved_at.clone();
    let tickets = detail.links.clone();
    view! {
        <h1>{format!("Incident #{}: {}", i.number, i.title)}</h1>
        <dl class="facts" id="incident-facts">
            <dt>"Status"</dt><dd id="incident-status">{i.status.as_str()}</dd>
            <dt>"Severity"</dt><dd>{severity_badge(i.severity.as_str())}</dd>
            <dt>"Lead"</dt><dd id="incident-lead">{i.lead_email.clone().unwrap_or_else(|| "nobody yet".to_owned())}</dd>
            <dt>"Reported"</dt><dd><Time ts=Some(i.created_at.clone()) />{format!(" by {}", i.reporter)}</dd>
            {resolved.map(|at| view! { <dt>"Resolved"</dt><dd><Time ts=Some(at) /></dd> })}
        </dl>
        {(!i.description.is_empty()).then(|| view! { <p class="description">{i.description.clone()}</p> })}
        {(!tickets.is_empty()).then(|| view! {
            <p id="incident-tickets">"Tickets: "
                {tickets.into_iter().map(|l| view! {
                    <a href=l.url rel="noopener noreferrer" target="_blank">{l.text}</a>" "
                }).collect_view()}
            </p>
        })}
        {i.resolution_notes.clone().map(|n| view! {
            <h2>"Resolution"</h2><p id="resolution-notes">{n}</p>
        })}
        <Suspense fallback=|| ()>
            {move || Suspend::new({
                let i = i.clone();
                async move {
                    let editor = session.me.await.map(|m| m.role >= Role::Editor).unwrap_or(false);
                    editor.then(|| view! { <ChangeForm id=i.id status=i.status severity=i.severity lead=i.lead_email.clone() fresh=fresh /> })
                }
            })}
        </Suspense>
        <h2>"Results"</h2>
        <div class="table-scroll">
            <table class="checks" id="incident-results">
                <thead><tr><th>"Outcome"</th><th>"Check"</th><th>"Dataset"</th><th>"Value"</th><th>"Data timestamp"</th><th>"Linked"</th></tr></thead>
                <tbody>{results}</tbody>
            </table>
        </div>
        {trends.into_iter().zip(TREND_IDS).map(|((check_id, linked), chart_id)| {
            view! { <LinkedTrend check_id=check_id linked=linked chart_id=chart_id /> }
        }).collect_view()}
        <h2>"Timeline"</h2>
        <ol class="timeline" id="incident-timeline">{timeline}</ol>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let editor = session.me.await.map(|m| m.role >= Role::Editor).unwrap_or(false);
                editor.then(|| view! { <CommentForm id=detail.incident.id fresh=fresh /> })
            })}
        </Suspense>
    }
}

/// The charts' element ids: the trends of the first checks an incident is about.
const TREND_IDS: [&str; 3] = ["incident-trend-0", "incident-trend-1", "incident-trend-2"];

/// The checks the incident's results belong to, in the order first met, with the ids of their
/// linked results.
fn linked_checks(results: &[IncidentCheckResult]) -> Vec<(i64, Vec<i64>)> {
    let mut checks: Vec<(i64, Vec<i64>)> = Vec::new();
    for r in results {
        match checks.iter_mut().find(|(id, _)| *id == r.check_id) {
            Some((_, ids)) => ids.push(r.result_id),
            None => checks.push((r.check_id, vec![r.result_id])),
        }
    }
    checks
}

/// A linked check's trend, its linked results drawn larger, as diamonds.
#[component]
fn LinkedTrend(check_id: i64, linked: Vec<i64>, chart_id: &'static str) -> impl IntoView {
    let prefs = use_prefs();
    let data = LocalResource::new(move || async move {
        let id = check_id.to_string();
        let check = api::check(&id).await?;
        let history = api::history(&id, None, 300).await?;
        Ok::<_, shared::api::ApiError>((check, history))
    });
    view! {
        <section class="linked-trend" data-check-id=check_id>
            {loaded("trend", None, data, move |(check, history)| {
                let c = check.check;
                let mut chart = trend(&history.points, prefs.utc.get_untracked(), c.unit);
                if let Some(data) = chart.pointer_mut("/series/0/data").and_then(|d| d.as_array_mut()) {
                    for (point, shown) in history.points.iter().zip(data.iter_mut()) {
                        if linked.contains(&point.result_id) {
                            shown["symbol"] = "diamond".into();
                            shown["symbolSize"] = 13.into();
                        }
                    }
                }
                let label = format!("Trend of {}: {} results, the incident's results as diamonds", c.name, history.points.len());
                view! {
                    <h3><a href=format!("/checks/{check_id}")>{c.name}</a></h3>
                    <EChart id=chart_id option=chart.to_string() height=220 label=label />
                }.into_any()
            })}
        </section>
    }
}

#[component]
fn LinkedResult(r: IncidentCheckResult) -> impl IntoView {
    let check = format!("/checks/{}?result={}", r.check_id, r.result_id);
    let dataset = r.dataset.map_or_else(
        || r.data_source.clone(),
        |d| format!("{d} ({})", r.data_source),
    );
    view! {
        <tr data-result-id=r.result_id>
            <td>{if r.stored { outcome_badge(r.outcome).into_any() } else { view! { <span class="muted">"no longer stored"</span> }.into_any() }}</td>
            <td><a href=check>{r.check_name}</a></td>
            <td>{dataset}</td>
            <td class="number">{r.value.map(|v| format_measure(v, Default::default())).unwrap_or_default()}</td>
            <td>{r.data_timestamp.map(|t| view! { <Time ts=Some(t) /> })}</td>
            <td><Time ts=Some(r.linked_at) />{format!(" by {}", r.linked_by)}</td>
        </tr>
    }
}

/// A timeline entry as a sentence.
fn event_text(e: &IncidentEvent) -> String {
    let to = e.to.clone().unwrap_or_default();
    let from = e.from.clone().unwrap_or_default();
    match e.kind.as_str() {
        "created" => format!("reported it: {to}"),
        "linked" => format!("linked result {to}"),
        "comment" => format!("commented: {to}"),
        "lead" if to.is_empty() => "removed the lead".to_owned(),
        "lead" => format!("made {to} the lead"),
        "resolutionNotes" => format!("wrote the resolution notes: {to}"),
        "ticket" => format!("linked the ticket {to}"),
        "recovered" => "saw its check pass again".to_owned(),
        "description" => "changed the description".to_owned(),
        kind => format!("changed the {kind} from {from} to {to}"),
    }
}

#[component]
fn TimelineEntry(e: IncidentEvent) -> impl IntoView {
    let text = event_text(&e);
    view! {
        <li data-kind=e.kind><Time ts=Some(e.at) />" "<strong>{e.actor}</strong>" "{text}</li>
    }
}

#[component]
fn ChangeForm(
    id: i64,
    status: IncidentStatus,
    severity: IncidentSeverity,
    lead: Option<String>,
    fresh: RwSignal<Option<IncidentDetail>>,
) -> impl IntoView {
    let status = RwSignal::new(status.as_str().to_owned());
    let severity = RwSignal::new(severity.as_str().to_owned());
    let lead = RwSignal::new(lead.unwrap_or_default());
    let notes = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let notes = notes.get_untracked();
        let change = IncidentChange {
            status: IncidentStatus::parse(&status.get_untracked()),
            severity: IncidentSeverity::parse(&severity.get_untracked()),
            lead_email: Some(lead.get_untracked().trim().to_owned()),
            resolution_notes: (!notes.trim().is_empty()).then_some(notes),
            ..IncidentChange::default()
        };
        leptos::task::spawn_local(async move {
            match api::change_incident(id, &change).await {
                Ok(detail) => {
                    error.set(None);
                    fresh.set(Some(detail));
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let option = |value: &'static str| view! { <option value=value>{value}</option> };
    view! {
        <form class="inline-form" id="change-incident" on:submit=save>
            <label for="incident-status-select">"Status"</label>
            <select id="incident-status-select" prop:value=status on:change=move |ev| status.set(event_target_value(&ev))>
                {["reported", "investigating", "fixing", "resolved"].map(option)}
            </select>
            <label for="incident-severity-select">"Severity"</label>
            <select id="incident-severity-select" prop:value=severity on:change=move |ev| severity.set(event_target_value(&ev))>
                {["minor", "major", "critical"].map(option)}
            </select>
            <label for="incident-lead-input">"Lead"</label>
            <input id="incident-lead-input" type="email" placeholder="a user's email" prop:value=lead
                on:input=move |ev| lead.set(event_target_value(&ev)) />
            <label for="incident-notes">"Resolution notes"</label>
            <input id="incident-notes" placeholder="needed to resolve" prop:value=notes
                on:input=move |ev| notes.set(event_target_value(&ev)) />
            <button type="submit">"Save"</button>
        </form>
        {move || error.get().map(|e| view! { <p class="error" role="alert" id="change-error">{e}</p> })}
    }
}

#[component]
fn CommentForm(id: i64, fresh: RwSignal<Option<IncidentDetail>>) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = text.get_untracked();
        leptos::task::spawn_local(async move {
            match api::comment_incident(id, body).await {
                Ok(detail) => {
                    error.set(None);
                    text.set(String::new());
                    fresh.set(Some(detail));
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    view! {
        <form class="inline-form" id="comment-incident" on:submit=send>
            <label for="incident-comment">"Comment"</label>
            <input id="incident-comment" required prop:value=text on:input=move |ev| text.set(event_target_value(&ev)) />
            <button type="submit">"Comment"</button>
        </form>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
    }
}
