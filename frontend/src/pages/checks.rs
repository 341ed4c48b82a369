//! `/`: the check results dashboard — one row per check with its latest result, counts per
//! outcome (each a filter), search, sorting and paging, all kept in the URL. Until scan results
//! arrive, it explains how to point Soda Core here.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;
use shared::api::{CheckList, CheckListItem, FLAPPING_FLIPS};

use crate::api;
use crate::components::{
    format_measure, incident_badge, loaded, outcome_badge, page_count, pager, since_cell,
};
use crate::prefs::Time;
use crate::url::{query_string, with_changes};

/// The query parameters this page understands, in the order links write them.
const KEYS: &[&str] = &[
    "outcome",
    "search",
    "datasetId",
    "dataSource",
    "attribute",
    "minFlips",
    "sort",
    "order",
    "page",
    "size",
];

#[component]
pub fn ChecksPage() -> impl IntoView {
    let query = use_query_map();
    let list = LocalResource::new(move || {
        let q = query_string(&query.get(), KEYS);
        async move { api::checks(&q).await }
    });
    view! {
        <h1>"Checks"</h1>
        <SearchBox />
        {loaded("checks", None, list, move |list| {
            let params = query.get_untracked();
            if list.total == 0 && !is_filtered(&params) {
                view! { <EmptyInstall /> }.into_any()
            } else {
                view! { <Results list=list params=params /> }.into_any()
            }
        })}
    }
}

fn is_filtered(params: &ParamsMap) -> bool {
    // Every key but the view's order and page is a filter.
    KEYS.iter()
        .filter(|k| !["sort", "order", "page", "size"].contains(k))
        .any(|k| params.get_str(k).is_some_and(|v| !v.is_empty()))
}

/// Search by name, dataset or column; submitting puts it in the URL.
#[component]
fn SearchBox() -> impl IntoView {
    let query = use_query_map();
    let navigate = use_navigate();
    let text = RwSignal::new(query.get_untracked().get("search").unwrap_or_default());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let link = with_changes(
            "/",
            &query.get_untracked(),
            KEYS,
            &[("search", Some(text.get_untracked()))],
        );
        navigate(&link, NavigateOptions::default());
    };
    view! {
        <form class="search" role="search" on:submit=submit>
            <label for="check-search" class="visually-hidden">"Search checks"</label>
            <input id="check-search" type="search" placeholder="Search checks, datasets, columns"
                prop:value=text on:input=move |ev| text.set(event_target_value(&ev)) />
            <button type="submit">"Search"</button>
        </form>
    }
}

#[component]
fn Results(list: CheckList, params: ParamsMap) -> impl IntoView {
    let current = params.get("outcome");
    let count_link = |key: &'static str, label: &'static str, symbol: &'static str, n: i64| {
        let active = current.as_deref() == Some(key);
        let change = if active { None } else { Some(key.to_owned()) };
        let href = with_changes("/", &params, KEYS, &[("outcome", change)]);
        view! {
            <a class=format!("count count-{key}") href=href aria-current=active.then_some("true")
                title=if active { "Show every outcome" } else { "Show only these" }>
                <span aria-hidden="true">{symbol}</span>
                <strong>{n}</strong>" "{label}
            </a>
        }
    };
    let counts = list.counts;
    // Flapping: checks whose outcome changed often lately, whatever it is now.
    let flapping_link = {
        let active = params.get("minFlips").is_some();
        let change = (!active).then(|| FLAPPING_FLIPS.to_string());
        let href = with_changes("/", &params, KEYS, &[("minFlips", change)]);
        let title = format!(
            "Checks whose outcome changed {FLAPPING_FLIPS} or more times in their last 20 results"
        );
        view! {
            <a class="count count-flapping" id="flapping-filter" href=href
                aria-current=active.then_some("true") title=title>
                <span aria-hidden="true">"⇄"</span>" flapping"
            </a>
        }
    };
    let pages = page_count(list.total, list.size);
    let sort = params.get("sort").unwrap_or_else(|| "name".to_owned());
    let order = params.get("order").unwrap_or_else(|| "asc".to_owned());
    let header = |key: &'static str, label: &'static str| {
        let active = sort == key;
        let next_order = if active && order == "asc" {
            "desc"
        } else {
            "asc"
        };
        let href = with_changes(
            "/",
            &params,
            KEYS,
            &[
                ("sort", Some(key.to_owned())),
                ("order", Some(next_order.to_owned())),
            ],
        );
        let aria = active.then(|| {
            if order == "asc" {
                "ascending"
            } else {
                "descending"
            }
        });
        view! { <th aria-sort=aria><a href=href>{label}</a></th> }
    };
    let rows = list
        .items
        .into_iter()
        .map(|item| view! { <CheckRow item=item /> })
        .collect_view();
    let empty = list.total == 0;
    view! {
        <nav class="counts" aria-label="Outcomes">
            {count_link("fail", "fail", "✕", counts.fail)}
            {count_link("warn", "warn", "!", counts.warn)}
            {count_link("pass", "pass", "✓", counts.pass)}
            {count_link("notEvaluated", "not evaluated", "–", counts.not_evaluated)}
            {flapping_link}
        </nav>
        <p class="summary" id="checks-total">{format!("{} check{}", list.total, if list.total == 1 { "" } else { "s" })}</p>
        {if empty {
            view! {
                <p class="empty-state">"No checks match these filters. " <a href="/">"Show all checks"</a></p>
            }.into_any()
        } else {
            view! {
                <div class="table-scroll">
                    <table class="checks check-list">
                        <thead>
                            <tr>
                                {header("outcome", "Outcome")}
                                {header("name", "Check")}
                                {header("dataset", "Dataset")}
                                <th>"Data source"</th>
                                <th>"Column"</th>
                                {header("value", "Value")}
                                {header("since", "Since")}
                                {header("dataTimestamp", "Data timestamp")}
                                <th>"Scan definition"</th>
                                <th>"Attributes"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
                {pager(list.page, pages, |page| {
                    with_changes("/", &params, KEYS, &[("page", Some(page.to_string()))])
                })}
            }.into_any()
        }}
    }
}

