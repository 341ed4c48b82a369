//! Users, API keys and attributes: who may manage them.

use super::*;

on_both_engines!(management_is_allowed_by_role);

/// Attributes, API keys and users over the API, each allowed or refused by role.
async fn management_is_allowed_by_role(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    let mut as_role = Vec::new();
    for role in [Role::Viewer, Role::Editor, Role::Admin] {
        let key = seltzer
            .db
            .create_api_key(role.as_str(), role)
            .await
            .unwrap();
        as_role.push(basic(&key.id, &key.secret));
    }
    let [viewer, editor, admin] = [&as_role[0], &as_role[1], &as_role[2]];
    let call = |method: &'static str, path: &'static str, auth: &str, body: Option<Value>| {
        let auth = auth.to_owned();
        let seltzer = &seltzer;
        async move {
            seltzer
                .request(method, path, &[("authorization", &auth)], body)
                .await
        }
    };
    let attribute =
        json!({"name": "team", "type": "singleSelect", "allowedValues": ["growth", "core"]});

    // Attributes: everyone reads, editors and admins change.
    assert_eq!(
        call("GET", "/api/attributes", viewer, None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        call("POST", "/api/attributes", viewer, Some(attribute.clone()))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let created = call("POST", "/api/attributes", editor, Some(attribute.clone())).await;
    assert_eq!(created.status, StatusCode::OK);
    assert_eq!(created.json()["allowedValues"], json!(["growth", "core"]));
    assert_eq!(
        call("POST", "/api/attributes", admin, Some(attribute))
            .await
            .status,
        StatusCode::CONFLICT
    );
    let bad = call(
        "POST",
        "/api/attributes",
        editor,
        Some(json!({"name": "x", "type": "colour"})),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.json()["message"]
            .as_str()
            .unwrap()
            .contains("unknown attribute type 'colour'")
    );
    let listed = call("GET", "/api/attributes", viewer, None).await.json();
    assert_eq!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["name"] == "team")
            .count(),
        1
    );
    assert_eq!(
        call("DELETE", "/api/attributes/team", viewer, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call("DELETE", "/api/attributes/team", editor, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        call("DELETE", "/api/attributes/team", editor, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // API keys and users: admins only; a new key's secret is shown once and works at once.
    for auth in [viewer, editor] {
        assert_eq!(
            call("GET", "/api/api-keys", auth, None).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            call("GET", "/api/users", auth, None).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            call("POST", "/api/api-keys", auth, Some(json!({"name": "x"})))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
    }
    let new_key = call(
        "POST",
        "/api/api-keys",
        admin,
        Some(json!({"name": "ci", "role": "editor"})),
    )
    .await
    .json();
    let (id, secret) = (
        new_key["id"].as_str().unwrap(),
        new_key["secret"].as_str().unwrap(),
    );
    assert_eq!(new_key["role"], "editor");
    let listed = call("GET", "/api/api-keys", admin, None).await;
    assert!(
        listed
            .json()
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["id"] == id && k["role"] == "editor")
    );
    assert!(
        !String::from_utf8_lossy(&listed.body).contains(secret),
        "secrets are never listed"
    );
    let new_auth = basic(id, secret);
    assert_eq!(
        seltzer
            .request(
                "GET",
                "/api/v1/test-login",
                &[("authorization", &new_auth)],
                None
            )
            .await
            .status,
        StatusCode::OK
    );
    let revoke = seltzer
        .request(
            "DELETE",
            &format!("/api/api-keys/{id}"),
            &[("authorization", admin)],
            None,
        )
        .await;
    assert_eq!(revoke.status, StatusCode::OK);
    assert_eq!(
        seltzer
            .request(
                "GET",
                "/api/v1/test-login",
                &[("authorization", &new_auth)],
                None
            )
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    let user = json!({"email": "Eve@Example.com", "role": "editor", "password": PASSWORD});
    assert_eq!(
        call("POST", "/api/users", admin, Some(user.clone()))
            .await
            .json(),
        json!({"email": "eve@example.com", "role": "editor"})
    );
    assert_eq!(
        call("POST", "/api/users", admin, Some(user)).await.status,
        StatusCode::CONFLICT
    );
    let weak = call(
        "POST",
        "/api/users",
        admin,
        Some(json!({"email": "x@example.com", "role": "viewer", "password": "short"})),
    )
    .await;
    assert!(
        weak.json()["message"]
            .as_str()
            .unwrap()
            .contains("12 characters")
    );
    let odd = call(
        "POST",
        "/api/users",
        admin,
        Some(json!({"email": "x@example.com", "role": "owner", "password": PASSWORD})),
    )
    .await;
    assert_eq!(odd.status, StatusCode::BAD_REQUEST);
    let users = call("GET", "/api/users", admin, None).await;
    assert!(
        !String::from_utf8_lossy(&users.body).contains("argon2"),
        "no password hashes"
    );
    assert_eq!(
        sign_in(&seltzer, "eve@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
    assert_eq!(
        call("POST", "/api/users/eve@example.com/disable", admin, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        sign_in(&seltzer, "eve@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
}
