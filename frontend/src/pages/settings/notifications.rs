//! Notifications: channels (admins add, test and delete them; their URLs and secrets are never
//! shown again), rules (editors: which checks, which outcomes, every result or on change,
//! paused or not), and the delivery log with "redeliver".

use std::collections::BTreeMap;

use leptos::prelude::*;
use shared::api::{
    Channel, ChannelType, CheckOutcome, DeliveryStatus, EmailSettings, IncidentAutomation,
    IncidentSeverity, NewChannel, Rule, RuleDefinition, RuleFilter, RuleMode, Simulation,
    SmtpSecurity,
};

use super::Requests;
use crate::api;
use crate::components::{rule_summary, table_of};
use crate::prefs::Time;

#[component]
pub(super) fn Notifications() -> impl IntoView {
    let channels = LocalResource::new(api::channels);
    let rules = LocalResource::new(api::rules);
    let deliveries = LocalResource::new(api::deliveries);
    view! {
        <section class="settings-section" aria-labelledby="notifications-title">
            <h2 id="notifications-title">"Notifications"</h2>
            <p class="hint">"Messages to Slack, Microsoft Teams, a webhook or email when checks fail or warn, scans fail or datasets go without scans. Seltzer needs its public address (--public-url) for the links in them."</p>
            <Channels channels=channels deliveries=deliveries />
            <Rules rules=rules channels=channels />
            <Deliveries deliveries=deliveries />
        </section>
    }
}

fn channel_type(value: &str) -> ChannelType {
    ChannelType::parse(value).unwrap_or(ChannelType::Webhook)
}

/// An email channel's form fields.
#[derive(Clone, Copy)]
struct SmtpFields {
    host: RwSignal<String>,
    port: RwSignal<String>,
    security: RwSignal<String>,
    username: RwSignal<String>,
    password: RwSignal<String>,
    from: RwSignal<String>,
    to: RwSignal<String>,
}

impl SmtpFields {
    fn new() -> Self {
        Self {
            host: RwSignal::new(String::new()),
            port: RwSignal::new("587".to_owned()),
            security: RwSignal::new("starttls".to_owned()),
            username: RwSignal::new(String::new()),
            password: RwSignal::new(String::new()),
            from: RwSignal::new(String::new()),
            to: RwSignal::new(String::new()),
        }
    }

