//! The checks editor's Web Worker: the SodaCL engine (`shared::sodacl::workbench`) off the page's
//! main thread and out of the dashboard's first download. It answers each message (a JSON
//! `WorkbenchRequest`) with a JSON `WorkbenchReport`; its first message, `"ready"`, says it can
//! take requests.

use shared::sodacl::workbench::{WorkbenchReport, WorkbenchRequest, run};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

fn main() {
    console_error_panic_hook::set_once();
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply = scope.clone();
    let on_message =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let Some(text) = event.data().as_string() else {
                return;
            };
            let report = match serde_json::from_str::<WorkbenchRequest>(&text) {
                Ok(request) => run(&request),
                // The page and the worker come from the same build: this is a bug, shown as one.
                Err(e) => WorkbenchReport {
                    problems: vec![shared::sodacl::workbench::Problem {
                        line: 1,
                        col: 1,
                        error: true,
                        message: format!("the editor's worker could not read the request: {e}"),
                    }],
                    errors: 1,
                    ..WorkbenchReport::default()
                },
            };
            let answer = serde_json::to_string(&report).unwrap_or_default();
            let _ = reply.post_message(&JsValue::from_str(&answer));
        });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let _ = scope.post_message(&JsValue::from_str("ready"));
}