#[component]
fn CheckRow(item: CheckListItem) -> impl IntoView {
    let since = since_cell(&item);
    let value = item
        .value
        .map(|v| format_measure(v, item.unit))
        .unwrap_or_default();
    let attributes = item
        .attributes
        .iter()
        .map(|a| format!("{}={}", a.name, a.value))
        .collect::<Vec<_>>()
        .join(", ");
    let dataset = match (item.dataset_id, item.dataset.clone()) {
        (Some(id), Some(name)) => {
            view! { <a href=format!("/?datasetId={id}")>{name}</a> }.into_any()
        }
        (_, name) => view! { <span>{name.unwrap_or_default()}</span> }.into_any(),
    };
    view! {
        <tr data-check-id=item.id>
            <td>{outcome_badge(item.outcome)}</td>
            <td class="check-name"><a href=format!("/checks/{}", item.id)>{item.name}</a>" "{incident_badge(&item.open_incidents)}</td>
            <td>{dataset}</td>
            <td>{item.data_source}</td>
            <td>{item.column.unwrap_or_default()}</td>
            <td class="number">{value}</td>
            <td class="since">{since}</td>
            <td><Time ts=item.data_timestamp.clone() /></td>
            <td>{item.scan_definition.unwrap_or_default()}</td>
            <td class="attributes">{attributes}</td>
        </tr>
    }
}

/// An empty install: how to point Soda Core at this Seltzer.
#[component]
fn EmptyInstall() -> impl IntoView {
    let (host, port, scheme) = server_address();
    let snippet = format!(
        "soda_cloud:\n  host: {host}\n  port: {port}\n  scheme: {scheme}\n  api_key_id: <key id>\n  api_key_secret: <key secret>\n"
    );
    view! {
        <section class="empty-state">
            <h2>"No scan results yet"</h2>
            <p>
                "Point Soda Core at Seltzer: add this to your Soda configuration file and run "
                <code>"soda scan"</code> " as usual."
            </p>
            <pre class="snippet"><code>{snippet}</code></pre>
        </section>
    }
}

/// Host, port and scheme of this Seltzer as the browser sees it, for the configuration snippet.
fn server_address() -> (String, String, String) {
    let location = web_sys::window().map(|w| w.location());
    let get = |f: fn(&web_sys::Location) -> Result<String, wasm_bindgen::JsValue>| {
        location
            .as_ref()
            .and_then(|l| f(l).ok())
            .unwrap_or_default()
    };
    let scheme = get(web_sys::Location::protocol)
        .trim_end_matches(':')
        .to_owned();
    let port = match get(web_sys::Location::port) {
        p if !p.is_empty() => p,
        _ if scheme == "https" => "443".to_owned(),
        _ => "80".to_owned(),
    };
    (get(web_sys::Location::hostname), port, scheme)
}
