//! `/editor`: a checks YAML file, validated on every keystroke in the browser by the same SodaCL
//! engine the server uses (`shared::sodacl`, compiled to wasm and run in a Web Worker, see
//! `src/bin/sodacl_worker.rs` — no server round trip). Errors
//! and warnings are marked at their line; the parsed checks are listed; and each check Seltzer
//! has history for gets a **backtest**: how the edited thresholds would have judged every stored
//! value.
//!
//! Which history belongs to a check: Soda Core's identity (v3 hashes the check line and its
//! configuration, thresholds included; v4 is the check's own `identity:`). Editing a threshold
//! changes a v3 identity, so the page opened from a check (`?check=ID`) pins that check's history
//! to the first check of the file, whatever its thresholds become.

use std::collections::BTreeMap;

use leptos::html;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use shared::api::{CheckHistory, CheckListItem, CheckOutcome};
use shared::sodacl::workbench::{
    Comparison, WorkbenchCheck, WorkbenchReport, WorkbenchRequest, compare,
};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::api;
use crate::chart::outcome_colour;
use crate::components::outcome_badge;

const EXAMPLE: &str = "checks for orders:\n  - row_count > 0\n  - missing_count(customer_id):\n      warn: when > 0\n      fail: when > 10\n";

/// How many checks one backtest looks up (each loads its whole history).
const MAX_BACKTESTS: usize = 20;

