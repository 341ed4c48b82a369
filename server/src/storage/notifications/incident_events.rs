//! Incident events (`incidentCreated`, `incidentUpdated`): one delivery per channel that
//! receives them, written in the transaction that changed the incident, with the incident as
//! it then is.

use super::*;
use crate::storage::incidents::{
    IncidentChangeRow, callback_path, load_incident, load_links, load_results,
};

pub(in crate::storage) async fn enqueue_incident_event(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    incident_id: i64,
    event: &str,
    changes: &[IncidentChangeRow],
    actor: &str,
    at: i64,
) -> Result<(), StorageError> {
    let channels: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM notification_channels WHERE incidents = 1")
            .fetch_all(&mut **tx)
            .await?;
    if channels.is_empty() {
        return Ok(());
    }
    let Some(incident) = load_incident(&mut **tx, incident_id).await? else {
        return Ok(());
    };
    let check_results: Vec<_> = load_results(&mut **tx, incident_id)
        .await?
        .into_iter()
        .map(|r| r.to_api())
        .collect();
    let count = i64::try_from(check_results.len()).unwrap_or(i64::MAX);
    let links = load_links(&mut **tx, incident_id).await?;
    let link_callback_path = callback_path(&mut **tx, incident_id).await?;
    let notice = IncidentNotice {
        incident: incident.to_api(),
        check_results,
        links,
        link_callback_path,
        changes: changes
            .iter()
            .map(|c| IncidentEvent {
                at: timestamp::format(at),
                actor: actor.to_owned(),
                kind: c.kind.to_owned(),
                from: c.from.clone(),
                to: c.to.clone(),
            })
            .collect(),
    };
    let body = serde_json::to_string(&notice).unwrap_or_default();
    for channel in channels {
        let id = credentials::random_hex(16);
        insert_delivery(&mut **tx, &id, channel, event, None, &body, count).await?;
    }
    Ok(())
}