    fn settings(self) -> EmailSettings {
        let text = |s: RwSignal<String>| {
            let v = s.get_untracked().trim().to_owned();
            (!v.is_empty()).then_some(v)
        };
        EmailSettings {
            host: self.host.get_untracked().trim().to_owned(),
            port: self.port.get_untracked().trim().parse().unwrap_or(0),
            security: match self.security.get_untracked().as_str() {
                "tls" => SmtpSecurity::Tls,
                "none" => SmtpSecurity::None,
                _ => SmtpSecurity::Starttls,
            },
            username: text(self.username),
            password: text(self.password),
            from: self.from.get_untracked().trim().to_owned(),
            to: self
                .to
                .get_untracked()
                .split([',', ';', '\n'])
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

#[component]
fn SmtpInputs(fields: SmtpFields) -> impl IntoView {
    let input = |id: &'static str,
                 label: &'static str,
                 kind: &'static str,
                 placeholder: &'static str,
                 signal: RwSignal<String>| {
        view! {
            <label for=id>{label}</label>
            <input id=id type=kind placeholder=placeholder prop:value=signal
                on:input=move |ev| signal.set(event_target_value(&ev)) />
        }
    };
    view! {
        {input("smtp-host", "SMTP server", "text", "smtp.example.com", fields.host)}
        {input("smtp-port", "Port", "number", "587", fields.port)}
        <label for="smtp-security">"Security"</label>
        <select id="smtp-security" on:change=move |ev| fields.security.set(event_target_value(&ev))>
            <option value="starttls">"STARTTLS"</option>
            <option value="tls">"TLS"</option>
            <option value="none">"none (a relay on this machine)"</option>
        </select>
        {input("smtp-user", "User", "text", "optional", fields.username)}
        {input("smtp-password", "Password", "password", "optional", fields.password)}
        {input("smtp-from", "From", "text", "Seltzer <seltzer@example.com>", fields.from)}
        {input("smtp-to", "To", "text", "a@example.com, b@example.com", fields.to)}
    }
}

#[component]
fn Channels(
    channels: LocalResource<Result<Vec<Channel>, shared::api::ApiError>>,
    deliveries: LocalResource<Result<shared::api::DeliveryList, shared::api::ApiError>>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new("slack".to_owned());
    let url = RwSignal::new(String::new());
    let secret = RwSignal::new(String::new());
    let smtp = SmtpFields::new();
    let incident_events = RwSignal::new(false);
    let requests = Requests::new();
    let (busy, error) = (requests.busy, requests.error);
    let is_email = move || kind.get() == "email";
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let signing = secret.get_untracked();
        let channel_type = channel_type(&kind.get_untracked());
        let email = (channel_type == ChannelType::Email).then(|| smtp.settings());
        let channel = NewChannel {
            name: name.get_untracked().trim().to_owned(),
            channel_type,
            url: if email.is_some() {
                String::new()
            } else {
                url.get_untracked().trim().to_owned()
            },
            headers: BTreeMap::new(),
            secret: (email.is_none() && !signing.is_empty()).then_some(signing),
            email,
            incidents: incident_events.get_untracked(),
        };
        let request = async move { api::create_channel(&channel).await };
        requests.submit(request, move |()| {
            name.set(String::new());
            url.set(String::new());
            secret.set(String::new());
            channels.refetch();
        });
    };
    let test = move |id: i64| requests.act(deliveries, async move { api::test_channel(id).await });
    let remove =
        move |id: i64| requests.act(channels, async move { api::delete_channel(id).await });
    view! {
        <h3>"Channels"</h3>
        <form class="inline-form" id="new-channel" on:submit=create>
            <label for="channel-name">"Name"</label>
            <input id="channel-name" required placeholder="e.g. data-alerts" prop:value=name
                on:input=move |ev| name.set(event_target_value(&ev)) />
            <label for="channel-type">"Type"</label>
            <select id="channel-type" on:change=move |ev| kind.set(event_target_value(&ev))>
                <option value="slack">"Slack"</option>
                <option value="teams">"Microsoft Teams"</option>
                <option value="webhook">"Webhook"</option>
                <option value="email">"Email (SMTP)"</option>
            </select>
            <Show when=move || !is_email()>
                <label for="channel-url">"URL"</label>
                <input id="channel-url" type="url" required placeholder="https://hooks.slack.com/services/…"
                    prop:value=url on:input=move |ev| url.set(event_target_value(&ev)) />
            </Show>
            <Show when=is_email>
                <SmtpInputs fields=smtp />
            </Show>
            <Show when=move || kind.get() == "webhook">
                <label for="channel-secret">"Signing secret"</label>
                <input id="channel-secret" type="password" placeholder="optional" prop:value=secret
                    on:input=move |ev| secret.set(event_target_value(&ev)) />
            </Show>
            <label class="checkbox"><input type="checkbox" id="channel-incidents" prop:checked=incident_events
                on:change=move |ev| incident_events.set(event_target_checked(&ev)) />"incident events too"</label>
            <button type="submit" disabled=move || busy.get()>"Add channel"</button>
        </form>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        {table_of("channels", channels, "No channels yet.", "channels",
            &["Name", "Type", "Address", "", ""], move |c| view! {
                <tr data-channel=c.id>
                    <td>{c.name.clone()}</td>
                    <td>{c.channel_type.as_str()}{c.incidents.then_some(" · incidents")}</td>
                    <td><code>{match &c.email {
                        Some(e) => format!("{} → {}", c.url, e.to.join(", ")),
                        None => c.url.clone(),
                    }}</code></td>
                    <td>{if c.signed { "signed" } else { "" }}</td>
                    <td>
                        <button type="button" class="test-channel" on:click=move |_| test(c.id)>"Send a test"</button>
                        " "
                        <button type="button" class="danger delete-channel"
                            aria-label=format!("Delete the channel {}", c.name)
                            on:click=move |_| remove(c.id)>"Delete"</button>
                    </td>
                </tr>
            })}
    }
}

/// "3 messages", "1 message".
fn count(n: i64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// "Over the last 30 days of 40 results of 2 checks, this rule would have sent 3 messages
/// telling of 3 results (40 with every result)."
fn simulation_words(s: &Simulation) -> String {
    let other = if s.messages == s.on_change_messages {
        format!(
            "{} with every result",
            count(s.every_result_messages, "message")
        )
    } else {
        format!("{} on change only", count(s.on_change_messages, "message"))
    };
    format!(
        "Over the last {} days of {} of {}, this rule would have sent {} telling of {} ({other}).",
        s.days,
        count(s.results, "result"),
        count(s.checks, "check"),
        count(s.messages, "message"),
        count(s.notices, "result"),
    )
}

#[component]
fn Rules(
    rules: LocalResource<Result<Vec<Rule>, shared::api::ApiError>>,
    channels: LocalResource<Result<Vec<Channel>, shared::api::ApiError>>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let channel_ids = RwSignal::new(Vec::<i64>::new());
    let with_warn = RwSignal::new(false);
    let on_change = RwSignal::new(true);
    let dataset = RwSignal::new(String::new());
    let check_name = RwSignal::new(String::new());
    let scan_failures = RwSignal::new(false);
    let no_scan_hours = RwSignal::new(String::new());
    let late_run_minutes = RwSignal::new(String::new());
    let open_incidents = RwSignal::new(false);
    let incident_severity = RwSignal::new("major".to_owned());
    let resolve_on_recovery = RwSignal::new(false);
    let requests = Requests::new();
    let (busy, error) = (requests.busy, requests.error);
    let text = |s: RwSignal<String>| {
        let v = s.get_untracked().trim().to_owned();
        (!v.is_empty()).then_some(v)
    };
    let preview = RwSignal::new(None::<String>);
    let definition = move || {
        let mut outcomes = vec![CheckOutcome::Fail];
        if with_warn.get_untracked() {
            outcomes.push(CheckOutcome::Warn);
        }
        let on_change = on_change.get_untracked();
        RuleDefinition {
            name: name.get_untracked().trim().to_owned(),
            channel_ids: channel_ids.get_untracked(),
            outcomes,
            mode: if on_change {
                RuleMode::OnChange
            } else {
                RuleMode::EveryResult
            },
            recovery: on_change,
            suppress_minutes: 0,
            scan_failures: scan_failures.get_untracked(),
            no_scan_hours: no_scan_hours.get_untracked().trim().parse().ok(),
            late_run_minutes: late_run_minutes.get_untracked().trim().parse().ok(),
            filter: RuleFilter {
                dataset: text(dataset),
                check_name: text(check_name),
                ..RuleFilter::default()
            },
            incidents: open_incidents.get_untracked().then(|| IncidentAutomation {
                severity: IncidentSeverity::parse(&incident_severity.get_untracked())
                    .unwrap_or(IncidentSeverity::Major),
                resolve_on_recovery: resolve_on_recovery.get_untracked(),
            }),
            paused: false,
        }
    };
    let try_it = move |_| {
        let request = api::simulate_rule(definition(), 30);
        requests.submit(request, move |s| preview.set(Some(simulation_words(&s))));
    };
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let rule = definition();
        let request = async move { api::create_rule(&rule).await };
        requests.submit(request, move |()| {
            name.set(String::new());
            rules.refetch();
        });
    };
    let toggle = move |rule: Rule| {
        let mut definition = rule.definition;
        definition.paused = !definition.paused;
        requests.act(rules, async move {
            api::update_rule(rule.id, &definition).await
        });
    };
    let remove = move |id: i64| requests.act(rules, async move { api::delete_rule(id).await });
    let channel_names = move || -> BTreeMap<i64, String> {
        channels
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect()
    };
    let channel_boxes = move || {
        channels.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|c| {
            let id = c.id;
            let checked = move || channel_ids.get().contains(&id);
            view! {
                <label class="checkbox">
                    <input type="checkbox" class="rule-channel" value=id prop:checked=checked
                        on:change=move |_| channel_ids.update(|ids| {
                            if let Some(at) = ids.iter().position(|x| *x == id) { ids.remove(at); } else { ids.push(id); }
                        }) />
                    {c.name}
                </label>
            }
        }).collect_view()
    };
    view! {
        <h3>"Rules"</h3>
        <form class="inline-form" id="new-rule" on:submit=create>
            <label for="rule-name">"Name"</label>
            <input id="rule-name" required placeholder="e.g. orders failures" prop:value=name
                on:input=move |ev| name.set(event_target_value(&ev)) />
            <span class="label">"Send to"</span>
            {channel_boxes}
            <label class="checkbox"><input type="checkbox" id="rule-warn" prop:checked=with_warn
                on:change=move |ev| with_warn.set(event_target_checked(&ev)) />"warnings too"</label>
            <label class="checkbox"><input type="checkbox" id="rule-on-change" prop:checked=on_change
                on:change=move |ev| on_change.set(event_target_checked(&ev)) />"only on change, and recovery"</label>
            <label for="rule-dataset">"Dataset"</label>
            <input id="rule-dataset" placeholder="any" prop:value=dataset
                on:input=move |ev| dataset.set(event_target_value(&ev)) />
            <label for="rule-check">"Check name"</label>
            <input id="rule-check" placeholder="any; * for any text" prop:value=check_name
                on:input=move |ev| check_name.set(event_target_value(&ev)) />
            <label class="checkbox"><input type="checkbox" id="rule-scan-failures" prop:checked=scan_failures
                on:change=move |ev| scan_failures.set(event_target_checked(&ev)) />"failed scans too"</label>
            <label for="rule-no-scan">"No scan for"</label>
            <input id="rule-no-scan" type="number" min="1" max="8760" class="narrow" placeholder="–"
                prop:value=no_scan_hours on:input=move |ev| no_scan_hours.set(event_target_value(&ev)) />
            <span class="label">"hours"</span>
            <label for="rule-late-run">"Scheduled run late by"</label>
            <input id="rule-late-run" type="number" min="1" max="1440" class="narrow" placeholder="–"
                prop:value=late_run_minutes on:input=move |ev| late_run_minutes.set(event_target_value(&ev)) />
            <span class="label">"minutes"</span>
            <label class="checkbox"><input type="checkbox" id="rule-incidents" prop:checked=open_incidents
                on:change=move |ev| open_incidents.set(event_target_checked(&ev)) />"open incidents"</label>
            {move || open_incidents.get().then(|| view! {
                <label for="rule-incident-severity">"as"</label>
                <select id="rule-incident-severity" prop:value=incident_severity
                    on:change=move |ev| incident_severity.set(event_target_value(&ev))>
                    <option value="minor">"minor"</option>
                    <option value="major">"major"</option>
                    <option value="critical">"critical"</option>
                </select>
                <label class="checkbox"><input type="checkbox" id="rule-incident-resolve" prop:checked=resolve_on_recovery
                    on:change=move |ev| resolve_on_recovery.set(event_target_checked(&ev)) />"resolved when the check passes again"</label>
            })}
            <button type="button" id="preview-rule" disabled=move || busy.get() on:click=try_it>"Preview"</button>
            <button type="submit" disabled=move || busy.get()>"Add rule"</button>
        </form>
        {move || preview.get().map(|p| view! { <p class="hint" id="rule-preview">{p}</p> })}
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        {table_of("rules", rules, "No rules yet: nobody is told when checks fail.", "rules",
            &["Name", "Tells", "To", ""], move |r| {
                let names = channel_names();
                let to = r.definition.channel_ids.iter().map(|id| names.get(id).cloned().unwrap_or_else(|| format!("#{id}"))).collect::<Vec<_>>().join(", ");
                let (id, paused) = (r.id, r.definition.paused);
                let summary = rule_summary(&r.definition);
                let name = r.definition.name.clone();
                view! {
                    <tr data-rule=id class:paused=paused>
                        <td>{name.clone()}</td><td>{summary}</td><td>{to}</td>
                        <td>
                            <button type="button" class="pause-rule" on:click=move |_| toggle(r.clone())>{if paused { "Resume" } else { "Pause" }}</button>
                            " "
                            <button type="button" class="danger delete-rule" aria-label=format!("Delete the rule {name}")
                                on:click=move |_| remove(id)>"Delete"</button>
                        </td>
                    </tr>
                }
            })}
    }
}

#[component]
fn Deliveries(
    deliveries: LocalResource<Result<shared::api::DeliveryList, shared::api::ApiError>>,
) -> impl IntoView {
    let requests = Requests::new();
    let error = requests.error;
    let again =
        move |id: String| requests.act(deliveries, async move { api::redeliver(&id).await });
    view! {
        <div class="section-head">
            <h3>"Delivery log"</h3>
            <button type="button" id="refresh-deliveries" on:click=move |_| deliveries.refetch()>"Refresh"</button>
        </div>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        <Transition fallback=|| view! { <p class="loading" aria-busy="true">"Loading deliveries…"</p> }>
            {move || Suspend::new(async move {
                match deliveries.await {
                    Ok(list) if list.items.is_empty() => view! { <p class="empty-state">"Nothing sent yet."</p> }.into_any(),
                    Ok(list) => {
                        let rows = list.items.into_iter().map(|d| {
                            let status = d.status.as_str();
                            let retry = (d.status == DeliveryStatus::Dead).then(|| {
                                let id = d.id.clone();
                                view! { <button type="button" class="redeliver" on:click=move |_| again(id.clone())>"Redeliver"</button> }
                            });
                            view! {
                                <tr data-delivery=d.id data-status=status>
                                    <td><Time ts=Some(d.created_at) /></td>
                                    <td>{d.channel}</td>
                                    <td>{d.event}</td>
                                    <td class="number">{d.checks}</td>
                                    <td class=format!("delivery-{status}")>{status}</td>
                                    <td class="number">{d.attempts}</td>
                                    <td>{d.last_response.unwrap_or_default()}</td>
                                    <td>{retry}</td>
                                </tr>
                            }
                        }).collect_view();
                        view! {
                            <div class="table-scroll">
                                <table class="checks" id="deliveries">
                                    <thead><tr><th>"Queued"</th><th>"Channel"</th><th>"Event"</th><th>"Checks"</th><th>"Status"</th><th>"Attempts"</th><th>"Last answer"</th><th></th></tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}