#[component]
pub fn EditorPage() -> impl IntoView {
    let query = use_query_map();
    let pinned = query.get_untracked().get("check");
    let text = RwSignal::new(if pinned.is_some() {
        String::new()
    } else {
        EXAMPLE.to_owned()
    });
    let file_name = RwSignal::new("checks.yml".to_owned());
    let data_source = RwSignal::new(String::new());
    let pinned_check = RwSignal::new(None::<CheckListItem>);

    // Opened from a check: start from its definition, on its data source, with its history.
    if let Some(id) = pinned {
        leptos::task::spawn_local(async move {
            if let Ok(detail) = api::check(&id).await {
                if let Some(file) = &detail.file_path {
                    let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
                    file_name.set(base.to_owned());
                }
                data_source.set(detail.check.data_source.clone());
                text.set(definition_as_file(&detail.definition));
                pinned_check.set(Some(detail.check));
            }
        });
    }
    // Known data sources, for the identities (they include the data source's name).
    let sources = LocalResource::new(|| api::datasets(None));
    Effect::new(move || {
        if let Some(Ok(list)) = sources.get()
            && data_source.get_untracked().is_empty()
            && let Some(first) = list.items.first()
        {
            data_source.set(first.data_source.clone());
        }
    });

    let workbench = Workbench::start();
    let report = workbench.report;
    // Look stored history up by identity; only a change of the identities asks the server.
    let identities = Memo::new(move |_| {
        report.with(|r| {
            r.iter()
                .flat_map(|r| &r.checks)
                .filter_map(|c| c.identity.clone())
                .take(MAX_BACKTESTS)
                .collect::<Vec<_>>()
        })
    });
    // Histories found so far, by identity (and PINNED). Lookups only add to it, so an answer
    // arriving late for an identity typed a moment ago can never hide a newer one; and they
    // wait for a pause in typing.
    let cache = RwSignal::new(BTreeMap::<String, Backtest>::new());
    let asked = StoredValue::new(std::collections::BTreeSet::<String>::new());
    let typing = StoredValue::new(0u64);
    Effect::new(move || {
        let wanted = identities.get();
        let pinned = pinned_check.get();
        let round = typing.get_value() + 1;
        typing.set_value(round);
        set_timeout(
            move || {
                if typing.get_value() != round {
                    return;
                }
                let new: Vec<String> = wanted
                    .into_iter()
                    .filter(|id| !asked.with_value(|a| a.contains(id)))
                    .collect();
                let pin = pinned.filter(|_| !asked.with_value(|a| a.contains(PINNED)));
                if new.is_empty() && pin.is_none() {
                    return;
                }
                asked.update_value(|a| {
                    a.extend(new.iter().cloned());
                    if pin.is_some() {
                        a.insert(PINNED.to_owned());
                    }
                });
                leptos::task::spawn_local(async move {
                    let found = load_histories(new, pin).await;
                    if !found.is_empty() {
                        cache.update(|c| c.extend(found));
                    }
                });
            },
            std::time::Duration::from_millis(250),
        );
    });
    let histories = Signal::derive(move || cache.get());
    // Every change of the file, its names or the histories goes to the worker.
    Effect::new(move || {
        let found = histories.get();
        let request = WorkbenchRequest {
            seq: 0,
            text: text.get(),
            file_name: file_name.get(),
            data_source: data_source.get(),
            now: scan_start_now(),
            histories: found
                .iter()
                .filter(|(k, _)| k.as_str() != PINNED)
                .map(|(k, b)| (k.clone(), b.values()))
                .collect(),
            pinned: found.get(PINNED).map(Backtest::values),
            ..WorkbenchRequest::default()
        };
        workbench.send(request);
    });

    view! {
        <h1>"Checks editor"</h1>
        <p class="hint">"Paste or type a checks YAML file. It is checked as you type, in this browser, by the same SodaCL engine Seltzer runs; nothing is sent or saved."</p>
        <div class="editor-options">
            <label for="file-name">"File name"</label>
            <input id="file-name" prop:value=file_name on:input=move |ev| file_name.set(event_target_value(&ev)) />
            <label for="data-source">"Data source"</label>
            <input id="data-source" list="data-sources" prop:value=data_source
                on:input=move |ev| data_source.set(event_target_value(&ev)) />
            <datalist id="data-sources">
                {move || sources.get().and_then(Result::ok).map(|list| {
                    let mut names: Vec<String> = list.items.into_iter().map(|d| d.data_source).collect();
                    names.sort();
                    names.dedup();
                    names.into_iter().map(|n| view! { <option value=n /> }).collect_view()
                })}
            </datalist>
        </div>
        {move || workbench.error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        <div class="editor-layout">
            <Editor text=text report=report />
            <div class="editor-side">
                <Problems report=report />
            </div>
        </div>
        <ParsedChecks report=report histories=histories />
    }
}

/// A stored definition as a checks file. Soda Core sends the section header and the check
/// (`checks for orders:\n  row_count > 0`), sometimes without the list dash: put it back. A
/// filtered section (`checks for orders [daily]:`) needs its filter declared; Soda Core does
/// not send the filter's condition, so a placeholder stands in (it is not part of the check's
/// identity, so the stored history still matches).
fn definition_as_file(definition: &str) -> String {
    let mut lines = definition.lines();
    let header = lines.next().unwrap_or_default();
    let mut out = String::new();
    if let Some(section) = header
        .strip_prefix("checks for ")
        .and_then(|h| h.trim_end().strip_suffix(':'))
        && section.trim_end().ends_with(']')
    {
        out.push_str(&format!(
            "filter {section}:\n  where: 1 = 1  # the filter's condition: Soda Core does not send it\n\n"
        ));
    }
    out.push_str(header);
    out.push('\n');
    for (i, line) in lines.enumerate() {
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        if i == 0 && !body.starts_with("- ") {
            out.push_str(&format!("{indent}- {body}\n"));
        } else {
            out.push_str(&format!("{line}\n"));
        }
    }
    out
}

/// The key of the history pinned to the file's first check.
const PINNED: &str = "pinned";

/// The SodaCL engine's worker: requests go out numbered; only the answer to the latest one is
/// kept (typing outruns an older answer).
#[derive(Clone, Copy)]
struct Workbench {
    worker: StoredValue<Option<web_sys::Worker>, LocalStorage>,
    ready: RwSignal<bool>,
    pending: StoredValue<Option<WorkbenchRequest>>,
    seq: StoredValue<u64>,
    report: RwSignal<Option<WorkbenchReport>>,
    error: RwSignal<Option<String>>,
}

impl Workbench {
    fn start() -> Self {
        let this = Self {
            worker: StoredValue::new_local(None),
            ready: RwSignal::new(false),
            pending: StoredValue::new(None),
            seq: StoredValue::new(0),
            report: RwSignal::new(None),
            error: RwSignal::new(None),
        };
        match web_sys::Worker::new("/sodacl_worker_loader.js") {
            Ok(worker) => {
                let on_message = Closure::<dyn Fn(web_sys::MessageEvent)>::new(
                    move |event: web_sys::MessageEvent| {
                        let Some(text) = event.data().as_string() else {
                            return;
                        };
                        if text == "ready" {
                            this.ready.set(true);
                            if let Some(request) =
                                this.pending.try_update_value(Option::take).flatten()
                            {
                                this.post(&request);
                            }
                            return;
                        }
                        if let Ok(report) = serde_json::from_str::<WorkbenchReport>(&text)
                            && report.seq == this.seq.get_value()
                        {
                            this.report.set(Some(report));
                        }
                    },
                );
                worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
                on_message.forget();
                this.worker.set_value(Some(worker));
            }
            Err(_) => this.error.set(Some(
                "The checks engine (a Web Worker) could not start in this browser.".to_owned(),
            )),
        }
        on_cleanup(move || {
            if let Some(Some(worker)) = this.worker.try_get_value() {
                worker.terminate();
            }
        });
        this
    }

    fn send(self, mut request: WorkbenchRequest) {
        let seq = self.seq.get_value() + 1;
        self.seq.set_value(seq);
        request.seq = seq;
        if self.ready.get_untracked() {
            self.post(&request);
        } else {
            self.pending.set_value(Some(request));
        }
    }

    fn post(self, request: &WorkbenchRequest) {
        let text = serde_json::to_string(request).unwrap_or_default();
        self.worker.with_value(|w| {
            if let Some(w) = w {
                let _ = w.post_message(&JsValue::from_str(&text));
            }
        });
    }
}

/// The stored checks with these identities (and the pinned one), each with its whole history.
async fn load_histories(
    wanted: Vec<String>,
    pinned: Option<CheckListItem>,
) -> BTreeMap<String, Backtest> {
    let mut found = BTreeMap::new();
    let mut stored: Vec<(String, CheckListItem)> = if wanted.is_empty() {
        Vec::new()
    } else {
        api::checks_by_identity(&wanted)
            .await
            .map(|l| {
                l.items
                    .into_iter()
                    .map(|c| (c.identity.clone(), c))
                    .collect()
            })
            .unwrap_or_default()
    };
    if let Some(p) = pinned {
        stored.push((PINNED.to_owned(), p));
    }
    for (key, check) in stored.into_iter().take(MAX_BACKTESTS + 1) {
        if let Ok(history) = api::history(&check.id.to_string(), None, 10_000).await {
            found.insert(
                key,
                Backtest {
                    stored: check,
                    history,
                },
            );
        }
    }
    found
}

/// The text area with a line-number gutter that marks lines with errors and warnings.
#[component]
fn Editor(text: RwSignal<String>, report: RwSignal<Option<WorkbenchReport>>) -> impl IntoView {
    let gutter = NodeRef::<html::Pre>::new();
    let lines = move || text.with(|t| t.split('\n').count().max(1));
    // Line → has an error (else only warnings).
    let marks = move || {
        let mut marks: BTreeMap<u32, bool> = BTreeMap::new();
        report.with(|r| {
            for p in r.iter().flat_map(|r| &r.problems) {
                *marks.entry(p.line).or_insert(false) |= p.error;
            }
        });
        marks
    };
    let on_scroll = move |ev: leptos::ev::Event| {
        let area = event_target::<web_sys::HtmlTextAreaElement>(&ev);
        if let Some(g) = gutter.get() {
            g.set_scroll_top(area.scroll_top());
        }
    };
    view! {
        <div class="editor">
            <pre class="gutter" aria-hidden="true" node_ref=gutter>
                {move || {
                    let marks = marks();
                    (1..=lines()).map(|n| {
                        let class = match marks.get(&u32::try_from(n).unwrap_or(u32::MAX)) {
                            Some(true) => "line line-error",
                            Some(false) => "line line-warning",
                            None => "line",
                        };
                        view! { <span class=class data-line=n>{n}"\n"</span> }
                    }).collect_view()
                }}
            </pre>
            <label for="checks-yaml" class="visually-hidden">"Checks YAML"</label>
            <textarea id="checks-yaml" spellcheck="false" autocomplete="off" wrap="off"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                on:scroll=on_scroll></textarea>
        </div>
    }
}

#[component]
fn Problems(report: RwSignal<Option<WorkbenchReport>>) -> impl IntoView {
    view! {
        <section aria-labelledby="problems-title">
            <h2 id="problems-title">"Problems"</h2>
            {move || report.with(|r| {
                let Some(r) = r else {
                    return view! { <p class="loading" aria-busy="true">"Starting the checks engine…"</p> }.into_any();
                };
                if r.problems.is_empty() {
                    return view! {
                        <p class="ok-state" id="no-problems"><span aria-hidden="true">"✓ "</span>
                            {format!("No problems: {} check{} parsed.", r.checks.len(), if r.checks.len() == 1 { "" } else { "s" })}</p>
                    }.into_any();
                }
                let items = r.problems.iter().map(|p| {
                    let (class, word) = if p.error {
                        ("problem problem-error", "error")
                    } else {
                        ("problem problem-warning", "warning")
                    };
                    view! {
                        <li class=class data-line=p.line>
                            <span class="problem-where">{format!("line {}:{}", p.line, p.col)}</span>" "
                            <span class="problem-kind">{word}</span>" "{p.message.clone()}
                        </li>
                    }
                }).collect_view();
                view! {
                    <p class="summary" id="problem-count">{format!("{} error{}, {} warning{}",
                        r.errors, if r.errors == 1 { "" } else { "s" },
                        r.warnings, if r.warnings == 1 { "" } else { "s" })}
                        {r.aborted.then_some(" · Soda Core would stop reading the file at the first error")}</p>
                    <ol class="problems" id="problems">{items}</ol>
                }.into_any()
            })}
        </section>
    }
}

/// A stored check with its history, for the backtest.
#[derive(Clone, PartialEq)]
struct Backtest {
    stored: CheckListItem,
    history: CheckHistory,
}

impl Backtest {
    fn values(&self) -> Vec<Option<f64>> {
        self.history.points.iter().map(|p| p.value).collect()
    }
}

#[component]
fn ParsedChecks(
    report: RwSignal<Option<WorkbenchReport>>,
    histories: Signal<BTreeMap<String, Backtest>>,
) -> impl IntoView {
    view! {
        <section aria-labelledby="parsed-title">
            <h2 id="parsed-title">"Checks in this file"</h2>
            {move || {
                let found = histories.get();
                report.with(|r| {
                    let checks: &[WorkbenchCheck] = r.as_ref().map_or(&[], |r| &r.checks);
                    if checks.is_empty() {
                        return view! { <p class="empty-state">"No checks parsed yet."</p> }.into_any();
                    }
                    let rows = checks.iter().map(|c| {
                        let stored = match c.history.as_deref() {
                            Some("identity") => c.identity.as_ref().and_then(|id| found.get(id)),
                            Some(_) => found.get(PINNED),
                            None => None,
                        };
                        let cell = match (stored, &c.backtest, &c.not_backtested) {
                            (Some(t), Some(outcomes), _) => backtest_cell(t, outcomes),
                            (Some(t), None, Some(reason)) => view! {
                                <span class="muted not-backtested">
                                    {format!("{} stored results; not backtested: {reason}", t.history.points.len())}
                                </span>
                            }.into_any(),
                            _ => view! { <span class="muted">"no stored history"</span> }.into_any(),
                        };
                        view! {
                            <tr data-line=c.line>
                                <td class="number">{c.line}</td>
                                <td>{c.dataset.clone().unwrap_or_default()}</td>
                                <td class="check-name">{c.name.clone()}</td>
                                <td><code>{c.fail.clone()}</code></td>
                                <td><code>{c.warn.clone()}</code></td>
                                <td><code class="identity">{c.identity.clone().unwrap_or_default()}</code></td>
                                <td class="backtest">{cell}</td>
                            </tr>
                        }
                    }).collect_view();
                    view! {
                        <div class="table-scroll">
                            <table class="checks" id="parsed-checks">
                                <thead><tr><th>"Line"</th><th>"Dataset"</th><th>"Check"</th><th>"Fail when"</th><th>"Warn when"</th><th>"Identity"</th><th>"Backtest on stored values"</th></tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        </div>
                    }.into_any()
                })
            }}
        </section>
    }
}

/// The edited check's outcomes for every stored value: counts, how many differ from what was
/// stored, and a strip of points coloured by the new outcome.
fn backtest_cell(test: &Backtest, outcomes: &[Option<CheckOutcome>]) -> AnyView {
    let points = &test.history.points;
    let Comparison { changed, after, .. } = compare(points.iter().map(|p| p.outcome), outcomes);
    let judged: Vec<(Option<f64>, Option<CheckOutcome>)> = points
        .iter()
        .map(|p| p.value)
        .zip(outcomes.iter().copied())
        .collect();
    let summary = format!(
        "✕ {} fail · ! {} warn · ✓ {} pass{}",
        after.fail,
        after.warn,
        after.pass,
        if after.not_evaluated > 0 {
            format!(" · – {} not evaluated", after.not_evaluated)
        } else {
            String::new()
        }
    );
    let verdict = if changed == 0 {
        "same outcomes as stored".to_owned()
    } else {
        format!("{changed} of {} outcomes would change", points.len())
    };
    view! {
        <div class="backtest-result" data-points=points.len() data-fail=after.fail data-warn=after.warn data-pass=after.pass data-changed=changed>
            <a href=format!("/checks/{}", test.stored.id)>{format!("{} stored values", points.len())}</a>
            {test.history.downsampled.then_some(" (downsampled)")}
            <div class="backtest-counts">{summary}</div>
            <div class="muted">{verdict}" · now "{outcome_badge(test.stored.outcome)}</div>
            {strip(&judged)}
        </div>
    }
    .into_any()
}

/// A small chart: one dot per value (height by value, colour by the backtested outcome).
fn strip(judged: &[(Option<f64>, Option<CheckOutcome>)]) -> AnyView {
    let (w, h) = (240.0, 40.0);
    let values: Vec<f64> = judged.iter().filter_map(|(v, _)| *v).collect();
    let (low, high) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(*v), h.max(*v))
        });
    let span = if high > low { high - low } else { 1.0 };
    let n = judged.len().max(2) as f64 - 1.0;
    let dots = judged
        .iter()
        .enumerate()
        .filter_map(|(i, (v, o))| {
            let v = (*v)?;
            let x = 3.0 + i as f64 / n * (w - 6.0);
            let y = h - 3.0 - (v - low) / span * (h - 6.0);
            Some(view! { <circle cx=format!("{x:.1}") cy=format!("{y:.1}") r="2.2" fill=outcome_colour(*o) /> })
        })
        .collect_view();
    view! {
        <svg class="strip" viewBox=format!("0 0 {w} {h}") width=w height=h role="img"
            aria-label="Stored values coloured by the outcome the edited check gives them">{dots}</svg>
    }
    .into_any()
}

/// `${NOW}` as Soda Core sets it when a scan starts (`datetime.now(timezone.utc).isoformat()`),
/// from the browser's clock: `2026-12-06T07:54:27.123000+00:00`.
fn scan_start_now() -> String {
    let iso = String::from(js_sys::Date::new_0().to_iso_string());
    match iso.strip_suffix('Z') {
        Some(millis) => format!("{millis}000+00:00"),
        None => iso,
    }
}
