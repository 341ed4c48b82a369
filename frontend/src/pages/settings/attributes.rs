//! Check attribute definitions as Soda Core receives them: listed for everyone, defined and
//! deleted by editors.

use leptos::prelude::*;
use shared::api::{ATTRIBUTE_TYPES, NewAttribute};

use super::{Requests, comma_list};
use crate::api;
use crate::components::table_of;

/// Check attribute definitions: listed for everyone, created and deleted by editors.
#[component]
pub(super) fn Attributes() -> impl IntoView {
    let attributes = LocalResource::new(api::attributes);
    let name = RwSignal::new(String::new());
    let label = RwSignal::new(String::new());
    let kind = RwSignal::new(ATTRIBUTE_TYPES[0].to_owned());
    let allowed = RwSignal::new(String::new());
    let requests = Requests::new();
    let (busy, error) = (requests.busy, requests.error);
    let selects = move || kind.get().ends_with("Select");
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let label = label.get_untracked();
        let allowed_values = if kind.get_untracked().ends_with("Select") {
            comma_list(&allowed.get_untracked())
        } else {
            Vec::new()
        };
        let attribute = NewAttribute {
            name: name.get_untracked().trim().to_owned(),
            attribute_type: kind.get_untracked(),
            label: (!label.trim().is_empty()).then(|| label.trim().to_owned()),
            allowed_values,
        };
        let request = async move { api::create_attribute(&attribute).await };
        requests.submit(request, move |()| {
            name.set(String::new());
            allowed.set(String::new());
            attributes.refetch();
        });
    };
    let remove = move |name: String| {
        requests.act(
            attributes,
            async move { api::delete_attribute(&name).await },
        );
    };
    view! {
        <section class="settings-section" aria-labelledby="attributes-title">
            <h2 id="attributes-title">"Check attributes"</h2>
            <p class="hint">"Soda Core skips a whole scan whose checks use an attribute not defined here (editors define them)."</p>
            <form class="inline-form" id="new-attribute" on:submit=create>
                <label for="attribute-name">"Name"</label>
                <input id="attribute-name" required placeholder="e.g. owner" prop:value=name
                    on:input=move |ev| name.set(event_target_value(&ev)) />
                <label for="attribute-label">"Label"</label>
                <input id="attribute-label" placeholder="optional" prop:value=label
                    on:input=move |ev| label.set(event_target_value(&ev)) />
                <label for="attribute-type">"Type"</label>
                <select id="attribute-type" on:change=move |ev| kind.set(event_target_value(&ev))>
                    {ATTRIBUTE_TYPES.iter().map(|t| view! { <option value=*t>{*t}</option> }).collect_view()}
                </select>
                <Show when=selects>
                    <label for="attribute-allowed">"Allowed values"</label>
                    <input id="attribute-allowed" required placeholder="comma-separated" prop:value=allowed
                        on:input=move |ev| allowed.set(event_target_value(&ev)) />
                </Show>
                <button type="submit" disabled=move || busy.get()>"Define attribute"</button>
            </form>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {table_of("attributes", attributes, "No attributes defined.", "attributes",
                &["Name", "Label", "Type", "Allowed values", ""], move |a| {
                let allowed = a.allowed_values.map(|v| v.iter().map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned)).collect::<Vec<_>>().join(", ")).unwrap_or_default();
                let (target, row_key) = (a.name.clone(), a.name.clone());
                let action = format!("Delete the attribute {}", a.name);
                view! {
                    <tr data-attribute=row_key>
                        <td><code>{a.name}</code></td><td>{a.label}</td><td>{a.attribute_type}</td><td>{allowed}</td>
                        <td><button type="button" class="danger delete-attribute"
                            aria-label=action
                            on:click=move |_| remove(target.clone())>"Delete"</button></td>
                    </tr>
                }
            })}
        </section>
    }
}
