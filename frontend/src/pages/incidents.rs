//! `/incidents`: incidents, newest first — open ones by default; by status, severity, lead and
//! a search of their titles and descriptions, all in the URL.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use shared::api::{Incident, IncidentList};

use crate::api;
use crate::components::{loaded, page_count, pager};
use crate::prefs::Time;
use crate::url::{query_string, with_changes};

const KEYS: &[&str] = &[
    "status",
    "severity",
    "lead",
    "datasetId",
    "search",
    "page",
    "size",
];

/// The severity as a word that reads without colour.
pub fn severity_badge(severity: &str) -> impl IntoView + use<> {
    view! { <span class=format!("severity severity-{severity}")>{severity.to_owned()}</span> }
}

#[component]
pub fn IncidentsPage() -> impl IntoView {
    let query = use_query_map();
    // Open incidents unless the URL asks otherwise (`status=all` for every one).
    let status = move || {
        query
            .get()
            .get("status")
            .unwrap_or_else(|| "open".to_owned())
    };
    let list = LocalResource::new(move || {
        let mut params = query.get();
        let status = status();
        if status == "all" {
            params.remove("status");
        } else {
            params.replace("status", status);
        }
        let q = query_string(&params, KEYS);
        async move { api::incidents(&q).await }
    });
    let filter = move |value: &'static str, label: &'static str| {
        view! {
            <a class="count" id=format!("status-{value}")
                href=move || with_changes("/incidents", &query.get(), KEYS, &[("status", Some(value.to_owned())), ("page", None)])
                aria-current=move || (status() == value).then_some("true")>{label}</a>
        }
    };
    // The form's fields start from the URL; submitting puts them back in it.
    let field = |key: &str| RwSignal::new(query.get_untracked().get(key).unwrap_or_default());
    let (search, severity, lead, dataset) = (
        field("search"),
        field("severity"),
        field("lead"),
        field("datasetId"),
    );
    let datasets = LocalResource::new(api::dataset_names);
    let navigate = leptos_router::hooks::use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = |s: RwSignal<String>| {
            let text = s.get_untracked().trim().to_owned();
            (!text.is_empty()).then_some(text)
        };
        navigate(
            &with_changes(
                "/incidents",
                &query.get_untracked(),
                KEYS,
                &[
                    ("search", value(search)),
                    ("severity", value(severity)),
                    ("lead", value(lead)),
                    ("datasetId", value(dataset)),
                    ("page", None),
                ],
            ),
            Default::default(),
        );
    };
    let dataset_options = move || {
        let chosen = dataset.get_untracked();
        let names = datasets.get().and_then(Result::ok).unwrap_or_default();
        names
            .into_iter()
            .map(|(id, name)| {
                let id = id.to_string();
                let selected = id == chosen;
                view! { <option value=id selected=selected>{name}</option> }
            })
            .collect_view()
    };
    view! {
        <h1>"Incidents"</h1>
        <nav class="counts" aria-label="Filters">
            {filter("open", "Open")}
            {filter("investigating", "Investigating")}
            {filter("fixing", "Fixing")}
            {filter("resolved", "Resolved")}
            {filter("all", "All")}
        </nav>
        <form class="inline-form" role="search" id="incident-filters" on:submit=submit>
            <label for="incident-severity">"Severity"</label>
            <select id="incident-severity" prop:value=severity on:change=move |ev| severity.set(event_target_value(&ev))>
                <option value="">"any"</option>
                <option value="critical">"critical"</option>
                <option value="major">"major"</option>
                <option value="minor">"minor"</option>
            </select>
            <label for="incident-lead">"Lead"</label>
            <input id="incident-lead" type="email" placeholder="anyone" prop:value=lead
                on:input=move |ev| lead.set(event_target_value(&ev)) />
            <label for="incident-dataset">"Dataset"</label>
            <select id="incident-dataset" prop:value=dataset on:change=move |ev| dataset.set(event_target_value(&ev))>
                <option value="">"any"</option>
                {dataset_options}
            </select>
            <label for="incident-search">"Search"</label>
            <input id="incident-search" type="search" placeholder="title or description"
                prop:value=search on:input=move |ev| search.set(event_target_value(&ev)) />
            <button type="submit">"Filter"</button>
        </form>
        {loaded("incidents", None, list, |list| view! { <IncidentTable list=list /> }.into_any())}
    }
}

#[component]
fn IncidentTable(list: IncidentList) -> impl IntoView {
    let params = use_query_map().get_untracked();
    if list.total == 0 {
        return view! {
            <p class="summary" id="incidents-total">"0 incidents"</p>
            <p class="empty-state">"No incident matches. Open one from a failing result on a check's page."</p>
        }
        .into_any();
    }
    let pages = page_count(list.total, list.size);
    let rows = list
        .items
        .into_iter()
        .map(|i| view! { <IncidentRow i=i /> })
        .collect_view();
    view! {
        <p class="summary" id="incidents-total">{format!("{} incident{}", list.total, if list.total == 1 { "" } else { "s" })}</p>
        <div class="table-scroll">
            <table class="checks incidents" id="incidents">
                <thead><tr>
                    <th>"Incident"</th><th>"Severity"</th><th>"Status"</th><th>"Lead"</th>
                    <th>"Results"</th><th>"Updated"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {pager(list.page, pages, |page| {
            with_changes("/incidents", &params, KEYS, &[("page", Some(page.to_string()))])
        })}
    }
    .into_any()
}

#[component]
fn IncidentRow(i: Incident) -> impl IntoView {
    view! {
        <tr data-incident-id=i.id>
            <td><a href=format!("/incidents/{}", i.id)>{format!("#{} {}", i.number, i.title)}</a></td>
            <td>{severity_badge(i.severity.as_str())}</td>
            <td>{i.status.as_str()}</td>
            <td>{i.lead_email.unwrap_or_else(|| "–".to_owned())}</td>
            <td class="number">{i.check_result_count}</td>
            <td><Time ts=Some(i.updated_at) /></td>
        </tr>
    }
}
