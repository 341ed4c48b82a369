//! Users, API keys and attributes: who may manage them.

use super::*;

on_both_engines!(management_is_allowed_by_role);

/// Attributes, API keys and users over the API, each allowed or refused by role.
async fn management_is_allowed_by_role(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let viewer_auth = seltzer.basic_auth(Role::Viewer).await;
    let editor_auth = seltzer.basic_auth(Role::Editor).await;
    let admin_auth = seltzer.basic_auth(Role::Admin).await;
    let viewer = seltzer.authorized(&viewer_auth);
    let editor = seltzer.authorized(&editor_auth);
    let admin = seltzer.authorized(&admin_auth);
    let attribute =
        json!({"name": "team", "type": "singleSelect", "allowedValues": ["growth", "core"]});

    // Attributes: everyone reads, editors and admins change.
    assert_eq!(viewer.get("/api/attributes").await.status, StatusCode::OK);
    let by_viewer = viewer.post("/api/attributes", attribute.clone()).await;
    assert_eq!(by_viewer.status, StatusCode::FORBIDDEN);
    let created = editor.post("/api/attributes", attribute.clone()).await;
    assert_eq!(created.status, StatusCode::OK);
    assert_eq!(created.json()["allowedValues"], json!(["growth", "core"]));
    let again = admin.post("/api/attributes", attribute).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    editor
        .post("/api/attributes", json!({"name": "x", "type": "colour"}))
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "unknown attribute type 'colour'");
    let listed = viewer.get("/api/attributes").await.json();
    let teams = listed.as_array().unwrap().iter();
    assert_eq!(teams.filter(|a| a["name"] == "team").count(), 1);
    for (client, status) in [
        (&viewer, StatusCode::FORBIDDEN),
        (&editor, StatusCode::OK),
        (&editor, StatusCode::NOT_FOUND),
    ] {
        assert_eq!(client.delete("/api/attributes/team").await.status, status);
    }

    // API keys and users: admins only; a new key's secret is shown once and works at once.
    for client in [&viewer, &editor] {
        for path in ["/api/api-keys", "/api/users"] {
            assert_eq!(client.get(path).await.status, StatusCode::FORBIDDEN);
        }
        let key = client.post("/api/api-keys", json!({"name": "x"})).await;
        assert_eq!(key.status, StatusCode::FORBIDDEN);
    }
    let new_key = admin
        .post("/api/api-keys", json!({"name": "ci", "role": "editor"}))
        .await
        .json();
    let (id, secret) = (
        new_key["id"].as_str().unwrap(),
        new_key["secret"].as_str().unwrap(),
    );
    assert_eq!(new_key["role"], "editor");
    let listed = admin.get("/api/api-keys").await;
    let keys = listed.json();
    let mut keys = keys.as_array().unwrap().iter();
    assert!(keys.any(|k| k["id"] == id && k["role"] == "editor"));
    assert!(!listed.text().contains(secret), "secrets are never listed");
    let new_auth = basic(id, secret);
    let with_new_key = seltzer.authorized(&new_auth);
    assert_eq!(
        with_new_key.get("/api/v1/test-login").await.status,
        StatusCode::OK
    );
    let revoke = admin.delete(format!("/api/api-keys/{id}")).await;
    assert_eq!(revoke.status, StatusCode::OK);
    assert_eq!(
        with_new_key.get("/api/v1/test-login").await.status,
        StatusCode::UNAUTHORIZED
    );

    let user = json!({"email": "Eve@Example.com", "role": "editor", "password": PASSWORD});
    assert_eq!(
        admin.post("/api/users", user.clone()).await.json(),
        json!({"email": "eve@example.com", "role": "editor"})
    );
    assert_eq!(
        admin.post("/api/users", user).await.status,
        StatusCode::CONFLICT
    );
    let weak = json!({"email": "x@example.com", "role": "viewer", "password": "short"});
    admin
        .post("/api/users", weak)
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "12 characters");
    let odd = json!({"email": "x@example.com", "role": "owner", "password": PASSWORD});
    assert_eq!(
        admin.post("/api/users", odd).await.status,
        StatusCode::BAD_REQUEST
    );
    let users = admin.get("/api/users").await;
    assert!(!users.text().contains("argon2"), "no password hashes");
    assert_eq!(
        seltzer.sign_in("eve@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
    let disable = admin
        .send("POST", "/api/users/eve@example.com/disable", None)
        .await;
    assert_eq!(disable.status, StatusCode::OK);
    assert_eq!(
        seltzer.sign_in("eve@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
}
